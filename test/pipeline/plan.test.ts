/**
 * One line's plan (what `--workers` computes on other threads), alone: `createPlanner` with the
 * Quick Setup presets compiled for real — rejections with their category, filter verdicts,
 * other-shard, the records with their serialized JSON and ordering key, Segment's validation,
 * absurd nesting — plus `planBlock`, `nestedDeeperThan` and `recordOf`. Nothing is delivered.
 */
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../../src/segment/subscriptions/index.js'
import { mapMessage, orderingKey } from '../../src/pipeline/map/index.js'
import { REJECTED_TEXT_LIMIT } from '../../src/pipeline/decode/message.js'
import { createPlanner, MAX_NESTING, mayNestDeeperThan, nestedDeeperThan, planBlock, recordOf, type LinePlan, type PlannedRecord } from '../../src/pipeline/plan.js'
import type { SegmentMessage } from '../../src/types.js'

const T = '2024-05-06T10:00:00.000Z'
const T_MS = Date.UTC(2024, 4, 6, 10)
const NOW = Date.UTC(2024, 5, 1)
const track = (extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Signed Up',
  messageId: 'm-1',
  userId: 'user-1',
  anonymousId: 'anon-1',
  timestamp: T,
  properties: { plan: 'pro' },
  ...extra,
})
const line = (m: unknown) => ({ text: JSON.stringify(m) })

/** `{"d":{"d":…1…}}` with `depth` objects, the message object counted. */
function nested(depth: number): Record<string, unknown> {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = { d: v }
  return v as Record<string, unknown>
}

