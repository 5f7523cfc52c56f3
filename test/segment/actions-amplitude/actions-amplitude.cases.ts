/**
 * Conformance table: the cases of Segment's own Actions Amplitude unit tests
 * (segmentio/action-destinations, packages/destination-actions/src/destinations/amplitude/
 * __tests__/amplitude.test.ts; 76 tests, of which the 2 GDPR-delete tests are out of scope),
 * transcribed as data: per case the event, the mapping, the settings, the URL the test's nock
 * intercepts, and the expected request body with the matcher the test uses.
 *
 * Events are built like actions-core's `createTestEvent`: its defaults, shallowly overridden by
 * the case (so a case's `context` replaces the whole default context). The defaults that vary
 * per run there (messageId, receivedAt, sentAt, and timestamp when the test gives none) are
 * fixed here; no case asserts them.
 *
 * `useDefaultMappings: true` means the action's field defaults, overridden key by key by the
 * case's mapping (actions-core's `testAction`).
 *
 * `envelope` lists the documented wire-envelope differences a case shows (see
 * docs/deliberate-differences.md, "Conformance with Segment's test suite").
 */
import type { ActionSlug } from '../../../src/segment/actions-amplitude/index.js'
import { arrayContaining, objectContaining, type Matcher, type Obj } from '../../helpers/matchers.js'

/** Envelope differences a form-body snapshot may show (docs/deliberate-differences.md 5a, 5b). */
export type EnvelopeDifference = 'options=undefined' | 'identification-object'

export interface ActionsCase {
  /** `describe › it` title of the original test (a repeated title gets ` (2)`). */
  title: string
  action: ActionSlug
  event: Obj
  mapping?: Obj
  useDefaultMappings?: boolean
  settings?: { apiKey?: string; secretKey?: string; endpoint?: 'north_america' | 'europe' }
  /** URL the test's nock interceptor answers (scheme, host and path). */
  url: string
  /** `expect(responses.length).toBe(n)`, when the test asserts it. */
  responses?: number
  /** Which response the test inspects (default 0). */
  response?: number
  matcher: Matcher
  /** JSON body (`responses[i].options.json`), or the form body text (`options.body.toString()`). */
  json?: unknown
  form?: string
  envelope?: EnvelopeDifference[]
}

const TIMESTAMP = '2021-08-17T15:21:15.449Z'
const TIME = 1629213675449
/** Stands in for `new Date().toISOString()` of createTestEvent. */
const NOW = '2026-01-01T00:00:00.000Z'

/** actions-core `createTestEvent` defaults, shallowly overridden. */
export function testEvent(overrides: Obj = {}): Obj {
  return {
    anonymousId: 'anonId1234',
    context: {
      ip: '8.8.8.8',
      library: { name: 'analytics.js', version: '2.11.1' },
      locale: 'en-US',
      location: { city: 'San Francisco', country: 'United States', latitude: 40.2964197, longitude: -76.9411617, speed: 0 },
      page: { path: '/academy/', referrer: '', search: '', title: 'Analytics Academy', url: 'https://segment.com/academy/' },
      timezone: 'Europe/Amsterdam',
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13B143 Safari/601.1',
    },
    event: 'Test Event',
    messageId: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
    properties: {},
    receivedAt: NOW,
    sentAt: NOW,
    timestamp: NOW,
    traits: {},
    type: 'track',
    userId: 'user1234',
    ...overrides,
  }
}

/** The default context with library and device.type changed in place, as several tests do. */
function contextWith(library: Obj, deviceType: string): Obj {
  const base = testEvent().context as Obj
  return { ...base, library, device: { type: deviceType } }
}

const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.143 Safari/537.36'
const HTTPAPI = 'https://api2.amplitude.com/2/httpapi'
const EU_HTTPAPI = 'https://api.eu.amplitude.com/2/httpapi'
const EU_BATCH = 'https://api.eu.amplitude.com/batch'
const EU = { apiKey: '', secretKey: '', endpoint: 'europe' as const }

const CAMPAIGN = { name: 'TPS Innovation Newsletter', source: 'Newsletter', medium: 'email', term: 'tps reports', content: 'image link' }
const UTM_SET = {
  utm_source: 'Newsletter',
  utm_medium: 'email',
  utm_campaign: 'TPS Innovation Newsletter',
  utm_term: 'tps reports',
  utm_content: 'image link',
  referrer: 'some-referrer',
}
const UTM_SET_ONCE = {
  initial_utm_source: 'Newsletter',
  initial_utm_medium: 'email',
  initial_utm_campaign: 'TPS Innovation Newsletter',
  initial_utm_term: 'tps reports',
  initial_utm_content: 'image link',
  initial_referrer: 'some-referrer',
}

/** The full body the toEqual tests expect for the iPhone test event with a custom library. */
function iphoneBody(platform: string): Obj {
  return {
    api_key: undefined,
    events: [
      {
        city: 'San Francisco',
        country: 'United States',
        device_id: 'anonId1234',
        device_manufacturer: 'Apple',
        device_model: 'iPhone',
        device_type: 'mobile',
        event_properties: {},
        event_type: 'Test Event',
        ip: '8.8.8.8',
        language: 'en-US',
        library: 'custom-library-name',
        location_lat: 40.2964197,
        location_lng: -76.9411617,
        os_name: 'iOS',
        os_version: '9',
        platform,
        time: TIME,
        use_batch_endpoint: false,
        user_id: 'user1234',
        user_properties: {},
      },
    ],
    options: undefined,
  }
}

