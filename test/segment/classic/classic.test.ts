import { strict as assert } from 'node:assert'
import {
  classicAssumptions,
  classicEndpointBase,
  classicEndpointUrl,
  classicRecords,
  compileClassic,
  readClassicSettings,
  CLASSIC_SETTINGS,
} from '../../../src/segment/classic/index.js'

const KEY = { apiKey: 'k' }
const T = '2024-01-01T00:00:00.000Z'
const MS = 1704067200000
/** Fields every cloud record of a message from `msg()` carries. */
const BASE = { user_id: 'u1', device_id: 'a1', time: MS, library: 'segment', user_properties: { id: 'u1' } }

function msg(extra: Record<string, unknown>): Record<string, unknown> {
  return { userId: 'u1', anonymousId: 'a1', timestamp: T, ...extra }
}
const page = (extra: Record<string, unknown> = {}) => msg({ type: 'page', properties: { path: '/x' }, ...extra })
const ev = (record: Record<string, unknown>, endpoint = '/httpapi') => ({ endpoint, record: { ...BASE, ...record } })

describe('classic settings', () => {
  it('knows all 37 catalog settings and applies catalog defaults', () => {
    assert.equal(CLASSIC_SETTINGS.length, 37)
    const { settings, unknownKeys, missingRequired } = readClassicSettings({})
    assert.equal(Object.keys(settings).length, 37)
    assert.equal(settings.trackAllPages, false)
    assert.equal(settings.trackNamedPages, true)
    assert.equal(settings.trackCategorizedPages, true)
    assert.equal(settings.trackUtmProperties, true)
    assert.equal(settings.trackReferrer, true)
    assert.equal(settings.useLogRevenueV2, true)
    assert.equal(settings.enableLocationListening, true)
    assert.equal(settings.saveParamsReferrerOncePerSession, true)
    assert.equal(settings.eventUploadThreshold, 30)
    assert.equal(settings.eventUploadPeriodMillis, 30000)
    assert.deepEqual(settings.traitsToIncrement, [])
    assert.deepEqual(settings.mapQueryParams, {})
    assert.equal(settings.endpoint, '')
    assert.deepEqual(unknownKeys, [])
    assert.deepEqual(missingRequired, ['apiKey'])
  })

  it('unwraps a Public API destination response and reports unknown and device-mode-only keys', () => {
    const r = readClassicSettings({
      data: {
        destination: {
          settings: {
            apiKey: 'k',
            trackGclid: true,
            batchEvents: false,
            appendFieldsToEventProps: { 'context.page.title': 'pageTitle' },
            sendAlias: true,
            traitsToAppend: ['tags'],
            useUserAgentParsing: true,
            trackAllPages: 'true',
            eventUploadThreshold: '50',
          },
        },
      },
    })
    assert.equal(r.settings.trackAllPages, true)
    assert.equal(r.settings.eventUploadThreshold, 50)
    assert.deepEqual(r.unknownKeys, ['useUserAgentParsing'])
    assert.deepEqual(r.deviceModeOnly, ['trackGclid', 'eventUploadThreshold', 'appendFieldsToEventProps'])
    assert.deepEqual(r.ignoredByMode.cloud, ['trackGclid', 'eventUploadThreshold', 'appendFieldsToEventProps'])
    assert.deepEqual(r.ignoredByMode.web, ['trackGclid', 'eventUploadThreshold', 'traitsToAppend', 'sendAlias'])
    assert.deepEqual(r.missingRequired, [])
  })

  it('accepts maps as key/value arrays and lists as comma strings; warns on unreadable values', () => {
    const r = readClassicSettings({ apiKey: 'k', mapQueryParams: [{ key: 'qs', value: 'event_properties' }], traitsToIncrement: 'logins, visits', trackNamedPages: 'maybe' })
    assert.deepEqual(r.settings.mapQueryParams, { qs: 'event_properties' })
    assert.deepEqual(r.settings.traitsToIncrement, ['logins', 'visits'])
    assert.equal(r.settings.trackNamedPages, true)
    assert.equal(r.warnings.length, 1)
  })
})

