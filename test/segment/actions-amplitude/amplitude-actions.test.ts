/**
 * Golden tests for segamp's Actions Amplitude actions (docs/actions-amplitude.md part D and the
 * observed payloads of part A). Mappings are resolved with the reference mapping-kit
 * (`transform` from @segment/actions-core); everything after that is segamp's.
 */
import { strict as assert } from 'node:assert'
import dayjs from 'dayjs'
import utc from 'dayjs/plugin/utc.js'
import fc from 'fast-check'
import { createRequire } from 'node:module'
import type { AmplitudeRecord } from '../../../src/types.js'
import {
  ACTIONS,
  ACTION_SLUGS,
  AMPLITUDE_ENDPOINTS,
  DEFAULT_SUBSCRIPTIONS,
  PRESETS,
  SESSION_PRESET_NOTE,
  actionJsonSchema,
  compileAction,
  defaultValues,
  endpointUrl,
  removeEmptyValues,
  type ActionSlug,
  type RunOptions,
} from '../../../src/segment/actions-amplitude/index.js'
import {
  addUserAgentProperties,
  compact,
  convertReferrerProperty,
  convertUTMProperties,
  formatSessionId,
  mergeUserProperties,
  utcMillis,
} from '../../../src/segment/actions-amplitude/helpers.js'

const require = createRequire(import.meta.url)
/* eslint-disable @typescript-eslint/no-explicit-any */
const core = require('@segment/actions-core') as any

type Obj = Record<string, any>

const timestamp = '2021-08-17T15:21:15.449Z'
const TIME = 1629213675449
const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13B143 Safari/601.1'
const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.143 Safari/537.36'

/** The fixture event of Segment's tests (createTestEvent) with a fixed timestamp. */
function testEvent(overrides: Obj = {}): Obj {
  return core.createTestEvent({ timestamp, ...overrides })
}

/** testAction(..., { useDefaultMappings: true }) equivalent: defaults shallow-merged with overrides. */
function run(slug: ActionSlug, event: Obj, mapping: Obj = {}, opts?: RunOptions, useDefaults = true) {
  const m = useDefaults ? { ...defaultValues(slug), ...mapping } : mapping
  return compileAction(slug).run(core.transform(m, event), opts)
}

function records(slug: ActionSlug, event: Obj, mapping: Obj = {}, opts?: RunOptions, useDefaults = true): AmplitudeRecord[] {
  const r = run(slug, event, mapping, opts, useDefaults)
  if (!r.ok) assert.fail(`unexpected validation error: ${r.reason}`)
  return r.records
}

/** Exact comparison, including JSON key order. */
function assertRecords(actual: AmplitudeRecord[], expected: AmplitudeRecord[]) {
  assert.deepStrictEqual(actual, expected)
  assert.equal(JSON.stringify(actual), JSON.stringify(expected))
}

const IPHONE_PARSED = { os_name: 'iOS', os_version: '9', device_manufacturer: 'Apple', device_model: 'iPhone', device_type: 'mobile' }
const FIXTURE_LOCATION = { country: 'United States', city: 'San Francisco', language: 'en-US', location_lat: 40.2964197, location_lng: -76.9411617, ip: '8.8.8.8' }

/** The default-mapping event of the fixture (docs/actions-amplitude.md A.10). */
function fixtureEvent(extra: Obj = {}): Obj {
  return {
    ...IPHONE_PARSED,
    user_id: 'user1234',
    device_id: 'anonId1234',
    event_type: 'Test Event',
    event_properties: {},
    user_properties: {},
    ...FIXTURE_LOCATION,
    use_batch_endpoint: false,
    platform: 'Web',
    time: TIME,
    library: 'analytics.js',
    ...extra,
  }
}

const CAMPAIGN = { name: 'TPS Innovation Newsletter', source: 'Newsletter', medium: 'email', term: 'tps reports', content: 'image link' }

