/**
 * Delivery engine over real HTTP against small ad-hoc loopback servers (fault scripts per test).
 * Sandbox-backed tests live in delivery-sandbox.test.ts.
 */
import { strict as assert } from 'node:assert'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDelivery, FatalDeliveryError, type DeliveryItem, type DeliveryOptions, type DeadLetterInfo } from '../../../src/pipeline/deliver/delivery.js'
import type { AmplitudeRecord } from '../../../src/types.js'

const KEY = 'test-key-0123456789abcdef012345'

interface Req {
  n: number
  path: string
  records: Record<string, unknown>[]
  bytes: number
}
type Reply = { status: number; body?: unknown } | 'reset' | { delayMs: number; status: number; body?: unknown }
type Handler = (r: Req) => Reply

interface Srv {
  url: string
  /** TCP connections accepted. */
  connections(): number
  reqs: Req[]
  /** Records of requests answered 2xx, in arrival order. */
  accepted: Record<string, unknown>[]
  close(): Promise<void>
}

function parseRecords(path: string, body: string): Record<string, unknown>[] {
  if (path === '/2/httpapi' || path === '/batch') return (JSON.parse(body) as { events: Record<string, unknown>[] }).events
  const p = new URLSearchParams(body)
  const v = p.get(path === '/usermap' ? 'mapping' : 'identification')
  return v ? (JSON.parse(v) as Record<string, unknown>[]) : []
}

async function server(handler: Handler): Promise<Srv> {
  const reqs: Req[] = []
  const accepted: Record<string, unknown>[] = []
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const path = req.url ?? ''
      let records: Record<string, unknown>[] = []
      try {
        records = parseRecords(path, text)
      } catch {
        records = []
      }
      const r: Req = { n: reqs.length, path, records, bytes: Buffer.byteLength(text) }
      reqs.push(r)
      const reply = handler(r)
      if (reply === 'reset') {
        req.socket.destroy()
        return
      }
      const answer = (): void => {
        if (reply.status >= 200 && reply.status < 300) accepted.push(...records)
        const body = reply.body ?? { code: reply.status, events_ingested: records.length }
        res.writeHead(reply.status, { 'content-type': 'application/json' })
        res.end(typeof body === 'string' ? body : JSON.stringify(body))
      }
      if ('delayMs' in reply) setTimeout(answer, reply.delayMs)
      else answer()
    })
  })
  let conns = 0
  s.on('connection', () => conns++)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => conns,
    reqs,
    accepted,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections()
        s.close(() => r())
      }),
  }
}

const ok: Handler = () => ({ status: 200 })

function items(n: number, keys: number, mk?: (i: number) => Partial<AmplitudeRecord>): DeliveryItem[] {
  return Array.from({ length: n }, (_, i) => {
    const device = `device-${i % keys}`
    const rec: AmplitudeRecord = {
      endpoint: 'httpapi',
      record: { event_type: 'E', device_id: device, insert_id: `ins-${i}`, time: 1_700_000_000_000 + i },
      ...(mk?.(i) ?? {}),
    }
    return { seq: i, record: rec, ref: { file: 'f', line: i + 1 }, key: String(rec.record.device_id ?? rec.record.user_id ?? device) }
  })
}

interface Run {
  acked: Map<string, number>
  ackStatus: number[]
  dead: Map<string, DeadLetterInfo>
  retries: number
  throttles: Array<{ keys: string[]; pauseMs: number }>
  quota: number
  error?: unknown
}

async function run(srv: Srv, its: DeliveryItem[], o: Partial<DeliveryOptions> = {}): Promise<Run> {
  const out: Run = { acked: new Map(), ackStatus: [], dead: new Map(), retries: 0, throttles: [], quota: 0 }
  const id = (it: DeliveryItem): string => String(it.record.record.insert_id ?? `seq-${it.seq}`)
  const d = createDelivery(
    {
      apiKey: KEY,
      region: 'us',
      endpointUrl: srv.url,
      baseDelayMs: 5,
      maxDelayMs: 20,
      flushIntervalMs: 5,
      throttlePauseMs: { httpapi: 150, batch: 100 },
      projectPauseMs: 150,
      ...o,
    },
    {
      onAck: (list, status) => {
        out.ackStatus.push(status)
        for (const it of list) out.acked.set(id(it), (out.acked.get(id(it)) ?? 0) + 1)
      },
      onDeadLetter: (it, info) => {
        assert.ok(!out.dead.has(id(it)), `dead-lettered twice: ${id(it)}`)
        out.dead.set(id(it), info)
      },
      onRetry: () => out.retries++,
      onThrottle: (t) => out.throttles.push(t),
      onQuotaExceeded: (q) => (out.quota += q.events),
    },
  )
  try {
    for (const it of its) await d.push(it)
    await d.flush()
  } catch (err) {
    out.error = err
  } finally {
    d.close()
  }
  // every item exactly once in ack xor dead (unless the run stopped)
  if (!out.error) {
    for (const it of its) {
      const k = id(it)
      const a = out.acked.get(k) ?? 0
      assert.ok((a === 1) !== out.dead.has(k), `item ${k}: acked ${a}×, dead ${out.dead.has(k)}`)
    }
    assert.equal(d.stats().outstanding, 0)
  }
  return out
}

