/**
 * An endpoint that refuses connections at once and has never answered in this run (issue #21 item
 * 16): nothing is listening there, so waiting out the 2-minute budget only delays the error. The
 * run stops after REFUSED_AFTER_MS with the reason and a hint; an endpoint that answered before and
 * now refuses (a restart) keeps the 2-minute budget.
 */
import { strict as assert } from 'node:assert'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { StopRules, REFUSED_AFTER_MS } from '../../../src/pipeline/deliver/retry.js'
import type { Classification } from '../../../src/pipeline/deliver/classify.js'
import { runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/files.js'

const refused: Classification = {
  code: null,
  reason: 'ECONNREFUSED',
  fates: [{ t: 'backoff' }],
  unreachable: true,
  throttledUsers: [],
  throttledDevices: [],
  quotaUsers: [],
  quotaDevices: [],
}
const ok: Classification = { code: 200, reason: 'ok', fates: [{ t: 'ack' }], throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [] }
const where = (): string => 'http://127.0.0.1:9'

describe('deliver: refused connections', function () {
  this.timeout(90_000)

  it('never answered, every connection refused: stop after REFUSED_AFTER_MS (seconds, not 2 minutes)', () => {
    assert.ok(REFUSED_AFTER_MS <= 15_000)
    const s = new StopRules({ unreachableAfterMs: 120_000, stalledAfterMs: 600_000 }, 0)
    s.answered(refused, 100)
    assert.equal(s.check(100 + REFUSED_AFTER_MS - 1, where), undefined)
    assert.equal(
      s.check(100 + REFUSED_AFTER_MS, where)?.message,
      `the endpoint is unreachable: every connection to http://127.0.0.1:9 was refused (ECONNREFUSED) for ${REFUSED_AFTER_MS / 1000} s, and it has not answered once in this run; stopping`,
    )
  })

  it('a host name that does not resolve (a mistyped --endpoint-url host) stops as soon as a refused connection', () => {
    const s = new StopRules({ unreachableAfterMs: 120_000, stalledAfterMs: 600_000 }, 0)
    s.answered({ ...refused, reason: 'ENOTFOUND' }, 100)
    assert.equal(s.check(100 + REFUSED_AFTER_MS - 1, where), undefined)
    assert.equal(
      s.check(100 + REFUSED_AFTER_MS, where)?.message,
      `the endpoint is unreachable: every connection to http://127.0.0.1:9 failed: its host name does not resolve (ENOTFOUND) for ${REFUSED_AFTER_MS / 1000} s, and it has not answered once in this run; stopping`,
    )
  })

  it('an endpoint that answered earlier in this run keeps the 2-minute budget', () => {
    const s = new StopRules({ unreachableAfterMs: 120_000, stalledAfterMs: 600_000 }, 0)
    s.answered(ok, 50)
    s.answered(refused, 100)
    assert.equal(s.check(100 + REFUSED_AFTER_MS, where), undefined)
    assert.match(s.check(120_050, where)!.message, /^Amplitude has not answered for 120 s/)
  })

  it('replay to a port nobody listens on ends within seconds, exit 75 (retry later), with a hint', async () => {
    // A port that was free a moment ago.
    const srv = createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
    const port = (srv.address() as { port: number }).port
    await new Promise<void>((r) => srv.close(() => r()))
    const started = Date.now()
    const r = await runCli(
      ['replay', 'examples/segment-logs', '--api-key', 'k'.repeat(32), '--endpoint-url', `http://127.0.0.1:${port}`, '--yes', '--no-progress', '--state-dir', join(tempDir(), 's')],
      { timeoutMs: 80_000 },
    )
    const seconds = (Date.now() - started) / 1000
    // An unreachable endpoint is retryable (#25): EX_TEMPFAIL, so a scheduler retries and the run resumes.
    assert.equal(r.code, 75, r.stderr)
    assert.ok(seconds < 45, `took ${seconds} s`)
    assert.match(r.stderr, /the endpoint is unreachable: every connection to http:\/\/127\.0\.0\.1:\d+ was refused \(ECONNREFUSED\)/)
    assert.match(r.stderr, /Hint: Check that the endpoint is reachable/)
  })
})