for (const slug of ['logEvent', 'logPurchase', 'logEventV2'] as const) {
  describe(`amplitude ${slug}: shared event behaviour`, () => {
    it('works with default mappings', () => {
      assertRecords(records(slug, testEvent()), [{ endpoint: 'httpapi', record: fixtureEvent() }])
    })

    it('library2.behavior use_mapping with a custom library value, and a custom platform', () => {
      const r = records(slug, testEvent(), {
        library2: { behavior: 'use_mapping', mapping: 'custom-library-name' },
        platform: 'custom-device-type',
      })
      assertRecords(r, [
        {
          endpoint: 'httpapi',
          record: {
            ...IPHONE_PARSED,
            user_id: 'user1234',
            device_id: 'anonId1234',
            event_type: 'Test Event',
            event_properties: {},
            user_properties: {},
            platform: 'custom-device-type',
            ...FIXTURE_LOCATION,
            use_batch_endpoint: false,
            time: TIME,
            library: 'custom-library-name',
          },
        },
      ])
    })

    it('library2 {} / behavior auto → library "segment"; missing library name → key omitted', () => {
      assert.equal(records(slug, testEvent(), { library2: {} })[0]!.record.library, 'segment')
      assert.equal(records(slug, testEvent(), { library2: { behavior: 'auto', mapping: 'x' } })[0]!.record.library, 'segment')
      const noLib = records(slug, testEvent({ context: { device: { id: 'd1' } } }))[0]!.record
      assert.equal('library' in noLib, false)
    })

    for (const [type, expected] of [
      ['ios', 'iOS'],
      ['android', 'Android'],
      ['ANDROID-ios', 'Android-iOS'],
      ['custom-device-type', 'custom-device-type'],
    ] as const) {
      it(`changes casing of device type ${type} → ${expected}`, () => {
        const r = records(slug, testEvent({ context: { device: { id: 'foo', type } } }))
        assertRecords(r, [
          {
            endpoint: 'httpapi',
            record: {
              user_id: 'user1234',
              device_id: 'foo',
              event_type: 'Test Event',
              event_properties: {},
              user_properties: {},
              platform: expected,
              idfv: 'foo',
              use_batch_endpoint: false,
              time: TIME,
            },
          },
        ])
      })
    }

    it('keeps a platform given by the customer even with analytics.js', () => {
      const r = records(slug, testEvent(), { platform: 'Some_Custom_Platform_Value' })
      assert.equal(r[0]!.record.platform, 'Some_Custom_Platform_Value')
    })

    it('sets platform "Web" when library is analytics.js and platform is null', () => {
      const ctx = { ...testEvent().context, device: { type: null } }
      assert.equal(records(slug, testEvent({ context: ctx }))[0]!.record.platform, 'Web')
      assert.equal(records(slug, testEvent(), { platform: null })[0]!.record.platform, 'Web')
    })

    it('accepts null for user_id', () => {
      const r = records(slug, testEvent({ userId: null, event: 'Null User' }))
      assertRecords(r, [{ endpoint: 'httpapi', record: fixtureEvent({ user_id: null, event_type: 'Null User' }) }])
    })

    it('does not inject user properties when utm / referrer are absent', () => {
      const r = records(slug, testEvent({ traits: { 'some-trait-key': 'some-trait-value' }, context: { 'some-context': 'yep' } }))
      assertRecords(r, [
        {
          endpoint: 'httpapi',
          record: {
            user_id: 'user1234',
            device_id: 'anonId1234',
            event_type: 'Test Event',
            event_properties: {},
            user_properties: { 'some-trait-key': 'some-trait-value' },
            use_batch_endpoint: false,
            time: TIME,
          },
        },
      ])
    })

    it('parses the user agent (os_version = browser major), no platform without library', () => {
      const r = records(slug, testEvent({ context: { userAgent: MAC_UA } }))
      assertRecords(r, [
        {
          endpoint: 'httpapi',
          record: {
            os_name: 'Mac OS',
            os_version: '53',
            device_model: 'Mac OS',
            user_id: 'user1234',
            device_id: 'anonId1234',
            event_type: 'Test Event',
            event_properties: {},
            user_properties: {},
            use_batch_endpoint: false,
            time: TIME,
          },
        },
      ])
    })

    it('does not send parsed user agent properties when userAgentParsing is false; includeRawUserAgent adds user_agent', () => {
      const event = testEvent({ timestamp: '2021-04-12T16:32:37.710Z', context: { device: { id: 'foo' }, userAgent: MAC_UA } })
      assertRecords(records(slug, event, { userAgentParsing: false, library2: {} }), [
        {
          endpoint: 'httpapi',
          record: {
            user_id: 'user1234',
            device_id: 'foo',
            event_type: 'Test Event',
            event_properties: {},
            user_properties: {},
            idfv: 'foo',
            use_batch_endpoint: false,
            time: 1618245157710,
            library: 'segment',
          },
        },
      ])
      const raw = records(slug, event, { userAgentParsing: false, includeRawUserAgent: true })[0]!.record
      assert.equal(Object.keys(raw)[0], 'user_agent')
      assert.equal(raw.user_agent, MAC_UA)
    })

    it('gives precedence to mapped OS properties over user agent properties', () => {
      const r = records(slug, testEvent({ context: { userAgent: MAC_UA, os: { name: 'iPhone OS', version: '8.1.3' } } }))
      const rec = r[0]!.record
      assert.equal(rec.os_name, 'iPhone OS')
      assert.equal(rec.os_version, '8.1.3')
      assert.equal(rec.device_model, 'Mac OS')
      assert.deepEqual(Object.keys(rec).slice(0, 3), ['os_name', 'os_version', 'device_model'])
      assert.equal('device_manufacturer' in rec, false)
    })

    for (const sid of ['1234567890', 1234567890]) {
      it(`supports session_id from integrations.Actions Amplitude.session_id (${typeof sid})`, () => {
        const event = testEvent({
          anonymousId: 'julio',
          context: { library: { name: 'analytics.js' } },
          integrations: { 'Actions Amplitude': { session_id: sid } },
        })
        assertRecords(records(slug, event), [
          {
            endpoint: 'httpapi',
            record: {
              user_id: 'user1234',
              device_id: 'julio',
              event_type: 'Test Event',
              event_properties: {},
              user_properties: {},
              use_batch_endpoint: false,
              platform: 'Web',
              time: TIME,
              session_id: 1234567890,
              library: 'analytics.js',
            },
          },
        ])
      })
    }

    it('converts an ISO session_id to epoch ms and drops session_id 0', () => {
      const iso = records(slug, testEvent({ integrations: { 'Actions Amplitude': { session_id: '2000-10-31T01:30:00.000-05:00' } } }))
      assert.equal(iso[0]!.record.session_id, 972973800000)
      const zero = records(slug, testEvent({ integrations: { 'Actions Amplitude': { session_id: 0 } } }))
      assert.equal('session_id' in zero[0]!.record, false)
    })

    it('time: numbers are ms as-is, offset strings honoured, all-digit strings mangled like dayjs', () => {
      assert.equal(records(slug, testEvent({ timestamp: 1629213675 }))[0]!.record.time, 1629213675)
      assert.equal(records(slug, testEvent({ timestamp: '2021-08-17T17:21:15.449+02:00' }))[0]!.record.time, TIME)
      assert.equal(records(slug, testEvent({ timestamp: '2021-08-17 10:00' }))[0]!.record.time, 1629194400000)
      assert.equal(records(slug, testEvent({ timestamp: '1629213675449' }))[0]!.record.time, -10705032951000)
    })

    it('uses the batch endpoint when use_batch_endpoint is true (EU region only changes the URL)', () => {
      const r = compileAction(slug, { apiKey: '', secretKey: '', endpoint: 'europe' }).run(core.transform({ ...defaultValues(slug), use_batch_endpoint: true }, testEvent()))
      assert.ok(r.ok)
      assertRecords(r.records, [{ endpoint: 'batch', record: fixtureEvent({ use_batch_endpoint: true }) }])
      assert.equal(endpointUrl('batch', 'europe'), 'https://api.eu.amplitude.com/batch')
      assert.equal(endpointUrl('httpapi', 'europe'), 'https://api.eu.amplitude.com/2/httpapi')
    })

    it('min_id_length > 0 becomes request options; 0 and null are dropped', () => {
      assertRecords(records(slug, testEvent(), { min_id_length: 3 }), [{ endpoint: 'httpapi', record: fixtureEvent(), options: { min_id_length: 3 } }])
      assertRecords(records(slug, testEvent(), { min_id_length: 0 }), [{ endpoint: 'httpapi', record: fixtureEvent() }])
      assertRecords(records(slug, testEvent(), { min_id_length: null }), [{ endpoint: 'httpapi', record: fixtureEvent() }])
    })

    it('passes through groups, insert_id, event_id (coerced), dma, android_id, idfa/adid', () => {
      const r = records(slug, testEvent({ context: { device: { advertisingId: 'ad-1' } } }), {
        groups: { company: ['a', 'b'] },
        insert_id: 'ins-1',
        event_id: '7',
        dma: 'SF',
        android_id: 'and-1',
      })
      const rec = r[0]!.record
      assert.deepEqual(rec.groups, { company: ['a', 'b'] })
      assert.equal(rec.insert_id, 'ins-1')
      assert.equal(rec.event_id, 7)
      assert.equal(rec.dma, 'SF')
      assert.equal(rec.android_id, 'and-1')
      assert.equal(rec.idfa, 'ad-1')
      assert.equal(rec.adid, 'ad-1')
    })

    it('drops unknown mapping keys and coerces scalar types (user_id 12345 → "12345")', () => {
      const r = records(slug, testEvent({ userId: 12345 }), { unknown_field: 'x' })
      assert.equal(r[0]!.record.user_id, '12345')
      assert.equal('unknown_field' in r[0]!.record, false)
    })

    it('defaultInsertId is used only when the mapping resolves no insert_id', () => {
      assert.equal(records(slug, testEvent(), {}, { defaultInsertId: 'seg-1' })[0]!.record.insert_id, 'seg-1')
      assert.equal(records(slug, testEvent(), { insert_id: 'mine' }, { defaultInsertId: 'seg-1' })[0]!.record.insert_id, 'mine')
      assert.equal(records(slug, testEvent(), { insert_id: '' }, { defaultInsertId: 'seg-1' })[0]!.record.insert_id, 'seg-1')
    })

    it('validation errors use Segment texts', () => {
      assert.deepEqual(run(slug, testEvent({ event: undefined })), {
        ok: false,
        reason: "The root value is missing the required field 'event_type'.",
      })
      assert.deepEqual(run(slug, testEvent({ properties: { quantity: 2.6 } })), {
        ok: false,
        reason: 'Quantity must be an integer but it was a number.',
      })
      assert.deepEqual(run(slug, testEvent({ timestamp: 'garbage' })), {
        ok: false,
        reason: 'Timestamp must be a valid date-like string but it was not.',
      })
      assert.deepEqual(run(slug, testEvent({ integrations: { 'Actions Amplitude': { session_id: 'x' } } })), {
        ok: false,
        reason: 'Session ID must be a valid date-like string but it was not.',
      })
      assert.deepEqual(run(slug, testEvent(), { library2: { behavior: 'nope' } }), {
        ok: false,
        reason: 'Behavior must be one of: "auto" or "use_mapping".',
      })
      assert.deepEqual(run(slug, testEvent({ properties: 'str' })), {
        ok: false,
        reason: 'Event Properties must be an object but it was a string.',
      })
    })
  })
}

