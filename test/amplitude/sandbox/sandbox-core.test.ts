import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { SandboxCore, type CoreRequest, type SandboxRoute } from '../../../src/amplitude/sandbox/core.js'
import { resolveLimits, type SandboxLimits } from '../../../src/amplitude/sandbox/limits.js'
import { checkId, validateEvents } from '../../../src/amplitude/sandbox/validate.js'

const KEY = 'core-key-01'

function core(limits: Partial<SandboxLimits> = {}): SandboxCore {
  return new SandboxCore(resolveLimits(limits), (k) => k !== '')
}

function req(route: SandboxRoute, body: unknown, seq: number, now: number): CoreRequest {
  return {
    route,
    method: 'POST',
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(body)),
    oversize: false,
    query: new URLSearchParams(),
    seq,
    now,
  }
}

describe('sandbox core (properties)', () => {
  it('dedup: stored + discarded = sent; stored = distinct (device or user, insert_id) keys', () => {
    const event = fc.record({
      device: fc.option(fc.constantFrom('device-1', 'device-2', 'device-3'), { nil: undefined }),
      user: fc.constantFrom('user-1', 'user-2'),
      insert: fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined }),
    })
    fc.assert(
      fc.property(fc.array(fc.array(event, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }), (batches) => {
        const c = core()
        const keys = new Set<string>()
        let noInsert = 0
        let sent = 0
        batches.forEach((batch, i) => {
          const events = batch.map((e) => ({ event_type: 'e', user_id: e.user, device_id: e.device, insert_id: e.insert }))
          const res = c.handle(req(i % 2 ? 'batch' : 'httpapi', { api_key: KEY, events }, i + 1, 1000 + i))
          assert.equal(res.status, 200)
          assert.equal(JSON.parse(res.body).events_ingested, batch.length)
          for (const e of batch) {
            sent++
            if (e.insert === undefined) noInsert++
            else keys.add(`${e.device ?? 'u:' + e.user}|${e.insert}`)
          }
        })
        assert.equal(c.events.length, keys.size + noInsert)
        assert.equal(c.events.length + c.duplicatesDiscarded, sent)
      }),
      { numRuns: 200 },
    )
  })

  it('throttling without time passing: accepted requests form a prefix bounded by the threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }), (eps, sizes) => {
        const c = core({ httpApiEps: eps, throttleWindowMs: 1000 })
        let total = 0
        let throttledSeen = false
        sizes.forEach((n, i) => {
          const events = Array.from({ length: n }, () => ({ event_type: 'e', device_id: 'device-hot' }))
          const res = c.handle(req('httpapi', { api_key: KEY, events }, i + 1, 5000))
          if (total > eps) {
            assert.equal(res.status, 429)
            const body = JSON.parse(res.body)
            assert.deepEqual(body.throttled_devices, { 'device-hot': total })
            assert.deepEqual(
              body.throttled_events,
              events.map((_, j) => j),
            )
            throttledSeen = true
          } else {
            assert.equal(throttledSeen, false)
            assert.equal(res.status, 200)
            total += n
          }
        })
        assert.equal(c.events.length, total)
      }),
      { numRuns: 200 },
    )
  })

  it('validation index maps only name existing indexes, each at most once per field, ascending', () => {
    const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.double(), fc.constant({}), fc.constant([]))
    const event = fc.record({ event_type: value, user_id: value, device_id: value, time: value, event_properties: value, insert_id: value })
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const maps = validateEvents(events, { minIdLength: 5, maxStringLength: 1024 })
        for (const m of [maps.invalidFields, maps.missingFields, maps.invalidIdLengths])
          for (const list of Object.values(m)) {
            assert.ok(list.every((i, k) => i >= 0 && i < events.length && (k === 0 || i > list[k - 1]!)))
          }
      }),
    )
  })

  it('checkId', () => {
    const rules = { minIdLength: 5, maxStringLength: 10 }
    assert.equal(checkId(undefined, rules), 'absent')
    assert.equal(checkId('', rules), 'absent')
    assert.equal(checkId('NULL', rules), 'invalid')
    assert.equal(checkId(12345, rules), 'invalid')
    assert.equal(checkId('x'.repeat(11), rules), 'invalid')
    assert.equal(checkId('abcd', rules), 'short')
    assert.equal(checkId('abcde', rules), 'ok')
  })
})