describe('classic cloud: page and screen naming (docs/classic-amplitude.md §4.2)', () => {
  it('verified: page with name and category under trackAllPages → Viewed Docs Analytics iOS Page', () => {
    const out = classicRecords(page({ name: 'Analytics iOS', category: 'Docs' }), { ...KEY, trackAllPages: true, trackNamedPages: false, trackCategorizedPages: false })
    assert.deepStrictEqual(out, [ev({ event_type: 'Viewed Docs Analytics iOS Page', event_properties: { path: '/x', category: 'Docs', name: 'Analytics iOS' } })])
  })

  it('verified: page with nothing under trackAllPages → Loaded a Page; screen → Loaded a Screen', () => {
    const s = { ...KEY, trackAllPages: true }
    assert.deepStrictEqual(classicRecords(page(), s), [ev({ event_type: 'Loaded a Page', event_properties: { path: '/x' } })])
    assert.deepStrictEqual(classicRecords(page({ type: 'screen' }), s), [ev({ event_type: 'Loaded a Screen', event_properties: { path: '/x' } })])
  })

  it('catalog defaults: one event per call, named pages pass, unnamed uncategorised pages are dropped', () => {
    assert.deepStrictEqual(classicRecords(page({ name: 'Index', category: 'Docs' }), KEY), [
      ev({ event_type: 'Viewed Docs Index Page', event_properties: { path: '/x', category: 'Docs', name: 'Index' } }),
    ])
    assert.deepStrictEqual(classicRecords(page({ name: 'Home' }), KEY), [ev({ event_type: 'Viewed Home Page', event_properties: { path: '/x', name: 'Home' } })])
    assert.deepStrictEqual(classicRecords(page(), KEY), [])
  })

  it('trackCategorizedPages lets a category-only page through as Loaded a Page; off → dropped', () => {
    const only = { ...KEY, trackNamedPages: false, trackCategorizedPages: true }
    assert.deepStrictEqual(classicRecords(page({ category: 'Docs' }), only), [ev({ event_type: 'Loaded a Page', event_properties: { path: '/x', category: 'Docs' } })])
    assert.deepStrictEqual(classicRecords(page({ category: 'Docs' }), { ...KEY, trackCategorizedPages: false }), [])
  })

  it('trackNamedPages off drops a named page; trackAllPages on a named screen names it', () => {
    assert.deepStrictEqual(classicRecords(page({ name: 'Home' }), { ...KEY, trackNamedPages: false }), [])
    assert.deepStrictEqual(classicRecords(page({ type: 'screen', name: 'Settings' }), { ...KEY, trackAllPages: true, trackNamedPages: false }), [
      ev({ event_type: 'Viewed Settings Screen', event_properties: { path: '/x', name: 'Settings' } }),
    ])
  })
})

