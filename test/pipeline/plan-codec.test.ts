/**
 * The compact form plans take back from a worker thread (plan-codec.ts): every LinePlan shape the
 * planner makes comes back from `encodePlans` → `PlanReader` as the engine would use it — the same
 * fields, each record's JSON (`jsonOf`), byte count, group and options, and its `--out` piece as
 * UTF-8 bytes — on every endpoint, with options, with non-ASCII, emoji and lone surrogates in
 * ids, keys and payloads. The shapes the codec does not take (rejections, validation failures with
 * their message, non-string ids, nested options, kept records or messages) travel as they are.
 */
import { strict as assert } from 'node:assert'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../../src/segment/subscriptions/index.js'
import { createPlanner, jsonOf, planBlock, type LinePlan, type PlannedRecord } from '../../src/pipeline/plan.js'
import { serializeRecord, type SerializedRecord } from '../../src/pipeline/deliver/requests.js'
import { encodePlans, PlanReader, PlanWriter, type GroupCache, type UnitPlans } from '../../src/pipeline/plan-codec.js'
import type { AmplitudeRecord } from '../../src/types.js'

const T = '2024-05-06T10:00:00.000Z'
const NOW = Date.UTC(2024, 5, 1)
const LONE = '\uD800'
const ODD = `é ✓ 😀 ${LONE} "q" \\ \n\t \u2028 + & = % ~`

/** What the engine reads of a plan: each record's JSON as text, its `out` piece as text. */
function view(p: LinePlan): unknown {
  if (p.t !== 'message') return p
  return { ...p, records: p.records.map((r) => ({ ...r, ser: r.ser && serView(r.ser) })) }
}
function serView(ser: SerializedRecord): unknown {
  const { outBytes, out, ...rest } = ser
  const piece = out ?? (outBytes ? Buffer.from(outBytes).toString('utf8') : undefined)
  return { ...rest, json: jsonOf(ser), ...(piece !== undefined ? { out: piece } : {}) }
}

/** Encodes and decodes units (blocks and single messages alternately), on this thread. */
function roundTrip(units: UnitPlans[], forOut: boolean, cache?: GroupCache): { back: UnitPlans[]; rare: number } {
  const enc = structuredClone(encodePlans(units, forOut))
  const reader = new PlanReader(enc, cache)
  const back = units.map((u) => (Array.isArray(u) ? [...reader.block()] : reader.plan()))
  return { back, rare: enc.rare.length }
}

const rec = (endpoint: AmplitudeRecord['endpoint'], record: Record<string, unknown>, options?: Record<string, unknown>): AmplitudeRecord => ({
  endpoint,
  record,
  ...(options ? { options } : {}),
})

function messagePlan(records: Array<{ r: AmplitudeRecord; key: string; sub?: number }>, forOut: boolean, extra: Partial<Extract<LinePlan, { t: 'message' }>> = {}): LinePlan {
  return {
    t: 'message',
    messageId: `id-${ODD}`,
    matched: [0, 3],
    invalid: [],
    records: records.map(({ r, key, sub }): PlannedRecord => ({ sub: sub ?? 0, key, ser: serializeRecord(r, false, { forOut }) })),
    mixed: 1,
    fallbacks: 2,
    ...extra,
  }
}

