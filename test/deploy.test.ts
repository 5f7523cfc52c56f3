/**
 * The deployment files in the repository: the Kubernetes manifest parses as YAML and describes a
 * runnable Indexed Job, the AWS Batch job definition parses and matches its submit script, and the
 * Dockerfile builds (only where a Docker engine answers; the test says so when it is skipped).
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { Job } from 'kubernetes-models/batch/v1'

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

/** Every `--flag` of a command line (the name only). */
function flagNames(args: string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!)
}

/** Peak RSS by --workers, measured (README, "Beyond one machine"): a limit must hold it with headroom. */
const PEAK_RSS_MB: Record<number, number> = { 1: 227, 2: 368, 4: 536 }

function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q)!
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1)
}

describe('deploy: Kubernetes Indexed Job', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes/replay-indexed-job.yaml'))
  const values = docs.map((d) => d.toJS()) as Array<Record<string, any>>
  const job = values.find((v) => v.kind === 'Job')!

  it('is valid YAML, and valid against the Kubernetes API schemas (kubernetes-models)', () => {
    for (const d of docs)
      assert.deepEqual(
        d.errors.map((e) => e.message),
        [],
      )
    assert.equal(values.length, 1, 'one Job, no volume claim')
    new Job(job as ConstructorParameters<typeof Job>[0]).validate()
    // The validator catches a wrong value where it matters: an action Kubernetes does not know.
    const broken = structuredClone(job)
    broken.spec.podFailurePolicy.rules[0].action = 'Retry'
    assert.throws(() => new Job(broken).validate(), /podFailurePolicy\/rules\/0\/action/)
  })

  it('runs N shards that read their index from JOB_COMPLETION_INDEX, with the key from a Secret and the state in S3 per shard', () => {
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
    assert.match(flag(c.args, '--state-dir')!, /^s3:\/\/[^/]+\/.+\/shard-\{shard\}$/)
    assert.equal(pod.volumes, undefined, 'no ReadWriteMany volume')
    assert.equal(c.volumeMounts, undefined)
  })

  it('acts on exit codes: FailJob on 1 and 2, retry on 75, FailIndex on 3; a replacement only once the old pod failed', () => {
    const codes = job.spec.podFailurePolicy.rules.filter((r: any) => r.onExitCodes).map((r: any) => [r.action, r.onExitCodes.values])
    assert.deepEqual(codes, [
      ['FailJob', [1, 2]],
      ['Count', [75]],
      ['FailIndex', [3]],
    ])
    assert.equal(job.spec.podReplacementPolicy, 'Failed')
    assert.ok(job.spec.backoffLimitPerIndex >= 6, "room for retries while a killed pod's lease runs out")
  })

  it('--workers fits the memory limit (peak RSS measured per worker count, plus headroom)', () => {
    const c = job.spec.template.spec.containers[0]
    const workers = Number(flag(c.args, '--workers'))
    assert.ok(PEAK_RSS_MB[workers], `a measured --workers value (${Object.keys(PEAK_RSS_MB)})`)
    const limit = mebibytes(c.resources.limits.memory)
    assert.ok(limit >= PEAK_RSS_MB[workers]! * 1.5, `limit ${limit} Mi for ${PEAK_RSS_MB[workers]} MB peak`)
    assert.ok(mebibytes(c.resources.requests.memory) >= PEAK_RSS_MB[workers]!)
  })
})

describe('deploy: AWS Batch array job', () => {
  const def = JSON.parse(read('deploy/aws-batch/job-definition.json'))
  const cmd: string[] = def.containerProperties.command

  it('the job definition parses and its --shards equals the array size submitted', () => {
    assert.equal(cmd[0], 'replay')
    const n = flag(cmd, '--shards')
    const submit = read('deploy/aws-batch/submit.sh')
    assert.match(submit, new RegExp(`N="\\$\\{N:-${n}\\}"`))
    assert.match(submit, /--array-properties "size=\$N"/)
    assert.ok(def.containerProperties.secrets.some((s: { name: string }) => s.name === 'AMPLITUDE_API_KEY'))
  })

  it('retries exit 75 (and a killed or stopped attempt), ends on every other code; state in S3, no EFS volume', () => {
    assert.deepEqual(
      def.retryStrategy.evaluateOnExit.map((e: { onExitCode: string; action: string }) => `${e.onExitCode}:${e.action}`),
      ['75:RETRY', '130:RETRY', '137:RETRY', '*:EXIT'],
    )
    assert.match(flag(cmd, '--state-dir')!, /^s3:\/\/[^/]+\/.+\/shard-\{shard\}$/)
    assert.equal(def.containerProperties.volumes, undefined)
    assert.equal(def.containerProperties.mountPoints, undefined)
  })

  it('--workers fits the memory (and the vCPU/memory pair is one Fargate offers)', () => {
    const req = Object.fromEntries(def.containerProperties.resourceRequirements.map((r: { type: string; value: string }) => [r.type, Number(r.value)]))
    const workers = Number(flag(cmd, '--workers'))
    assert.ok(req.MEMORY >= PEAK_RSS_MB[workers]! * 1.5)
    // Fargate: 1 vCPU takes 2–8 GB, 2 vCPU 4–16 GB, 4 vCPU 8–30 GB.
    const range = ({ 1: [2048, 8192], 2: [4096, 16384], 4: [8192, 30720] } as Record<number, [number, number]>)[req.VCPU]!
    assert.ok(range && req.MEMORY >= range[0] && req.MEMORY <= range[1], JSON.stringify(req))
  })
})