/** Inline snapshot of the Mac user-agent tests (os_name/os_version given or parsed). */
function macSnapshot(os_name: string, os_version: string): Obj {
  return {
    api_key: undefined,
    events: [
      {
        device_id: '6fd32a7e-3c56-44c2-bd32-62bbec44c53d',
        device_manufacturer: undefined,
        device_model: 'Mac OS',
        device_type: undefined,
        event_properties: {},
        event_type: 'Test Event',
        library: 'segment',
        os_name,
        os_version,
        time: TIME,
        use_batch_endpoint: false,
        user_id: 'user1234',
        user_properties: {},
      },
    ],
    options: undefined,
  }
}

/** Inline snapshot of the session_id tests. */
const SESSION_SNAPSHOT = {
  api_key: undefined,
  events: [
    {
      city: 'San Francisco',
      country: 'United States',
      device_id: 'julio',
      device_manufacturer: 'Apple',
      device_model: 'iPhone',
      device_type: 'mobile',
      event_properties: {},
      event_type: 'Test Event',
      ip: '8.8.8.8',
      language: 'en-US',
      library: 'segment',
      location_lat: 40.2964197,
      location_lng: -76.9411617,
      os_name: 'iOS',
      os_version: '9',
      platform: 'Web',
      session_id: 1234567890,
      time: TIME,
      use_batch_endpoint: false,
      user_id: 'user1234',
      user_properties: {},
    },
  ],
  options: undefined,
}

const CITY_COUNTRY = (api_key: string | undefined): Obj => ({
  api_key,
  events: arrayContaining([objectContaining({ event_type: 'Test Event', city: 'San Francisco', country: 'United States' })]),
})

const DEVICE_CASING = (type: string, platform: string): Pick<ActionsCase, 'event' | 'matcher' | 'json' | 'useDefaultMappings' | 'url'> => ({
  event: testEvent({ event: 'Test Event', context: { device: { id: 'foo', type } } }),
  useDefaultMappings: true,
  url: HTTPAPI,
  matcher: 'toMatchObject',
  json: { api_key: undefined, events: arrayContaining([objectContaining({ device_id: 'foo', platform })]) },
})

const NULL_USER: Pick<ActionsCase, 'event' | 'matcher' | 'json' | 'useDefaultMappings' | 'url' | 'responses'> = {
  event: testEvent({ timestamp: TIMESTAMP, userId: null, event: 'Null User' }),
  useDefaultMappings: true,
  url: HTTPAPI,
  responses: 1,
  matcher: 'toMatchObject',
  json: { api_key: undefined, events: arrayContaining([objectContaining({ event_type: 'Null User', user_id: null })]) },
}

const ORDER_ONE_PRODUCT = {
  revenue: 1_999,
  products: [{ quantity: 1, productId: 'Bowflex Treadmill 10', price: 1_999 }],
}

const NO_USER_DATA: Pick<ActionsCase, 'event' | 'matcher' | 'json' | 'useDefaultMappings' | 'url' | 'responses'> = {
  event: testEvent({ timestamp: TIMESTAMP, event: 'Test Event', traits: { 'some-trait-key': 'some-trait-value' }, context: { 'some-context': 'yep' } }),
  useDefaultMappings: true,
  url: HTTPAPI,
  responses: 1,
  matcher: 'toMatchObject',
  json: {
    events: arrayContaining([
      objectContaining({
        event_type: 'Test Event',
        event_properties: {},
        user_properties: { 'some-trait-key': 'some-trait-value' },
        use_batch_endpoint: false,
      }),
    ]),
  },
}

const UTM_EVENT = testEvent({
  timestamp: TIMESTAMP,
  event: 'Test Event',
  traits: { 'some-trait-key': 'some-trait-value' },
  context: { page: { referrer: 'some-referrer' }, campaign: CAMPAIGN },
})

const REFERRER_UTM: Pick<ActionsCase, 'event' | 'matcher' | 'json' | 'useDefaultMappings' | 'url' | 'responses'> = {
  event: UTM_EVENT,
  useDefaultMappings: true,
  url: HTTPAPI,
  responses: 1,
  matcher: 'toMatchObject',
  json: {
    api_key: undefined,
    events: arrayContaining([
      objectContaining({
        event_type: 'Test Event',
        user_properties: objectContaining({ 'some-trait-key': 'some-trait-value', $set: UTM_SET, $setOnce: UTM_SET_ONCE }),
      }),
    ]),
  },
}

const MAC_EVENT = testEvent({
  anonymousId: '6fd32a7e-3c56-44c2-bd32-62bbec44c53d',
  timestamp: TIMESTAMP,
  event: 'Test Event',
  context: { userAgent: MAC_UA },
})