describe('amplitude logEvent', () => {
  it('sends one event, no revenue keys, products passed through', () => {
    const properties = { revenue: 1999, products: [{ quantity: 1, productId: 'Bowflex Treadmill 10', price: 1999 }] }
    const r = records('logEvent', testEvent({ event: 'Order Completed', properties }), { library2: {} })
    assertRecords(r, [
      {
        endpoint: 'httpapi',
        record: {
          ...IPHONE_PARSED,
          user_id: 'user1234',
          device_id: 'anonId1234',
          event_type: 'Order Completed',
          event_properties: properties,
          user_properties: {},
          ...FIXTURE_LOCATION,
          products: [{ price: 1999, quantity: 1, productId: 'Bowflex Treadmill 10' }],
          use_batch_endpoint: false,
          platform: 'Web',
          time: TIME,
          library: 'segment',
        },
      },
    ])
  })

  it('alternate revenue names at the root level are not sent by logEvent', () => {
    const r = records('logEvent', testEvent({ properties: { bitcoin_rev: 9999 } }), { revenue: { '@path': '$.properties.bitcoin_rev' } })
    assert.equal('revenue' in r[0]!.record, false)
  })

  it('merges referrer and utm properties: $set/$setOnce first (utm then referrer), traits win', () => {
    const event = testEvent({
      traits: { 'some-trait-key': 'some-trait-value', $set: { utm_source: 'trait-wins' }, referrer: 'dropped' },
      context: { page: { referrer: 'some-referrer' }, campaign: CAMPAIGN },
    })
    const r = records('logEvent', event)
    assert.equal(
      JSON.stringify(r[0]!.record.user_properties),
      JSON.stringify({
        $set: {
          utm_source: 'trait-wins',
          utm_medium: 'email',
          utm_campaign: 'TPS Innovation Newsletter',
          utm_term: 'tps reports',
          utm_content: 'image link',
          referrer: 'some-referrer',
        },
        $setOnce: {
          initial_utm_source: 'Newsletter',
          initial_utm_medium: 'email',
          initial_utm_campaign: 'TPS Innovation Newsletter',
          initial_utm_term: 'tps reports',
          initial_utm_content: 'image link',
          initial_referrer: 'some-referrer',
        },
        'some-trait-key': 'some-trait-value',
      }),
    )
  })

  it('A.8 observed payload (partial utm, referrer, min_id_length 3, no context)', () => {
    const event = { type: 'track', userId: 'user1234', anonymousId: 'anonId1234', event: 'Test Event', timestamp, properties: {}, traits: { a: 1 } }
    const r = records('logEvent', event, {
      utm_properties: { utm_source: 's', utm_campaign: 'n' },
      referrer: 'ref',
      min_id_length: 3,
    })
    assertRecords(r, [
      {
        endpoint: 'httpapi',
        record: {
          user_id: 'user1234',
          device_id: 'anonId1234',
          event_type: 'Test Event',
          event_properties: {},
          user_properties: {
            $set: { utm_source: 's', utm_campaign: 'n', referrer: 'ref' },
            $setOnce: { initial_utm_source: 's', initial_utm_campaign: 'n', initial_referrer: 'ref' },
            a: 1,
          },
          use_batch_endpoint: false,
          time: TIME,
        },
        options: { min_id_length: 3 },
      },
    ])
  })

  it('empty-string utm values are sent; an empty referrer alone never triggers the merge', () => {
    const withEmpty = records('logEvent', testEvent({ context: { campaign: { source: '' } } }))
    assert.deepEqual(withEmpty[0]!.record.user_properties, { $set: { utm_source: '' }, $setOnce: { initial_utm_source: '' } })
    const emptyRef = records('logEvent', testEvent({ context: { page: { referrer: '' } } }))
    assert.deepEqual(emptyRef[0]!.record.user_properties, {})
  })
})

