/**
 * The map stage alone: `mapMessage` on messages the route stage matched (indexes given here by
 * hand), with the Quick Setup presets compiled for real; the derived insert_id; Segment's
 * validation as `invalid` entries; and `orderingKey`. Nothing is filtered, batched or sent.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { compileSubscriptions, loadMappings, selectOnlyActions, type CompiledSubscription } from '../../../src/segment/subscriptions/index.js'
import { mapMessage, orderingKey } from '../../../src/pipeline/map/index.js'
import type { AmplitudeRecord, SegmentMessage } from '../../../src/types.js'
import { tempDir, writeFile } from '../../helpers/files.js'

const T = '2024-05-06T10:00:00.000Z'
const T_MS = Date.UTC(2024, 4, 6, 10)
const msg = (m: Record<string, unknown>) => m as unknown as SegmentMessage
/** Indexes of the presets (see route/router.test.ts). */
const TRACK = 0
const ORDER = 1
const PAGE = 2
const IDENTIFY = 4

describe('map: mapMessage with the Quick Setup presets', () => {
  let presets: CompiledSubscription[]
  /** groupIdentifyUser (0) and mapUser (1), added to the presets' configuration as --only adds them. */
  let groupsAndAliases: CompiledSubscription[]

  before(async () => {
    const loaded = await loadMappings()
    presets = compileSubscriptions(loaded)
    groupsAndAliases = compileSubscriptions(selectOnlyActions(loaded, ['groupIdentifyUser', 'mapUser']).loaded)
  })

  it('each subscription has a salt that stays the same from run to run (insert_ids depend on it)', async () => {
    assert.deepEqual(
      presets.map((s) => [s.name, s.insertIdSalt]),
      [
        ['Track Calls', '4b26c3ce'],
        ['Order Completed Calls', '34222be8'],
        ['Page Calls', 'b6d19bbb'],
        ['Screen Calls', '8ebf7f52'],
        ['Identify Calls', '7878f0fe'],
      ],
    )
    assert.deepEqual(
      compileSubscriptions(await loadMappings()).map((s) => s.insertIdSalt),
      presets.map((s) => s.insertIdSalt),
    )
  })

  it('track: one /2/httpapi event, insert_id <messageId>-<salt>', () => {
    const m = msg({
      type: 'track',
      event: 'Signed Up',
      messageId: 'm-1',
      userId: 'user-1',
      anonymousId: 'anon-1',
      timestamp: T,
      properties: { plan: 'pro' },
      context: { library: { name: 'analytics-node', version: '1' } },
    })
    assert.deepEqual(mapMessage(m, presets, [TRACK]), {
      invalid: [],
      fallbacks: 0,
      records: [
        {
          sub: TRACK,
          record: {
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
          },
        },
      ],
    })
  })

  it('Order Completed: the purchase with revenue, then one event per product with its own insert_id', () => {
    const m = msg({
      type: 'track',
      event: 'Order Completed',
      messageId: 'm-2',
      userId: 'user-1',
      anonymousId: 'anon-1',
      timestamp: T,
      properties: { revenue: 10, products: [{ product_id: 'p1', price: 5, quantity: 2 }] },
    })
    assert.deepEqual(mapMessage(m, presets, [ORDER]), {
      invalid: [],
      fallbacks: 0,
      records: [
        {
          sub: ORDER,
          record: {
            endpoint: 'httpapi',
            record: {
              user_id: 'user-1',
              device_id: 'anon-1',
              event_type: 'Order Completed',
              event_properties: { revenue: 10, products: [{ product_id: 'p1', price: 5, quantity: 2 }] },
              use_batch_endpoint: false,
              insert_id: 'm-2-34222be8',
              time: T_MS,
              revenue: 10,
              revenueType: 'Purchase',
            },
          },
        },
        {
          sub: ORDER,
          record: {
            endpoint: 'httpapi',
            record: {
              user_id: 'user-1',
              device_id: 'anon-1',
              event_type: 'Product Purchased',
              event_properties: { price: 5, quantity: 2 },
              use_batch_endpoint: false,
              insert_id: 'm-2-34222be8-2',
              time: T_MS,
            },
          },
        },
      ],
    })
  })

  it('identify: one /identify record with the traits as user_properties', () => {
    const m = msg({ type: 'identify', messageId: 'm-3', userId: 'user-1', anonymousId: 'anon-1', timestamp: T, traits: { plan: 'pro' } })
    assert.deepEqual(mapMessage(m, presets, [IDENTIFY]), {
      invalid: [],
      fallbacks: 0,
      records: [
        {
          sub: IDENTIFY,
          record: { endpoint: 'identify', record: { user_id: 'user-1', device_id: 'anon-1', user_properties: { plan: 'pro' }, insert_id: 'm-3-7878f0fe', library: 'segment' } },
        },
      ],
    })
  })

  it('page: a "Viewed <name>" event', () => {
    const m = msg({ type: 'page', name: 'Home', messageId: 'm-4', anonymousId: 'anon-1', timestamp: T, properties: { path: '/' } })
    assert.deepEqual(mapMessage(m, presets, [PAGE]), {
      invalid: [],
      fallbacks: 0,
      records: [
        {
          sub: PAGE,
          record: {
            endpoint: 'httpapi',
            record: { device_id: 'anon-1', event_type: 'Viewed Home', event_properties: { path: '/' }, use_batch_endpoint: false, insert_id: 'm-4-b6d19bbb', time: T_MS },
          },
        },
      ],
    })
  })

  it("group: nothing with the presets (no subscription matched); with Group Identify User, the user's groups and the group's properties", () => {
    const m = msg({ type: 'group', groupId: 'g-1', messageId: 'm-5', userId: 'user-1', timestamp: T, traits: { name: 'Acme' } })
    assert.deepEqual(mapMessage(m, presets, []), { invalid: [], records: [], fallbacks: 0 })
    const expected = (time: number) => ({
      invalid: [],
      fallbacks: 0,
      records: [
        {
          sub: 0,
          record: {
            endpoint: 'identify',
            record: { groups: { '[Segment] Group': 'g-1' }, insert_id: 'm-5-245081d5', library: 'segment', time, user_id: 'user-1', user_properties: { '[Segment] Group': 'g-1' } },
          },
        },
        { sub: 0, record: { endpoint: 'groupidentify', record: { group_properties: { name: 'Acme' }, group_value: 'g-1', group_type: '[Segment] Group', library: 'segment' } } },
      ],
    })
    assert.deepEqual(
      mapMessage(m, groupsAndAliases, [0], () => 1),
      expected(T_MS),
    )
    // Without a time on the message, the clock given decides (Segment uses "now").
    const { timestamp: _, ...untimed } = m as unknown as Record<string, unknown>
    assert.deepEqual(
      mapMessage(msg(untimed), groupsAndAliases, [0], () => Date.UTC(2024, 0, 1)),
      expected(Date.UTC(2024, 0, 1)),
    )
  })

  it('the derived insert_id is the same on every call, and a mapped insert_id is kept', async () => {
    const m = msg({ type: 'track', event: 'Signed Up', messageId: 'm-1', userId: 'user-1', timestamp: T })
    const ids = () => mapMessage(m, presets, [TRACK]).records.map((r) => r.record.record.insert_id)
    assert.deepEqual(ids(), ['m-1-4b26c3ce'])
    assert.deepEqual(ids(), ids())
    const file = writeFile(
      join(tempDir(), 'mappings.json'),
      JSON.stringify([
        {
          name: 'Own ids',
          subscribe: 'type = "track"',
          partnerAction: 'logEventV2',
          mapping: { event_type: { '@path': '$.event' }, user_id: { '@path': '$.userId' }, insert_id: { '@path': '$.properties.iid' } },
        },
      ]),
    )
    const own = compileSubscriptions(await loadMappings(file))
    const withId = msg({ type: 'track', event: 'X', messageId: 'm-9', userId: 'user-1', properties: { iid: 'given-1' } })
    assert.equal(mapMessage(withId, own, [0]).records[0].record.record.insert_id, 'given-1')
    // An empty mapped value is no insert_id: the derived one takes its place.
    assert.equal(mapMessage(msg({ ...withId, properties: {} }), own, [0]).records[0].record.record.insert_id, `m-9-${own[0].insertIdSalt}`)
  })

  it('a message without messageId gets an insert_id from its content: stable, shared by its subscriptions, different for other content', () => {
    const build = () => msg({ type: 'track', event: 'X', userId: 'user-1', timestamp: T })
    const id = (m: SegmentMessage, sub: number) => mapMessage(m, presets, [sub]).records[0].record.record.insert_id
    assert.equal(id(build(), TRACK), 'sha1-6b90e21f22364d3a713faf0a-4b26c3ce')
    assert.equal(id(build(), TRACK), 'sha1-6b90e21f22364d3a713faf0a-4b26c3ce')
    assert.equal(id(msg({ type: 'track', event: 'X', userId: 'user-2', timestamp: T }), TRACK), 'sha1-ce791c4705bb3e72ccca8853-4b26c3ce')
    // The same content under a subscription with another salt: same base, other suffix.
    const both = mapMessage(build(), [presets[TRACK], presets[PAGE]], [0, 1]).records.map((r) => r.record.record.insert_id)
    assert.deepEqual(both, ['sha1-6b90e21f22364d3a713faf0a-4b26c3ce', 'sha1-6b90e21f22364d3a713faf0a-b6d19bbb'])
  })

  it("a mapping Segment would reject is an invalid entry with Segment's reason; the other subscriptions still map", () => {
    const noEvent = msg({ type: 'track', messageId: 'm-7', userId: 'user-1', timestamp: T })
    assert.deepEqual(mapMessage(noEvent, presets, [TRACK]), {
      invalid: [{ sub: TRACK, reason: "The root value is missing the required field 'event_type'." }],
      records: [],
      fallbacks: 1,
    })
    const noGroup = msg({ type: 'group', messageId: 'm-8', userId: 'user-1', timestamp: T })
    assert.deepEqual(mapMessage(noGroup, groupsAndAliases, [0]), {
      invalid: [{ sub: 0, reason: "The root value is missing the required field 'group_value'." }],
      records: [],
      fallbacks: 1,
    })
    // Two subscriptions on one message: the first rejects it, the second maps it.
    const mixed = mapMessage(noEvent, presets, [TRACK, IDENTIFY])
    assert.deepEqual(mixed.invalid, [{ sub: TRACK, reason: "The root value is missing the required field 'event_type'." }])
    assert.deepEqual(
      mixed.records.map((r) => [r.sub, r.record.endpoint, r.record.record.insert_id]),
      [[IDENTIFY, 'identify', 'm-7-7878f0fe']],
    )
  })

  it('leaves the message as it was', () => {
    const m = msg({
      type: 'track',
      event: 'Order Completed',
      messageId: 'm-2',
      userId: 'user-1',
      timestamp: T,
      properties: { revenue: 10, products: [{ product_id: 'p1', price: 5 }] },
    })
    const copy = structuredClone(m)
    mapMessage(m, presets, [ORDER, TRACK])
    assert.deepEqual(m, copy)
  })
})

