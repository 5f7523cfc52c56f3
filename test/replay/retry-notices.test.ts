/**
 * Retries are said as they happen, at most one notice per 30 s: an endpoint that stops answering,
 * or answers 5xx, used to show only in the progress line, so with --no-progress (CI, a pod's log)
 * a run waited up to its unreachable budget (2 min) without a word.
 */
import { strict as assert } from 'node:assert'
import { RETRY_NOTICE_EVERY_MS, retryNotices } from '../../src/replay/sink.js'
import { replayHarness, writeArchive } from '../helpers/replay.js'
import { tempDir } from '../helpers/files.js'

describe('replay: retries are said as they happen', function () {
  this.timeout(60_000)
  const { run, sandbox } = replayHarness('retry-notice-key-0001', 'retry-notices')

  it('the first retry at once, then at most one notice per 30 s, counting the ones not said', () => {
    let t = 1_000_000
    const said: string[] = []
    const notice = retryNotices((w) => said.push(w), { unreachableAfterMs: 120_000, stalledAfterMs: 600_000, now: () => t })
    notice({ status: null, reason: 'ECONNREFUSED', attempt: 1, delayMs: 400, events: 12 })
    assert.deepEqual(said, [
      'delivery: no answer (ECONNREFUSED) for 12 record(s), send 1; retrying in 0.4 s. The run stops (exit 75) once nothing has answered for 120 s (10 s while every connection is refused and nothing has answered yet); the same command then resumes.',
    ])
    t += 1000
    notice({ status: null, reason: 'ECONNREFUSED', attempt: 2, delayMs: 800, events: 12 })
    t += RETRY_NOTICE_EVERY_MS - 2000
    notice({ status: 503, reason: 'server error', attempt: 3, delayMs: 1600, events: 12 })
    assert.equal(said.length, 1)
    t += 1000
    notice({ status: 503, reason: 'server error', attempt: 4, delayMs: 3200, events: 12 })
    assert.equal(said.length, 2)
    assert.equal(
      said[1],
      'delivery: HTTP 503 (server error) for 12 record(s), send 4; retrying in 3.2 s; 2 more retried request(s) since the last notice. The run stops (exit 75) once nothing has been accepted for 600 s; the same command then resumes.',
    )
  })

  it('a request past its deadline names --request-timeout; a connection the operating system timed out names its code, not the deadline', () => {
    let t = 1_000_000
    const said: string[] = []
    const notice = retryNotices((w) => said.push(w), { unreachableAfterMs: 120_000, stalledAfterMs: 600_000, requestTimeoutMs: 5000, now: () => t })
    notice({ status: null, reason: 'timeout', attempt: 1, delayMs: 400, events: 3 })
    t += RETRY_NOTICE_EVERY_MS
    notice({ status: null, reason: 'ETIMEDOUT', attempt: 1, delayMs: 400, events: 3 })
    assert.match(said[0], /^delivery: no answer within 5 s \(timeout, --request-timeout\) for 3 record/)
    assert.match(said[1], /^delivery: no answer \(ETIMEDOUT\) for 3 record/)
  })

  it('a run against a closed port warns before it stops; a run whose endpoint answers says nothing', async () => {
    const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
    const closed = await sandbox()
    await closed.close()
    const warnings: string[] = []
    const report = await run({ inputs: [a.dir], endpointUrl: closed.url, onWarning: (w) => warnings.push(w), delivery: { maxAttempts: 3 } })
    assert.equal(report.exitCode, 75)
    const notices = warnings.filter((w) => w.startsWith('delivery: no answer ('))
    assert.equal(notices.length, 1, warnings.join('\n'))
    assert.match(
      notices[0]!,
      /^delivery: no answer \(ECONNREFUSED\) for \d+ record\(s\), send 1; retrying in \d+\.\d s\. The run stops \(exit 75\) once nothing has answered for 120 s/,
    )
    const ok = await sandbox()
    const quiet: string[] = []
    const sent = await run({ inputs: [a.dir], endpointUrl: ok.url, onWarning: (w) => quiet.push(w) })
    assert.equal(sent.exitCode, 0)
    assert.deepEqual(
      quiet.filter((w) => w.startsWith('delivery:')),
      [],
    )
  })

  it('5xx answers: the notice names the status', async () => {
    const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
    const flaky = await sandbox({ faults: { error5xxRate: 1 } })
    const warnings: string[] = []
    await run({ inputs: [a.dir], endpointUrl: flaky.url, onWarning: (w) => warnings.push(w), delivery: { maxAttempts: 2 } })
    assert.ok(
      warnings.some((w) => /^delivery: HTTP 50[023] \(/.test(w)),
      warnings.join('\n'),
    )
  })
})
