/**
 * Delivery engine against the Amplitude sandbox (src/amplitude/sandbox) over real loopback HTTP, with
 * fault injection. Invariants checked in every test: each pushed item is acked exactly once or
 * dead-lettered exactly once; the sandbox holds exactly the acked events (by insert_id) and saw
 * no duplicate; per-device acceptance order follows push order.
 */
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { startSandbox, type Sandbox, type SandboxFaults, type SandboxLimits } from '../../../src/amplitude/sandbox/index.js'
import { createDelivery, FatalDeliveryError, type DeadLetterInfo, type DeliveryItem, type DeliveryOptions } from '../../../src/pipeline/deliver/delivery.js'
import type { AmplitudeRecord } from '../../../src/types.js'

const KEY = 'sandbox-key-0123456789abcdef0123'

function items(n: number, devices: number, extra?: (i: number) => Record<string, unknown>): DeliveryItem[] {
  return Array.from({ length: n }, (_, i) => {
    const device_id = `device-${i % devices}`
    const record: AmplitudeRecord = {
      endpoint: 'httpapi',
      record: { event_type: 'Played', device_id, insert_id: `ins-${i}`, time: 1_700_000_000_000 + i, ...(extra?.(i) ?? {}) },
    }
    return { seq: i, record, ref: { file: 'archive.ndjson', line: i + 1 }, key: device_id }
  })
}

interface Result {
  acked: Map<string, number>
  dead: Map<string, DeadLetterInfo>
  throttleKeys: string[][]
  retries: number
  error?: unknown
}

const FAST: Partial<DeliveryOptions> = {
  baseDelayMs: 2,
  maxDelayMs: 20,
  flushIntervalMs: 5,
  throttlePauseMs: { httpapi: 200, batch: 100 },
  projectPauseMs: 100,
  requestTimeoutMs: 5000,
}

async function deliver(sb: Sandbox, its: DeliveryItem[], o: Partial<DeliveryOptions> = {}): Promise<Result> {
  const r: Result = { acked: new Map(), dead: new Map(), throttleKeys: [], retries: 0 }
  const id = (it: DeliveryItem): string => String(it.record.record.insert_id)
  const d = createDelivery(
    { apiKey: KEY, region: 'us', endpointUrl: sb.url, ...FAST, ...o },
    {
      onAck: (list) => list.forEach((it) => r.acked.set(id(it), (r.acked.get(id(it)) ?? 0) + 1)),
      onDeadLetter: (it, info) => {
        assert.ok(!r.dead.has(id(it)), `dead-lettered twice: ${id(it)}`)
        r.dead.set(id(it), info)
      },
      onThrottle: (t) => r.throttleKeys.push(t.keys),
      onRetry: () => r.retries++,
    },
  )
  try {
    for (const it of its) await d.push(it)
    await d.flush()
  } catch (err) {
    r.error = err
  } finally {
    d.close()
  }
  return r
}

/** The invariants of a completed run. */
function assertExactlyOnce(sb: Sandbox, its: DeliveryItem[], r: Result): void {
  assert.equal(r.error, undefined)
  for (const it of its) {
    const k = String(it.record.record.insert_id)
    const a = r.acked.get(k) ?? 0
    assert.ok(a <= 1, `${k} acked ${a} times`)
    assert.ok((a === 1) !== r.dead.has(k), `${k}: acked ${a}, dead ${r.dead.has(k)}`)
  }
  const ingested = sb.events.map((e) => String(e.event.insert_id))
  assert.equal(new Set(ingested).size, ingested.length)
  assert.deepEqual(new Set(ingested), new Set(r.acked.keys()))
  assert.equal(sb.stats().duplicatesDiscarded, 0)
  // per-device order of acceptance follows push order
  const last = new Map<string, number>()
  for (const e of sb.events) {
    const dev = String(e.event.device_id)
    const t = Number(e.event.time)
    assert.ok((last.get(dev) ?? -Infinity) < t, `order broken for ${dev}`)
    last.set(dev, t)
  }
}

async function withSandbox<T>(o: { faults?: SandboxFaults; limits?: Partial<SandboxLimits>; apiKeys?: string[] }, f: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = await startSandbox(o)
  try {
    return await f(sb)
  } finally {
    await sb.close()
  }
}