describe('map: orderingKey', () => {
  const rec = (endpoint: AmplitudeRecord['endpoint'], record: Record<string, unknown>): AmplitudeRecord => ({ endpoint, record })

  it('events and identifies key on device_id, else user_id', () => {
    assert.equal(orderingKey(rec('httpapi', { device_id: 'anon-1', user_id: 'user-1' })), 'd:anon-1')
    assert.equal(orderingKey(rec('identify', { device_id: 'anon-1' })), 'd:anon-1')
    assert.equal(orderingKey(rec('httpapi', { user_id: 'user-1' })), 'u:user-1')
    assert.equal(orderingKey(rec('batch', { device_id: '', user_id: 'user-1' })), 'u:user-1')
    assert.equal(orderingKey(rec('identify', { user_id: 'user-1' })), 'u:user-1')
    // A user and a device of the same name are different keys.
    assert.notEqual(orderingKey(rec('httpapi', { device_id: 'x' })), orderingKey(rec('httpapi', { user_id: 'x' })))
  })

  it('a group identification keys on the group; a user map on the user', () => {
    assert.equal(orderingKey(rec('groupidentify', { group_type: '[Segment] Group', group_value: 'g-1', group_properties: {} })), 'g:[Segment] Group:g-1')
    assert.equal(orderingKey(rec('usermap', { user_id: 'user-1', global_user_id: 'user-2' })), 'u:user-1')
    assert.equal(orderingKey(rec('usermap', { global_user_id: 'user-2' })), 'u:user-2')
  })

  it('the keys of records mapped by the presets and actions', async () => {
    const loaded = await loadMappings()
    const subs = compileSubscriptions(selectOnlyActions(loaded, ['groupIdentifyUser', 'mapUser']).loaded)
    const keys = (m: Record<string, unknown>, sub: number) => mapMessage(msg({ messageId: 'm', timestamp: T, ...m }), subs, [sub]).records.map((r) => orderingKey(r.record))
    assert.deepEqual(keys({ type: 'group', groupId: 'g-1', userId: 'user-1', anonymousId: 'anon-1' }, 0), ['d:anon-1', 'g:[Segment] Group:g-1'])
    assert.deepEqual(keys({ type: 'alias', previousId: 'user-1', userId: 'user-2' }, 1), ['u:user-1'])
  })
})
