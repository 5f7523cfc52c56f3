/**
 * An s3:// object the store keeps failing is unreadable with `retryable: true` (exit 75); the
 * same command later reads it again. What a resume makes of that entry when the object fails
 * once more — in another way, or for good.
 */
import { strict as assert } from 'node:assert'
import { gzip, ndjson, tempDir, track } from '../../../helpers/files.js'
import { s3Env, s3ErrorXml, startFaultProxy, startS3, useS3TestCredentials, type FaultProxy, type S3TestServer } from '../../../helpers/s3.js'
import { startSandbox, type Sandbox } from '../../../../src/amplitude/sandbox/index.js'
import { replay } from '../../../../src/replay/engine.js'
import { NO_THROTTLE } from '../../../../src/amplitude/sandbox/limits.js'
import { compileSubscriptions, loadMappings } from '../../../../src/segment/subscriptions/index.js'
import Replay from '../../../../src/commands/replay.js'
import { spawnSync } from 'node:child_process'
import { BIN, runCli } from '../../../helpers/cli.js'

const KEY_A = 'logs/src/1714953600000/a.gz'
const KEY_B = 'logs/src/1714953600000/b.gz'

function object(tag: string, n: number): Buffer {
  return gzip(ndjson(Array.from({ length: n }, (_, i) => track('Bought', { messageId: `${tag}-${i}`, userId: `user-${tag}-${i}`, timestamp: '2024-05-06T10:00:00.000Z' }))))
}

