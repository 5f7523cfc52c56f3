/**
 * The deployment files in the repository: the Kubernetes manifest parses as YAML and describes a
 * runnable Indexed Job, the AWS Batch job definition parses and matches its submit script, and the
 * Dockerfile builds (only where a Docker engine answers; the test says so when it is skipped).
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8')

/** The value of `--name=value` or `--name value` in an argument list. */
function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1]
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1)
  }
  return undefined
}

describe('deploy: Kubernetes Indexed Job', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes/replay-indexed-job.yaml'))
  const values = docs.map((d) => d.toJS()) as Array<Record<string, any>>

  it('is valid YAML', () => {
    for (const d of docs) assert.deepEqual(d.errors.map((e) => e.message), [])
    assert.ok(values.length >= 2)
  })

  it('runs N shards that read their index from JOB_COMPLETION_INDEX, with the key from a Secret and state per pod', () => {
    const job = values.find((v) => v.kind === 'Job')!
    assert.equal(job.apiVersion, 'batch/v1')
    assert.equal(job.spec.completionMode, 'Indexed')
    const pod = job.spec.template.spec
    const c = pod.containers[0]
    const n = Number(flag(c.args, '--shards'))
    assert.ok(n >= 1)
    assert.equal(job.spec.completions, n, '--shards = completions')
    assert.equal(job.spec.parallelism, n)
    assert.equal(c.args[0], 'replay')
    assert.match(c.args[1], /^s3:\/\//)
    assert.ok(c.args.includes('--yes'), 'a pod has no TTY to confirm on')
    assert.equal(pod.restartPolicy, 'Never', 'podFailurePolicy needs restartPolicy Never')
    const key = c.env.find((e: { name: string }) => e.name === 'AMPLITUDE_API_KEY')
    assert.ok(key.valueFrom.secretKeyRef.name && key.valueFrom.secretKeyRef.key)
    assert.equal(key.value, undefined, 'no key in the manifest')
    assert.equal(pod.securityContext.runAsNonRoot, true)
    // A directory per pod on the claim, named by an env var the container defines.
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'state')
    const varName = /\$\((\w+)\)/.exec(mount.subPathExpr)![1]
    assert.ok(c.env.some((e: { name: string }) => e.name === varName), `${varName} is defined`)
    assert.equal(flag(c.args, '--state-dir')!.startsWith(mount.mountPath), true)
    const claim = pod.volumes.find((v: { name: string }) => v.name === 'state').persistentVolumeClaim.claimName
    assert.ok(values.some((v) => v.kind === 'PersistentVolumeClaim' && v.metadata.name === claim))
    // Usage errors fail the Job; exit 3 (finished with dead letters) is not retried.
    const codes = job.spec.podFailurePolicy.rules.map((r: any) => [r.action, r.onExitCodes.values])
    assert.deepEqual(codes, [['FailJob', [2]], ['FailIndex', [3]]])
  })
})

describe('deploy: AWS Batch array job', () => {
  it('the job definition parses and its --shards equals the array size submitted', () => {
    const def = JSON.parse(read('deploy/aws-batch/job-definition.json'))
    const cmd: string[] = def.containerProperties.command
    assert.equal(cmd[0], 'replay')
    const n = flag(cmd, '--shards')
    const submit = read('deploy/aws-batch/submit.sh')
    assert.match(submit, new RegExp(`N="\\$\\{N:-${n}\\}"`))
    assert.match(submit, /--array-properties "size=\$N"/)
    assert.ok(def.containerProperties.secrets.some((s: { name: string }) => s.name === 'AMPLITUDE_API_KEY'))
    assert.deepEqual(
      def.retryStrategy.evaluateOnExit.map((e: { onExitCode: string; action: string }) => `${e.onExitCode}:${e.action}`),
      ['2:EXIT', '3:EXIT', '*:RETRY'],
    )
  })
})

describe('deploy: Dockerfile', () => {
  const text = read('Dockerfile')

  it('builds in one stage and runs from a slim Node 20 image with production dependencies, as a non-root user', () => {
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1])
    assert.deepEqual(froms, ['node:20-slim', 'node:20-slim'])
    const runtime = text.slice(text.lastIndexOf('\nFROM '))
    assert.match(runtime, /npm ci --omit=dev/)
    assert.match(runtime, /COPY --from=build \/src\/dist/)
    assert.match(runtime, /^USER node$/m)
    assert.ok(runtime.indexOf('USER node') > runtime.indexOf('npm ci'))
    assert.match(runtime, /ENTRYPOINT \["node", "\/app\/bin\/run.js"\]/)
  })

  const docker = spawnSync('docker', ['info'], { timeout: 15_000, stdio: 'ignore' }).status === 0
  it(docker ? 'docker build succeeds and the image runs segamp' : 'docker build (SKIPPED: no Docker engine here, `docker info` failed)', function () {
    if (!docker) this.skip()
    this.timeout(900_000)
    const tag = `segamp-test:${process.pid}`
    const build = spawnSync('docker', ['build', '-t', tag, ROOT], { encoding: 'utf8', timeout: 850_000 })
    assert.equal(build.status, 0, build.stderr)
    try {
      const run = spawnSync('docker', ['run', '--rm', tag, 'status', '--help'], { encoding: 'utf8', timeout: 60_000 })
      assert.equal(run.status, 0, run.stderr)
      assert.match(run.stdout, /state directories/)
      const user = spawnSync('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8', timeout: 60_000 })
      assert.notEqual(user.stdout.trim(), '0', 'not root')
    } finally {
      spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' })
    }
  })
})