describe('replay: createPlanner', () => {
  let presets: CompiledSubscription[]
  before(async () => {
    presets = compileSubscriptions(await loadMappings())
  })

  it('rejects what is not a message with its category and the text (clipped), and no messageId', () => {
    const plan = createPlanner({ subscriptions: presets })
    const cases: Array<[string, string, RegExp]> = [
      ['{"type":"track",', 'invalid JSON', /^invalid JSON: /],
      ['[1,2]', 'not a JSON object', /^not a JSON object: the line is an array$/],
      ['"text"', 'not a JSON object', /^not a JSON object: the line is a string$/],
      ['{"event":"x","messageId":"m"}', 'missing type', /^missing type: /],
      ['{"type":"purchase","messageId":"m"}', 'unknown type', /^unknown type: "purchase" is not one of /],
    ]
    for (const [text, category, reason] of cases) {
      const p = plan({ text }, 'f:1')
      assert.equal(p.t, 'rejected', text)
      assert.deepEqual(Object.keys(p).sort(), ['category', 'reason', 't', 'text'], text)
      assert.equal((p as { category: string }).category, category)
      assert.match((p as { reason: string }).reason, reason)
      assert.equal((p as { text: string }).text, text)
    }
    const long = '{"x":"' + 'y'.repeat(REJECTED_TEXT_LIMIT + 100)
    const p = plan({ text: long }, 'f:2') as Extract<LinePlan, { t: 'rejected' }>
    assert.equal(p.text, long.slice(0, REJECTED_TEXT_LIMIT))
  })

  it("a filtered message: its reason and messageId; another shard's: only the reason (it is not this run's to count)", () => {
    const filtered = createPlanner({ subscriptions: presets, filters: { types: ['identify'], since: '2024-05-01' } })
    assert.deepEqual(filtered(line(track()), 'f:1'), { t: 'filtered', reason: 'types', messageId: 'm-1' })
    assert.deepEqual(filtered(line({ type: 'identify', messageId: 'm-2', userId: 'u', timestamp: '2024-04-01T00:00:00Z' }), 'f:2'), {
      t: 'filtered',
      reason: 'since',
      messageId: 'm-2',
    })
    // anonymousId 'a' is in partition 1 of 3 (see route/shard.test.ts).
    const shard0 = createPlanner({ subscriptions: presets, shard: { index: 0, count: 3, group: 'g' } })
    const otherShard = shard0(line(track({ anonymousId: 'a', userId: undefined })), 'f:3')
    assert.deepEqual(otherShard, { t: 'filtered', reason: 'other-shard' })
    assert.ok(!('messageId' in otherShard))
    const shard1 = createPlanner({ subscriptions: presets, shard: { index: 1, count: 3, group: 'g' } })
    assert.equal(shard1(line(track({ anonymousId: 'a', userId: undefined })), 'f:3').t, 'message')
  })

  it('a message: the matched subscriptions, each record with its JSON and ordering key, as mapMessage made it', () => {
    const plan = createPlanner({ subscriptions: presets, now: () => NOW })
    const p = plan(line(track({ context: { library: { name: 'analytics-node', version: '1' } } })), 'f:1')
    const record = {
      endpoint: 'httpapi',
      record: {
        user_id: 'user-1',
        device_id: 'anon-1',
        event_type: 'Signed Up',
        event_properties: { plan: 'pro' },
        use_batch_endpoint: false,
        insert_id: 'm-1-4b26c3ce',
        time: T_MS,
        library: 'analytics-node',
      },
    }
    const json = JSON.stringify(record.record)
    assert.deepEqual(p, {
      t: 'message',
      messageId: 'm-1',
      matched: [0],
      invalid: [],
      records: [
        {
          sub: 0,
          key: 'd:anon-1',
          ser: { endpoint: 'httpapi', group: (p as { records: PlannedRecord[] }).records[0].ser.group, options: undefined, json, bytes: Buffer.byteLength(json) },
          record,
        },
      ],
      mixed: 0,
      fallbacks: 0,
    })

    // Several records (a purchase and its product), several keys: each as mapMessage and orderingKey say.
    const order = track({
      event: 'Order Completed',
      messageId: 'm-2',
      anonymousId: undefined,
      properties: { revenue: 10, products: [{ product_id: 'p1', price: 5, quantity: 2, name: 'ü' }] },
    })
    const o = plan(line(order), 'f:2') as Extract<LinePlan, { t: 'message' }>
    const mapped = mapMessage(order as unknown as SegmentMessage, presets, o.matched, () => NOW)
    assert.ok(mapped.records.length >= 2)
    assert.deepEqual(
      o.records.map((r) => r.record),
      mapped.records.map((r) => r.record),
    )
    assert.deepEqual(
      o.records.map((r) => r.sub),
      mapped.records.map((r) => r.sub),
    )
    for (const r of o.records) {
      assert.equal(r.ser.json, JSON.stringify(r.record!.record))
      assert.equal(r.ser.bytes, Buffer.byteLength(r.ser.json))
      assert.equal(r.key, orderingKey(r.record!))
      assert.equal(r.key, 'u:user-1')
      assert.equal(r.ser.out, undefined)
    }
    // A CSV row comes decoded already: the same plan as its JSON text.
    assert.deepEqual(plan({ message: order as unknown as SegmentMessage }, 'f:2'), o)
  })

  it('on a worker (keepRecords false) only the JSON goes back; the batch endpoint and $skip_user_properties_sync show in it', () => {
    const plan = createPlanner({ subscriptions: presets, now: () => NOW, keepRecords: false, useBatchEndpoint: true, skipUserPropertiesSync: true })
    const p = plan(line(track()), 'f:1') as Extract<LinePlan, { t: 'message' }>
    assert.equal(p.records.length, 1)
    assert.ok(!('record' in p.records[0]))
    assert.equal(p.records[0].ser.endpoint, 'batch')
    const body = JSON.parse(p.records[0].ser.json)
    assert.equal(body.$skip_user_properties_sync, true)
    assert.equal(body.insert_id, 'm-1-4b26c3ce')
    // The plan is plain data: it survives the trip to another thread unchanged.
    assert.deepEqual(structuredClone(p), p)
  })

  it('forOut: each record also as it stands inside a --out line (escaped JSON, or URL-encoded for a form body)', () => {
    const plan = createPlanner({ subscriptions: presets, now: () => NOW, forOut: true })
    const ev = plan(line(track({ properties: { q: 'say "hi"\n' } })), 'f:1') as Extract<LinePlan, { t: 'message' }>
    assert.equal(ev.records[0].ser.out, JSON.stringify(ev.records[0].ser.json).slice(1, -1))
    assert.equal(JSON.parse(`"${ev.records[0].ser.out}"`), ev.records[0].ser.json)
    assert.notEqual(ev.records[0].ser.out, ev.records[0].ser.json)
    const id = plan(line({ type: 'identify', messageId: 'm-3', userId: 'user-1', timestamp: T, traits: { name: 'A B' } }), 'f:2') as Extract<LinePlan, { t: 'message' }>
    assert.equal(id.records[0].ser.endpoint, 'identify')
    assert.equal(id.records[0].ser.out, new URLSearchParams({ x: id.records[0].ser.json }).toString().slice(2))
    assert.equal(id.records[0].ser.bytes, id.records[0].ser.out!.length)
  })

  it("a message Segment's validation rejects is `invalid`, with the reason and the message, and no record", () => {
    const plan = createPlanner({ subscriptions: presets })
    const m = { type: 'track', messageId: 'm-7', userId: 'user-1', timestamp: T }
    assert.deepEqual(plan(line(m), 'f:1'), {
      t: 'message',
      messageId: 'm-7',
      matched: [0],
      invalid: [{ sub: 0, reason: "The root value is missing the required field 'event_type'.", message: m }],
      records: [],
      mixed: 0,
      fallbacks: 1,
    })
    // No trigger matches: a message with nothing to send, not a rejection.
    assert.deepEqual(plan(line({ type: 'group', groupId: 'g', userId: 'u', messageId: 'm-8', timestamp: T }), 'f:2'), {
      t: 'message',
      messageId: 'm-8',
      matched: [],
      invalid: [],
      records: [],
      mixed: 0,
      fallbacks: 0,
    })
  })

  it(`nesting over ${MAX_NESTING} levels is unprocessable (text or decoded row), ${MAX_NESTING} still maps; a mapping that throws rejects only that line`, () => {
    const plan = createPlanner({ subscriptions: presets })
    // The message object is level 1: properties nested 499 deep make 500 levels.
    const ok = plan(line(track({ properties: nested(MAX_NESTING - 1) })), 'f:1')
    assert.equal(ok.t, 'message')
    assert.equal((ok as { records: unknown[] }).records.length, 1)
    const over = track({ properties: nested(MAX_NESTING), messageId: 'deep' })
    // The rejected line keeps its text (rejected.ndjson shows it); a decoded CSV row has none.
    const expected = {
      t: 'rejected',
      category: 'unprocessable',
      reason: `unprocessable: the message is nested more than ${MAX_NESTING} levels deep (Amplitude keeps 40)`,
      text: '',
      message: true,
      messageId: 'deep',
    }
    assert.deepEqual(plan(line(over), 'f:2'), { ...expected, text: line(over).text })
    assert.deepEqual(plan({ message: over as unknown as SegmentMessage }, 'f:2'), expected)
    // 10,000 levels: no stack overflow in the check.
    const absurd = '{"type":"track","event":"x","messageId":"deep","properties":' + '{"d":'.repeat(10_000) + '1' + '}'.repeat(10_001)
    assert.deepEqual(plan({ text: absurd }, 'f:3'), { ...expected, text: absurd })

    const throwing = [
      {
        ...presets[0],
        match: () => {
          throw new Error('boom')
        },
      },
      ...presets.slice(1),
    ] as CompiledSubscription[]
    assert.deepEqual(createPlanner({ subscriptions: throwing })(line(track()), 'f:4'), {
      t: 'rejected',
      category: 'unprocessable',
      reason: 'unprocessable: boom',
      text: line(track()).text,
      message: true,
      messageId: 'm-1',
    })
  })

  it("planBlock: the block's non-blank lines, numbered from its first line, each planned (BOM only at the file start)", () => {
    const plan = createPlanner({ subscriptions: presets, now: () => NOW })
    const text = `\uFEFF${JSON.stringify(track())}\r\n\r\n  \nnot json\n${JSON.stringify(track({ messageId: 'm-9' }))}`
    const out = planBlock(plan, { file: 'f', firstLine: 41, bytes: Buffer.from(text), fileStart: true })
    assert.deepEqual(
      out.map(([l, p]) => [l, p.t]),
      [
        [41, 'message'],
        [44, 'rejected'],
        [45, 'message'],
      ],
    )
    assert.deepEqual(out[0][1], plan(line(track()), 'f:41'))
    // Not the file's start: a BOM is part of the line, which is then no JSON.
    const mid = planBlock(plan, { file: 'f', firstLine: 41, bytes: Buffer.from(text), fileStart: false })
    assert.equal(mid[0][1].t, 'rejected')
  })
})