describe('delivery engine against the sandbox', function () {
  this.timeout(60_000)

  it('no faults: every event ingested exactly once, in order per device', () =>
    withSandbox({}, async (sb) => {
      const its = items(5000, 250)
      const r = await deliver(sb, its, { batchSize: 500, concurrency: 4 })
      assertExactlyOnce(sb, its, r)
      assert.equal(r.acked.size, 5000)
      assert.ok(sb.requests.every((q) => q.status === 200 && q.events <= 500))
    }))

  it('5xx (incl. HTML 502) and connection resets: retried until accepted exactly once, order kept', () =>
    withSandbox({ faults: { error5xxRate: 0.3, resetRate: 0.1, seed: 7 } }, async (sb) => {
      const its = items(3000, 100)
      const r = await deliver(sb, its, { batchSize: 100, concurrency: 4, maxAttempts: 30 })
      assertExactlyOnce(sb, its, r)
      assert.equal(r.acked.size, 3000)
      const st = sb.stats().byStatus
      assert.ok((st['500'] ?? 0) + (st['502'] ?? 0) + (st['503'] ?? 0) > 0 && (st.reset ?? 0) > 0, JSON.stringify(st))
    }))

  it('a permanent outage stops the run: nothing dead-lettered, nothing ingested, every record still pending', () =>
    withSandbox({ faults: { error5xxRate: 1, seed: 3 } }, async (sb) => {
      const its = items(40, 4)
      const r = await deliver(sb, its, { batchSize: 10, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 })
      assert.ok(r.error instanceof FatalDeliveryError, String(r.error))
      assert.match(String((r.error as Error).message), /^Amplitude endpoint failing every request \(http_50[023]/)
      assert.equal(r.dead.size, 0)
      assert.equal(r.acked.size, 0)
      assert.equal(sb.events.length, 0)
    }))

  it('throttling one device does not stall the others', () =>
    withSandbox({ faults: { throttle: { deviceOrUser: ['device-0'], times: 1 } } }, async (sb) => {
      const its = items(600, 12)
      const r = await deliver(sb, its, { batchSize: 25, concurrency: 2, throttlePauseMs: { httpapi: 1500, batch: 1500 } })
      assertExactlyOnce(sb, its, r)
      assert.equal(r.acked.size, 600)
      assert.deepEqual(r.throttleKeys, [['device-0']])
      const order = sb.events.map((e) => e.event.device_id)
      const firstDev0 = order.indexOf('device-0')
      // every other device finished before device-0 came back from its pause
      assert.equal(firstDev0, 550)
    }))

  it('413: requests split in half until they fit; a single oversized event is dead-lettered', () =>
    withSandbox({ limits: { httpApiMaxBytes: 6000 } }, async (sb) => {
      const its = items(300, 30, (i) => (i === 77 ? { blob: 'x'.repeat(7000) } : { p: 'y'.repeat(50) }))
      const r = await deliver(sb, its, { batchSize: 200 })
      assertExactlyOnce(sb, its, r)
      assert.deepEqual([...r.dead.keys()], ['ins-77'])
      assert.equal(r.dead.get('ins-77')!.reason, 'payload_too_large')
      assert.equal(r.dead.get('ins-77')!.status, 413)
      assert.equal(r.acked.size, 299)
      assert.ok(sb.requests.some((q) => q.status === 413))
    }))

  it('invalid API key → FatalDeliveryError with a message that does not contain the key', () =>
    withSandbox({ apiKeys: ['the-only-valid-key'] }, async (sb) => {
      const r = await deliver(sb, items(100, 10), { batchSize: 20, concurrency: 2 })
      assert.ok(r.error instanceof FatalDeliveryError, String(r.error))
      assert.ok(!(r.error as Error).message.includes(KEY))
      assert.match((r.error as Error).message, /invalid API key/)
      assert.equal(r.acked.size + r.dead.size, 0)
      assert.ok(sb.requests.length <= 2)
      assert.equal(sb.events.length, 0)
    }))

  it('invalid API key on a form endpoint (plain-text 400) is fatal too', () =>
    withSandbox({ apiKeys: ['the-only-valid-key'] }, async (sb) => {
      const its: DeliveryItem[] = [{ seq: 0, key: 'user-1', ref: { file: 'f', line: 1 }, record: { endpoint: 'identify', record: { user_id: 'user-1', insert_id: 'i0' } } }]
      const r = await deliver(sb, its)
      assert.ok(r.error instanceof FatalDeliveryError)
      assert.ok(!(r.error as Error).message.includes(KEY))
    }))

  it('silenced device and daily quota: those dead-lettered with their reason, others accepted', () =>
    withSandbox({ faults: { silencedDevices: ['device-3'], quotaExceeded: ['device-4'] } }, async (sb) => {
      const its = items(200, 10)
      const r = await deliver(sb, its, { batchSize: 40 })
      assertExactlyOnce(sb, its, r)
      const reasons = new Map<string, Set<string>>()
      for (const it of its) {
        const d = r.dead.get(String(it.record.record.insert_id))
        if (d) {
          const dev = String(it.record.record.device_id)
          reasons.set(dev, (reasons.get(dev) ?? new Set()).add(d.reason))
        }
      }
      assert.deepEqual([...reasons.entries()].sort(), [
        ['device-3', new Set(['silenced_device'])],
        ['device-4', new Set(['exceeded_daily_quota'])],
      ])
      assert.equal(r.acked.size, 160)
    }))

  it('invalid events: dead-lettered with the field named by Amplitude; valid ones accepted once', () =>
    withSandbox({}, async (sb) => {
      const bad: Record<number, Record<string, unknown>> = {
        3: { time: '2024-01-01T00:00:00Z' },
        8: { event_type: undefined },
        9: { device_id: 'ab' },
        15: { event_properties: 'not an object' },
      }
      const its = items(40, 4, (i) => bad[i] ?? {})
      // the short id: its own key, and a twin with options.min_id_length 1 that must be accepted
      its[9]!.key = 'ab'
      its.push({
        seq: 40,
        key: 'cd',
        ref: { file: 'f', line: 41 },
        record: { endpoint: 'httpapi', record: { event_type: 'E', device_id: 'cd', insert_id: 'ins-40', time: 1_700_000_000_040 }, options: { min_id_length: 1 } },
      })
      const r = await deliver(sb, its, { batchSize: 50 })
      assertExactlyOnce(sb, its, r)
      assert.deepEqual(Object.fromEntries([...r.dead].map(([k, v]) => [k, v.reason])), {
        'ins-3': 'invalid_field:time',
        'ins-8': 'missing_field:event_type',
        'ins-9': 'invalid_id_length:device_id',
        'ins-15': 'invalid_field:event_properties',
      })
      assert.equal(r.acked.size, 37)
      assert.ok(sb.events.some((e) => e.event.device_id === 'cd'))
    }))

  it('project-level 429 pauses everything, then all is delivered', () =>
    withSandbox({ faults: { projectThrottle: 2 } }, async (sb) => {
      const its = items(300, 30)
      const r = await deliver(sb, its, { batchSize: 100, useBatchEndpoint: true })
      assertExactlyOnce(sb, its, r)
      assert.equal(r.acked.size, 300)
      assert.equal(sb.stats().byStatus['429'], 2)
      assert.ok(sb.events.every((e) => e.endpoint === 'batch'))
    }))

  it('real per-device eps throttling: the hot device is paused and eventually delivered in order', () =>
    withSandbox({ limits: { httpApiEps: 10, throttleWindowMs: 1000 } }, async (sb) => {
      // device-0 gets 30 events (3× its 1-s budget), the 20 others 1 each.
      const its = Array.from({ length: 50 }, (_, i): DeliveryItem => {
        const device_id = i < 30 ? 'device-0' : `device-${i - 29}`
        return {
          seq: i,
          key: device_id,
          ref: { file: 'f', line: i + 1 },
          record: { endpoint: 'httpapi', record: { event_type: 'E', device_id, insert_id: `ins-${i}`, time: 1_700_000_000_000 + i } },
        }
      })
      const r = await deliver(sb, its, { batchSize: 10, concurrency: 2, throttlePauseMs: { httpapi: 600, batch: 600 } })
      assertExactlyOnce(sb, its, r)
      assert.equal(r.acked.size, 50)
      assert.ok(r.throttleKeys.length > 0)
    }))

  it('identify, groupidentify and usermap records reach their endpoints', () =>
    withSandbox({}, async (sb) => {
      const recs: AmplitudeRecord[] = [
        { endpoint: 'identify', record: { user_id: 'user-0001', user_properties: { $set: { plan: 'pro plan' } }, library: 'segment' } },
        { endpoint: 'groupidentify', record: { group_type: 'org id', group_value: 'g-0001', group_properties: { size: 3 }, library: 'segment' } },
        { endpoint: 'usermap', record: { user_id: 'user-0001', global_user_id: 'global-0001' } },
        { endpoint: 'identify', record: { user_id: 'user-0002', user_properties: { $set: { a: 1 } } }, options: { min_id_length: 1 } },
      ]
      const its = recs.map((record, i): DeliveryItem => ({
        seq: i,
        key: `k${i}`,
        ref: { file: 'f', line: i + 1 },
        record: { ...record, record: { ...record.record, insert_id: `x${i}` } },
      }))
      const r = await deliver(sb, its)
      assert.equal(r.error, undefined)
      assert.equal(r.acked.size, 4, JSON.stringify([...r.dead]))
      assert.equal(sb.identifications.length, 2)
      assert.equal(sb.groupIdentifications.length, 1)
      assert.equal(sb.mappings.length, 1)
      assert.deepEqual(sb.requests.map((q) => q.path).sort(), ['/groupidentify', '/identify', '/identify', '/usermap'])
    }))

  it('property: any mix of faults, sizes and concurrency keeps exactly-once and per-device order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 400 }),
          devices: fc.integer({ min: 1, max: 40 }),
          batchSize: fc.integer({ min: 1, max: 120 }),
          concurrency: fc.integer({ min: 1, max: 6 }),
          error5xxRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
          resetRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          useBatchEndpoint: fc.boolean(),
        }),
        async (p) =>
          withSandbox({ faults: { error5xxRate: p.error5xxRate, resetRate: p.resetRate, seed: p.seed }, limits: { httpApiEps: 1e6, batchEps: 1e6 } }, async (sb) => {
            const its = items(p.n, p.devices)
            const r = await deliver(sb, its, { batchSize: p.batchSize, concurrency: p.concurrency, useBatchEndpoint: p.useBatchEndpoint, maxAttempts: 40 })
            assertExactlyOnce(sb, its, r)
            assert.equal(r.acked.size, p.n)
          }),
      ),
      { numRuns: 12, seed: 20261129 },
    )
  })

  it('property: throttling, silencing and 5xx together keep exactly-once, reasons and order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 300 }),
          devices: fc.integer({ min: 1, max: 12 }),
          throttled: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 4 }),
          times: fc.integer({ min: 1, max: 3 }),
          silenced: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 2 }),
          error5xxRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          batchSize: fc.integer({ min: 1, max: 80 }),
          concurrency: fc.integer({ min: 1, max: 4 }),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        async (p) => {
          const faults: SandboxFaults = {
            throttle: { deviceOrUser: p.throttled.map((d) => `device-${d}`), times: p.times },
            silencedDevices: p.silenced.map((d) => `device-${d}`),
            error5xxRate: p.error5xxRate,
            seed: p.seed,
          }
          await withSandbox({ faults, limits: { httpApiEps: 1e6, batchEps: 1e6 } }, async (sb) => {
            const its = items(p.n, p.devices)
            const r = await deliver(sb, its, { batchSize: p.batchSize, concurrency: p.concurrency, maxAttempts: 40, throttlePauseMs: { httpapi: 30, batch: 30 } })
            assertExactlyOnce(sb, its, r)
            const silenced = new Set(faults.silencedDevices)
            for (const it of its) {
              const d = r.dead.get(String(it.record.record.insert_id))
              if (silenced.has(String(it.record.record.device_id))) assert.equal(d?.reason, 'silenced_device')
              else assert.equal(d, undefined)
            }
          })
        },
      ),
      { numRuns: 12, seed: 4242 },
    )
  })

  // Opt-in throughput measurement: SEGAMP_BENCH=1 npx mocha test/pipeline/deliver/delivery-sandbox.test.ts
  if (process.env.SEGAMP_BENCH) {
    it('throughput: 100k small events, batchSize 1000, concurrency 4, no faults', () =>
      withSandbox({}, async (sb) => {
        const its = items(100_000, 10_000)
        const t0 = performance.now()
        const r = await deliver(sb, its, { batchSize: 1000, concurrency: 4 })
        const ms = performance.now() - t0
        assertExactlyOnce(sb, its, r)
        assert.equal(r.acked.size, 100_000)
        console.log(`    ${Math.round(100_000 / (ms / 1000))} events/s (${Math.round(ms)} ms, ${sb.requests.length} requests)`)
      }))
  }
})