const MAC_OS_EVENT = testEvent({
  anonymousId: '6fd32a7e-3c56-44c2-bd32-62bbec44c53d',
  timestamp: TIMESTAMP,
  event: 'Test Event',
  context: { os: { name: 'iPhone OS', version: '8.1.3' }, userAgent: MAC_UA },
})

function sessionEvent(session_id: string | number): Obj {
  return testEvent({ timestamp: TIMESTAMP, event: 'Test Event', anonymousId: 'julio', integrations: { 'Actions Amplitude': { session_id } } })
}

/** Cases shared, test for test, by the logPurchase, logEvent and logEventV2 blocks. */
function sharedEventCases(action: 'logPurchase' | 'logEvent' | 'logEventV2', t: Record<string, string>): ActionsCase[] {
  return [
    {
      title: t.defaults!,
      action,
      event: testEvent({ timestamp: TIMESTAMP, event: 'Test Event' }),
      // logEvent's and logEventV2's test passes no mapping; logPurchase's passes `library2: {}`
      mapping: action === 'logPurchase' ? { library2: {} } : undefined,
      useDefaultMappings: true,
      url: HTTPAPI,
      responses: 1,
      matcher: 'toMatchObject',
      json: CITY_COUNTRY(undefined),
    },
    {
      title: t.library2!,
      action,
      event: testEvent({ timestamp: TIMESTAMP, event: 'Test Event', context: contextWith({ name: 'custom-library-name', version: '1.0.0' }, 'custom-device-type') }),
      mapping: { library2: { behavior: 'use_mapping', mapping: { '@path': '$.context.library.name' } } },
      useDefaultMappings: true,
      url: HTTPAPI,
      responses: 1,
      matcher: 'toEqual',
      json: iphoneBody('custom-device-type'),
    },
    {
      title: t.platformNotSet!,
      action,
      event: testEvent({ timestamp: TIMESTAMP, event: 'Test Event', context: contextWith({ name: 'custom-library-name', version: '1.0.0' }, 'ios') }),
      useDefaultMappings: true,
      url: HTTPAPI,
      responses: 1,
      matcher: 'toEqual',
      json: iphoneBody('iOS'),
    },
    { title: t.ios!, action, ...DEVICE_CASING('ios', 'iOS') },
    { title: t.android!, action, ...DEVICE_CASING('android', 'Android') },
  ]
}

function eventTailCases(action: 'logPurchase' | 'logEvent' | 'logEventV2', t: Record<string, string>): ActionsCase[] {
  return [
    { title: t.notInject!, action, ...NO_USER_DATA },
    { title: t.utm!, action, ...REFERRER_UTM },
    {
      title: t.ua!,
      action,
      event: MAC_EVENT,
      mapping: { userAgentParsing: true, library2: {} },
      useDefaultMappings: true,
      url: HTTPAPI,
      responses: 1,
      matcher: 'inlineSnapshot',
      json: macSnapshot('Mac OS', '53'),
    },
    {
      title: t.sessionString!,
      action,
      event: sessionEvent('1234567890'),
      mapping: { library2: {} },
      useDefaultMappings: true,
      url: HTTPAPI,
      responses: 1,
      matcher: 'inlineSnapshot',
      json: SESSION_SNAPSHOT,
    },
    {
      title: t.sessionNumber!,
      action,
      event: sessionEvent(1234567890),
      mapping: { library2: {} },
      useDefaultMappings: true,
      url: HTTPAPI,
      responses: 1,
      matcher: 'inlineSnapshot',
      json: SESSION_SNAPSHOT,
    },
    {
      title: t.eu!,
      action,
      event: testEvent({ timestamp: TIMESTAMP, event: 'Test Event' }),
      useDefaultMappings: true,
      settings: EU,
      url: EU_HTTPAPI,
      responses: 1,
      matcher: 'toMatchObject',
      json: CITY_COUNTRY(''),
    },
    {
      title: t.euBatch!,
      action,
      event: testEvent({ timestamp: TIMESTAMP, event: 'Test Event' }),
      mapping: { use_batch_endpoint: true },
      useDefaultMappings: true,
      settings: EU,
      url: EU_BATCH,
      responses: 1,
      matcher: 'toMatchObject',
      json: CITY_COUNTRY(''),
    },
  ]
}