describe('classic cloud: settings honoured', () => {
  it('apiKey missing is reported but records are still produced', () => {
    assert.deepStrictEqual(readClassicSettings({}).missingRequired, ['apiKey'])
    assert.equal(classicRecords(msg({ type: 'track', event: 'E' }), {}).length, 1)
  })

  it('trackUtmProperties (default on) adds utm_* user properties from context.campaign; off → none', () => {
    const m = msg({ type: 'track', event: 'E', context: { campaign: { source: 'g', medium: 'cpc', name: 'spring', term: 't', content: 'c' } } })
    assert.deepStrictEqual(classicRecords(m, KEY), [
      ev({
        event_type: 'E',
        event_properties: {},
        user_properties: { id: 'u1', utm_source: 'g', utm_medium: 'cpc', utm_campaign: 'spring', utm_term: 't', utm_content: 'c' },
      }),
    ])
    assert.deepStrictEqual(classicRecords(m, { ...KEY, trackUtmProperties: false }), [ev({ event_type: 'E', event_properties: {} })])
  })

  it('mapQueryParams: user side by default, event side when asked; identify always user side', () => {
    const ctx = { page: { search: '?a=1' } }
    assert.deepStrictEqual(classicRecords(msg({ type: 'track', event: 'E', context: ctx }), { ...KEY, mapQueryParams: { qs: 'user_properties' } }), [
      ev({ event_type: 'E', event_properties: {}, user_properties: { id: 'u1', qs: '?a=1' } }),
    ])
    assert.deepStrictEqual(classicRecords(msg({ type: 'track', event: 'E', context: ctx }), { ...KEY, mapQueryParams: { qs: 'event_properties' } }), [
      ev({ event_type: 'E', event_properties: { qs: '?a=1' } }),
    ])
    assert.deepStrictEqual(classicRecords(msg({ type: 'identify', context: ctx }), { ...KEY, mapQueryParams: { qs: 'event_properties' } }), [
      { endpoint: '/identify', record: { ...BASE, user_properties: { id: 'u1', qs: '?a=1' } } },
    ])
  })

  it('preferAnonymousIdForDeviceId flips device_id precedence', () => {
    const m = msg({ type: 'track', event: 'E', context: { device: { id: 'dev' } } })
    assert.equal(classicRecords(m, KEY)[0].record.device_id, 'dev')
    assert.equal(classicRecords(m, { ...KEY, preferAnonymousIdForDeviceId: true })[0].record.device_id, 'a1')
  })

  const order = msg({
    type: 'track',
    event: 'Order Completed',
    properties: {
      order_id: 'o1',
      total: 30,
      revenueType: 'sale',
      products: [
        { product_id: 'p1', name: 'A', price: 10, quantity: 2 },
        { product_id: 'p2', name: 'B', price: 10 },
      ],
    },
  })

  it('Order Completed: order event without products carries revenue; one Product Purchased per product', () => {
    assert.deepStrictEqual(classicRecords(order, KEY), [
      ev({ event_type: 'Order Completed', revenue: 30, event_properties: { order_id: 'o1', total: 30 }, revenueType: 'sale' }),
      ev({ event_type: 'Product Purchased', event_properties: { product_id: 'p1', name: 'A', price: 10, quantity: 2 } }),
      ev({ event_type: 'Product Purchased', event_properties: { product_id: 'p2', name: 'B', price: 10 } }),
    ])
  })

  // obj-case deletion of productId also removes product_id (2017 lookup semantics)
  it('trackRevenuePerProduct moves revenue to each Product Purchased', () => {
    assert.deepStrictEqual(classicRecords(order, { ...KEY, trackRevenuePerProduct: true }), [
      ev({ event_type: 'Order Completed', event_properties: { order_id: 'o1', total: 30, revenueType: 'sale' } }),
      ev({ event_type: 'Product Purchased', revenue: 20, price: 10, quantity: 2, productId: 'p1', revenueType: 'sale', event_properties: { name: 'A' } }),
      ev({ event_type: 'Product Purchased', revenue: 10, price: 10, quantity: 1, productId: 'p2', revenueType: 'sale', event_properties: { name: 'B' } }),
    ])
  })

  it('revenue on a plain track (2017): top-level fields, revenue kept in event_properties', () => {
    const m = msg({ type: 'track', event: 'Bought', properties: { revenue: '$12.50', price: 6.25, quantity: 2, productId: 'x', revenueType: 'r', k: 1 } })
    assert.deepStrictEqual(classicRecords(m, KEY), [
      ev({ event_type: 'Bought', revenue: 12.5, price: 6.25, quantity: 2, productId: 'x', revenueType: 'r', event_properties: { revenue: '$12.50', k: 1 } }),
    ])
  })

  it('traitsToIncrement/SetOnce/Append/Prepend turn identify user_properties into operations', () => {
    const m = msg({ type: 'identify', traits: { logins: 1, first_seen: '2020', tags: ['a'], history: ['h'], plan: 'pro', address: { city: 'Paris' } } })
    const s = { ...KEY, traitsToIncrement: ['logins'], traitsToSetOnce: ['first_seen'], traitsToAppend: ['tags'], traitsToPrepend: ['history'] }
    assert.deepStrictEqual(classicRecords(m, s), [
      {
        endpoint: '/identify',
        record: {
          user_id: 'u1',
          device_id: 'a1',
          time: MS,
          library: 'segment',
          city: 'Paris',
          user_properties: { $add: { logins: 1 }, $setOnce: { first_seen: '2020' }, $append: { tags: ['a'] }, $prepend: { history: ['h'] }, $set: { plan: 'pro', id: 'u1' } },
        },
      },
    ])
  })

  it('identify without operator lists: plain user_properties, paying/start_version options kept', () => {
    const m = msg({ type: 'identify', traits: { plan: 'pro' }, integrations: { Amplitude: { paying: true, start_version: '1.0', session_id: 5 } } })
    assert.deepStrictEqual(classicRecords(m, KEY), [{ endpoint: '/identify', record: { ...BASE, user_properties: { plan: 'pro', id: 'u1' }, paying: true, start_version: '1.0' } }])
  })

  it('groupTypeTrait/groupValueTrait: association plus groupidentify; fallback [Segment] Group', () => {
    const m = msg({ type: 'group', groupId: 'g1', traits: { kind: 'org', org: 'Acme', size: 5 } })
    const s = { ...KEY, groupTypeTrait: 'kind', groupValueTrait: 'org' }
    assert.deepStrictEqual(classicRecords(m, s), [
      { endpoint: '/identify', record: { user_id: 'u1', device_id: 'a1', time: MS, groups: { org: 'Acme' }, user_properties: { org: 'Acme' } } },
      { endpoint: '/groupidentify', record: { group_type: 'org', group_value: 'Acme', group_properties: { kind: 'org', org: 'Acme', size: 5 }, library: 'segment' } },
    ])
    assert.deepStrictEqual(classicRecords(m, KEY), [
      { endpoint: '/identify', record: { user_id: 'u1', device_id: 'a1', time: MS, groups: { '[Segment] Group': 'g1' }, user_properties: { '[Segment] Group': 'g1' } } },
    ])
    assert.deepStrictEqual(classicRecords(msg({ type: 'group', traits: {} }), s), [])
  })

  it('useCustomAmplitudeProperties keeps country/language in event_properties', () => {
    const m = msg({ type: 'track', event: 'E', properties: { country: 'FR', language: 'fr', event_id: 3 } })
    assert.deepStrictEqual(classicRecords(m, KEY)[0].record.event_properties, {})
    assert.deepStrictEqual(classicRecords(m, { ...KEY, useCustomAmplitudeProperties: true })[0].record.event_properties, { country: 'FR', language: 'fr' })
  })

  it('sendAlias: usermap only when enabled; unmap option', () => {
    const m = msg({ type: 'alias', previousId: 'old' })
    assert.deepStrictEqual(classicRecords(m, KEY), [])
    assert.deepStrictEqual(classicRecords(m, { ...KEY, sendAlias: true }), [{ endpoint: '/usermap', record: { user_id: 'old', global_user_id: 'u1' } }])
    assert.deepStrictEqual(classicRecords({ ...m, integrations: { Amplitude: { unmap: 'old' } } }, { ...KEY, sendAlias: true }), [
      { endpoint: '/usermap', record: { user_id: 'old', unmap: true } },
    ])
  })

  it('sendToBatchEndpoint routes events to /batch, identify stays on /identify', () => {
    const s = { ...KEY, sendToBatchEndpoint: true }
    assert.equal(classicRecords(msg({ type: 'track', event: 'E' }), s)[0].endpoint, '/batch')
    assert.equal(classicRecords(msg({ type: 'identify' }), s)[0].endpoint, '/identify')
  })

  it('endpoint: EU host, otherwise US (records carry no URL)', () => {
    assert.equal(classicEndpointBase({ ...KEY, endpoint: 'EU' }), 'https://api.eu.amplitude.com')
    assert.equal(classicEndpointBase({ ...KEY, endpoint: 'europe' }), 'https://api.eu.amplitude.com')
    assert.equal(classicEndpointBase(KEY), 'https://api.amplitude.com')
    assert.equal(classicEndpointUrl({ ...KEY, sendToBatchEndpoint: true }, '/batch'), 'https://api2.amplitude.com/batch')
    assert.equal(classicEndpointUrl(KEY, '/identify'), 'https://api.amplitude.com/identify')
  })

  it('integrations object: Amplitude false, or All false without Amplitude → nothing', () => {
    const m = msg({ type: 'track', event: 'E' })
    assert.deepStrictEqual(classicRecords({ ...m, integrations: { Amplitude: false } }, KEY), [])
    assert.deepStrictEqual(classicRecords({ ...m, integrations: { All: false } }, KEY), [])
    assert.equal(classicRecords({ ...m, integrations: { All: false, Amplitude: true } }, KEY).length, 1)
  })

  it('event-level groups option merges into user_properties', () => {
    const m = msg({ type: 'track', event: 'E', integrations: { Amplitude: { groups: { team: 'x' } } } })
    assert.deepStrictEqual(classicRecords(m, KEY), [ev({ event_type: 'E', groups: { team: 'x' }, user_properties: { id: 'u1', team: 'x' }, event_properties: {} })])
  })

  it('time falls back to receivedAt; numeric seconds are scaled', () => {
    const m = { type: 'track', event: 'E', userId: 'u1', receivedAt: T }
    assert.equal(classicRecords(m, KEY)[0].record.time, MS)
    assert.equal(classicRecords({ ...m, timestamp: MS / 1000 }, KEY)[0].record.time, MS)
  })

  it('compileClassic compiles once and is reusable', () => {
    const fn = compileClassic({ ...KEY, trackAllPages: true }, { mode: 'cloud' })
    assert.equal(fn(page()).length, 1)
    assert.equal(fn(page({ name: 'A' }))[0].record.event_type, 'Viewed A Page')
    assert.deepStrictEqual(fn({ type: 'unknown' }), [])
  })
})

