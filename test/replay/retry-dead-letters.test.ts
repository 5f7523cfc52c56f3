/**
 * `replay --retry-dead-letters` as a library call against the sandbox: records dead-lettered
 * `exceeded_daily_quota` are resent with the same insert_ids once the quota is lifted; each lands
 * exactly once; the checkpoint's and the report's counts move them from dead-lettered to sent; a
 * retry after a kill (ledger written, checkpoint not) neither resends nor double-counts.
 */
import { strict as assert } from 'node:assert'
import { appendFileSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readNdjson, tempDir, writeFile } from '../helpers/files.js'
import { s3Env, startS3, type S3TestServer } from '../helpers/s3.js'
import { FAST, device, replayHarness, writeArchive } from '../helpers/replay.js'
import { readDeadLetters, reasonSelected, renderRetryResult, retryable, RETRY_LEDGER, retryDeadLetters } from '../../src/replay/retry-dead-letters.js'
import type { ReplayCounts } from '../../src/pipeline/commit/report.js'
import type { Sandbox } from '../../src/amplitude/sandbox/index.js'
import { BIN, ROOT, runCli } from '../helpers/cli.js'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { waitFor } from '../helpers/replay.js'

const KEY = 'retry-test-key-0a1b2c3d4e5f6071'
const { run, sandbox } = replayHarness(KEY, 'retry-run')

const checkpointCounts = (dir: string): ReplayCounts => (JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { counts: ReplayCounts }).counts
const eventIds = (sb: Sandbox): string[] => sb.events.map((e) => String(e.event.insert_id))

async function deadLettered(sb: Sandbox, quota: string[]): Promise<{ stateDir: string; planned: number; dead: number }> {
  const root = tempDir('segamp-retry-')
  const archive = writeArchive(root, { messages: 40, devices: 4 })
  const stateDir = join(root, 'state')
  sb.setFaults({ quotaExceeded: quota })
  const report = await run({ inputs: [archive.dir], stateDir, endpointUrl: sb.url })
  assert.equal(report.exitCode, 3)
  return { stateDir, planned: report.planned, dead: report.deadLettered }
}