function osPrecedence(action: 'logPurchase' | 'logEvent' | 'logEventV2', title: string): ActionsCase {
  return {
    title,
    action,
    event: MAC_OS_EVENT,
    mapping: { userAgentParsing: true, library2: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'inlineSnapshot',
    json: macSnapshot('iPhone OS', '8.1.3'),
  }
}

const P = 'Amplitude › logPurchase › '
const LOG_PURCHASE: ActionsCase[] = [
  ...sharedEventCases('logPurchase', {
    defaults: P + 'should work with default mappings',
    library2: P + 'should work with library2.behavior and platform.behavior fields set to use_mapping',
    platformNotSet: P + 'should work with platform.behavior field not set',
    ios: P + 'should change casing for device type when value is ios',
    android: P + 'should change casing for device type when value is android',
  }),
  {
    title: P + 'should set Platform field to "Web" when Library field = "analytics.js" and Platform field = null or undefined',
    action: 'logPurchase',
    event: testEvent({ event: 'Test Event', context: { device: { id: 'foo', type: null }, library: { name: 'analytics.js', version: '2.11.1' } } }),
    useDefaultMappings: true,
    url: HTTPAPI,
    matcher: 'toMatchObject',
    json: { api_key: undefined, events: arrayContaining([objectContaining({ platform: 'Web' })]) },
  },
  {
    title: P + 'should set Platform field to value passed by customer when Library field = "analytics.js" and Platform field is not null or undefined',
    action: 'logPurchase',
    event: testEvent({ event: 'Test Event', context: { device: { id: 'foo', type: 'Some_Custom_Platform_Value' }, library: { name: 'analytics.js', version: '2.11.1' } } }),
    useDefaultMappings: true,
    url: HTTPAPI,
    matcher: 'toMatchObject',
    json: { api_key: undefined, events: arrayContaining([objectContaining({ platform: 'Some_Custom_Platform_Value' })]) },
  },
  { title: P + 'should accept null for user_id', action: 'logPurchase', ...NULL_USER },
  {
    title: P + 'should work with default mappings (2)',
    action: 'logPurchase',
    event: testEvent({ event: 'Order Completed', timestamp: TIMESTAMP, properties: ORDER_ONE_PRODUCT }),
    mapping: { library2: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([
        objectContaining({ event_type: 'Order Completed', revenue: 1_999, event_properties: ORDER_ONE_PRODUCT, library: 'segment' }),
        objectContaining({ event_type: 'Product Purchased', event_properties: ORDER_ONE_PRODUCT.products[0], library: 'segment' }),
      ]),
    },
  },
  {
    title: P + 'should allow alternate revenue names at the root level',
    action: 'logPurchase',
    event: testEvent({ event: 'Order Completed', timestamp: TIMESTAMP, properties: { revenue: 1_999, bitcoin_rev: 9_999 } }),
    mapping: { revenue: { '@path': '$.properties.bitcoin_rev' } },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([objectContaining({ event_type: 'Order Completed', event_properties: { revenue: 1_999, bitcoin_rev: 9_999 }, revenue: 9_999 })]),
    },
  },
  {
    title: P + 'should work with per product revenue tracking',
    action: 'logPurchase',
    event: testEvent({
      event: 'Order Completed',
      timestamp: TIMESTAMP,
      properties: { revenue: 1_999, products: [{ quantity: 1, productId: 'Bowflex Treadmill 10', revenue: 500 }] },
    }),
    mapping: { trackRevenuePerProduct: true },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([
        objectContaining({
          event_type: 'Order Completed',
          event_properties: { revenue: 1_999, products: [{ quantity: 1, productId: 'Bowflex Treadmill 10', revenue: 500 }] },
        }),
        objectContaining({
          event_type: 'Product Purchased',
          revenue: 500,
          event_properties: { quantity: 1, productId: 'Bowflex Treadmill 10', revenue: 500 },
        }),
      ]),
    },
  },
  ...eventTailCases('logPurchase', {
    notInject: P + 'should not inject userData if the default mapping is not satisfied and utm / referrer are not provided',
    utm: P + 'should support referrer and utm properties in logPurchase call to amplitude',
    ua: P + 'should support parsing userAgent when the setting is true',
    sessionString: P + 'should support session_id from `integrations.Actions Amplitude.session_id`',
    sessionNumber: P + 'supports session_id from `integrations.Actions Amplitude.session_id` in number format',
    eu: P + 'should send data to the EU endpoint',
    euBatch: P + 'should send data to the batch EU endpoint when specified in settings',
  }),
  osPrecedence('logPurchase', P + 'should give precedence to OS properties over userAgent properties'),
  {
    title: P + 'should calculate revenue based on price and quantity',
    action: 'logPurchase',
    event: testEvent({
      event: 'Order Completed',
      timestamp: TIMESTAMP,
      properties: { revenue: 3_998, products: [{ quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999 }] },
    }),
    mapping: { trackRevenuePerProduct: true, library2: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([
        objectContaining({
          event_type: 'Order Completed',
          event_properties: { revenue: 3_998, products: [{ quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999 }] },
          library: 'segment',
        }),
        objectContaining({
          event_type: 'Product Purchased',
          revenue: 3_998,
          price: 1_999,
          quantity: 2,
          event_properties: { quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999 },
          library: 'segment',
        }),
      ]),
    },
  },
  {
    title: P + 'should ignore products with no revenue or quantity/price value',
    action: 'logPurchase',
    event: testEvent({
      event: 'Order Completed',
      timestamp: TIMESTAMP,
      properties: {
        products: [
          { quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999 },
          { revenue: 1_999, productId: 'Bowflex Treadmill 8' },
          { productId: 'Bowflex Treadmill 4', price: 1_999 },
          { quantity: 2, productId: 'Bowflex Treadmill 2' },
        ],
      },
    }),
    mapping: { trackRevenuePerProduct: true, library2: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([
        objectContaining({
          event_type: 'Order Completed',
          event_properties: {
            products: [
              { quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999 },
              { revenue: 1_999, productId: 'Bowflex Treadmill 8' },
              { productId: 'Bowflex Treadmill 4', price: 1_999 },
              { quantity: 2, productId: 'Bowflex Treadmill 2' },
            ],
          },
          library: 'segment',
        }),
        objectContaining({
          event_type: 'Product Purchased',
          revenue: 3_998,
          price: 1_999,
          quantity: 2,
          event_properties: { quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999 },
          library: 'segment',
        }),
        objectContaining({
          event_type: 'Product Purchased',
          revenue: 1_999,
          event_properties: { revenue: 1_999, productId: 'Bowflex Treadmill 8' },
          library: 'segment',
        }),
      ]),
    },
  },
  {
    title: P + 'should prioritize price*quantity over revenue value',
    action: 'logPurchase',
    event: testEvent({
      event: 'Order Completed',
      timestamp: TIMESTAMP,
      properties: { revenue: 3_998, products: [{ quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999, revenue: 4_000 }] },
    }),
    mapping: { trackRevenuePerProduct: true, library2: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([
        objectContaining({
          event_type: 'Order Completed',
          event_properties: { revenue: 3_998, products: [{ quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999, revenue: 4_000 }] },
          library: 'segment',
        }),
        objectContaining({
          event_type: 'Product Purchased',
          revenue: 3_998,
          price: 1_999,
          quantity: 2,
          event_properties: { quantity: 2, productId: 'Bowflex Treadmill 10', price: 1_999, revenue: 4_000 },
          library: 'segment',
        }),
      ]),
    },
  },
]