describe('classic web mode (analytics.js device-mode naming, docs/classic-amplitude.md §4.1)', () => {
  const web = (m: Record<string, unknown>, s: Record<string, unknown>) =>
    classicRecords(m, { ...KEY, trackReferrer: false, ...s }, { mode: 'web' }).map((r) => `${r.endpoint} ${String(r.record.event_type ?? '')}`)

  it("catalog defaults: page('Docs','Index') → two events; page('Home') → one; page() → none", () => {
    assert.deepStrictEqual(web(page({ category: 'Docs', name: 'Index' }), {}), ['/httpapi Viewed Docs Page', '/httpapi Viewed Docs Index Page'])
    assert.deepStrictEqual(web(page({ name: 'Home' }), {}), ['/httpapi Viewed Home Page'])
    assert.deepStrictEqual(web(page(), {}), [])
  })

  it('trackAllPages adds Loaded a Page even for named pages, first', () => {
    assert.deepStrictEqual(web(page({ category: 'Docs', name: 'Index' }), { trackAllPages: true }), [
      '/httpapi Loaded a Page',
      '/httpapi Viewed Docs Page',
      '/httpapi Viewed Docs Index Page',
    ])
  })

  it('page event records: page properties plus name and category, appendFieldsToEventProps, not cleaned, no user_properties', () => {
    const m = page({ name: 'Home', properties: { path: '/x', country: 'FR' }, context: { page: { title: 'T' } } })
    const settings = { ...KEY, trackReferrer: false, preferAnonymousIdForDeviceId: true, appendFieldsToEventProps: { 'context.page.title': 'pageTitle' } }
    const { user_properties: _none, ...base } = BASE
    assert.deepStrictEqual(classicRecords(m, settings, { mode: 'web' }), [
      { endpoint: '/httpapi', record: { ...base, event_type: 'Viewed Home Page', country: 'FR', event_properties: { path: '/x', country: 'FR', name: 'Home', pageTitle: 'T' } } },
    ])
  })

  it('device_id: anonymousId only with preferAnonymousIdForDeviceId, else SDK-generated (unknown, left out)', () => {
    const m = page({ name: 'Home', context: { device: { id: 'ctx-device' } } })
    const [off] = classicRecords(m, { ...KEY, trackReferrer: false }, { mode: 'web' })
    assert.equal('device_id' in off!.record, false)
    assert.deepStrictEqual(off!.unknown, ['device_id'])
    const [on] = classicRecords(m, { ...KEY, trackReferrer: false, preferAnonymousIdForDeviceId: true }, { mode: 'web' })
    assert.equal(on!.record.device_id, 'a1')
    assert.equal(on!.unknown, undefined)
  })

  it('trackReferrer (default on) adds a referrer identify on page calls', () => {
    const m = page({ name: 'Home', context: { page: { referrer: 'https://ref.example.com/a' } } })
    const out = classicRecords(m, { ...KEY, preferAnonymousIdForDeviceId: true }, { mode: 'web' })
    assert.deepStrictEqual(out[0], {
      endpoint: '/identify',
      record: {
        user_id: 'u1',
        device_id: 'a1',
        time: MS,
        library: 'segment',
        user_properties: {
          $setOnce: { initial_referrer: 'https://ref.example.com/a', initial_referring_domain: 'ref.example.com' },
          $set: { referrer: 'https://ref.example.com/a', referring_domain: 'ref.example.com' },
        },
      },
    })
    assert.equal(out[1].record.event_type, 'Viewed Home Page')
    assert.equal(classicRecords(m, { ...KEY, useAmplitudeReferral: true }, { mode: 'web' }).length, 1)
  })

  it('trackProductsOnce: a single order event with slimmed products (quantity defaults to 1), then its revenue_amount event', () => {
    const m = msg({ type: 'track', event: 'Order Completed', properties: { revenue: 5, products: [{ productId: 'p', name: 'A', price: 5, brand: 'x' }] } })
    const { user_properties: _none, ...base } = BASE
    const products = [{ productId: 'p', name: 'A', price: 5, quantity: 1 }]
    assert.deepStrictEqual(classicRecords(m, { ...KEY, trackProductsOnce: true, preferAnonymousIdForDeviceId: true }, { mode: 'web' }), [
      { endpoint: '/httpapi', record: { ...base, event_type: 'Order Completed', event_properties: { revenue: 5, products } } },
      {
        endpoint: '/httpapi',
        record: { ...base, event_type: 'revenue_amount', event_properties: { revenue: 5, products, $quantity: 1, $price: 5, $revenueType: 'Purchase' } },
        sdkGenerated: true,
      },
    ])
  })

  it('identify: always operations; a trait in both lists is only $add (the SDK skips a second operation)', () => {
    const m = msg({ type: 'identify', traits: { n: 1, plan: 'pro' } })
    const out = classicRecords(m, { ...KEY, traitsToIncrement: ['n'], traitsToSetOnce: ['n'] }, { mode: 'web' })
    assert.deepStrictEqual(out[0].record.user_properties, { $add: { n: 1 }, $set: { plan: 'pro', id: 'u1' } })
  })

  it('alias is never sent in web mode', () => {
    assert.deepStrictEqual(classicRecords(msg({ type: 'alias', previousId: 'p' }), { ...KEY, sendAlias: true }, { mode: 'web' }), [])
  })
})