describe('replay: nestedDeeperThan', () => {
  it('counts the value itself as level 1, objects and arrays alike; primitives and null add no level', () => {
    assert.equal(nestedDeeperThan({}, 1), false)
    assert.equal(nestedDeeperThan({ a: {} }, 1), true)
    assert.equal(nestedDeeperThan({ a: {} }, 2), false)
    assert.equal(nestedDeeperThan([[[]]], 3), false)
    assert.equal(nestedDeeperThan([[[]]], 2), true)
    assert.equal(nestedDeeperThan({ a: [{ b: [1] }] }, 4), false)
    assert.equal(nestedDeeperThan({ a: [{ b: [1] }] }, 3), true)
    assert.equal(nestedDeeperThan({ a: null, b: 'x', c: 1, d: [null, 2, 'y'] }, 2), false)
    assert.equal(nestedDeeperThan({ a: null, b: 'x', c: 1, d: [null, 2, 'y'] }, 1), true)
    assert.equal(nestedDeeperThan('text', 1), false)
    assert.equal(nestedDeeperThan(null, 1), false)
  })

  it('finds the one deep branch among many shallow ones, and takes 100,000 levels without recursion', () => {
    const wide: Record<string, unknown> = {}
    for (let i = 0; i < 1000; i++) wide[`k${i}`] = { x: [i] }
    assert.equal(nestedDeeperThan(wide, 3), false)
    wide.k500 = { x: [{ y: {} }] }
    assert.equal(nestedDeeperThan(wide, 3), true)
    assert.equal(nestedDeeperThan(wide, 5), false)
    assert.equal(nestedDeeperThan(nested(MAX_NESTING), MAX_NESTING), false)
    assert.equal(nestedDeeperThan(nested(MAX_NESTING + 1), MAX_NESTING), true)
    assert.equal(nestedDeeperThan(nested(100_000), MAX_NESTING), true)
  })
})