const ALIAS = testEvent({ type: 'alias', userId: 'some-user-id', previousId: 'some-previous-user-id' })
const MAPPING_FORM = 'mapping=%5B%7B%22user_id%22%3A%22some-previous-user-id%22%2C%22global_user_id%22%3A%22some-user-id%22%7D%5D'
const MAP_USER: ActionsCase[] = [
  {
    title: 'Amplitude › mapUser › should work with default mappings',
    action: 'mapUser',
    event: ALIAS,
    useDefaultMappings: true,
    url: 'https://api.amplitude.com/usermap',
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=undefined&${MAPPING_FORM}`,
  },
  {
    title: 'Amplitude › mapUser › should send data to the EU endpoint',
    action: 'mapUser',
    event: ALIAS,
    useDefaultMappings: true,
    settings: EU,
    url: 'https://api.eu.amplitude.com/usermap',
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=&${MAPPING_FORM}`,
  },
]

const E = 'Amplitude › logEvent › '
const WITHOUT_PRODUCTS = (action: 'logEvent' | 'logEventV2', title: string): ActionsCase => ({
  title,
  action,
  event: testEvent({ event: 'Order Completed', timestamp: TIMESTAMP, properties: ORDER_ONE_PRODUCT }),
  mapping: { library2: {} },
  useDefaultMappings: true,
  url: HTTPAPI,
  responses: 1,
  matcher: 'toMatchObject',
  json: {
    api_key: undefined,
    events: arrayContaining([objectContaining({ event_type: 'Order Completed', event_properties: ORDER_ONE_PRODUCT, library: 'segment' })]),
  },
})
const ALTERNATE_REVENUE = (action: 'logEvent' | 'logEventV2', title: string): ActionsCase => ({
  title,
  action,
  event: testEvent({ event: 'Order Completed', timestamp: TIMESTAMP, properties: { revenue: 1_999, bitcoin_rev: 9_999 } }),
  mapping: { revenue: { '@path': '$.properties.bitcoin_rev' }, library2: {} },
  useDefaultMappings: true,
  url: HTTPAPI,
  responses: 1,
  matcher: 'toMatchObject',
  json: {
    api_key: undefined,
    events: arrayContaining([objectContaining({ event_type: 'Order Completed', event_properties: { revenue: 1_999, bitcoin_rev: 9_999 } })]),
  },
})

const LOG_EVENT: ActionsCase[] = [
  ...sharedEventCases('logEvent', {
    defaults: E + 'should work with default mappings',
    library2: E + 'should work with library2.behavior and platform.behavior fields set to use_mapping',
    platformNotSet: E + 'should work with platform.behavior field not set',
    ios: E + 'should change casing for device type when value is ios',
    android: E + 'should change casing for device type when value is android',
  }),
  { title: E + 'should accept null for user_id', action: 'logEvent', ...NULL_USER },
  WITHOUT_PRODUCTS('logEvent', E + 'should work with default mappings without generating additional events from products array'),
  ALTERNATE_REVENUE('logEvent', E + 'should allow alternate revenue names at the root level'),
  ...eventTailCases('logEvent', {
    notInject: E + 'should not inject userData if the default mapping is not satisfied and utm / referrer are not provided',
    utm: E + 'should support referrer and utm properties in logEvent call to amplitude',
    ua: E + 'should support parsing userAgent when the setting is true',
    sessionString: E + 'should support session_id from `integrations.Actions Amplitude.session_id`',
    sessionNumber: E + 'supports session_id from `integrations.Actions Amplitude.session_id` in number format',
    eu: E + 'should send data to the EU endpoint',
    euBatch: E + 'should send data to the batch EU endpoint when specified in settings',
  }),
  osPrecedence('logEvent', E + 'should give precedence to OS properties over userAgent properties'),
]

