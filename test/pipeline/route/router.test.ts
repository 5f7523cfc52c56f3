/**
 * `createRouter` alone, with real compiled subscriptions (the Quick Setup presets and a mapping
 * file): the filter verdict, other-shard decided before the filters, and the matching
 * subscriptions' indexes in order. Nothing is mapped or sent here.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../../../src/segment/subscriptions/index.js'
import { compileTrigger } from '../../../src/segment/fql/index.js'
import { createRouter, OTHER_SHARD } from '../../../src/pipeline/route/index.js'
import type { SegmentMessage } from '../../../src/types.js'
import { tempDir, writeFile } from '../../helpers/files.js'

const T = '2024-05-06T10:00:00.000Z'
const msg = (m: Record<string, unknown>) => ({ messageId: 'm', timestamp: T, ...m }) as unknown as SegmentMessage

describe('route: createRouter', () => {
  let presets: CompiledSubscription[]
  let overlapping: CompiledSubscription[]

  before(async () => {
    presets = compileSubscriptions(await loadMappings())
    const file = writeFile(
      join(tempDir(), 'mappings.json'),
      JSON.stringify({
        subscriptions: [
          { name: 'All tracks', actionSlug: 'logEventV2', trigger: 'type = "track"', enabled: true, settings: {} },
          { name: 'Old', actionSlug: 'logEventV2', trigger: 'type = "track"', enabled: false, settings: {} },
          { name: 'Purchases', actionSlug: 'logPurchase', trigger: 'event = "Order Completed"', enabled: true, settings: {} },
          { name: 'People', actionSlug: 'identifyUser', trigger: 'type = "identify"', enabled: true, settings: {} },
          { name: 'Not groups', actionSlug: 'logEventV2', trigger: 'type != "group"', enabled: true, settings: {} },
        ],
      }),
    )
    overlapping = compileSubscriptions(await loadMappings(file))
  })

  it('the presets: each type goes to its subscription; a message no trigger matches gets matched []', () => {
    assert.deepEqual(
      presets.map((s) => s.name),
      ['Track Calls', 'Order Completed Calls', 'Page Calls', 'Screen Calls', 'Identify Calls'],
    )
    const route = createRouter({ subscriptions: presets })
    assert.deepEqual(route(msg({ type: 'track', event: 'Signed Up', userId: 'u' }), 'f:1'), { matched: [0] })
    assert.deepEqual(route(msg({ type: 'track', event: 'Order Completed', userId: 'u' }), 'f:2'), { matched: [1] })
    assert.deepEqual(route(msg({ type: 'page', name: 'Home', userId: 'u' }), 'f:3'), { matched: [2] })
    assert.deepEqual(route(msg({ type: 'screen', name: 'Home', userId: 'u' }), 'f:4'), { matched: [3] })
    assert.deepEqual(route(msg({ type: 'identify', userId: 'u' }), 'f:5'), { matched: [4] })
    assert.deepEqual(route(msg({ type: 'group', groupId: 'g', userId: 'u' }), 'f:6'), { matched: [] })
    assert.deepEqual(route(msg({ type: 'alias', previousId: 'a', userId: 'u' }), 'f:7'), { matched: [] })
  })

  it('several matching triggers: every index, in subscription order (disabled ones are not compiled)', () => {
    assert.deepEqual(
      overlapping.map((s) => s.name),
      ['All tracks', 'Purchases', 'People', 'Not groups'],
    )
    const route = createRouter({ subscriptions: overlapping })
    assert.deepEqual(route(msg({ type: 'track', event: 'Order Completed' }), 'f:1'), { matched: [0, 1, 3] })
    assert.deepEqual(route(msg({ type: 'track', event: 'Signed Up' }), 'f:2'), { matched: [0, 3] })
    assert.deepEqual(route(msg({ type: 'identify' }), 'f:3'), { matched: [2, 3] })
    assert.deepEqual(route(msg({ type: 'page', event: 'Order Completed' }), 'f:4'), { matched: [1, 3] })
    assert.deepEqual(route(msg({ type: 'group' }), 'f:5'), { matched: [] })
    assert.deepEqual(createRouter({ subscriptions: [] })(msg({ type: 'track', event: 'X' }), 'f:6'), { matched: [] })
  })

  it('a filtered message gets only its reason, and no subscription is asked', () => {
    let asked = 0
    const counting = overlapping.map((s) => ({ ...s, match: (m: SegmentMessage) => (asked++, s.match(m)) }))
    const route = createRouter({
      subscriptions: counting,
      filters: { since: '2024-05-06', until: '2024-05-07', types: ['track', 'identify'], where: compileTrigger('userId != "bot"') as (m: Record<string, unknown>) => boolean },
    })
    assert.deepEqual(route(msg({ type: 'track', event: 'X', integrations: { Amplitude: false } }), 'f:1'), { filtered: 'integrations' })
    assert.deepEqual(route(msg({ type: 'page' }), 'f:2'), { filtered: 'types' })
    assert.deepEqual(route(msg({ type: 'track', timestamp: '2024-05-05T23:59:59.999Z' }), 'f:3'), { filtered: 'since' })
    assert.deepEqual(route(msg({ type: 'track', timestamp: '2024-05-07T00:00:00.000Z' }), 'f:4'), { filtered: 'until' })
    assert.deepEqual(route(msg({ type: 'track', timestamp: undefined }), 'f:5'), { filtered: 'no-timestamp' })
    assert.deepEqual(route(msg({ type: 'track', userId: 'bot' }), 'f:6'), { filtered: 'where' })
    assert.equal(asked, 0)
    assert.deepEqual(route(msg({ type: 'track', event: 'Order Completed', userId: 'human' }), 'f:7'), { matched: [0, 1, 3] })
    assert.equal(asked, 4)
  })

  it("another shard's message is other-shard before any filter; the owner still filters it", () => {
    // Identity keys: anonymousId 'a' is in partition 1 of 3, userId 'foo' in 0, line 'bar' in 2 (FNV-1a, see shard.test.ts).
    const shard = (index: number) => createRouter({ subscriptions: presets, shard: { index, count: 3, group: 'run-1' }, filters: { types: ['identify'] } })
    const track = msg({ type: 'track', event: 'X', anonymousId: 'a', integrations: { All: false } })
    assert.deepEqual(shard(0)(track, 'f:1'), { filtered: OTHER_SHARD })
    assert.deepEqual(shard(2)(track, 'f:1'), { filtered: 'other-shard' })
    assert.deepEqual(shard(1)(track, 'f:1'), { filtered: 'integrations' })
    assert.deepEqual(shard(0)(msg({ type: 'identify', userId: 'foo' }), 'f:2'), { matched: [4] })
    // Neither id nor messageId: the where argument (file:line) is the key.
    const anonymous = { type: 'identify', timestamp: T } as unknown as SegmentMessage
    assert.deepEqual(
      [0, 1, 2].map((i) => shard(i)(anonymous, 'bar')),
      [{ filtered: 'other-shard' }, { filtered: 'other-shard' }, { matched: [4] }],
    )
  })

  it('a verdict is a pure function of the message: the same twice, the message untouched', () => {
    const route = createRouter({ subscriptions: overlapping, filters: { since: '2024-01-01' } })
    const m = msg({ type: 'track', event: 'Order Completed', properties: { revenue: 5 }, context: { device: { id: 'd' } } })
    const copy = structuredClone(m)
    assert.deepEqual(route(m, 'f:1'), route(m, 'f:1'))
    assert.deepEqual(m, copy)
  })
})
