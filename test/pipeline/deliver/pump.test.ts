/**
 * The request pump alone: a plain list of ready records as its source (no key scheduler), a
 * fake transport that records each request and answers when the test says, a hand-driven clock.
 */
import { strict as assert } from 'node:assert'
import type { HttpOutcome } from '../../../src/pipeline/deliver/classify.js'
import { RequestPump, type Batch, type Packable, type PumpOptions, type PumpSource } from '../../../src/pipeline/deliver/pump.js'
import type { HttpRequest } from '../../../src/pipeline/deliver/requests.js'
import { SKIP_KEY, STOP, TAKE_LAST, type Verdict } from '../../../src/pipeline/deliver/scheduler.js'
import type { TransportOptions, TransportResponse } from '../../../src/pipeline/deliver/transport.js'
import type { AmplitudeEndpoint } from '../../../src/types.js'
import { FakeClock } from '../../helpers/fake-clock.js'

interface Rec extends Packable {
  name: string
}

function rec(name: string, o: { endpoint?: AmplitudeEndpoint; json?: string; cap?: number; options?: Record<string, unknown> } = {}): Rec {
  const endpoint = o.endpoint ?? 'httpapi'
  const json = o.json ?? JSON.stringify({ event_type: 'E', insert_id: name })
  const bytes = endpoint === 'httpapi' || endpoint === 'batch' ? Buffer.byteLength(json) : new URLSearchParams({ x: json }).toString().length - 2
  return { name, endpoint, group: o.options ? `${endpoint} ${JSON.stringify(o.options)}` : endpoint, options: o.options, json, bytes, cap: o.cap ?? Infinity, sends: 0 }
}

/** Every record is ready, each as its own key, oldest first; `readySince` is when it was added. */
class ListSource implements PumpSource<Rec, Rec[]> {
  readonly list: Array<{ r: Rec; since: number }> = []
  constructor(private readonly clock: FakeClock) {}
  add(...rs: Rec[]): void {
    for (const r of rs) this.list.push({ r, since: this.clock.now() })
  }
  hasReady(): boolean {
    return this.list.length > 0
  }
  oldestReady(): { group: string; readySince: number } | undefined {
    const x = this.list[0]
    return x && { group: x.r.group, readySince: x.since }
  }
  readyGroups(): Map<string, { n: number; bytes: number; endpoint: AmplitudeEndpoint }> {
    const m = new Map<string, { n: number; bytes: number; endpoint: AmplitudeEndpoint }>()
    for (const { r } of this.list) {
      const t = m.get(r.group) ?? { n: 0, bytes: 0, endpoint: r.endpoint }
      t.n++
      t.bytes += r.bytes
      m.set(r.group, t)
    }
    return m
  }
  take(group: string, _now: number, pack: (e: Rec) => Verdict): Rec[] {
    const taken: Rec[] = []
    for (let i = 0; i < this.list.length; i++) {
      const r = this.list[i]!.r
      if (r.group !== group) continue
      const v = pack(r)
      if (v === SKIP_KEY) continue
      if (v === STOP) break
      taken.push(r)
      this.list.splice(i--, 1)
      if (v === TAKE_LAST) break
    }
    return taken
  }
}

interface Sent {
  req: HttpRequest
  names: string[]
  answer(res: TransportResponse | Error): void
  signal?: AbortSignal
}

const KEY = 'pump-test-key'
const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