/** Per key, the order in which the server accepted records must follow push order (time). */
function assertOrderPerDevice(accepted: Record<string, unknown>[]): void {
  const last = new Map<string, number>()
  const seen = new Set<string>()
  for (const r of accepted) {
    const id = String(r.insert_id)
    if (seen.has(id)) continue
    seen.add(id)
    const k = String(r.device_id)
    const t = Number(r.time)
    assert.ok((last.get(k) ?? -Infinity) < t, `order broken for ${k}`)
    last.set(k, t)
  }
}

describe('delivery engine (ad-hoc HTTP servers)', function () {
  this.timeout(20_000)

  it('delivers everything once, in batches, per-device order kept, within concurrency', async () => {
    let inFlight = 0
    let maxInFlight = 0
    const srv = await server(() => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      setTimeout(() => inFlight--, 20)
      return { delayMs: 20, status: 200 }
    })
    const its = items(5000, 500)
    const r = await run(srv, its, { batchSize: 400, concurrency: 3 })
    await srv.close()
    assert.equal(r.acked.size, 5000)
    assert.equal(r.dead.size, 0)
    assert.ok(srv.reqs.every((q) => q.records.length <= 400 && q.path === '/2/httpapi'))
    assert.ok(srv.reqs.length <= 20, `${srv.reqs.length} requests`)
    assert.ok(maxInFlight <= 3)
    assert.ok(srv.connections() <= 3, `keep-alive: ${srv.connections()} connections`)
    assertOrderPerDevice(srv.accepted)
  })

  it('one hot device: never two requests of the same device in flight', async () => {
    let busy = false
    let overlap = false
    const srv = await server(() => {
      if (busy) overlap = true
      busy = true
      setTimeout(() => (busy = false), 10)
      return { delayMs: 10, status: 200 }
    })
    const r = await run(srv, items(900, 1), { batchSize: 100, concurrency: 4 })
    await srv.close()
    assert.equal(r.acked.size, 900)
    assert.equal(overlap, false)
    assertOrderPerDevice(srv.accepted)
  })

  it('5xx, reset and timeout are retried with backoff; every event accepted once; order kept', async () => {
    const srv = await server((q) => {
      if (q.n === 0) return { status: 503, body: 'unavailable' }
      if (q.n === 1) return 'reset'
      if (q.n === 2) return { delayMs: 400, status: 200 }
      if (q.n % 3 === 0) return { status: 502 }
      return { status: 200 }
    })
    const r = await run(srv, items(600, 30), { batchSize: 50, concurrency: 2, requestTimeoutMs: 200 })
    await srv.close()
    assert.equal(r.acked.size, 600)
    assert.equal(r.dead.size, 0)
    assert.ok(r.retries >= 3)
    assertOrderPerDevice(srv.accepted)
  })

  it('retries exhausted while the endpoint accepts other requests → dead-lettered with the last reason and attempts', async () => {
    // /identify always fails; events keep being accepted meanwhile (paced by maxEps), so the
    // identifications are the records at fault, not the endpoint: they are dead-lettered.
    const srv = await server((q) => (q.path === '/identify' ? { status: 500, body: { code: 500, error: 'boom' } } : { status: 200 }))
    const its = items(70, 5, (i) => (i < 10 ? { endpoint: 'identify', record: { user_id: `user-${i}-xyz`, user_properties: { a: i }, insert_id: `ins-${i}` } } : {}))
    const r = await run(srv, its, { batchSize: 10, maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 80, maxEps: 200 })
    await srv.close()
    assert.equal(r.error, undefined)
    assert.equal(r.dead.size, 10)
    assert.equal(r.acked.size, 60)
    for (const d of r.dead.values()) assert.deepEqual(d, { status: 500, reason: 'retries_exhausted:http_500: boom', attempts: 3 })
  })

  it('a permanent 500 stops the run after maxAttempts: nothing dead-lettered, nothing split, every record left for the resume', async () => {
    const srv = await server(() => ({ status: 500, body: { code: 500, error: 'boom' } }))
    // One record per device: no key waits for another request of its own, so on a busy machine
    // too the requests are two full ones, whatever the timing of pushes and answers.
    const its = items(40, 40)
    const r = await run(srv, its, { batchSize: 20, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, concurrency: 2, flushIntervalMs: 60_000 })
    await srv.close()
    assert.ok(r.error instanceof FatalDeliveryError)
    assert.match((r.error as Error).message, /^Amplitude endpoint failing every request \(http_500: boom\) after 3 attempts: http:\/\/127\.0\.0\.1:\d+\/2\/httpapi$/)
    assert.equal(r.dead.size, 0)
    assert.equal(r.acked.size, 0)
    // Two full requests, then retries of the whole endpoint: no request was halved (halving on each
    // of 3 attempts would take 2 + 4 + 8 requests), and no record was sent more than maxAttempts times. On a busy machine a few records'
    // retries can be a moment late for their request's (19 + 1), which is not a split.
    const sizes = srv.reqs.map((q) => q.records.length)
    assert.deepEqual(sizes.slice(0, 2), [20, 20], sizes.join(','))
    assert.ok(srv.reqs.length <= 8, sizes.join(','))
    const sends = new Map<string, number>()
    for (const q of srv.reqs) for (const rec of q.records) sends.set(String(rec.insert_id), (sends.get(String(rec.insert_id)) ?? 0) + 1)
    assert.equal(sends.size, 40)
    assert.ok(
      [...sends.values()].every((n) => n <= 3),
      JSON.stringify([...sends]),
    )
  })

  it('an endpoint that never answers stops the run once the no-answer budget is spent', async () => {
    const srv = await server(() => ({ delayMs: 60_000, status: 200 }))
    const t0 = Date.now()
    const r = await run(srv, items(10, 2), { batchSize: 10, requestTimeoutMs: 150, unreachableAfterMs: 600, baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 1000 })
    await srv.close()
    assert.ok(r.error instanceof FatalDeliveryError)
    assert.match((r.error as Error).message, /^Amplitude has not answered for [\d.]+ s \(last: timeout\) at http:\/\/127\.0\.0\.1:\d+; stopping$/)
    // Retryable: exit 75 (EX_TEMPFAIL), so a scheduler retries the shard and it resumes.
    assert.deepEqual([(r.error as FatalDeliveryError).exitCode, (r.error as FatalDeliveryError).code], [75, 'endpoint-unavailable'])
    assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`)
    assert.equal(r.dead.size + r.acked.size, 0)
  })

  it('a permanent 429 stops the run once the nothing-accepted budget is spent', async () => {
    const srv = await server(() => ({ status: 429, body: { code: 429, error: 'Too many requests for some devices and users' } }))
    const r = await run(srv, items(10, 2), { batchSize: 10, projectPauseMs: 50, stalledAfterMs: 400, maxThrottleRetries: 1000 })
    await srv.close()
    assert.ok(r.error instanceof FatalDeliveryError)
    assert.match((r.error as Error).message, /^Amplitude has accepted nothing for [\d.]+ s \(last answer: throttled\) at http:\/\/127\.0\.0\.1:\d+; stopping$/)
    // The throttle budget exhausted is retryable too: 75.
    assert.equal((r.error as FatalDeliveryError).exitCode, 75)
    assert.equal(r.dead.size + r.acked.size, 0)
  })

  it('400 with index maps: named events dead-lettered with reason, rest accepted once', async () => {
    const srv = await server((q) => {
      const bad = q.records.flatMap((r, i) => (r.bad ? [i] : []))
      if (bad.length === 0) return { status: 200 }
      // Like the docs' ambiguity: only the first offender is listed.
      return { status: 400, body: { code: 400, error: 'Invalid field values on some events', events_with_invalid_fields: { time: [bad[0]] } } }
    })
    const its = items(200, 20, (i) =>
      i % 17 === 0 ? { record: { event_type: 'E', device_id: `device-${i % 20}`, insert_id: `ins-${i}`, time: 1_700_000_000_000 + i, bad: true } } : {},
    )
    const r = await run(srv, its, { batchSize: 50, maxAttempts: 2 })
    await srv.close()
    const badIds = its.filter((it) => it.record.record.bad).map((it) => String(it.record.record.insert_id))
    assert.deepEqual([...r.dead.keys()].sort(), badIds.sort())
    for (const d of r.dead.values()) assert.equal(d.reason, 'invalid_field:time')
    assert.equal(r.acked.size, 200 - badIds.length)
  })

  it('413 splits in half until it fits; a single oversized event is dead-lettered', async () => {
    const srv = await server((q) => (q.bytes > 2000 ? { status: 413, body: { code: 413, error: 'Payload too large' } } : { status: 200 }))
    const its = items(64, 8, (i) => (i === 10 ? { record: { event_type: 'E', device_id: 'device-2', insert_id: 'ins-10', time: 1_700_000_000_010, blob: 'z'.repeat(3000) } } : {}))
    const r = await run(srv, its, { batchSize: 64 })
    await srv.close()
    assert.deepEqual([...r.dead.keys()], ['ins-10'])
    const d = r.dead.get('ins-10')!
    assert.deepEqual([d.status, d.reason], [413, 'payload_too_large'])
    assert.ok(d.attempts >= 2 && d.attempts <= 7, `${d.attempts}`) // 64 → 32 → … → 1 at most
    assert.equal(r.acked.size, 63)
    assertOrderPerDevice(srv.accepted)
  })

  it('429 pauses only the throttled device; others keep flowing (order of acceptance)', async () => {
    let throttledOnce = false
    const srv = await server((q) => {
      const idx = q.records.flatMap((r, i) => (r.device_id === 'device-0' ? [i] : []))
      if (!throttledOnce && idx.length > 0) {
        throttledOnce = true
        return {
          status: 429,
          body: { code: 429, error: 'Too many requests for some devices and users', eps_threshold: 30, throttled_devices: { 'device-0': 31 }, throttled_events: idx },
        }
      }
      return { status: 200 }
    })
    const its = items(400, 10)
    const r = await run(srv, its, { batchSize: 20, concurrency: 2, throttlePauseMs: { httpapi: 1200, batch: 1200 } })
    await srv.close()
    assert.equal(r.acked.size, 400)
    assert.deepEqual(r.throttles, [{ keys: ['device-0'], pauseMs: 1200, project: false }])
    // every other device's events were accepted before device-0 resumed
    const firstDev0 = srv.accepted.findIndex((x) => x.device_id === 'device-0')
    const lastOther = srv.accepted.map((x) => x.device_id).lastIndexOf('device-9')
    assert.ok(lastOther < firstDev0, `${lastOther} < ${firstDev0}`)
    assert.equal(srv.accepted.filter((x) => x.device_id !== 'device-0').length, 360)
    assertOrderPerDevice(srv.accepted)
  })

  it('429 daily quota: those ids dead-lettered exceeded_daily_quota, others accepted', async () => {
    const srv = await server((q) => {
      if (q.records.some((r) => r.device_id === 'device-3')) {
        return { status: 429, body: { code: 429, exceeded_daily_quota_devices: { 'device-3': 500001 }, throttled_events: [] } }
      }
      return { status: 200 }
    })
    const r = await run(srv, items(100, 5), { batchSize: 10, useBatchEndpoint: true })
    await srv.close()
    assert.equal(r.dead.size, 20)
    for (const d of r.dead.values()) assert.deepEqual(d, { status: 429, reason: 'exceeded_daily_quota', attempts: d.attempts })
    assert.equal(r.quota, 20)
    assert.equal(r.acked.size, 80)
    assert.ok(srv.reqs.every((q) => q.path === '/batch'))
  })

  it('invalid API key → FatalDeliveryError without the key; nothing retried', async () => {
    const srv = await server(() => ({ status: 400, body: { code: 400, error: `Invalid API key: ${KEY}` } }))
    const r = await run(srv, items(50, 5), { batchSize: 10, concurrency: 1 })
    await srv.close()
    assert.ok(r.error instanceof FatalDeliveryError)
    assert.ok(!(r.error as Error).message.includes(KEY))
    assert.match((r.error as Error).message, /invalid API key/)
    // Permanent: retrying with the same key fails the same way, exit 1.
    assert.deepEqual([(r.error as FatalDeliveryError).exitCode, (r.error as FatalDeliveryError).code], [1, 'delivery'])
    assert.equal(r.acked.size + r.dead.size, 0)
    assert.ok(srv.reqs.length <= 2)
  })

  it('unreachable endpoint after retries → FatalDeliveryError', async () => {
    const srv = await server(ok)
    const url = srv.url
    await srv.close()
    const d = createDelivery(
      { apiKey: KEY, region: 'us', endpointUrl: url, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, flushIntervalMs: 1 },
      { onAck: () => {}, onDeadLetter: () => assert.fail('no dead letters') },
    )
    await d.push(items(1, 1)[0]!)
    await assert.rejects(d.flush(), (e: unknown) => e instanceof FatalDeliveryError && /unreachable/.test((e as Error).message))
    assert.equal(d.pendingItems().length, 1)
    d.close()
  })

  it('identify / groupidentify / usermap records go to their form endpoints', async () => {
    const srv = await server((q) => (q.path === '/2/httpapi' ? { status: 200 } : { status: 200, body: 'success' }))
    const recs: AmplitudeRecord[] = [
      { endpoint: 'identify', record: { user_id: 'user-1', user_properties: { a: 1 }, insert_id: 'i1' } },
      { endpoint: 'groupidentify', record: { group_type: 'org', group_value: 'g1', insert_id: 'g1' } },
      { endpoint: 'usermap', record: { user_id: 'user-1', global_user_id: 'glob-1', insert_id: 'm1' } },
      { endpoint: 'httpapi', record: { user_id: 'user-1', event_type: 'E', insert_id: 'e1' } },
    ]
    const its = recs.map((record, i): DeliveryItem => ({ seq: i, record, ref: { file: 'f', line: i }, key: 'user-1' }))
    const r = await run(srv, its, { skipUserPropertiesSync: true })
    await srv.close()
    assert.equal(r.acked.size, 4)
    assert.deepEqual(
      srv.reqs.map((q) => q.path),
      ['/identify', '/groupidentify', '/usermap', '/2/httpapi'],
    )
    assert.equal(srv.accepted[3]!.$skip_user_properties_sync, true)
    assert.equal(srv.accepted[0]!.$skip_user_properties_sync, undefined)
  })

  it('push applies backpressure; maxEps caps throughput', async () => {
    const srv = await server(() => ({ delayMs: 30, status: 200 }))
    const d = createDelivery(
      { apiKey: KEY, region: 'us', endpointUrl: srv.url, batchSize: 10, concurrency: 1, maxBuffered: 20, maxEps: 1000, flushIntervalMs: 5 },
      { onAck: () => {}, onDeadLetter: () => {} },
    )
    const its = items(200, 7)
    let blocked = 0
    const t0 = Date.now()
    for (const it of its) {
      const p = d.push(it)
      let done = false
      void p.then(() => (done = true))
      await Promise.resolve()
      if (!done) blocked++
      await p
      assert.ok(d.stats().outstanding <= 21)
    }
    await d.flush()
    const ms = Date.now() - t0
    d.close()
    await srv.close()
    assert.ok(blocked > 0)
    assert.equal(d.stats().acked, 200)
    assert.ok(ms >= 180, `${ms} ms for 200 events at 1000 eps`)
  })

  it('abort stops taking work and leaves unresolved items listed', async () => {
    const srv = await server(() => ({ delayMs: 50, status: 200 }))
    let acked = 0
    const d = createDelivery(
      { apiKey: KEY, region: 'us', endpointUrl: srv.url, batchSize: 10, concurrency: 1, flushIntervalMs: 1 },
      { onAck: (l) => (acked += l.length), onDeadLetter: () => {} },
    )
    for (const it of items(100, 100)) await d.push(it)
    // Abort while a request is in flight (wait for one rather than for a fixed time: loaded CI).
    for (let i = 0; i < 400 && d.stats().inFlightRequests === 0; i++) await new Promise((r) => setTimeout(r, 5))
    await d.abort()
    d.close()
    await srv.close()
    assert.ok(acked >= 1 && acked < 100, `acked ${acked}`)
    assert.equal(d.pendingItems().length, 100 - acked)
    await assert.rejects(d.push(items(1, 1)[0]!), /aborted/)
  })

  it('abort({ cancelInFlight }) abandons a hung request cleanly: no callbacks, items pending', async () => {
    const srv = await server(() => ({ delayMs: 10_000, status: 200 }))
    let calls = 0
    const d = createDelivery({ apiKey: KEY, region: 'us', endpointUrl: srv.url, flushIntervalMs: 1 }, { onAck: () => calls++, onDeadLetter: () => calls++ })
    for (const it of items(20, 4)) await d.push(it)
    const flushed = d.flush()
    await new Promise((r) => setTimeout(r, 50))
    const t0 = Date.now()
    await d.abort({ cancelInFlight: true })
    await assert.rejects(flushed, /aborted/)
    assert.ok(Date.now() - t0 < 2000)
    assert.equal(calls, 0)
    assert.equal(d.pendingItems().length, 20)
    d.close()
    await srv.close()
  })

  it('a minority request type (identify) is not starved by a saturating event stream', async () => {
    const srv = await server(() => ({ delayMs: 15, status: 200 }))
    const its = items(3000, 300)
    const ident: DeliveryItem = { seq: 5, key: 'user-x', ref: { file: 'f', line: 0 }, record: { endpoint: 'identify', record: { user_id: 'user-x', insert_id: 'ident' } } }
    its.splice(5, 0, ident)
    const r = await run(srv, its, { batchSize: 100, concurrency: 1, maxBuffered: 300, flushIntervalMs: 20 })
    await srv.close()
    assert.equal(r.acked.size, 3001)
    const at = srv.reqs.findIndex((q) => q.path === '/identify')
    assert.ok(at >= 0 && at < 5, `identify sent as request #${at} of ${srv.reqs.length}`)
  })

  it('a 200 ingesting fewer events than sent dead-letters them (not sent); a throwing callback stops the run instead of crashing', async () => {
    const short = await server((q) => ({ status: 200, body: { code: 200, events_ingested: q.records.length - 1 } }))
    const r = await run(short, items(30, 3), { batchSize: 10 })
    await short.close()
    assert.equal(r.acked.size, 0)
    assert.equal(r.dead.size, 30)
    assert.match([...r.dead.values()][0]!.reason, /^not_ingested: Amplitude acknowledged the request but ingested 9 of its 10 events$/)

    const srv = await server(() => ({ status: 200 }))
    const d = createDelivery(
      { apiKey: KEY, region: 'us', endpointUrl: srv.url, batchSize: 10, concurrency: 1, flushIntervalMs: 1 },
      {
        onAck: (l) => {
          if (l.some((it) => it.seq >= 10)) throw new Error('disk full')
        },
        onDeadLetter: () => {},
      },
    )
    for (const it of items(30, 3)) await d.push(it).catch(() => {})
    await assert.rejects(d.flush(), /disk full/)
    d.close()
    await srv.close()
  })

  it('an item serialized already (ser) is sent as it is, not serialized again', async () => {
    const srv = await server(ok)
    const its = items(3, 3)
    const json = JSON.stringify({ ...its[1]!.record.record, serialized_by: 'worker' })
    its[1] = { ...its[1]!, ser: { endpoint: 'httpapi', group: 'httpapi', json, bytes: Buffer.byteLength(json) } }
    const r = await run(srv, its, { batchSize: 10 })
    await srv.close()
    assert.equal(r.acked.size, 3)
    assert.deepEqual(
      srv.accepted.map((x) => x.serialized_by),
      [undefined, 'worker', undefined],
    )
  })

  it('a 429 without per-id detail pauses only that endpoint (usermap), events keep flowing', async () => {
    let once = false
    const srv = await server((q) => {
      if (q.path === '/usermap' && !once) {
        once = true
        return { status: 429, body: { code: 429, error: 'Too many mapping requests' } }
      }
      return { status: 200 }
    })
    const its = items(200, 20)
    its.unshift({ seq: -1, key: 'user-m', ref: { file: 'f', line: 0 }, record: { endpoint: 'usermap', record: { user_id: 'user-m', global_user_id: 'g-1', insert_id: 'map' } } })
    const r = await run(srv, its, { batchSize: 20, projectPauseMs: 300 })
    await srv.close()
    assert.equal(r.acked.size, 201)
    assert.deepEqual(r.throttles, [{ keys: ['user-m'], pauseMs: 300, project: true }])
    const paths = srv.reqs.map((q) => q.path)
    const first = paths.indexOf('/usermap')
    assert.equal(paths.lastIndexOf('/usermap'), paths.length - 1)
    assert.ok(paths.slice(first + 1, -1).filter((p) => p === '/2/httpapi').length >= 1)
    assert.equal(srv.accepted[srv.accepted.length - 1]!.insert_id, 'map')
  })
})