describe('replay: mayNestDeeperThan (the test on the text that spares the walk)', () => {
  it('never says "cannot" of a text whose value nests deeper: any JSON, brackets in strings too', () => {
    const deep = (d: number, inner: unknown): unknown => (d === 0 ? inner : d % 2 ? { k: deep(d - 1, inner) } : [deep(d - 1, inner)])
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.tuple(fc.integer({ min: 0, max: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([d, v]) => deep(d, v)),
    )
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 12 }), (v, limit) => {
        const text = JSON.stringify(v)
        if (nestedDeeperThan(v, limit)) assert.ok(mayNestDeeperThan(text, limit), `${limit}: ${text}`)
      }),
      { numRuns: 2000 },
    )
  })

  it('spares an ordinary message, not one with more brackets than the limit', () => {
    const text = JSON.stringify(track({ properties: { a: [1, { b: '{{[' }], c: {}, pad: 'x'.repeat(2 * MAX_NESTING) } }))
    assert.equal(mayNestDeeperThan(text, MAX_NESTING), false)
    assert.equal(mayNestDeeperThan(text, 3), true)
    assert.equal(mayNestDeeperThan('['.repeat(2 * MAX_NESTING + 1), MAX_NESTING), true)
    assert.equal(mayNestDeeperThan(`"${'{'.repeat(MAX_NESTING)}"`.padEnd(2 * MAX_NESTING + 1), MAX_NESTING), false)
  })
})

describe('replay: recordOf', () => {
  const ser = { endpoint: 'httpapi' as const, group: 'httpapi', json: '{"insert_id":"i","$skip_user_properties_sync":true}', bytes: 10 }

  it('a record planned here is returned as it is', () => {
    const record = { endpoint: 'httpapi' as const, record: { insert_id: 'i' } }
    assert.equal(recordOf({ sub: 0, key: 'k', ser, record }), record)
  })

  it("a worker's record is parsed from its JSON only when asked for, once", () => {
    const lazy = recordOf({ sub: 0, key: 'k', ser: { ...ser, json: 'not json' } })
    assert.equal(lazy.endpoint, 'httpapi')
    assert.throws(() => lazy.record, SyntaxError)
    const r = recordOf({ sub: 0, key: 'k', ser })
    assert.deepEqual(r.record, { insert_id: 'i', $skip_user_properties_sync: true })
    assert.equal(r.record, r.record)
    assert.ok(!('options' in r))
    assert.deepEqual(recordOf({ sub: 0, key: 'k', ser: { ...ser, options: { min_id_length: 1 } } }).options, { min_id_length: 1 })
  })

  it('strips $skip_user_properties_sync (added for sending) only when asked to', () => {
    assert.deepEqual(recordOf({ sub: 0, key: 'k', ser }, true).record, { insert_id: 'i' })
    assert.deepEqual(recordOf({ sub: 0, key: 'k', ser }, false).record, { insert_id: 'i', $skip_user_properties_sync: true })
  })
})