describe('deploy: command lines use only flags `replay --help` lists', () => {
  it('every flag in the Kubernetes args and the Batch command is one replay accepts', function () {
    this.timeout(60_000)
    const help = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'replay', '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 50_000 })
    assert.equal(help.status, 0, help.stderr)
    const listed = new Set([...help.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!))
    assert.ok(listed.has('--state-dir') && listed.has('--workers'), 'the help lists flags')
    const job = (parseAllDocuments(read('deploy/kubernetes/replay-indexed-job.yaml')).map((d) => d.toJS()) as any[]).find((v) => v.kind === 'Job')
    const k8s = flagNames(job.spec.template.spec.containers[0].args)
    const batch = flagNames(JSON.parse(read('deploy/aws-batch/job-definition.json')).containerProperties.command)
    for (const f of [...k8s, ...batch]) assert.ok(listed.has(f), `${f} is not in \`replay --help\``)
    assert.ok(k8s.length >= 5 && batch.length >= 5)
  })
})

describe('deploy: Dockerfile', () => {
  const text = read('Dockerfile')

  it('builds in one stage and runs from a slim image of the current Node LTS (26) with production dependencies, as a non-root user', () => {
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1])
    assert.deepEqual(froms, ['node:26-slim', 'node:26-slim'])
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

describe("deploy: the image's runtime file set, built without Docker", function () {
  this.timeout(600_000)
  // What the Dockerfile's runtime stage holds: production dependencies (npm ci --omit=dev) plus
  // dist/, the oclif manifest and bin/. A dependency the code needs at run time but that is only a
  // devDependency fails here.
  let app: string
  before(function () {
    const text = read('Dockerfile')
    const runtime = text.slice(text.lastIndexOf('\nFROM '))
    const copied = [...runtime.matchAll(/^COPY (?:--from=build )?(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' ').map((f) => f.replace(/^\/src\//, '')))
    assert.deepEqual(copied, ['package.json', 'package-lock.json', 'dist', 'oclif.manifest.json', 'bin'], 'the files copied below')
    app = mkdtempSync(join(tmpdir(), 'segamp-image-'))
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(app, f))
    const ci = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 500_000,
      env: { ...process.env, NODE_ENV: 'production' },
    })
    assert.equal(ci.status, 0, ci.stderr)
    for (const f of ['dist', 'oclif.manifest.json', 'bin']) cpSync(join(ROOT, f), join(app, f), { recursive: true })
  })
  after(() => app && rmSync(app, { recursive: true, force: true }))

  const run = (args: string[]) => {
    const work = mkdtempSync(join(tmpdir(), 'segamp-image-state-'))
    // As in the image: run from another directory (/state), node_modules only where the app is.
    const r = spawnSync(process.execPath, [join(app, 'bin', 'run.js'), ...args], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', NODE_ENV: 'production', AMPLITUDE_API_KEY: '' },
    })
    return { ...r, work }
  }

  it('replay --sandbox runs from it', () => {
    const r = run(['replay', join(ROOT, 'examples', 'segment-logs'), '--sandbox', '--no-progress', '--sandbox-dir', 'sandbox'])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /events sent\s+611/)
  })

  it('replay --dry-run runs from it', () => {
    const r = run(['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--out', 'requests.ndjson', '--no-progress'])
    assert.equal(r.status, 0, r.stderr)
    const requests = readFileSync(join(r.work, 'requests.ndjson'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { url: string })
    assert.deepEqual(requests.map((q) => q.url).sort(), ['https://api2.amplitude.com/2/httpapi', 'https://api2.amplitude.com/identify'])
  })
})