const V = 'Amplitude › logEvent V2 › '
const LOG_EVENT_V2: ActionsCase[] = [
  ...sharedEventCases('logEventV2', {
    defaults: V + 'works with default mappings',
    library2: V + 'should work with library2.behavior and platform.behavior fields set to use_mapping',
    platformNotSet: V + 'should work with platform.behavior field not set',
    ios: V + 'changes casing for device type when value is ios',
    android: V + 'changes casing for device type when value is android',
  }),
  { title: V + 'accepts null for user_id', action: 'logEventV2', ...NULL_USER },
  WITHOUT_PRODUCTS('logEventV2', V + 'works with default mappings without generating additional events from products array'),
  ALTERNATE_REVENUE('logEventV2', V + 'allows alternate revenue names at the root level'),
  ...eventTailCases('logEventV2', {
    notInject: V + 'does not inject userData if the default mapping is not satisfied and utm / referrer are not provided',
    utm: V + 'supports referrer and utm properties in logEvent call to amplitude',
    ua: V + 'supports parsing userAgent when the setting is true',
    sessionString: V + 'supports session_id from `integrations.Actions Amplitude.session_id`',
    sessionNumber: V + 'supports session_id from `integrations.Actions Amplitude.session_id` in number format',
    eu: V + 'sends data to the EU endpoint',
    euBatch: V + 'sends data to the batch EU endpoint when specified in settings',
  }),
  {
    title: V + 'correctly handles the default mappings for setOnce, setAlways, and add',
    action: 'logEventV2',
    event: UTM_EVENT,
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([objectContaining({ user_properties: objectContaining({ $set: UTM_SET, $setOnce: UTM_SET_ONCE }) })]),
    },
  },
  {
    title: V + 'works when setOnce, setAlways, and add are empty',
    action: 'logEventV2',
    event: UTM_EVENT,
    mapping: { setOnce: {}, setAlways: {}, add: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'toMatchObject',
    json: {
      api_key: undefined,
      events: arrayContaining([objectContaining({ user_properties: objectContaining({ 'some-trait-key': 'some-trait-value' }) })]),
    },
  },
  osPrecedence('logEventV2', V + 'should give precedence to OS properties over userAgent properties'),
]

const TOP_LEVEL: ActionsCase[] = [
  {
    title: 'Amplitude › does not send parsed user agent properties when setting is false',
    action: 'logEvent',
    event: testEvent({ timestamp: '2021-04-12T16:32:37.710Z', event: 'Test Event', context: { device: { id: 'foo' }, userAgent: MAC_UA } }),
    mapping: { userAgentParsing: false, library2: {} },
    useDefaultMappings: true,
    url: HTTPAPI,
    responses: 1,
    matcher: 'inlineSnapshot',
    json: {
      api_key: undefined,
      events: [
        {
          device_id: 'foo',
          event_properties: {},
          event_type: 'Test Event',
          idfv: 'foo',
          library: 'segment',
          time: 1618245157710,
          use_batch_endpoint: false,
          user_id: 'user1234',
          user_properties: {},
        },
      ],
      options: undefined,
    },
  },
]

const IDENTIFY_URL = 'https://api2.amplitude.com/identify'
const IDENTIFY_EVENT = (extra: Obj = {}): Obj =>
  testEvent({
    anonymousId: 'some-anonymous-id',
    timestamp: '2021-04-12T16:32:37.710Z',
    type: 'group',
    userId: 'some-user-id',
    traits: { 'some-trait-key': 'some-trait-value' },
    ...extra,
  })
/** Both envelope differences of every identifyUser snapshot. */
const IDENTIFY_ENVELOPE: EnvelopeDifference[] = ['identification-object', 'options=undefined']
const I = 'Amplitude › identifyUser › '
const IPHONE_IDENTIFICATION =
  'identification=%7B%22os_name%22%3A%22iOS%22%2C%22os_version%22%3A%229%22%2C%22device_manufacturer%22%3A%22Apple%22%2C%22device_model%22%3A%22iPhone%22%2C%22device_type%22%3A%22mobile%22%2C%22user_id%22%3A%22some-user-id%22%2C%22device_id%22%3A%22some-anonymous-id%22%2C%22user_properties%22%3A%7B%22some-trait-key%22%3A%22some-trait-value%22%7D%2C%22country%22%3A%22United+States%22%2C%22city%22%3A%22San+Francisco%22%2C%22language%22%3A%22en-US%22%2C%22platform%22%3A%22Web%22%2C%22library%22%3A%22segment%22%7D&options=undefined'