describe('amplitude logPurchase', () => {
  const orderEvent = (products: unknown[], extra: Obj = {}) => testEvent({ event: 'Order Completed', properties: { revenue: 1999, products, ...extra } })

  it('default mappings: main event with total revenue plus one Product Purchased event per product', () => {
    const properties = { revenue: 1999, products: [{ quantity: 1, productId: 'Bowflex Treadmill 10', price: 1999 }] }
    const r = records('logPurchase', testEvent({ event: 'Order Completed', properties }), { library2: {} })
    const base = {
      user_id: 'user1234',
      device_id: 'anonId1234',
      event_type: 'Order Completed',
      event_properties: properties,
      user_properties: {},
      ...FIXTURE_LOCATION,
      use_batch_endpoint: false,
      platform: 'Web',
      time: TIME,
    }
    assertRecords(r, [
      {
        endpoint: 'httpapi',
        record: { ...IPHONE_PARSED, ...base, revenue: 1999, revenueType: 'Purchase', library: 'segment' },
      },
      {
        endpoint: 'httpapi',
        record: {
          ...base,
          event_type: 'Product Purchased',
          event_properties: { price: 1999, quantity: 1, productId: 'Bowflex Treadmill 10' },
          library: 'segment',
        },
      },
    ])
  })

  it('alternate revenue names at the root level', () => {
    const r = records('logPurchase', testEvent({ properties: { bitcoin_rev: 9999 } }), { revenue: { '@path': '$.properties.bitcoin_rev' } })
    assert.equal(r[0]!.record.revenue, 9999)
    assert.equal(r[0]!.record.revenueType, 'Purchase')
  })

  it('per product revenue tracking: revenue on product events, none on the main event', () => {
    const r = records('logPurchase', orderEvent([{ quantity: 1, productId: 'Bowflex Treadmill 10', revenue: 500 }]), {
      trackRevenuePerProduct: true,
    })
    assert.equal(r.length, 2)
    assert.equal('revenue' in r[0]!.record, false)
    assert.equal(r[1]!.record.revenue, 500)
    assert.equal(r[1]!.record.quantity, 1)
  })

  it('price × quantity overrides revenue; products without revenue still produce events', () => {
    const r = records('logPurchase', orderEvent([{ quantity: 2, price: 1999, revenue: 4000 }, { revenue: 1999 }, { productId: 'noRev' }, { quantity: 2 }]), {
      trackRevenuePerProduct: true,
    })
    assert.equal(r.length, 5)
    assert.deepEqual(
      r.slice(1).map((x) => [x.record.revenue, x.record.price, x.record.quantity]),
      [
        [3998, 1999, 2],
        [1999, undefined, undefined],
        [undefined, undefined, undefined],
        [undefined, undefined, undefined],
      ],
    )
  })

  it('A.9 observed: per-product revenue, insert_id suffixes from -2, product events without UA keys', () => {
    const event = testEvent({
      event: 'Order Completed',
      properties: { products: [{ price: 5, quantity: 2, productId: 'p1', extra: 'x' }, { revenue: 3 }, { productId: 'noRev' }] },
    })
    const r = records('logPurchase', event, { trackRevenuePerProduct: true, insert_id: 'ins' })
    assertRecords(r, [
      {
        endpoint: 'httpapi',
        record: {
          ...IPHONE_PARSED,
          user_id: 'user1234',
          device_id: 'anonId1234',
          event_type: 'Order Completed',
          event_properties: event.properties,
          user_properties: {},
          ...FIXTURE_LOCATION,
          use_batch_endpoint: false,
          insert_id: 'ins',
          platform: 'Web',
          time: TIME,
          library: 'analytics.js',
        },
      },
      {
        endpoint: 'httpapi',
        record: {
          user_id: 'user1234',
          device_id: 'anonId1234',
          event_type: 'Product Purchased',
          event_properties: { price: 5, quantity: 2, productId: 'p1' },
          user_properties: {},
          ...FIXTURE_LOCATION,
          use_batch_endpoint: false,
          insert_id: 'ins-2',
          platform: 'Web',
          time: TIME,
          revenue: 10,
          revenueType: 'Purchase',
          quantity: 2,
          price: 5,
          productId: 'p1',
          library: 'analytics.js',
        },
      },
      {
        endpoint: 'httpapi',
        record: {
          user_id: 'user1234',
          device_id: 'anonId1234',
          event_type: 'Product Purchased',
          event_properties: { revenue: 3 },
          user_properties: {},
          ...FIXTURE_LOCATION,
          use_batch_endpoint: false,
          insert_id: 'ins-3',
          platform: 'Web',
          time: TIME,
          revenue: 3,
          revenueType: 'Purchase',
          library: 'analytics.js',
        },
      },
      {
        endpoint: 'httpapi',
        record: {
          user_id: 'user1234',
          device_id: 'anonId1234',
          event_type: 'Product Purchased',
          event_properties: { productId: 'noRev' },
          user_properties: {},
          ...FIXTURE_LOCATION,
          use_batch_endpoint: false,
          insert_id: 'ins-4',
          platform: 'Web',
          time: TIME,
          library: 'analytics.js',
        },
      },
    ])
  })

  it('defaultInsertId gets the same suffix scheme as a mapped insert_id', () => {
    const event = orderEvent([{ price: 1 }, { price: 2 }])
    const viaDefault = records('logPurchase', event, {}, { defaultInsertId: 'seg' })
    const viaMapping = records('logPurchase', event, { insert_id: 'seg' })
    assert.deepEqual(
      viaDefault.map((x) => x.record.insert_id),
      ['seg', 'seg-2', 'seg-3'],
    )
    assert.deepEqual(viaDefault, viaMapping)
  })

  it('root strings are coerced; price × quantity overrides revenue on the main event', () => {
    const event = testEvent({
      event: 'Order Completed',
      properties: { price: '5', quantity: '3', revenue: 100, revenueType: 'Refund', productId: 'sku', products: [{ productId: 'a' }] },
    })
    const r = records('logPurchase', event)
    const main = r[0]!.record
    assert.deepEqual(Object.keys(main).slice(-7), ['platform', 'time', 'revenue', 'revenueType', 'quantity', 'price', 'productId'].concat(['library']).slice(-7))
    assert.equal(main.revenue, 15)
    assert.equal(main.revenueType, 'Refund')
    assert.equal(main.quantity, 3)
    assert.equal(main.price, 5)
    assert.equal(main.productId, 'sku')
    assert.equal('revenue' in r[1]!.record, false)
  })

  it('revenue 0 sends no revenue keys; [] products with per-product tracking keeps root revenue', () => {
    assert.equal('revenue' in records('logPurchase', testEvent({ properties: { revenue: 0 } }))[0]!.record, false)
    const r = records('logPurchase', orderEvent([]), { trackRevenuePerProduct: true })
    assert.equal(r.length, 1)
    assert.equal(r[0]!.record.revenue, 1999)
  })

  it('a single product object is arrified; null products are dropped', () => {
    const single = records('logPurchase', testEvent({ properties: { products: { revenue: 3 } } }), { trackRevenuePerProduct: true })
    assert.equal(single.length, 2)
    assert.equal(single[1]!.record.revenue, 3)
    // default @arrayPath shape turns a null product into all-null keys, which AJV coerces (quirk)
    const withNull = records('logPurchase', orderEvent([null, { price: 1 }]))
    assert.deepEqual(
      withNull.slice(1).map((x) => x.record.event_properties),
      [{ price: 0, revenue: 0, quantity: 0, productId: '', revenueType: '' }, { price: 1 }],
    )
    // a plain @path mapping keeps null entries, which removeEmptyValues drops
    const viaPath = records('logPurchase', orderEvent([null, { price: 1 }]), { products: { '@path': '$.properties.products' } })
    assert.equal(viaPath.length, 2)
  })

  it('product validation errors (Segment keeps uncleaned items: "" price fails)', () => {
    assert.deepEqual(run('logPurchase', orderEvent([{ price: '' }])), { ok: false, reason: 'Price must be a number but it was a string.' })
    assert.deepEqual(run('logPurchase', orderEvent([{ quantity: 1.5 }])), {
      ok: false,
      reason: 'Quantity must be an integer but it was a number.',
    })
    // 1e999 in an archive line parses as Infinity: the reason says what is wrong with it.
    assert.deepEqual(run('logPurchase', orderEvent([{ price: JSON.parse('1e999') as number }])), {
      ok: false,
      reason: 'Price must be a number but it was Infinity, not a finite number.',
    })
  })

  it('merges utm/referrer into every event', () => {
    const r = records('logPurchase', orderEvent([{ price: 1 }], {}), {})
    const withUtm = records('logPurchase', testEvent({ event: 'Order Completed', properties: { products: [{ price: 1 }] }, context: { campaign: { source: 's' } } }))
    assert.deepEqual(r[1]!.record.user_properties, {})
    for (const x of withUtm) assert.deepEqual(x.record.user_properties, { $set: { utm_source: 's' }, $setOnce: { initial_utm_source: 's' } })
  })
})