function setup(o: Partial<PumpOptions> = {}, mustFlush = () => false) {
  const clock = new FakeClock()
  const source = new ListSource(clock)
  const sent: Sent[] = []
  const outcomes: Array<{ names: string[]; outcome: HttpOutcome; cancelled: boolean }> = []
  let slotFree = 0
  const transport = (req: HttpRequest, t: TransportOptions): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      const events = req.url.endsWith('/2/httpapi') || req.url.endsWith('/batch')
      const list = events
        ? (JSON.parse(req.body) as { events: Array<{ insert_id: string }> }).events
        : (JSON.parse(new URLSearchParams(req.body).get('identification') ?? '[]') as Array<{ insert_id: string }>)
      const s: Sent = { req, names: list.map((e) => e.insert_id), answer: (r) => (r instanceof Error ? reject(r) : resolve(r)), signal: t.signal }
      t.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { code: 'ERR_CANCELED' })))
      sent.push(s)
    })
  const pump: RequestPump<Rec, Rec[]> = new RequestPump<Rec, Rec[]>(
    { apiKey: KEY, region: 'us', batchSize: 1000, concurrency: 4, flushIntervalMs: 250, requestTimeoutMs: 30_000, transport, clock, ...o },
    source,
    {
      mustFlush,
      onOutcome: (b: Batch<Rec, Rec[]>, outcome, cancelled) => outcomes.push({ names: b.entries.map((e) => e.name), outcome, cancelled }),
      onError: (e) => assert.fail(e),
      onSlotFree: () => {
        slotFree++
        pump.run()
      },
    },
  )
  return { clock, source, sent, outcomes, pump, slotFree: () => slotFree }
}