const IDENTIFY_USER: ActionsCase[] = [
  {
    title: I + 'should work with default mappings',
    action: 'identifyUser',
    event: IDENTIFY_EVENT(),
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=undefined&${IPHONE_IDENTIFICATION}`,
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should support referrer and utm user_properties',
    action: 'identifyUser',
    event: IDENTIFY_EVENT({ event: 'Test Event', context: { page: { referrer: 'some-referrer' }, campaign: CAMPAIGN } }),
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    responses: 1,
    matcher: 'inlineSnapshot',
    form: 'api_key=undefined&identification=%7B%22user_id%22%3A%22some-user-id%22%2C%22device_id%22%3A%22some-anonymous-id%22%2C%22user_properties%22%3A%7B%22some-trait-key%22%3A%22some-trait-value%22%2C%22%24set%22%3A%7B%22utm_source%22%3A%22Newsletter%22%2C%22utm_medium%22%3A%22email%22%2C%22utm_campaign%22%3A%22TPS+Innovation+Newsletter%22%2C%22utm_term%22%3A%22tps+reports%22%2C%22utm_content%22%3A%22image+link%22%2C%22referrer%22%3A%22some-referrer%22%7D%2C%22%24setOnce%22%3A%7B%22initial_utm_source%22%3A%22Newsletter%22%2C%22initial_utm_medium%22%3A%22email%22%2C%22initial_utm_campaign%22%3A%22TPS+Innovation+Newsletter%22%2C%22initial_utm_term%22%3A%22tps+reports%22%2C%22initial_utm_content%22%3A%22image+link%22%2C%22initial_referrer%22%3A%22some-referrer%22%7D%7D%2C%22library%22%3A%22segment%22%7D&options=undefined',
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'shouldnt append $ keys to user_properties if referrer/utm are not specified',
    action: 'identifyUser',
    event: IDENTIFY_EVENT({ event: 'Test Event' }),
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=undefined&${IPHONE_IDENTIFICATION}`,
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should support parsing userAgent when the setting is true',
    action: 'identifyUser',
    event: IDENTIFY_EVENT({ event: 'Test Event', context: { device: { id: 'foo' }, userAgent: MAC_UA } }),
    mapping: { userAgentParsing: true, library2: {} },
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    responses: 1,
    matcher: 'inlineSnapshot',
    form: 'api_key=undefined&identification=%7B%22os_name%22%3A%22Mac+OS%22%2C%22os_version%22%3A%2253%22%2C%22device_model%22%3A%22Mac+OS%22%2C%22user_id%22%3A%22some-user-id%22%2C%22device_id%22%3A%22foo%22%2C%22user_properties%22%3A%7B%22some-trait-key%22%3A%22some-trait-value%22%7D%2C%22library%22%3A%22segment%22%7D&options=undefined',
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should not send parsed user agent properties when setting is false',
    action: 'identifyUser',
    event: IDENTIFY_EVENT({ event: 'Test Event', context: { device: { id: 'foo' }, userAgent: MAC_UA } }),
    mapping: { userAgentParsing: false },
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    responses: 1,
    matcher: 'inlineSnapshot',
    form: 'api_key=undefined&identification=%7B%22user_id%22%3A%22some-user-id%22%2C%22device_id%22%3A%22foo%22%2C%22user_properties%22%3A%7B%22some-trait-key%22%3A%22some-trait-value%22%7D%2C%22library%22%3A%22segment%22%7D&options=undefined',
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should change casing for device type when value is android',
    action: 'identifyUser',
    event: testEvent({ context: { device: { id: 'foo', type: 'android' } } }),
    mapping: { userAgentParsing: false },
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    matcher: 'inlineSnapshot',
    form: 'api_key=undefined&identification=%7B%22user_id%22%3A%22user1234%22%2C%22device_id%22%3A%22foo%22%2C%22user_properties%22%3A%7B%7D%2C%22platform%22%3A%22Android%22%2C%22library%22%3A%22segment%22%7D&options=undefined',
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should change casing for device type when value is ios',
    action: 'identifyUser',
    event: testEvent({ context: { device: { id: 'foo', type: 'ios' } } }),
    mapping: { userAgentParsing: false },
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    matcher: 'inlineSnapshot',
    form: 'api_key=undefined&identification=%7B%22user_id%22%3A%22user1234%22%2C%22device_id%22%3A%22foo%22%2C%22user_properties%22%3A%7B%7D%2C%22platform%22%3A%22iOS%22%2C%22library%22%3A%22segment%22%7D&options=undefined',
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should send data to the EU endpoint',
    action: 'identifyUser',
    event: IDENTIFY_EVENT(),
    useDefaultMappings: true,
    settings: EU,
    url: 'https://api.eu.amplitude.com/identify',
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=&${IPHONE_IDENTIFICATION}`,
    envelope: IDENTIFY_ENVELOPE,
  },
  {
    title: I + 'should give precedence to OS properties over userAgent properties',
    action: 'identifyUser',
    event: IDENTIFY_EVENT({ event: 'Test Event', context: { os: { name: 'iPhone OS', version: '8.1.3' }, device: { id: 'foo' }, userAgent: MAC_UA } }),
    mapping: { userAgentParsing: true, library2: {} },
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    responses: 1,
    matcher: 'inlineSnapshot',
    form: 'api_key=undefined&identification=%7B%22os_name%22%3A%22iPhone+OS%22%2C%22os_version%22%3A%228.1.3%22%2C%22device_model%22%3A%22Mac+OS%22%2C%22user_id%22%3A%22some-user-id%22%2C%22device_id%22%3A%22foo%22%2C%22user_properties%22%3A%7B%22some-trait-key%22%3A%22some-trait-value%22%7D%2C%22library%22%3A%22segment%22%7D&options=undefined',
    envelope: IDENTIFY_ENVELOPE,
  },
]

const G = 'Amplitude › groupIdentifyUser › '
const GROUP_EVENT = IDENTIFY_EVENT()
const GROUP_MAPPING = { insert_id: 'some-insert-id', group_type: 'some-type', group_value: 'some-value' }
const ASSOCIATION =
  'identification=%5B%7B%22device_id%22%3A%22some-anonymous-id%22%2C%22groups%22%3A%7B%22some-type%22%3A%22some-value%22%7D%2C%22insert_id%22%3A%22some-insert-id%22%2C%22library%22%3A%22segment%22%2C%22time%22%3A1618245157710%2C%22user_id%22%3A%22some-user-id%22%2C%22user_properties%22%3A%7B%22some-type%22%3A%22some-value%22%7D%7D%5D&options=undefined'
const GROUP_PROPERTIES =
  'identification=%5B%7B%22group_properties%22%3A%7B%22some-trait-key%22%3A%22some-trait-value%22%7D%2C%22group_value%22%3A%22some-value%22%2C%22group_type%22%3A%22some-type%22%2C%22library%22%3A%22segment%22%7D%5D&options=undefined'
const GROUP_ONLY = 'identification=%5B%7B%22group_value%22%3A%22some-value%22%2C%22group_type%22%3A%22some-type%22%2C%22library%22%3A%22segment%22%7D%5D&options=undefined'
/** The `eventWithoutIds` of the last two tests: createTestEvent still supplies userId and anonymousId. */
const WITHOUT_IDS = testEvent({ timestamp: '2021-04-12T16:32:37.710Z', type: 'group', traits: { 'some-trait-key': 'some-trait-value' } })

const GROUP_IDENTIFY_USER: ActionsCase[] = [
  {
    title: G + 'should fire identify call to Amplitude, if user_id or device_id is present',
    action: 'groupIdentifyUser',
    event: GROUP_EVENT,
    mapping: GROUP_MAPPING,
    useDefaultMappings: true,
    url: IDENTIFY_URL,
    response: 0,
    matcher: 'inlineSnapshot',
    form: `api_key=undefined&${ASSOCIATION}`,
    envelope: ['options=undefined'],
  },
  {
    title: G + 'should fire groupidentify call to Amplitude',
    action: 'groupIdentifyUser',
    event: GROUP_EVENT,
    mapping: GROUP_MAPPING,
    useDefaultMappings: true,
    url: 'https://api2.amplitude.com/groupidentify',
    response: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=undefined&${GROUP_PROPERTIES}`,
    envelope: ['options=undefined'],
  },
  {
    title: G + 'should fire identify call to Amplitude EU endpoint, if user_id or device_id is present',
    action: 'groupIdentifyUser',
    event: GROUP_EVENT,
    mapping: GROUP_MAPPING,
    useDefaultMappings: true,
    settings: EU,
    url: 'https://api.eu.amplitude.com/identify',
    response: 0,
    matcher: 'inlineSnapshot',
    form: `api_key=&${ASSOCIATION}`,
    envelope: ['options=undefined'],
  },
  {
    title: G + 'should fire groupidentify call to Amplitude EU endpoint',
    action: 'groupIdentifyUser',
    event: GROUP_EVENT,
    mapping: GROUP_MAPPING,
    useDefaultMappings: true,
    settings: EU,
    url: 'https://api.eu.amplitude.com/groupidentify',
    response: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=&${GROUP_PROPERTIES}`,
    envelope: ['options=undefined'],
  },
  {
    title: G + 'should only fire groupidentify call to Amplitude, if user_id and device_id are missing',
    action: 'groupIdentifyUser',
    event: WITHOUT_IDS,
    mapping: GROUP_MAPPING,
    settings: { apiKey: '', secretKey: '' },
    url: 'https://api2.amplitude.com/groupidentify',
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=&${GROUP_ONLY}`,
    envelope: ['options=undefined'],
  },
  {
    title: G + 'should only fire groupidentify call to Amplitude EU endpoint, if user_id and device_id are missing',
    action: 'groupIdentifyUser',
    event: WITHOUT_IDS,
    mapping: GROUP_MAPPING,
    settings: EU,
    url: 'https://api.eu.amplitude.com/groupidentify',
    responses: 1,
    matcher: 'inlineSnapshot',
    form: `api_key=&${GROUP_ONLY}`,
    envelope: ['options=undefined'],
  },
]

/** Every in-scope case, in the order of the original file. */
export const ACTIONS_CASES: readonly ActionsCase[] = [...LOG_PURCHASE, ...MAP_USER, ...LOG_EVENT, ...LOG_EVENT_V2, ...TOP_LEVEL, ...IDENTIFY_USER, ...GROUP_IDENTIFY_USER]

/** Tests of the original file left out, with the reason. */
export const OUT_OF_SCOPE: readonly { title: string; reason: string }[] = [
  { title: 'Amplitude › deletes › should support gdpr deletes', reason: 'GDPR deletion (onDelete) is not part of replay' },
  { title: 'Amplitude › deletes › should support gdpr deletes on EU endpoint', reason: 'GDPR deletion (onDelete) is not part of replay' },
]