describe('s3:// retryable unreadable objects across resumes', function () {
  this.timeout(60_000)
  let s3: S3TestServer
  let sb: Sandbox
  const proxies: FaultProxy[] = []
  useS3TestCredentials()
  before(async () => {
    s3 = await startS3()
    await s3.createBucket('arch')
    await s3.put('arch', KEY_A, object('a', 30))
    await s3.put('arch', KEY_B, object('b', 20))
    sb = await startSandbox({ limits: NO_THROTTLE })
  })
  after(async () => {
    for (const p of proxies) await p.close()
    await sb?.close()
    await s3?.close()
  })
  const proxy = async (rules: Parameters<typeof startFaultProxy>[1]) => {
    const p = await startFaultProxy(s3.endpoint, rules)
    proxies.push(p)
    return p
  }
  const keyRule = (key: string) => new RegExp(`^GET /arch/${key.replace(/\./g, '\\.')}`)
  const failing = (key: string) => ({ match: keyRule(key), respond: { status: 500, body: s3ErrorXml('InternalError', 'We encountered an internal error.') } })
  const missing = (key: string) => ({ match: keyRule(key), respond: { status: 404, body: s3ErrorXml('NoSuchKey', 'The specified key does not exist.') } })
  const run = async (endpoint: string, stateDir: string, runId: string) =>
    replay({
      inputs: ['s3://arch/logs'],
      archive: { s3: { endpoint, pathStyle: true, resumeBaseMs: 5, maxResumes: 1 } },
      subscriptions: compileSubscriptions(await loadMappings()),
      mappingsSource: 'presets',
      runId,
      stateDir,
      apiKey: 'retryable-test-key-0123',
      endpointUrl: sb.url,
      checkpointEveryMs: 20,
    })

  it('a transient failure next to a permanent one: 75 first, then 3 once the transient one is read', async () => {
    const stateDir = tempDir()
    const first = await run((await proxy([failing(KEY_A), missing(KEY_B)])).endpoint, stateDir, 'mixed')
    assert.equal(first.exitCode, 75)
    // status on that state directory agrees with the run: 75, and says which file a rerun reads.
    const text = spawnSync(process.execPath, [BIN, 'status', stateDir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    assert.equal(text.status, 75, text.stdout + text.stderr)
    assert.ok(text.stdout.includes(`unreadable files: s3://arch/${KEY_A} (retryable), s3://arch/${KEY_B}\n`), text.stdout)
    assert.match(text.stdout, /re-run the same replay command later/)
    const json = spawnSync(process.execPath, [BIN, 'status', stateDir, '--json'], { encoding: 'utf8' })
    assert.equal(json.status, 75, json.stderr)
    assert.equal(JSON.parse(json.stdout).exitCode, 75)
    assert.deepEqual(first.unreadableFiles.map((u) => [u.file, Boolean(u.retryable)]).sort(), [
      [`s3://arch/${KEY_A}`, true],
      [`s3://arch/${KEY_B}`, false],
    ])
    const second = await run((await proxy([missing(KEY_B)])).endpoint, stateDir, 'mixed')
    assert.equal(second.exitCode, 3, JSON.stringify(second.unreadableFiles))
    assert.equal(second.deadLettered, 0)
    assert.equal(second.sent, 30, 'the 30 lines of the object read at last, and nothing else')
    assert.deepEqual(
      second.unreadableFiles.map((u) => [u.file, Boolean(u.retryable)]),
      [[`s3://arch/${KEY_B}`, false]],
    )
    assert.equal(spawnSync(process.execPath, [BIN, 'status', stateDir], { encoding: 'utf8' }).status, 3)
  })

  it('an object failing transiently, then gone for good on the resume: exit 3, listed once, not retryable', async () => {
    const stateDir = tempDir()
    const first = await run((await proxy([failing(KEY_A)])).endpoint, stateDir, 'then-gone')
    assert.equal(first.exitCode, 75)
    const second = await run((await proxy([missing(KEY_A)])).endpoint, stateDir, 'then-gone')
    assert.deepEqual(
      second.unreadableFiles.map((u) => [u.file, Boolean(u.retryable)]),
      [[`s3://arch/${KEY_A}`, false]],
    )
    assert.equal(second.exitCode, 3, 'a scheduler retrying on 75 would retry a deleted object for ever')
    assert.equal(second.deadLettered + second.rejected, 0, 'exit 3 for the unreadable object alone')
  })

  it('an object failing for good, then transiently on the resume: exit 75, listed once', async () => {
    const stateDir = tempDir()
    const first = await run((await proxy([missing(KEY_A)])).endpoint, stateDir, 'then-failing')
    assert.equal(first.exitCode, 3)
    const second = await run((await proxy([failing(KEY_A)])).endpoint, stateDir, 'then-failing')
    assert.deepEqual(
      second.unreadableFiles.map((u) => [u.file, Boolean(u.retryable)]),
      [[`s3://arch/${KEY_A}`, true]],
    )
    assert.equal(second.exitCode, 75)
  })

  it('inspect: an object the store keeps failing exits 75 and says to run it again; one gone for good exits 3', async () => {
    // The proxy runs in this process: the CLI is run asynchronously (spawnSync would block it).
    const cli = (endpoint: string) =>
      runCli(['inspect', 's3://arch/logs', '--s3-endpoint', endpoint, '--s3-path-style', '--no-progress', '--state-dir', tempDir()], { env: s3Env() })
    const flaky = await cli((await proxy([failing(KEY_A)])).endpoint)
    assert.equal(flaky.code, 75, flaky.stderr)
    assert.match(flaky.stderr, new RegExp(`unreadable: s3://arch/${KEY_A.replace(/\./g, '\\.')}: `))
    assert.match(flaky.stderr, /The store failed past its retries: run the same command again later \(exit 75\)\./)
    assert.match(flaky.stdout, /20 /, 'the other object is profiled')
    const gone = await cli((await proxy([missing(KEY_A)])).endpoint)
    assert.equal(gone.code, 3, gone.stderr)
    assert.doesNotMatch(gone.stderr, /run the same command again later/)
  })

  it("replay --help's exit codes put an object the store keeps failing under 75, as the run does", () => {
    const codes = Replay.description.slice(Replay.description.indexOf('EXIT CODES'))
    const line = (code: number) => codes.split('\n').find((l) => l.trimStart().startsWith(`${code} `)) ?? ''
    assert.match(line(75), /object the store kept failing/)
    assert.doesNotMatch(codes, /keep failing is unreadable: exit 3/)
  })
})
