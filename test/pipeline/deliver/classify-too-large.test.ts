/**
 * An answer the transport stopped reading at MAX_ANSWER_BYTES (`tooLarge`, body empty) is not
 * Amplitude's: a 2xx stops the run, acknowledging nothing; any other status is a failed attempt
 * (backoff), never a dead letter or a throttle read from a body that was not read. What needs no
 * body keeps its meaning: a redirect's location, a proxy's 407.
 */
import { strict as assert } from 'node:assert'
import { classifyResponse } from '../../../src/pipeline/deliver/classify.js'
import { MAX_ANSWER_BYTES } from '../../../src/pipeline/deliver/transport.js'

const recs = [{ device_id: 'device-1' }, { device_id: 'device-2' }]
const big = (status: number, more: { location?: string } = {}) => ({ status, body: '', tooLarge: MAX_ANSWER_BYTES, ...more })

describe('classify: an answer larger than the transport reads', () => {
  it('a 2xx is fatal (exit 1: it has a status), acknowledges nothing, and says the answer was too large', () => {
    for (const endpoint of ['httpapi', 'batch', 'identify'] as const) {
      const c = classifyResponse(endpoint, recs, big(200))
      assert.equal(c.code, 200)
      assert.equal(c.reason, 'answer_too_large')
      assert.equal(
        c.fatal,
        `the ${endpoint} endpoint answered 200 with an answer larger than 8 MiB (reading stopped there), which is not Amplitude's answer: nothing in that request was counted as sent. Check --endpoint-url and any proxy between here and Amplitude; the same command resumes`,
      )
      assert.deepEqual(
        c.fates.map((f) => f.t),
        ['backoff', 'backoff'],
      )
    }
  })

  it('any other status is a failed attempt with the named reason: a 5xx, and a 4xx or 429 too (their body, which would name records or ids, was not read)', () => {
    for (const status of [502, 500, 400, 413, 429, 404]) {
      const c = classifyResponse('httpapi', recs, big(status))
      assert.equal(c.fatal, undefined, String(status))
      assert.equal(c.code, status)
      assert.equal(c.reason, "answer larger than 8 MiB: not Amplitude's answer (a proxy?)")
      assert.deepEqual(
        c.fates.map((f) => f.t),
        ['backoff', 'backoff'],
      )
      assert.ok(!c.projectThrottle)
    }
  })

  it("a redirect and a proxy's 407 keep their stop and hint: neither needs the body", () => {
    const r = classifyResponse('httpapi', recs, big(302, { location: 'https://elsewhere.example/2/httpapi' }))
    assert.match(r.fatal ?? '', /answered 302, a redirect to https:\/\/elsewhere\.example\/2\/httpapi/)
    assert.ok(r.hint)
    const p = classifyResponse('httpapi', recs, big(407))
    assert.equal(p.reason, 'proxy_authentication_required')
    assert.ok(p.fatal && p.hint)
  })
})