describe('amplitude logEventV2', () => {
  it('A.10 mobile: iOS casing, idfv, batch, library from mapping', () => {
    const event = {
      type: 'track',
      userId: 'u',
      event: 'E',
      timestamp,
      properties: {},
      traits: {},
      context: { library: { name: 'analytics-ios' }, device: { id: 'dev', type: 'ios' }, os: { name: 'iOS', version: '17' } },
    }
    assertRecords(records('logEventV2', event, { use_batch_endpoint: true }), [
      {
        endpoint: 'batch',
        record: {
          user_id: 'u',
          device_id: 'dev',
          event_type: 'E',
          event_properties: {},
          user_properties: {},
          platform: 'iOS',
          os_name: 'iOS',
          os_version: '17',
          idfv: 'dev',
          use_batch_endpoint: true,
          time: TIME,
          library: 'analytics-ios',
        },
      },
    ])
  })

  it('default setOnce / setAlways mappings: $setOnce then $set after the trait keys', () => {
    const event = testEvent({ traits: { a: 1 }, context: { page: { referrer: 'ref' }, campaign: { source: 's', medium: 'm', name: 'n', term: 't', content: 'c' } } })
    const r = records('logEventV2', event, { add: { logins: 1 } })
    assert.equal(
      JSON.stringify(r[0]!.record.user_properties),
      JSON.stringify({
        a: 1,
        $setOnce: {
          initial_referrer: 'ref',
          initial_utm_source: 's',
          initial_utm_medium: 'm',
          initial_utm_campaign: 'n',
          initial_utm_term: 't',
          initial_utm_content: 'c',
        },
        $set: { referrer: 'ref', utm_source: 's', utm_medium: 'm', utm_campaign: 'n', utm_term: 't', utm_content: 'c' },
        $add: { logins: 1 },
      }),
    )
  })

  it('works when setOnce, setAlways and add are empty', () => {
    const event = testEvent({ traits: { a: 1 }, context: { page: { referrer: 'ref' } } })
    const r = records('logEventV2', event, { setOnce: {}, setAlways: {}, add: {} })
    assert.deepEqual(r[0]!.record.user_properties, { a: 1 })
  })

  it('replaces (does not merge) a trait $set; attaches objects with "" values as-is (compact quirk)', () => {
    const event = testEvent({ traits: { $set: { keep: 'no' } }, context: { campaign: { source: 'g' }, page: { referrer: '' } } })
    const r = records('logEventV2', event)
    // the empty referrer survives inside setOnce/setAlways (nested '' of a string property is kept)
    assert.deepEqual(r[0]!.record.user_properties, {
      $setOnce: { initial_referrer: '', initial_utm_source: 'g' },
      $set: { referrer: '', utm_source: 'g' },
    })
    const withEmpty = records('logEventV2', event, { setOnce: { initial_referrer: '', initial_utm_source: 'g' } })
    assert.deepEqual((withEmpty[0]!.record.user_properties as Obj).$setOnce, { initial_referrer: '', initial_utm_source: 'g' })
    const onlyEmpty = records('logEventV2', testEvent(), { setOnce: { initial_referrer: '' }, setAlways: {} })
    assert.deepEqual(onlyEmpty[0]!.record.user_properties, {})
  })

  it('Page / Screen presets name events "Viewed {{name}}" (missing name → "Viewed ")', () => {
    const page = PRESETS.find((p) => p.name === 'Page Calls')!
    const named = compileAction('logEventV2').run(core.transform(page.mapping, testEvent({ type: 'page', name: 'Home' })))
    assert.ok(named.ok)
    assert.equal(named.records[0]!.record.event_type, 'Viewed Home')
    const unnamed = compileAction('logEventV2').run(core.transform(page.mapping, testEvent({ type: 'page' })))
    assert.ok(unnamed.ok)
    assert.equal(unnamed.records[0]!.record.event_type, 'Viewed ')
  })
})