const names = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`)

describe('deliver: request pump', () => {
  it('sends a group once it fills a request, and a partial one after the flush interval', async () => {
    const { clock, source, sent, pump } = setup()
    source.add(...names('e', 2500).map((n) => rec(n)))
    pump.run()
    assert.equal(sent.length, 2)
    assert.deepEqual(
      sent.map((s) => s.names.length),
      [1000, 1000],
    )
    assert.deepEqual(sent[0]!.names, names('e', 1000), 'records keep their order in the body')
    // The body is the records' own JSON texts, joined: nothing re-serialized.
    assert.equal(
      sent[0]!.req.body,
      `{"api_key":"${KEY}","events":[${names('e', 1000)
        .map((n) => JSON.stringify({ event_type: 'E', insert_id: n }))
        .join(',')}]}`,
    )
    assert.equal(sent[0]!.req.url, 'https://api2.amplitude.com/2/httpapi')
    assert.equal(sent[0]!.req.headers['content-type'], 'application/json')
    clock.advance(249)
    assert.equal(sent.length, 2, '500 records do not fill a request: they wait')
    clock.advance(1)
    assert.equal(sent.length, 3)
    assert.deepEqual(sent[2]!.names, names('e', 500, 2000))
    assert.equal(pump.requests, 3)
    assert.equal(
      pump.bytesSent,
      sent.reduce((a, s) => a + Buffer.byteLength(s.req.body), 0),
    )
  })

  it('a flush (or blocked pushers) sends partial requests at once', () => {
    let flushing = false
    const { source, sent, pump } = setup({}, () => flushing)
    source.add(rec('a'), rec('b'))
    pump.run()
    assert.equal(sent.length, 0)
    flushing = true
    pump.run()
    assert.deepEqual(
      sent.map((s) => s.names),
      [['a', 'b']],
    )
  })

  it('never more than `concurrency` requests in flight; a free slot sends the next', async () => {
    const { source, sent, pump, outcomes } = setup({ concurrency: 2, batchSize: 10 })
    source.add(...names('e', 50).map((n) => rec(n)))
    pump.run()
    assert.equal(sent.length, 2)
    assert.equal(pump.inFlightRequests, 2)
    sent[0]!.answer({ status: 200, body: '{"code":200}' })
    await tick()
    assert.equal(sent.length, 3)
    assert.deepEqual(outcomes, [{ names: names('e', 10), outcome: { status: 200, body: '{"code":200}' }, cancelled: false }])
    for (let i = 1; i < 5; i++) {
      sent[i]!.answer({ status: 200, body: '' })
      await tick()
    }
    assert.equal(sent.length, 5)
    assert.equal(pump.inFlightRequests, 0)
  })

  it("byte limit and each record's cap bound a request; a record refused by one request starts the next", () => {
    const big = 'x'.repeat(400)
    const { source, sent, pump } = setup({ limits: { httpapi: { maxBytes: 1000 } } }, () => true)
    source.add(...names('e', 6).map((n) => rec(n, { json: JSON.stringify({ insert_id: n, pad: big }) })))
    pump.run()
    assert.deepEqual(
      sent.map((s) => s.names),
      [
        ['e0', 'e1'],
        ['e2', 'e3'],
        ['e4', 'e5'],
      ],
    )
    assert.ok(sent.every((s) => Buffer.byteLength(s.req.body) <= 1000))

    const s2 = setup({ batchSize: 10 }, () => true)
    s2.source.add(rec('a0'), rec('a1'), rec('a2', { cap: 2 }), rec('a3'), rec('a4'), rec('a5'))
    s2.pump.run()
    // a2 may share a request with at most one other record: the first request goes on without
    // it (other keys' records fill it), a2 leaves in the next.
    assert.deepEqual(
      s2.sent.map((s) => s.names),
      [['a0', 'a1', 'a3', 'a4', 'a5'], ['a2']],
    )
    for (const s of s2.sent) s.answer({ status: 200, body: '' })
  })

  it('records of different groups never share a request; form endpoints get form bodies', () => {
    const { source, sent, pump } = setup({}, () => true)
    source.add(rec('e0'), rec('i0', { endpoint: 'identify' }), rec('e1'), rec('o0', { options: { min_id_length: 1 } }))
    pump.run()
    assert.deepEqual(
      sent.map((s) => s.names),
      [['e0', 'e1'], ['i0'], ['o0']],
    )
    assert.equal(sent[1]!.req.url, 'https://api2.amplitude.com/identify')
    assert.equal(sent[1]!.req.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8')
    assert.match(sent[1]!.req.body, /^api_key=pump-test-key&identification=%5B/)
    assert.match(sent[2]!.req.body, /,"options":\{"min_id_length":1\}\}$/)
  })

  it('a group that cannot fill a request is not starved: once its oldest record waited the flush interval, it goes next', async () => {
    const { clock, source, sent, pump } = setup({ concurrency: 1, batchSize: 100 })
    source.add(rec('i0', { endpoint: 'identify' }), ...names('e', 1000).map((n) => rec(n)))
    pump.run()
    assert.deepEqual(
      sent.map((s) => s.names.length),
      [100],
      'events fill a request; the lone identify waits',
    )
    clock.advance(250)
    sent[0]!.answer({ status: 200, body: '' })
    await tick()
    assert.deepEqual(sent[1]!.names, ['i0'])
  })

  it('--max-eps paces requests so that records leave at no more than that rate', () => {
    const { clock, source, sent, pump } = setup({ maxEps: 1000, batchSize: 100, concurrency: 100 })
    source.add(...names('e', 500).map((n) => rec(n)))
    pump.run()
    assert.equal(sent.length, 1)
    clock.advance(99)
    assert.equal(sent.length, 1)
    clock.advance(1)
    assert.equal(sent.length, 2)
    clock.advance(300)
    assert.equal(sent.length, 5, '500 records at 1000/s: the last request leaves at 400 ms')
  })

  it('a transport error is an outcome without status; cancelled requests say so; counts sends', async () => {
    const { source, sent, pump, outcomes } = setup({ concurrency: 2, batchSize: 1 })
    const [a, b] = [rec('a'), rec('b')]
    source.add(a, b)
    pump.run()
    sent[0]!.answer(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    await tick()
    assert.deepEqual(outcomes[0], { names: ['a'], outcome: { status: null, error: { code: 'ECONNRESET', message: 'socket hang up', timeout: false } }, cancelled: false })
    pump.cancelInFlight()
    await tick()
    assert.equal(outcomes[1]!.cancelled, true)
    assert.deepEqual([a.sends, b.sends], [1, 1])
  })

  it('after stop() nothing more is sent and no timer is left', () => {
    const { clock, source, sent, pump } = setup()
    source.add(rec('a'))
    pump.run()
    assert.equal(clock.pending().length, 1, 'the partial-batch timer')
    pump.stop()
    assert.deepEqual(clock.pending(), [])
    clock.advance(10_000)
    pump.run()
    assert.equal(sent.length, 0)
  })
})