describe('pipeline: plan codec (plans back from a worker thread)', () => {
  let presets: CompiledSubscription[]
  before(async () => {
    presets = compileSubscriptions(await loadMappings())
  })

  for (const forOut of [true, false]) {
    it(`the planner's plans of every kind come back as the engine reads them (${forOut ? 'dry run with --out' : 'live run: records as JSON'})`, () => {
      // As on a worker thread: records travel as their serialization only.
      const planner = createPlanner({ subscriptions: presets, now: () => NOW, forOut, keepRecords: false, filters: { since: '2024-01-01' } })
      const base = { timestamp: T, anonymousId: `anon-${ODD}`, context: { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' } }
      const messages = [
        {
          ...base,
          type: 'track',
          event: `Order Completed ${ODD}`,
          messageId: `m-${ODD}`,
          userId: `u-😀`,
          properties: { revenue: 9.5, name: ODD, products: [{ product_id: 'p1', price: 1 }] },
        },
        { ...base, type: 'identify', messageId: 'm-2', userId: `u-${LONE}`, traits: { name: ODD, plan: 'pro' } },
        { ...base, type: 'group', messageId: 'm-3', userId: 'u-3', groupId: `g-${ODD}`, traits: { name: ODD } },
        { ...base, type: 'alias', messageId: 'm-4', userId: 'u-4', previousId: `p-${ODD}` },
        { ...base, type: 'page', messageId: 'm-5', name: ODD },
        { ...base, type: 'screen', messageId: 'm-6', name: ODD },
        { ...base, type: 'track', event: 'No id' },
        { ...base, type: 'track', event: 'Numeric id', messageId: 42 },
        { ...base, type: 'track', messageId: 'm-invalid' },
        { ...base, type: 'Signed Up' },
        { ...base, type: 'track', event: 'Old', messageId: 'm-filtered', timestamp: '2023-05-06T10:00:00.000Z' },
      ]
      const lines = messages.map((m) => JSON.stringify(m)).concat(['{"broken', '', `"${ODD}"`])
      const block = planBlock(planner, { file: 'f.ndjson', firstLine: 7, bytes: Buffer.from(lines.join('\n') + '\n'), fileStart: true })
      const single = planner({ message: messages[0] as never }, 'c.csv:2')
      const units: UnitPlans[] = [block, single, [], block.slice(2, 5)]
      const kinds = new Set(block.map(([, p]) => p.t))
      assert.deepEqual([...kinds].sort(), ['filtered', 'message', 'rejected'])
      const endpoints = new Set(block.flatMap(([, p]) => (p.t === 'message' ? p.records.map((r) => r.ser!.endpoint) : [])))
      // (The presets make events and identifies; the next test packs every endpoint by hand.)
      assert.deepEqual([...endpoints].sort(), ['httpapi', 'identify'])

      const { back, rare } = roundTrip(units, forOut)
      assert.deepEqual(
        back.map((u) => (Array.isArray(u) ? u.map(([l, p]) => [l, view(p)]) : view(u))),
        units.map((u) => (Array.isArray(u) ? u.map(([l, p]) => [l, view(p)]) : view(u))),
      )
      // Rejections, the numeric id and the validation failure kept their structured clone; the rest did not.
      const rareWanted = [...block, ...block.slice(2, 5)].filter(
        ([, p]) => p.t === 'rejected' || (p.t === 'message' && (p.invalid.length > 0 || typeof p.messageId === 'number')),
      ).length
      assert.ok(rareWanted >= 5, `${rareWanted}`)
      assert.equal(rare, rareWanted)
    })
  }

  it('records on every endpoint, with and without options, keep their group, options and bytes; one options object per group', () => {
    for (const forOut of [true, false]) {
      const plan = messagePlan(
        [
          { r: rec('httpapi', { event_type: ODD, device_id: 'd1' }, { min_id_length: 1 }), key: 'd:d1' },
          { r: rec('httpapi', { event_type: 'b', device_id: 'd2' }), key: `d:${LONE}` },
          { r: rec('batch', { event_type: 'c', user_id: 'u' }, { min_id_length: 2 }), key: 'u:u' },
          { r: rec('identify', { user_id: ODD, user_properties: { $set: { a: ODD } } }, { min_id_length: 1 }), key: `u:${ODD}`, sub: 4 },
          { r: rec('groupidentify', { group_type: 'org', group_value: ODD, group_properties: { $set: { n: 1 } } }), key: `g:org:${ODD}`, sub: 2 },
          { r: rec('usermap', { user_id: 'u1', global_user_id: 'g1' }, { min_id_length: 3 }), key: 'u:u1' },
          { r: rec('httpapi', { event_type: 'again', device_id: 'd3' }, { min_id_length: 1 }), key: 'd:d3' },
        ],
        forOut,
      )
      const filtered: LinePlan = { t: 'filtered', reason: 'since' }
      const filteredWithId: LinePlan = { t: 'filtered', reason: 'where', messageId: undefined }
      const empty: LinePlan = { t: 'message', messageId: 'e', matched: [], invalid: [], records: [], mixed: 0, fallbacks: 0 }
      const cache: GroupCache = new Map()
      const units: UnitPlans[] = [
        [
          [1, plan],
          [2, filtered],
          [2 ** 40, filteredWithId],
          [4, empty],
        ],
        plan,
      ]
      const { back, rare } = roundTrip(units, forOut, cache)
      assert.equal(rare, 0)
      const [[[, a], [, f], [line, fi], [, e]], b] = back as [Array<[number, LinePlan]>, LinePlan]
      assert.deepEqual(view(a), view(plan))
      assert.deepEqual(view(b), view(plan))
      assert.deepEqual(f, filtered)
      assert.ok(!('messageId' in f), 'no messageId key where there was none')
      assert.deepEqual(fi, filteredWithId)
      assert.ok('messageId' in fi)
      assert.equal(line, 2 ** 40)
      assert.deepEqual(e, empty)
      // The first and last records share (endpoint, options): one group object, also across batches.
      const recs = (a as Extract<LinePlan, { t: 'message' }>).records
      assert.equal(recs[0].ser!.options, recs[6].ser!.options)
      assert.equal(recs[0].ser!.options, (b as Extract<LinePlan, { t: 'message' }>).records[0].ser!.options)
      assert.equal(recs[1].ser!.options, undefined)
      assert.ok('options' in recs[1].ser!)
      const again = roundTrip([plan], forOut, cache).back[0] as Extract<LinePlan, { t: 'message' }>
      assert.equal(again.records[0].ser!.options, recs[0].ser!.options)
      assert.equal(cache.size, 6)
    }
  })

  it('shapes it does not take travel as they are: kept records or messages, nested or odd options, odd ids, rejections', () => {
    const base = messagePlan([{ r: rec('httpapi', { event_type: 'a', device_id: 'd' }), key: 'd:d' }], true) as Extract<LinePlan, { t: 'message' }>
    const withRecord: LinePlan = { ...base, records: base.records.map((r) => ({ ...r, record: rec('httpapi', { event_type: 'a', device_id: 'd' }) })) }
    const withMessage: LinePlan = { ...base, message: { type: 'track', event: 'a' } as never }
    const nestedOptions: LinePlan = { ...base, records: base.records.map((r) => ({ ...r, ser: { ...r.ser!, options: { a: { b: 1 } } } })) }
    const undefinedOption: LinePlan = { ...base, records: base.records.map((r) => ({ ...r, ser: { ...r.ser!, options: { a: undefined } } })) }
    const invalid: LinePlan = { ...base, invalid: [{ sub: 0, reason: 'missing event', message: { type: 'track' } as never }] }
    const nullId: LinePlan = { t: 'filtered', reason: 'since', messageId: null }
    const objectId: LinePlan = { ...base, messageId: { id: 1 } }
    const rejected: LinePlan = { t: 'rejected', category: 'invalid JSON', reason: `invalid JSON: ${ODD}`, text: ODD }
    const unprocessable: LinePlan = { t: 'rejected', category: 'unprocessable', reason: 'unprocessable: x', text: '', message: true, messageId: 'm' }
    const odd = [withRecord, withMessage, nestedOptions, undefinedOption, invalid, nullId, objectId, rejected, unprocessable]
    const units: UnitPlans[] = [odd.map((p, i): [number, LinePlan] => [i + 1, p]), base, ...odd]
    const { back, rare } = roundTrip(units, true)
    assert.equal(rare, odd.length * 2)
    assert.deepEqual(back[0], units[0])
    assert.deepEqual(view(back[1] as LinePlan), view(base))
    assert.deepEqual(back.slice(2), odd)
    // As they are: `options: { a: undefined }` keeps its key (a JSON round trip would drop it).
    assert.ok('a' in (back[5] as Extract<LinePlan, { t: 'message' }>).records[0].ser!.options!)
  })

  it("a live run's record JSON travels as strings of their own, not inside the batch's text (a record kept long keeps only its own text)", () => {
    const plan = messagePlan(
      [
        { r: rec('httpapi', { event_type: 'first', device_id: 'd' }), key: 'd:d' },
        { r: rec('identify', { user_id: 'u', user_properties: { $set: { a: 1 } } }, { min_id_length: 1 }), key: 'u:u' },
      ],
      false,
    ) as Extract<LinePlan, { t: 'message' }>
    const enc = encodePlans([plan], false)
    assert.deepEqual(
      enc.json,
      plan.records.map((r) => r.ser!.json),
    )
    assert.ok(!enc.text.includes('first') && !enc.text.includes('min_id_length'), enc.text)
    assert.deepEqual(enc.groups, ['httpapi\nhttpapi\nu', 'identify\nidentify {"min_id_length":1}\no{"min_id_length":1}'])
    assert.equal(enc.out, undefined)
  })

  it('--out pieces past the first buffer: it grows and keeps every piece, whatever size the last batch hinted', () => {
    const big = (i: number): AmplitudeRecord => rec(i % 3 ? 'httpapi' : 'identify', { event_type: `${i} ${ODD.repeat(40)}`, user_id: `u${i}`, device_id: 'd' })
    const plans = Array.from({ length: 300 }, (_, i) => messagePlan([{ r: big(i), key: `u:${i}` }], true))
    for (const hint of [0, 1000, 10_000_000]) {
      const w = new PlanWriter(true, hint)
      for (const p of plans) w.plan(p)
      assert.ok(w.outBytes > 200_000, `${w.outBytes}`)
      const reader = new PlanReader(w.finish())
      for (const p of plans) assert.deepEqual(view(reader.plan()), view(p))
    }
  })

  it('an encoded batch is one transfer list: the numbers and the --out bytes move, the text is one string', () => {
    const plan = messagePlan([{ r: rec('httpapi', { event_type: ODD, device_id: 'd' }), key: 'd:d' }], true)
    const enc = encodePlans([plan, plan], true)
    assert.equal(typeof enc.text, 'string')
    const { port1, port2 } = new MessageChannel()
    port1.postMessage(enc, [enc.nums, enc.out!])
    assert.equal(enc.nums.byteLength, 0, 'moved, not copied')
    assert.equal(enc.out!.byteLength, 0)
    port1.close()
    port2.close()
  })
})