describe('amplitude identifyUser', () => {
  const identifyEvent = (extra: Obj = {}) =>
    testEvent({
      anonymousId: 'some-anonymous-id',
      timestamp: '2021-04-12T16:32:37.710Z',
      type: 'identify',
      userId: 'some-user-id',
      traits: { 'some-trait-key': 'some-trait-value' },
      ...extra,
    })

  it('A.11 observed: default mappings', () => {
    const r = records('identifyUser', testEvent({ type: 'identify', traits: { name: 'x' } }))
    assertRecords(r, [
      {
        endpoint: 'identify',
        record: {
          ...IPHONE_PARSED,
          user_id: 'user1234',
          device_id: 'anonId1234',
          user_properties: { name: 'x' },
          country: 'United States',
          city: 'San Francisco',
          language: 'en-US',
          platform: 'Web',
          library: 'segment',
        },
      },
    ])
  })

  it('supports referrer and utm: traits first, then $set (utm, referrer) and $setOnce; utm/referrer win', () => {
    const r = records(
      'identifyUser',
      identifyEvent({
        traits: { 'some-trait-key': 'some-trait-value', $set: { utm_source: 'loses', other: 1 } },
        context: { page: { referrer: 'some-referrer' }, campaign: CAMPAIGN },
      }),
    )
    assertRecords(r, [
      {
        endpoint: 'identify',
        record: {
          user_id: 'some-user-id',
          device_id: 'some-anonymous-id',
          user_properties: {
            'some-trait-key': 'some-trait-value',
            $set: {
              utm_source: 'Newsletter',
              other: 1,
              utm_medium: 'email',
              utm_campaign: 'TPS Innovation Newsletter',
              utm_term: 'tps reports',
              utm_content: 'image link',
              referrer: 'some-referrer',
            },
            $setOnce: {
              initial_utm_source: 'Newsletter',
              initial_utm_medium: 'email',
              initial_utm_campaign: 'TPS Innovation Newsletter',
              initial_utm_term: 'tps reports',
              initial_utm_content: 'image link',
              initial_referrer: 'some-referrer',
            },
          },
          library: 'segment',
        },
      },
    ])
  })

  it('does not append $ keys when referrer/utm are absent; no user_properties key without traits', () => {
    const r = records('identifyUser', identifyEvent({ context: { library: { name: 'analytics-node' } } }))
    assertRecords(r, [
      {
        endpoint: 'identify',
        record: {
          user_id: 'some-user-id',
          device_id: 'some-anonymous-id',
          user_properties: { 'some-trait-key': 'some-trait-value' },
          library: 'segment',
        },
      },
    ])
    const none = records('identifyUser', identifyEvent({ traits: undefined, context: {} }))
    assert.equal('user_properties' in none[0]!.record, false)
  })

  it('parses the user agent when enabled, not when disabled; includeRawUserAgent', () => {
    const event = identifyEvent({ context: { device: { id: 'foo' }, userAgent: MAC_UA } })
    assertRecords(records('identifyUser', event), [
      {
        endpoint: 'identify',
        record: {
          os_name: 'Mac OS',
          os_version: '53',
          device_model: 'Mac OS',
          user_id: 'some-user-id',
          device_id: 'foo',
          user_properties: { 'some-trait-key': 'some-trait-value' },
          library: 'segment',
        },
      },
    ])
    assertRecords(records('identifyUser', event, { userAgentParsing: false, includeRawUserAgent: true }), [
      {
        endpoint: 'identify',
        record: {
          user_agent: MAC_UA,
          user_id: 'some-user-id',
          device_id: 'foo',
          user_properties: { 'some-trait-key': 'some-trait-value' },
          library: 'segment',
        },
      },
    ])
  })

  for (const [type, expected] of [
    ['android', 'Android'],
    ['ios', 'iOS'],
  ] as const) {
    it(`changes casing for device type ${type}`, () => {
      const r = records('identifyUser', identifyEvent({ context: { device: { id: 'foo', type } } }))
      assertRecords(r, [
        {
          endpoint: 'identify',
          record: {
            user_id: 'some-user-id',
            device_id: 'foo',
            user_properties: { 'some-trait-key': 'some-trait-value' },
            platform: expected,
            library: 'segment',
          },
        },
      ])
    })
  }

  it('gives precedence to OS properties over user agent properties', () => {
    const r = records('identifyUser', identifyEvent({ context: { userAgent: MAC_UA, os: { name: 'iPhone OS', version: '8.1.3' } } }))
    assert.equal(r[0]!.record.os_name, 'iPhone OS')
    assert.equal(r[0]!.record.os_version, '8.1.3')
    assert.equal(r[0]!.record.device_model, 'Mac OS')
  })

  it('A.11 observed: utm + min_id_length 2 + groups + paying + start_version', () => {
    const event = { type: 'identify', userId: 'user1234', anonymousId: 'anonId1234', timestamp, traits: { name: 'x' }, context: { library: { name: 'analytics.js' } } }
    const r = records('identifyUser', event, {
      utm_properties: { utm_source: 's', utm_campaign: 'n' },
      referrer: 'ref',
      min_id_length: 2,
      groups: { company: 'acme' },
      paying: true,
      start_version: '1.0',
    })
    assertRecords(r, [
      {
        endpoint: 'identify',
        record: {
          user_id: 'user1234',
          device_id: 'anonId1234',
          user_properties: {
            name: 'x',
            $set: { utm_source: 's', utm_campaign: 'n', referrer: 'ref' },
            $setOnce: { initial_utm_source: 's', initial_utm_campaign: 'n', initial_referrer: 'ref' },
          },
          groups: { company: 'acme' },
          paying: true,
          start_version: '1.0',
          platform: 'Web',
          library: 'segment',
        },
        options: { min_id_length: 2 },
      },
    ])
  })

  it('insert_id passes through; defaultInsertId applies like a mapped insert_id', () => {
    assert.equal(records('identifyUser', identifyEvent(), { insert_id: 'i1' })[0]!.record.insert_id, 'i1')
    assert.equal(records('identifyUser', identifyEvent(), {}, { defaultInsertId: 'd1' })[0]!.record.insert_id, 'd1')
  })
})