describe('replay --retry-dead-letters (library, sandbox)', function () {
  this.timeout(60_000)

  it('resends exceeded_daily_quota records once the quota is lifted: each lands exactly once, and the counts follow', async () => {
    const sb = await sandbox()
    const { stateDir, planned, dead } = await deadLettered(sb, [device(1), device(2)])
    assert.equal(dead, 20)
    assert.equal(checkpointCounts(stateDir).deadLetterReasons.exceeded_daily_quota, 20)
    const before = new Set(eventIds(sb))
    const deadIds = readDeadLetters(join(stateDir, 'dead-letter.ndjson')).map((d) => String(d.event.insert_id))
    assert.ok(deadIds.every((id) => !before.has(id)))

    sb.setFaults({})
    const report = await retryDeadLetters({ stateDir, reasons: ['exceeded_daily_quota'], apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.equal(report.exitCode, 0)
    assert.deepEqual({ selected: report.retry.selected, sent: report.retry.sent, again: report.retry.deadLetteredAgain }, { selected: 20, sent: 20, again: 0 })
    assert.deepEqual(report.retry.remaining, {})
    assert.equal(report.sent, planned)
    assert.equal(report.deadLettered, 0)
    assert.deepEqual(report.deadLetterReasons, {})
    const ids = eventIds(sb)
    assert.equal(ids.length, planned)
    assert.equal(new Set(ids).size, planned, 'every record once')
    for (const id of deadIds) assert.ok(ids.includes(id), `${id} resent with its insert_id`)
    const cp = checkpointCounts(stateDir)
    assert.equal(cp.sent, planned)
    assert.equal(cp.deadLettered, 0)
    const perEndpoint = cp.subscriptions.flatMap((s) => Object.values(s.byEndpoint))
    assert.equal(
      perEndpoint.reduce((a, e) => a + e.sent, 0),
      planned,
    )
    assert.equal(
      perEndpoint.reduce((a, e) => a + e.deadLettered, 0),
      0,
    )
    assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')).retry.sent, 20)

    // A second retry finds nothing left to send.
    const requests = sb.requests.length
    const again = await retryDeadLetters({ stateDir, reasons: ['exceeded_daily_quota'], apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.equal(again.retry.selected, 0)
    assert.equal(sb.requests.length, requests)
  })

  it('records that fail again stay dead-lettered, with their attempts counted; other reasons are left alone', async () => {
    const sb = await sandbox()
    const { stateDir, dead } = await deadLettered(sb, [device(1), device(2)])
    sb.setFaults({ quotaExceeded: [device(2)] })
    const report = await retryDeadLetters({ stateDir, reasons: ['exceeded_daily_quota'], apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.equal(report.exitCode, 3)
    assert.deepEqual({ sent: report.retry.sent, again: report.retry.deadLetteredAgain }, { sent: 10, again: 10 })
    assert.equal(report.deadLettered, dead - 10)
    assert.deepEqual(report.deadLetterReasons, { exceeded_daily_quota: 10 })
    const ledger = readNdjson(join(stateDir, RETRY_LEDGER)) as Array<{ ok?: boolean; attempts?: number }>
    assert.equal(ledger.filter((l) => l.ok).length, 10)
    assert.ok(
      ledger.filter((l) => !l.ok).every((l) => l.attempts === 2),
      'one send by the replay, one by the retry',
    )
    // Not selected: nothing is sent.
    const requests = sb.requests.length
    const none = await retryDeadLetters({ stateDir, reasons: ['retries_exhausted'], apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.equal(none.retry.selected, 0)
    assert.equal(sb.requests.length, requests)
  })

  it('a retry into an endpoint that fails every request exits 75 (retry later), as a replay does, and keeps the dead letters', async () => {
    const sb = await sandbox()
    const { stateDir, dead } = await deadLettered(sb, [device(1), device(2)])
    sb.setFaults({ error5xxRate: 1 })
    const report = await retryDeadLetters({ stateDir, reasons: ['exceeded_daily_quota'], apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.match(String(report.error), /Amplitude endpoint failing every request/)
    // A scheduler retries 75 later; 1 would tell it the same command fails until something is fixed.
    assert.equal(report.exitCode, 75)
    assert.equal(report.deadLettered, dead)
    assert.equal(checkpointCounts(stateDir).deadLettered, dead)
  })

  it('an interrupted retry says how many records it never sent: the counts add up to the selected', async () => {
    const sb = await sandbox()
    const { stateDir } = await deadLettered(sb, [device(1), device(2)])
    // Every answer takes 2 s; the retry is stopped while its first requests are out.
    sb.setFaults({ latencyMs: 2_000 })
    const controller = new AbortController()
    const started = retryDeadLetters({
      stateDir,
      reasons: ['exceeded_daily_quota'],
      apiKey: KEY,
      endpointUrl: sb.url,
      delivery: FAST,
      batchSize: 2,
      concurrency: 1,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 300)
    const report = await started
    assert.equal(report.exitCode, 130)
    const t = report.retry
    const unsent = t.selected - t.sent - t.deadLetteredAgain
    assert.ok(unsent > 0, JSON.stringify(t))
    const text = renderRetryResult(report)
    // It said "20 resent, N sent …, 0 dead-lettered again" and nothing about the others.
    assert.match(text, new RegExp(`^  ${unsent} not sent: the retry was interrupted before them; they stay dead-lettered, and the same command resends them$`, 'm'))
    assert.equal(report.deadLettered, 20 - t.sent)
  })

  it("after a kill between the ledger and the checkpoint, a retry counts the ledger's outcome once and does not resend it", async () => {
    const sb = await sandbox()
    const { stateDir, planned } = await deadLettered(sb, [device(3)])
    sb.setFaults({})
    // As if a retry was killed right after Amplitude acknowledged the first dead letter: it is in
    // the ledger (and in the sandbox), the checkpoint's counts do not have it yet.
    const first = readDeadLetters(join(stateDir, 'dead-letter.ndjson'))[0]
    const firstId = String(first.event.insert_id)
    appendFileSync(join(stateDir, RETRY_LEDGER), JSON.stringify({ at: first.at, ok: true }) + '\n')
    const report = await retryDeadLetters({ stateDir, apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.equal(report.retry.selected, 9)
    assert.ok(!eventIds(sb).includes(firstId), 'the acknowledged record is not sent again')
    assert.equal(report.deadLettered, 0)
    assert.equal(report.sent, planned)
    assert.equal(report.deadLetterRetry!.sent, 10)
  })
})

describe('replay --retry-dead-letters: which dead letters', () => {
  it('a reason selects its detailed forms; only dead letters holding a whole record are resent', () => {
    assert.ok(reasonSelected('retries_exhausted:500', ['retries_exhausted']))
    assert.ok(reasonSelected('exceeded_daily_quota', ['exceeded_daily_quota']))
    assert.ok(!reasonSelected('invalid_field:user_id', ['retries_exhausted', 'exceeded_daily_quota']))
    assert.ok(reasonSelected('invalid_field:user_id', ['all']))
    const base = { at: 0, status: null, attempts: 1 }
    assert.ok(retryable({ ...base, event: { event_type: 'x', insert_id: 'i' }, endpoint: 'httpapi', reason: 'throttled' }))
    assert.ok(!retryable({ ...base, event: { type: 'group' }, reason: 'segment validation: missing group_type' }))
    assert.ok(!retryable({ ...base, event: { insert_id: 'i' }, endpoint: 'httpapi', reason: 'unprocessable: nested too deeply' }))
    assert.ok(!retryable({ ...base, event: { insert_id: 'i', note: 'not written: nested too deeply to serialize' }, endpoint: 'httpapi', reason: 'payload_too_large' }))
  })
})

describe('replay --retry-dead-letters after --fresh', function () {
  this.timeout(60_000)
  it('a run started over voids the old retry ledger: its indexes named the old dead-letter file', async () => {
    const sb = await sandbox()
    const { stateDir } = await deadLettered(sb, [device(1)])
    sb.setFaults({ quotaExceeded: [device(2)] })
    const r1 = await retryDeadLetters({ stateDir, apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.equal(r1.retry.sent, 10)
    // Started over: device 2 is over its quota now, device 1 no longer.
    const root = join(stateDir, '..')
    const fresh = await run({ inputs: [join(root, 'archive')], stateDir, endpointUrl: sb.url, fresh: true })
    assert.equal(fresh.deadLettered, 10)
    assert.ok(!existsSync(join(stateDir, RETRY_LEDGER)), 'the old ledger is gone')
    sb.setFaults({})
    const r2 = await retryDeadLetters({ stateDir, apiKey: KEY, endpointUrl: sb.url, delivery: FAST })
    assert.deepEqual([r2.retry.selected, r2.retry.sent, r2.deadLettered, r2.sent], [10, 10, 0, fresh.planned])
  })
})

describe('replay --retry-dead-letters (CLI)', function () {
  this.timeout(120_000)
  const { sandbox: cliSandbox } = replayHarness(KEY, 'retry-cli')

  it('the same command with --retry-dead-letters resends the quota dead letters; status then counts none', async () => {
    const sb = await cliSandbox({ faults: { quotaExceeded: [device(0)] } })
    const root = tempDir('segamp-retry-cli-')
    const archive = writeArchive(root, { messages: 20, devices: 4 })
    const stateDir = join(root, 'state')
    const args = ['replay', archive.dir, '--endpoint-url', sb.url, '--state-dir', stateDir, '--yes', '--no-progress', '--workers', '1']
    const env = { AMPLITUDE_API_KEY: KEY }
    const first = await runCli(args, { env })
    assert.equal(first.code, 3, first.stderr)
    assert.match(first.stderr, /exceeded_daily_quota/)
    // A plain re-run says how to resend them.
    const rerun = await runCli(args, { env })
    assert.match(rerun.stderr, /Replay already complete .*--retry-dead-letters to resend the 5 dead-lettered record\(s\)/)
    sb.setFaults({})
    const retry = await runCli([...args, '--retry-dead-letters', '--reasons', 'exceeded_daily_quota'], { env })
    assert.equal(retry.code, 0, retry.stderr)
    assert.match(retry.stderr, /5 resent, 5 sent \(they left the dead-letter set\), 0 dead-lettered again/)
    const ids = eventIds(sb)
    assert.equal(ids.length, 20)
    assert.equal(new Set(ids).size, 20)
    const status = await runCli(['status', stateDir, '--json'])
    const st = JSON.parse(status.stdout) as { totals?: { deadLettered: number; sent: number } }
    assert.equal(status.code, 0, status.stdout + status.stderr)
    assert.equal(st.totals?.deadLettered, 0)
    assert.equal(st.totals?.sent, 20)
    // Without --yes a live retry is refused, as a live replay is.
    const refused = await runCli([...args.filter((a) => a !== '--yes'), '--retry-dead-letters'], { env })
    assert.equal(refused.code, 2)
  })

  it('a retry killed with kill -9 is run again: every record lands once, counts add up, only the requests in flight are resent', async () => {
    const sb = await cliSandbox({ faults: { quotaExceeded: [0, 1, 2, 3].map(device) } })
    const root = tempDir('segamp-retry-kill-')
    const archive = writeArchive(root, { messages: 200, devices: 4 })
    const stateDir = join(root, 'state')
    const env = { AMPLITUDE_API_KEY: KEY }
    const args = ['replay', archive.dir, '--endpoint-url', sb.url, '--state-dir', stateDir, '--yes', '--no-progress', '--workers', '1']
    const first = await runCli(args, { env })
    assert.equal(first.code, 3, first.stderr)
    assert.equal(checkpointCounts(stateDir).deadLettered, 200)
    sb.setFaults({ latencyMs: 40 })
    const retryArgs = [...args, '--retry-dead-letters', '--batch-size', '5', '--concurrency', '1']
    const child = spawn(process.execPath, [BIN, ...retryArgs], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' })
    const ledger = join(stateDir, RETRY_LEDGER)
    await waitFor('some acknowledged retries', () => existsSync(ledger) && readFileSync(ledger, 'utf8').split('\n').length > 40, 60_000)
    child.kill('SIGKILL')
    await new Promise((r) => child.on('close', r))
    const acked = readNdjson(ledger).length
    assert.ok(acked < 200, `${acked} acknowledged before the kill`)
    sb.setFaults({})
    const again = await runCli([...retryArgs, '--json'], { env })
    assert.equal(again.code, 0, again.stderr)
    const report = JSON.parse(again.stdout) as { sent: number; deadLettered: number; retry: { selected: number } }
    assert.equal(report.retry.selected, 200 - acked, 'what the ledger acknowledged is not selected again')
    assert.equal(report.deadLettered, 0)
    assert.equal(report.sent, 200)
    const ids = eventIds(sb)
    assert.equal(new Set(ids).size, 200)
    assert.equal(ids.length, 200)
    // Resent: at most the one request in flight at the kill (--batch-size 5, --concurrency 1).
    assert.ok(sb.stats().duplicatesDiscarded <= 5, `${sb.stats().duplicatesDiscarded} resent`)
    const cp = checkpointCounts(stateDir)
    assert.deepEqual([cp.sent, cp.deadLettered, cp.deadLetterRetry?.sent], [200, 0, 200])
  })
})

describe('replay --retry-dead-letters on a local copy of an s3:// state directory', function () {
  this.timeout(120_000)
  const { sandbox: cliSandbox } = replayHarness(KEY, 'retry-s3-copy')
  let s3: S3TestServer | undefined
  after(async () => s3?.close())

  it('as the hint says (aws s3 sync, then --state-dir): the part objects are read, every dead letter resent once, status adds up', async () => {
    s3 = await startS3()
    await s3.createBucket('state')
    const sb = await cliSandbox({ faults: { quotaExceeded: [device(0)] } })
    const root = tempDir('segamp-retry-s3copy-')
    const archive = writeArchive(root, { messages: 20, devices: 4 })
    const env = s3Env({ AMPLITUDE_API_KEY: KEY, AWS_REGION: 'us-east-1' })
    const s3Args = ['--s3-endpoint', s3.endpoint, '--s3-path-style']
    const args = ['replay', archive.dir, '--endpoint-url', sb.url, '--yes', '--no-progress', '--workers', '1']
    const first = await runCli([...args, '--state-dir', 's3://state/run/', ...s3Args], { env })
    assert.equal(first.code, 3, first.stderr)
    const refused = await runCli([...args, '--state-dir', 's3://state/run/', ...s3Args, '--retry-dead-letters'], { env })
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(refused.stderr, /^Hint: Copy the state directory to a local one \(aws s3 sync/m)

    // What `aws s3 sync s3://state/run/ copy/` writes: every object under the prefix, as files.
    const copy = join(root, 'copy')
    const { ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3')
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'state', Prefix: 'run/' }))
    for (const o of listed.Contents ?? []) {
      const body = await s3.client.send(new GetObjectCommand({ Bucket: 'state', Key: o.Key! }))
      writeFile(join(copy, o.Key!.slice('run/'.length)), Buffer.from(await body.Body!.transformToByteArray()))
    }
    assert.ok(existsSync(join(copy, 'dead-letter', 'part-000001.ndjson')))

    sb.setFaults({})
    const before = sb.events.length
    const retry = await runCli([...args, '--state-dir', copy, '--retry-dead-letters'], { env })
    assert.equal(retry.code, 0, retry.stderr)
    assert.match(retry.stderr, /5 resent, 5 sent \(they left the dead-letter set\), 0 dead-lettered again/)
    assert.match(retry.stderr, /copy is a copy of an s3:\/\/ state directory: joined its part objects into dead-letter\.ndjson/)
    assert.equal(sb.events.length - before, 5)
    assert.equal(new Set(eventIds(sb)).size, sb.events.length, 'every record once')
    const status = await runCli(['status', copy, '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(JSON.parse(status.stdout).totals.deadLettered, 0)
    // A second retry finds nothing: the joined file and the ledger agree.
    const again = await runCli([...args, '--state-dir', copy, '--retry-dead-letters'], { env })
    assert.equal(again.code, 0, again.stderr)
    assert.equal(sb.events.length - before, 5)
  })
})