describe('classic assumptions', () => {
  it('lists assumptions per mode', () => {
    assert.ok(classicAssumptions('cloud').length >= 10)
    assert.ok(classicAssumptions('web').length >= 5)
    assert.ok(classicAssumptions('cloud')[0].includes('cloud'))
    assert.ok(classicAssumptions('web')[0].includes('web'))
  })
})

describe('classic robustness', () => {
  it('never throws or mutates the input on arbitrary messages', async () => {
    const fc = (await import('fast-check')).default
    const settingsList = [
      KEY,
      { ...KEY, trackAllPages: true, traitsToIncrement: ['n'], groupTypeTrait: 't', groupValueTrait: 'v', sendAlias: true, mapQueryParams: { q: 'event_properties' } },
    ]
    const fns = settingsList.flatMap((s) => [compileClassic(s, { mode: 'cloud' }), compileClassic(s, { mode: 'web' })])
    const msgArb = fc.record(
      {
        type: fc.constantFrom('track', 'page', 'screen', 'identify', 'group', 'alias', 'other'),
        event: fc.oneof(fc.string(), fc.constant('Order Completed')),
        userId: fc.oneof(fc.string(), fc.constant(null)),
        anonymousId: fc.string(),
        name: fc.string(),
        category: fc.string(),
        groupId: fc.string(),
        previousId: fc.string(),
        timestamp: fc.oneof(fc.string(), fc.integer(), fc.constant('2020-01-01T00:00:00Z')),
        properties: fc.dictionary(fc.string(), fc.jsonValue()),
        traits: fc.dictionary(fc.string(), fc.jsonValue()),
        context: fc.jsonValue(),
        integrations: fc.jsonValue(),
      },
      { requiredKeys: ['type'] },
    )
    fc.assert(
      fc.property(msgArb, (m) => {
        const before = JSON.stringify(m)
        for (const fn of fns) {
          const out = fn(m as Record<string, unknown>)
          assert.ok(Array.isArray(out))
          JSON.stringify(out)
        }
        assert.equal(JSON.stringify(m), before)
      }),
      { numRuns: 300 },
    )
  })
})