describe('amplitude groupIdentifyUser', () => {
  const groupEvent = (extra: Obj = {}) =>
    testEvent({
      anonymousId: 'some-anonymous-id',
      timestamp: '2021-04-12T16:32:37.710Z',
      type: 'group',
      userId: 'some-user-id',
      traits: { 'some-trait-key': 'some-trait-value' },
      ...extra,
    })
  const mapping = { insert_id: 'some-insert-id', group_type: 'some-type', group_value: 'some-value' }

  it('fires the identify association then groupidentify when user_id or device_id is present', () => {
    assertRecords(records('groupIdentifyUser', groupEvent(), mapping), [
      {
        endpoint: 'identify',
        record: {
          device_id: 'some-anonymous-id',
          groups: { 'some-type': 'some-value' },
          insert_id: 'some-insert-id',
          library: 'segment',
          time: 1618245157710,
          user_id: 'some-user-id',
          user_properties: { 'some-type': 'some-value' },
        },
      },
      {
        endpoint: 'groupidentify',
        record: {
          group_properties: { 'some-trait-key': 'some-trait-value' },
          group_value: 'some-value',
          group_type: 'some-type',
          library: 'segment',
        },
      },
    ])
  })

  it('only fires groupidentify when user_id and device_id are missing (no default mappings)', () => {
    assertRecords(records('groupIdentifyUser', groupEvent(), mapping, undefined, false), [
      { endpoint: 'groupidentify', record: { group_value: 'some-value', group_type: 'some-type', library: 'segment' } },
    ])
  })

  it('A.12 observed: min_id_length options on both records, user_id null kept', () => {
    const event = { type: 'group', userId: null, anonymousId: 'anonId1234', groupId: 'g1', timestamp, traits: { plan: 'pro' } }
    const r = records('groupIdentifyUser', event, { group_type: 'company', group_value: { '@path': '$.groupId' }, min_id_length: 2 })
    assertRecords(r, [
      {
        endpoint: 'identify',
        record: {
          device_id: 'anonId1234',
          groups: { company: 'g1' },
          library: 'segment',
          time: TIME,
          user_id: null,
          user_properties: { company: 'g1' },
        },
        options: { min_id_length: 2 },
      },
      {
        endpoint: 'groupidentify',
        record: { group_properties: { plan: 'pro' }, group_value: 'g1', group_type: 'company', library: 'segment' },
        options: { min_id_length: 2 },
      },
    ])
  })

  it('time: missing → now (injectable clock), numbers mis-parsed like dayjs, unparsable → null', () => {
    const noTime = records('groupIdentifyUser', groupEvent({ timestamp: undefined }), mapping, { now: () => 42 })
    assert.equal(noTime[0]!.record.time, 42)
    const numeric = records('groupIdentifyUser', groupEvent({ timestamp: 1629213675449 }), mapping)
    assert.equal(numeric[0]!.record.time, -10705032951000)
    const bad = records('groupIdentifyUser', groupEvent({ timestamp: 'nope' }), mapping)
    assert.equal(bad[0]!.record.time, null)
  })

  it('requires group_type and group_value', () => {
    assert.deepEqual(run('groupIdentifyUser', groupEvent(), {}), {
      ok: false,
      reason: "The root value is missing the required field 'group_type'. The root value is missing the required field 'group_value'.",
    })
  })
})

describe('amplitude mapUser', () => {
  it('default mappings → usermap record {user_id: previousId, global_user_id: userId}', () => {
    const event = testEvent({ type: 'alias', userId: 'some-user-id', previousId: 'some-previous-user-id' })
    assertRecords(records('mapUser', event), [{ endpoint: 'usermap', record: { user_id: 'some-previous-user-id', global_user_id: 'some-user-id' } }])
    assert.equal(endpointUrl('usermap', 'north_america'), 'https://api.amplitude.com/usermap')
    assert.equal(endpointUrl('usermap', 'europe'), 'https://api.eu.amplitude.com/usermap')
  })

  it('echoes min_id_length inside the mapping object and as options', () => {
    const event = { type: 'alias', userId: 'new', previousId: 'old' }
    assertRecords(records('mapUser', event, { min_id_length: 1 }), [
      { endpoint: 'usermap', record: { user_id: 'old', global_user_id: 'new', min_id_length: 1 }, options: { min_id_length: 1 } },
    ])
  })

  it('ignores defaultInsertId (no insert_id field)', () => {
    const r = records('mapUser', { type: 'alias', userId: 'new', previousId: 'old' }, {}, { defaultInsertId: 'x' })
    assert.deepEqual(r[0]!.record, { user_id: 'old', global_user_id: 'new' })
  })
})

dayjs.extend(utc)

describe('amplitude helpers', () => {
  it('utcMillis is dayjs.utc(v).valueOf() for any number or string (its fast path for numbers and Z-strings included)', () => {
    const reference = (v: string | number): number => dayjs.utc(v).valueOf()
    const z = fc
      .tuple(fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: false }), fc.constantFrom('Z', 'z', '+00:00Z', ' Z', ''))
      .map(([d, end]) => (Number.isNaN(d.getTime()) ? 'Invalid DateZ' : d.toISOString().replace('Z', end)))
    const value = fc.oneof(
      z,
      fc.string({ maxLength: 12 }).map((t) => `${t}Z`),
      fc.constantFrom(
        '2024-05-06T00:00:20.693Z',
        '2024-05-06T00:00:20Z',
        '2024-05-06Z',
        '2024-05-06',
        '2024-05-06 10:00',
        'Z',
        'z',
        '',
        ' ',
        '1715000000000',
        '2024-02-30T00:00:00Z',
        '+275760-09-13T00:00:00.001Z',
      ),
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, 1.5, -1.5, 8.64e15, 8.64e15 + 1, -8.64e15 - 1, Infinity, -Infinity, NaN),
    )
    fc.assert(
      fc.property(value, (v) => Object.is(utcMillis(v), reference(v))),
      { numRuns: 5000 },
    )
  })

  it('formatSessionId', () => {
    assert.equal(formatSessionId('987654321'), 987654321)
    assert.equal(formatSessionId(987654321), 987654321)
    assert.equal(formatSessionId('2000-10-31T01:30:00.000-05:00'), 972973800000)
    assert.equal(formatSessionId('2021-06-08'), 1623110400000)
    assert.equal(formatSessionId(1.5), 1)
  })

  it('mergeUserProperties', () => {
    assert.deepEqual(mergeUserProperties({ a: 1 }), { a: 1 })
    assert.deepEqual(mergeUserProperties({ a: 1 }, { b: 2, a: 3 }), { a: 3, b: 2 })
    assert.deepEqual(mergeUserProperties({ $set: { a: 1 }, $setOnce: { x: 1 } }, { $set: { b: 2 } }, { $setOnce: { y: 2 }, c: 3 }), {
      $set: { a: 1, b: 2 },
      $setOnce: { x: 1, y: 2 },
      c: 3,
    })
  })

  it('utm / referrer conversion and compact', () => {
    assert.deepEqual(convertUTMProperties(undefined), {})
    assert.deepEqual(convertUTMProperties({ utm_source: 's' }), { $set: { utm_source: 's' }, $setOnce: { initial_utm_source: 's' } })
    assert.deepEqual(convertReferrerProperty(''), {})
    assert.deepEqual(convertReferrerProperty('r'), { $set: { referrer: 'r' }, $setOnce: { initial_referrer: 'r' } })
    assert.equal(compact({ a: '' }), false)
    assert.equal(compact({ a: 0 }), true)
    assert.equal(compact(undefined), false)
  })

  it('user agent parsing (with userAgentData overrides)', () => {
    const parse = (ua: string | undefined, data?: Obj) => {
      const out: Obj = {}
      addUserAgentProperties(out, ua, data)
      return JSON.parse(JSON.stringify(out))
    }
    assert.deepEqual(parse(undefined), {})
    assert.deepEqual(parse('curl/7.64.1'), {})
    assert.deepEqual(parse(IPHONE_UA), IPHONE_PARSED)
    assert.deepEqual(
      parse('Mozilla/5.0 (Linux; Android 5.0.1; SM-T280 Build/LMY47V) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.136 Safari/537.36', {
        model: 'TAB 2 A7',
        platformVersion: '5.0.1',
      }),
      { os_name: 'Android', os_version: '5.0.1', device_manufacturer: 'Samsung', device_model: 'TAB 2 A7', device_type: 'tablet' },
    )
    assert.deepEqual(parse(MAC_UA, { model: 'M', platformVersion: '13.0.0' }), { os_name: 'Mac OS', os_version: '13.0.0', device_model: 'M' })
    // desktop without a device model: device_model falls back to the OS name
    assert.deepEqual(parse('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'), {
      os_name: 'Windows',
      os_version: '120',
      device_model: 'Windows',
    })
  })

  it('endpoint table; unknown region falls back to north_america', () => {
    assert.deepEqual(AMPLITUDE_ENDPOINTS.httpapi, { north_america: 'https://api2.amplitude.com/2/httpapi', europe: 'https://api.eu.amplitude.com/2/httpapi' })
    assert.equal(endpointUrl('identify', 'NONE'), 'https://api2.amplitude.com/identify')
    assert.equal(endpointUrl('groupidentify', undefined), 'https://api2.amplitude.com/groupidentify')
    assert.equal(endpointUrl('deletions', 'europe'), 'https://analytics.eu.amplitude.com/api/2/deletions/users')
    assert.equal(endpointUrl('identify', 'europe'), 'https://api.eu.amplitude.com/identify')
    assert.equal(endpointUrl('groupidentify', 'europe'), 'https://api.eu.amplitude.com/groupidentify')
    assert.equal(endpointUrl('httpapi', 'north_america'), 'https://api2.amplitude.com/2/httpapi')
    const ref = require('@segment/action-destinations/dist/destinations/amplitude/regional-endpoints.js').endpoints
    assert.deepEqual(JSON.parse(JSON.stringify(AMPLITUDE_ENDPOINTS)), ref)
  })

  it('removeEmptyValues semantics', () => {
    const schema = actionJsonSchema('logEventV2')
    const out = removeEmptyValues(
      {
        referrer: '',
        user_id: null,
        device_id: null,
        event_properties: { a: null, b: '' },
        setOnce: { initial_referrer: '', initial_utm_source: null, other: null },
        products: [null, { price: '' }],
        min_id_length: null,
      },
      schema,
      true,
    )
    assert.deepEqual(out, {
      user_id: null,
      event_properties: { a: null, b: '' },
      setOnce: { initial_referrer: '', other: null },
      products: [{ price: '' }],
      min_id_length: null,
    })
  })
})

describe('amplitude field definitions and presets', () => {
  const Amplitude = require('@segment/action-destinations/dist/destinations/amplitude/index.js').default

  function strip(fields: Obj): Obj {
    const out: Obj = {}
    for (const [k, f] of Object.entries(fields)) {
      const x: Obj = { label: f.label, type: f.type }
      for (const key of ['required', 'multiple', 'allowNull', 'default', 'additionalProperties', 'choices', 'defaultObjectUI']) {
        if (f[key] !== undefined) x[key] = f[key]
      }
      if (f.unsafe_hidden || f.hidden) x.hidden = true
      if (f.properties) x.properties = strip(f.properties)
      out[k] = x
    }
    return out
  }

  it('every action field matches the reference definition (order, label, type, flags, default, properties)', () => {
    assert.deepEqual([...ACTION_SLUGS].sort(), Object.keys(Amplitude.actions).sort())
    for (const slug of ACTION_SLUGS) {
      const ref = Amplitude.actions[slug]
      assert.equal(JSON.stringify(strip(ACTIONS[slug].fields)), JSON.stringify(strip(ref.fields)), slug)
      assert.equal(ACTIONS[slug].title, ref.title)
      assert.equal(ACTIONS[slug].description, ref.description)
      assert.equal(DEFAULT_SUBSCRIPTIONS[slug], ref.defaultSubscription)
    }
  })

  it('JSON schemas match Segment fieldsToJsonSchema (ignoring descriptions/defaults/$schema)', () => {
    const clean = (s: any): any => {
      if (Array.isArray(s)) return s.map(clean)
      if (s && typeof s === 'object') {
        const out: Obj = {}
        for (const [k, v] of Object.entries(s)) {
          if (['description', 'default', '$schema'].includes(k) || v === undefined) continue
          out[k] = clean(v)
        }
        return out
      }
      return s
    }
    for (const slug of ACTION_SLUGS) {
      const ref = core.fieldsToJsonSchema(Amplitude.actions[slug].fields)
      assert.deepEqual(clean(actionJsonSchema(slug)), clean(ref), slug)
    }
  })

  it('presets equal the reference presets (minus the browser-only session preset)', () => {
    const refPresets = Amplitude.presets.filter((p: Obj) => p.partnerAction !== 'sessionId')
    assert.equal(JSON.stringify(PRESETS), JSON.stringify(refPresets.map(({ type: _t, ...p }: Obj) => p)))
    assert.match(SESSION_PRESET_NOTE, /browser/)
    assert.deepEqual(
      Object.keys(PRESETS[0]!.mapping),
      'user_id device_id event_type session_id time event_properties user_properties app_version platform os_name os_version device_brand device_manufacturer device_model carrier country region city language price quantity revenue productId revenueType location_lat location_lng ip idfa idfv adid library library2 products setOnce setAlways use_batch_endpoint userAgent userAgentParsing includeRawUserAgent userAgentData'.split(
        ' ',
      ),
    )
  })

  it('defaultValues returns fresh copies', () => {
    const a = defaultValues('logEventV2')
    ;(a.library2 as Obj).behavior = 'auto'
    assert.equal((defaultValues('logEventV2').library2 as Obj).behavior, 'use_mapping')
  })
})

describe('amplitude compileAction API', () => {
  it('rejects unknown slugs and non-object payloads', () => {
    assert.throws(() => compileAction('toString' as ActionSlug), /unknown Amplitude action/)
    assert.deepEqual(compileAction('mapUser').run(null as unknown as Obj), {
      ok: false,
      reason: 'The root value must be an object but it was undefined.',
    })
  })

  it('compiled actions are reusable and independent of settings', () => {
    const a = compileAction('logEventV2', { apiKey: 'k', secretKey: 's', endpoint: 'europe' })
    const b = compileAction('logEventV2')
    const m = () => core.transform(defaultValues('logEventV2'), testEvent())
    assert.deepEqual(a.run(m()), b.run(m()))
    assert.deepEqual(a.run(m()), a.run(m()))
  })
})
