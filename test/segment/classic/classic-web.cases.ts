/**
 * Conformance table: the tests of Segment's analytics.js Amplitude integration
 * (segmentio/analytics.js-integrations, integrations/amplitude/test/index.test.js, 61 tests)
 * as cases for `classicRecords(message, settings, { mode: 'web' })`, plus rules the
 * integration's source (integrations/amplitude/lib/index.js) shows but its tests do not assert.
 *
 * The original tests spy on the Amplitude browser SDK (amplitude-js). Here each case gives the
 * archived message(s) analytics.js would have produced for the test's calls, the settings (the
 * test's `options` plus what the test changes), and the SDK calls it expects, written as
 * `[method, ...args]`. The runner reads the emulation's records back as the SDK calls that made
 * them (see test/segment/classic/classic-web-conformance.test.ts) and applies sinon's semantics: `called` = some
 * call whose leading arguments deep-equal the given ones; `notCalled` = none (any call, when no
 * arguments are given); `count` = how many such calls.
 */
export type Obj = Record<string, unknown>

/** An SDK call as the tests name it, with the arguments they assert. */
export type Call = [string, ...unknown[]]

export interface Step {
  /** Changes to the case's settings for this step (`amplitude.options.x = …`). */
  settings?: Obj
  messages: Obj[]
  called?: Call[]
  notCalled?: Call[]
  count?: Array<{ call: Call; times: number }>
  /** Every record's device_id is the SDK's own (unknown: not in the record). */
  deviceIdUnknown?: boolean
  /** No event record carries user_properties. */
  eventsWithoutUserProperties?: boolean
  /** Records exactly, in order (for the source rules the tests do not cover). */
  records?: Obj[]
}

export interface WebCase {
  /** `describe › it` title in index.test.js, or `source rule: …` for lib/index.js rules. */
  title: string
  settings?: Obj
  steps: Step[]
  /** How the test's assertion was expressed here, when it is not a direct transcription. */
  note?: string
}

/** The test file's `options`, plus the integration's defaults for options it does not set. */
export const TEST_OPTIONS: Obj = {
  apiKey: '07808866adb2510adf19ee69e8fc2201',
  trackUtmProperties: true,
  trackReferrer: false,
  batchEvents: false,
  eventUploadThreshold: 30,
  eventUploadPeriodMillis: 30000,
  forceHttps: false,
  trackGclid: false,
  saveParamsReferrerOncePerSession: true,
  deviceIdFromUrlParam: false,
  trackRevenuePerProduct: false,
  mapQueryParams: {},
  traitsToIncrement: [],
  traitsToSetOnce: [],
  preferAnonymousIdForDeviceId: true,
  unsetParamsReferrerOnNewSession: false,
  versionName: '4.6.0',
  // integration defaults (`.option(…)` in lib/index.js) where the catalog's differ
  trackAllPages: false,
  trackNamedPages: true,
  trackCategorizedPages: true,
  useLogRevenueV2: false,
  appendFieldsToEventProps: {},
  trackProductsOnce: false,
  useAmplitudeReferral: false,
}

const ANON = 'b3e1c5a4-1f0e-4c39-9c52-5a6f3f7c2d10'
const TIME = '2024-05-06T10:00:00.000Z'
const PAGE = { path: '/context.html', referrer: '', search: '', title: '', url: 'http://localhost:9876/context.html' }

/** A message as analytics.js builds it in the Karma test page (no userId until identify). */
function message(type: string, fields: Obj = {}, page: Obj = {}): Obj {
  return {
    type,
    anonymousId: ANON,
    messageId: `ajs-${type}`,
    timestamp: TIME,
    context: { library: { name: 'analytics.js', version: '3.8.2' }, page: { ...PAGE, ...page } },
    properties: {},
    ...fields,
  }
}
const track = (event: string, properties: Obj = {}, extra: Obj = {}, page: Obj = {}) => message('track', { event, properties, ...extra }, page)
/** analytics.page(category?, name?, properties?, options?): page properties default to the page context. */
const page = (fields: Obj = {}, page: Obj = {}) => message('page', { properties: { ...PAGE }, ...fields }, page)
const identify = (userId: string | null, traits: Obj = {}, extra: Obj = {}, page: Obj = {}) => message('identify', { userId, traits, ...extra }, page)
const group = (groupId: string, traits: Obj = {}) => message('group', { groupId, traits })

/** The order of the #orderCompleted tests. */
const PAYLOAD = {
  checkoutId: 'fksdjfsdjfisjf9sdfjsd9f',
  orderId: '50314b8e9bcf000000000000',
  affiliation: 'Google Store',
  total: 30,
  revenue: 25,
  shipping: 3,
  tax: 2,
  discount: 2.5,
  coupon: 'hasbros',
  currency: 'USD',
  products: [
    { productId: '507f1f77bcf86cd799439011', sku: '45790-32', name: 'Monopoly: 3rd Edition', price: 19, quantity: 1, category: 'Games' },
    { productId: '505bd76785ebb509fc183733', sku: '46493-32', name: 'Uno Card Game', price: 3, quantity: 2, category: 'Games' },
  ],
}

const NO_REVENUE: Call[] = [['logRevenue'], ['logRevenueV2']]

/** `should set deviceId if preferAnonymousIdForDeviceId is set`: off → SDK id, on → anonymousId. */
function deviceIdSteps(msg: Obj): Step[] {
  const m = { ...msg, anonymousId: 'example' }
  return [
    { settings: { preferAnonymousIdForDeviceId: false }, messages: [m], notCalled: [['setDeviceId']], deviceIdUnknown: true },
    { settings: { preferAnonymousIdForDeviceId: true }, messages: [m], called: [['setDeviceId', 'example']] },
  ]
}

const A = 'Amplitude › after loading › '

export const WEB_CASES: readonly WebCase[] = [
  {
    title: A + 'should init with right options',
    steps: [
      {
        messages: [track('event')],
        called: [
          ['setDeviceId', ANON],
          ['setVersionName', '4.6.0'],
        ],
      },
    ],
    note: 'Of the init options only deviceId (= anonymousId, preferAnonymousIdForDeviceId on) and versionName reach the records; the others configure the SDK itself (batching, cookies, UTM/referrer capture, HTTPS).',
  },
  {
    title: A + 'Initialize amplitude without versionName › should init without versionName',
    settings: { versionName: '' },
    steps: [{ messages: [track('event')], notCalled: [['setVersionName']] }],
  },
  {
    title: A + 'preferAnonymousIdForDeviceId disabled › should init without anonymousId as the deviceId',
    settings: { preferAnonymousIdForDeviceId: false },
    steps: [{ messages: [track('event')], notCalled: [['setDeviceId']], deviceIdUnknown: true }],
    note: 'Passes by reporting the device id as unknown (the SDK generated it), not by guessing one.',
  },
  {
    title: A + '#setDeviceId › should call window.amplitude.setDeviceId',
    steps: [{ messages: [track('event', {}, { anonymousId: 'deviceId' })], called: [['setDeviceId', 'deviceId']] }],
    note: 'The test calls the integration method directly; here the anonymousId of a message reaches it (preferAnonymousIdForDeviceId on).',
  },
  {
    title: A + '#setDeviceId › should not call amplitude.setDeviceId if deviceId is falsey',
    steps: [{ messages: [track('event', {}, { anonymousId: '' })], notCalled: [['setDeviceId']], deviceIdUnknown: true }],
    note: 'As above, with an empty anonymousId.',
  },
  { title: A + '#page › should not track unnamed pages by default', steps: [{ messages: [page()], notCalled: [['logEvent']] }] },
  {
    title: A + '#page › should track unnamed pages if enabled',
    settings: { trackAllPages: true },
    steps: [{ messages: [page()], called: [['logEvent', 'Loaded a Page']] }],
  },
  { title: A + '#page › should track named pages by default', steps: [{ messages: [page({ name: 'Name' })], called: [['logEvent', 'Viewed Name Page']] }] },
  {
    title: A + '#page › should track named pages with a category added',
    steps: [{ messages: [page({ category: 'Category', name: 'Name' })], called: [['logEvent', 'Viewed Category Name Page']] }],
  },
  {
    title: A + '#page › should track categorized pages by default',
    steps: [{ messages: [page({ category: 'Category', name: 'Name' })], called: [['logEvent', 'Viewed Category Page']] }],
  },
  {
    title: A + '#page › should not track name or categorized pages if disabled',
    settings: { trackNamedPages: false, trackCategorizedPages: false },
    steps: [{ messages: [page({ category: 'Category', name: 'Name' })], notCalled: [['logEvent']] }],
  },
  {
    title: A + '#page › should map query params to custom property as user properties',
    settings: { trackAllPages: true, mapQueryParams: { customProp: 'user_properties' } },
    steps: [{ messages: [page({}, { search: '?suh=dude' })], called: [['setUserProperties', { customProp: '?suh=dude' }]] }],
  },
  {
    title: A + '#page › should map query params to custom property as event properties',
    settings: { trackAllPages: true, mapQueryParams: { params: 'event_properties' } },
    steps: [
      {
        messages: [page({}, { search: '?suh=dude' })],
        called: [['logEvent', 'Loaded a Page', { params: '?suh=dude', path: '/context.html', referrer: '', search: '', title: '', url: 'http://localhost:9876/context.html' }]],
      },
    ],
  },
  { title: A + '#page › should set deviceId if `preferAnonymousIdForDeviceId` is set', steps: deviceIdSteps(identify('id')) },
  {
    title: A + '#page › should send referrer if "trackReferrer" is set',
    settings: { trackReferrer: true },
    steps: [
      {
        messages: [page({}, { referrer: 'http://examplepage.com/' })],
        called: [
          [
            'identify',
            {
              $setOnce: { initial_referrer: 'http://examplepage.com/', initial_referring_domain: 'examplepage.com' },
              $set: { referrer: 'http://examplepage.com/', referring_domain: 'examplepage.com' },
            },
          ],
        ],
      },
    ],
    note: 'The test stubs getReferrer() (document.referrer); an archived message carries it as context.page.referrer. sinon.match is a partial match, as `identify` here.',
  },
  { title: A + '#identify › should send an id', steps: [{ messages: [identify('id')], called: [['setUserId', 'id']] }] },
  { title: A + '#identify › should set traits', steps: [{ messages: [identify(null, { trait: true })], called: [['identify.set', 'trait', true]] }] },
  {
    title: A + '#identify › should send an id and traits',
    steps: [
      {
        messages: [identify('id', { trait: true })],
        called: [
          ['setUserId', 'id'],
          ['identify.set', 'id', 'id'],
          ['identify.set', 'trait', true],
        ],
      },
    ],
  },
  {
    title: A + '#identify › should send query params under custom trait if set',
    settings: { mapQueryParams: { ham: 'user_properties' } },
    steps: [
      {
        messages: [identify('id', { trait: true }, {}, { search: '?foo=bar' })],
        called: [
          ['setUserId', 'id'],
          ['identify.set', 'id', 'id'],
          ['identify.set', 'trait', true],
          ['identify.set', 'ham', '?foo=bar'],
        ],
      },
    ],
  },
  {
    title: A + '#identify › should call add for all traitsToIncrement traits',
    settings: { traitsToIncrement: ['hatTricks'] },
    steps: [
      {
        messages: [identify(null, { trait: true, hatTricks: 1 })],
        called: [
          ['identify.add', 'hatTricks', 1],
          ['identify.set', 'trait', true],
        ],
        notCalled: [
          ['identify.set', 'hatTricks', 1],
          ['identify.add', 'trait', true],
        ],
      },
    ],
  },
  {
    title: A + '#identify › should call setOnce for all traitsToSetOnce traits',
    settings: { traitsToSetOnce: ['yolo'] },
    steps: [
      {
        messages: [identify(null, { trait: true, yolo: true })],
        called: [
          ['identify.setOnce', 'yolo', true],
          ['identify.set', 'trait', true],
        ],
        notCalled: [
          ['identify.set', 'yolo', true],
          ['identify.setOnce', 'trait', true],
        ],
      },
    ],
  },
  {
    title: A + '#identify › should set user groups if integration option `groups` is present',
    steps: [{ messages: [identify('id', {}, { integrations: { Amplitude: { groups: { foo: 'bar' } } } })], called: [['setGroup', 'foo', 'bar']] }],
  },
  { title: A + '#identify › should set deviceId if `preferAnonymousIdForDeviceId` is set', steps: deviceIdSteps(identify('id')) },
  { title: A + '#track › should send an event', steps: [{ messages: [track('event')], called: [['logEvent', 'event']], notCalled: NO_REVENUE }] },
  {
    title: A + '#track › should send an event and properties',
    steps: [{ messages: [track('event', { property: true })], called: [['logEvent', 'event', { property: true }]], notCalled: NO_REVENUE }],
  },
  {
    title: A + '#track › should send a revenue event',
    steps: [{ messages: [track('event', { revenue: 19.99 })], called: [['logRevenue', 19.99, 1, undefined]], notCalled: [['logRevenueV2']] }],
  },
  {
    title: A + '#track › should send a revenue event with quantity and productId',
    steps: [
      {
        messages: [track('event', { revenue: 19.99, quantity: 2, productId: 'AMP1' })],
        called: [['logRevenue', 19.99, 2, 'AMP1']],
        notCalled: [['logRevenueV2']],
      },
    ],
  },
  {
    title: A + '#track › should send a revenueV2 event',
    settings: { useLogRevenueV2: true },
    steps: [
      {
        messages: [track('event', { revenue: 19.99 })],
        notCalled: [['logRevenue']],
        called: [['logRevenueV2', { price: 19.99, quantity: 1, productId: null, revenueType: null, eventProps: { revenue: 19.99 } }]],
      },
    ],
    note: 'A Revenue object is compared field by field (sinon deepEqual): price, quantity (default 1), productId and revenueType (null when unset), event properties.',
  },
  {
    title: A + '#track › should send a revenueV2 event with quantity and productId and revenueType',
    settings: { useLogRevenueV2: true },
    steps: [
      {
        messages: [track('event', { revenue: 20.0, quantity: 2, price: 10.0, productId: 'AMP1', revenueType: 'purchase' })],
        notCalled: [['logRevenue']],
        called: [
          [
            'logRevenueV2',
            {
              price: 10,
              quantity: 2,
              productId: 'AMP1',
              revenueType: 'purchase',
              eventProps: { revenue: 20.0, quantity: 2, price: 10.0, productId: 'AMP1', revenueType: 'purchase' },
            },
          ],
        ],
      },
    ],
  },
  {
    title: A + '#track › should send a revenueV2 event with revenue if missing price',
    settings: { useLogRevenueV2: true },
    steps: [
      {
        messages: [track('event', { revenue: 20.0, quantity: 2, productId: 'AMP1' })],
        notCalled: [['logRevenue']],
        called: [['logRevenueV2', { price: 20, quantity: 1, productId: 'AMP1', revenueType: null, eventProps: { revenue: 20.0, quantity: 2, productId: 'AMP1' } }]],
      },
    ],
  },
  {
    title: A + '#track › should only send a revenue event if revenue is being logged',
    steps: [{ messages: [track('event', { price: 10.0, quantity: 2, productId: 'AMP1' })], called: [['logEvent']], notCalled: NO_REVENUE }],
  },
  {
    title: A + '#track › should only send a revenueV2 event if revenue is being logged',
    settings: { useLogRevenueV2: true },
    steps: [{ messages: [track('event', { price: 10.0, quantity: 2, productId: 'AMP1' })], called: [['logEvent']], notCalled: NO_REVENUE }],
  },
  {
    title: A + '#track › should send a query params under custom prop as user properties',
    settings: { mapQueryParams: { ham: 'user_properties' } },
    steps: [{ messages: [track('event', { foo: 'bar' }, {}, { search: '?foo=bar' })], called: [['setUserProperties', { ham: '?foo=bar' }]] }],
  },
  {
    title: A + '#track › should send a query params under custom prop as user or event properties',
    settings: { mapQueryParams: { ham: 'event_properties' } },
    steps: [{ messages: [track('event', { foo: 'bar' }, {}, { search: '?foo=bar' })], called: [['logEvent', 'event', { foo: 'bar', ham: '?foo=bar' }]] }],
  },
  {
    title: A + '#track › should send an event with groups if `groups` is an integration specific option',
    steps: [
      {
        messages: [track('event', { foo: 'bar' }, { integrations: { Amplitude: { groups: { sports: 'basketball' } } } })],
        called: [['logEventWithGroups', 'event', { foo: 'bar' }, { sports: 'basketball' }]],
      },
    ],
  },
  {
    title: A + '#track › should send an event with context properties mapped',
    settings: { appendFieldsToEventProps: { 'context.page.path': 'pagePath' } },
    steps: [{ messages: [track('event', { foo: 'bar' })], called: [['logEvent', 'event', { foo: 'bar', pagePath: '/context.html' }]] }],
  },
  {
    title: A + '#orderCompleted › should send a custom revenueType if trackRevenuePerProduct is set',
    settings: { useLogRevenueV2: true, trackRevenuePerProduct: true },
    steps: [
      {
        messages: [track('Completed Order', { revenue: 20.0, revenueType: 'I am custom', products: [{ quantity: 2, price: 10.0, productId: 'AMP1' }] })],
        count: [
          {
            call: [
              'logRevenueV2',
              {
                price: 10.0,
                productId: 'AMP1',
                revenueType: 'I am custom',
                quantity: 2,
                eventProps: { revenue: 20.0, revenueType: 'I am custom', quantity: 2, price: 10.0, productId: 'AMP1' },
              },
            ],
            times: 1,
          },
        ],
      },
    ],
    note: "The test spies on the integration's setRevenue(attributes); with useLogRevenueV2 those attributes become exactly one logRevenueV2 call, compared here.",
  },
  {
    title: A + '#orderCompleted › should send a logRevenueV2 event for all items in products array if trackRevenuePerProduct is true',
    settings: { trackRevenuePerProduct: true, useLogRevenueV2: true },
    steps: [{ messages: [track('Order Completed', PAYLOAD)], count: [{ call: ['logRevenueV2'], times: 2 }] }],
  },
  {
    title: A + '#orderCompleted › should only send a single logRevenueV2 event with the total revenue of all products if trackRevenuePerProduct is false ',
    settings: { trackRevenuePerProduct: false, useLogRevenueV2: true },
    steps: [{ messages: [track('Order Completed', PAYLOAD)], count: [{ call: ['logEvent', 'Product Purchased'], times: 2 }] }],
    note: 'The test asserts two Product Purchased events only; what its title promises (one logRevenueV2 with the order revenue) is the source rule case "Order Completed gets revenueType Purchase".',
  },
  { title: A + '#orderCompleted › should set deviceId if `preferAnonymousIdForDeviceId` is set', steps: deviceIdSteps(track('Order Completed')) },
  {
    title: A + '#orderCompleted › should call logEvent once if `trackProductsOnce` is set',
    settings: { trackProductsOnce: true },
    steps: [{ messages: [track('Order Completed', PAYLOAD)], count: [{ call: ['logEvent'], times: 1 }] }],
    note: "The legacy logRevenue the order also triggers goes through the SDK's internal _logEvent, which the logEvent spy does not see.",
  },
  {
    title: A + '#orderCompleted › should track all product at once once if `trackProductsOnce` is set',
    settings: { trackProductsOnce: true },
    steps: [{ messages: [track('Order Completed', PAYLOAD)], called: [['logEvent', 'Order Completed', PAYLOAD]] }],
  },
  { title: A + '#group › should call setGroup', steps: [{ messages: [group('testGroupId')], called: [['setGroup', '[Segment] Group', 'testGroupId']] }] },
  { title: A + '#group › should not call setGroup if groupId is falsey', steps: [{ messages: [group('')], notCalled: [['setGroup']] }] },
  {
    title: A + '#group › should use `groupTypeTrait` and `groupValueTrait` when both are present',
    settings: { groupTypeTrait: 'foo', groupValueTrait: 'bar' },
    steps: [{ messages: [group('testGroupId', { foo: 'asdf', bar: 'fafa' })], called: [['setGroup', 'asdf', 'fafa']] }],
  },
  {
    title: A + '#group › should fall back to default behavior if either `group{Type, Value}Trait` is missing',
    settings: { groupTypeTrait: 'foo', groupValueTrait: 'bar' },
    steps: [{ messages: [group('testGroupId', { notFoo: 'asdf', bar: 'fafa' })], called: [['setGroup', '[Segment] Group', 'testGroupId']] }],
  },
  { title: A + '#group › should set deviceId if `preferAnonymousIdForDeviceId` is set', steps: deviceIdSteps(group('group')) },
  {
    title: A + 'sendReferrer › should not set any referrer props if referrer is falsey',
    settings: { trackReferrer: true },
    steps: [{ messages: [page({}, { referrer: '' })], notCalled: [['identify.setOnce'], ['identify.set']] }],
    note: 'The test calls sendReferrer() directly; here a page call with trackReferrer does (it is the only caller).',
  },
  {
    title: A + 'sendReferrer › should not set an initial referrer domain if it can not find a top level domain',
    settings: { trackReferrer: true },
    steps: [
      {
        messages: [page({}, { referrer: 'https:/' })],
        notCalled: [
          ['identify.setOnce', 'initial_referring_domain'],
          ['identify.set', 'referring_domain'],
        ],
      },
    ],
    note: 'As above.',
  },
  {
    title: A + 'setTraits › should default traitsToIncrement and traitsToSetOnce to empty arrays if they are undefined',
    settings: { traitsToIncrement: undefined, traitsToSetOnce: undefined },
    steps: [{ messages: [identify(null, { email: 'test@test.com' })], called: [['identify.set', 'email', 'test@test.com']] }],
  },
  {
    title: A + 'setRevenue › should default revenue to price * quantity if revenue is undefined and logRevenueV2 is not being used',
    settings: { useLogRevenueV2: false, trackRevenuePerProduct: true },
    steps: [{ messages: [track('Order Completed', { products: [{ price: 3, quantity: 3, productId: 'foo' }] })], called: [['logRevenue', 9, 3, 'foo']] }],
    note: 'The test calls setRevenue({price: 3, quantity: 3, productId: "foo"}) directly; an order without revenue and per-product revenue passes exactly those attributes for its product.',
  },

  // ---- rules the integration's source shows, its tests do not assert
  {
    title: 'source rule: Order Completed revenue gets revenueType "Purchase" by default (one logRevenueV2 with the order revenue)',
    settings: { trackRevenuePerProduct: false, useLogRevenueV2: true },
    steps: [
      {
        messages: [track('Order Completed', PAYLOAD)],
        count: [
          { call: ['logRevenueV2'], times: 1 },
          { call: ['logRevenueV2', { price: 25, quantity: 1, productId: null, revenueType: 'Purchase', eventProps: { ...PAYLOAD, products: undefined } }], times: 1 },
        ],
      },
    ],
  },
  {
    title: 'source rule: a trait in both traitsToIncrement and traitsToSetOnce produces only $add (the SDK skips a second operation on a property)',
    settings: { traitsToIncrement: ['n'], traitsToSetOnce: ['n'] },
    steps: [{ messages: [identify(null, { n: 1 })], called: [['identify.add', 'n', 1]], notCalled: [['identify.setOnce', 'n']] }],
  },
  {
    title: 'source rule: trackProductsOnce defaults a missing quantity to 1',
    settings: { trackProductsOnce: true },
    steps: [
      {
        messages: [track('Order Completed', { products: [{ productId: 'p1', price: 5 }] })],
        called: [['logEvent', 'Order Completed', { products: [{ productId: 'p1', price: 5, quantity: 1 }] }]],
      },
    ],
  },
  {
    title: 'source rule: per-product revenue needs a truthy quantity (and a price; 0 counts)',
    settings: { trackRevenuePerProduct: true, useLogRevenueV2: true },
    steps: [
      {
        messages: [
          track('Order Completed', {
            products: [
              { productId: 'no-qty', price: 5 },
              { productId: 'free', price: 0, quantity: 1 },
            ],
          }),
        ],
        count: [
          { call: ['logRevenueV2'], times: 0 },
          { call: ['logEvent', 'Product Purchased'], times: 2 },
        ],
        notCalled: [['logRevenue']],
      },
    ],
    note: 'The free product passes the check (price 0 is not null), but logRevenueV2 replaces a falsy price with the revenue, which is missing: the SDK rejects the Revenue, so nothing is sent.',
  },
  {
    title: "source rule: per-product revenue copies the order's revenue and revenueType into each product's properties",
    settings: { trackRevenuePerProduct: true, useLogRevenueV2: true },
    steps: [
      {
        messages: [track('Order Completed', { revenue: 20, revenueType: 'Sale', products: [{ productId: 'p1', price: 10, quantity: 2 }] })],
        called: [
          ['logEvent', 'Product Purchased', { productId: 'p1', price: 10, quantity: 2, revenueType: 'Sale', revenue: 20 }],
          [
            'logRevenueV2',
            { price: 10, quantity: 2, productId: 'p1', revenueType: 'Sale', eventProps: { productId: 'p1', price: 10, quantity: 2, revenueType: 'Sale', revenue: 20 } },
          ],
        ],
      },
    ],
  },
  {
    title: 'source rule: legacy revenue (useLogRevenueV2 false) books revenue, else price × quantity, per product',
    settings: { trackRevenuePerProduct: true, useLogRevenueV2: false },
    steps: [
      {
        messages: [track('Order Completed', { revenue: 30, products: [{ productId: 'p1', price: 10, quantity: 2 }] })],
        called: [['logRevenue', 30, 2, 'p1']],
      },
      { messages: [track('Order Completed', { products: [{ productId: 'p1', price: 10, quantity: 2 }] })], called: [['logRevenue', 20, 2, 'p1']] },
    ],
    note: 'With an order revenue each product books the whole order revenue (it was copied into the product first): what the integration did.',
  },
  {
    title: 'source rule: referring_domain keeps the port',
    settings: { trackReferrer: true },
    steps: [
      {
        messages: [page({}, { referrer: 'http://examplepage.com:8080/a/b' })],
        called: [
          ['identify.set', 'referring_domain', 'examplepage.com:8080'],
          ['identify.setOnce', 'initial_referring_domain', 'examplepage.com:8080'],
        ],
      },
    ],
  },
  {
    title: 'source rule: logEvent in web mode carries no user_properties',
    steps: [
      {
        messages: [track('event', { a: 1 }, { userId: 'u1', context: { library: { name: 'analytics.js' }, traits: { plan: 'pro' }, page: PAGE } })],
        eventsWithoutUserProperties: true,
        called: [['logEvent', 'event', { a: 1 }]],
      },
    ],
  },
  {
    title: 'source rule: mapQueryParams with mixed sides, last entry event-side: only the event-side keys are added',
    settings: { mapQueryParams: { u: 'user_properties', e: 'event_properties' } },
    steps: [{ messages: [track('event', { foo: 'bar' }, {}, { search: '?q=1' })], called: [['logEvent', 'event', { foo: 'bar', e: '?q=1' }]], notCalled: [['setUserProperties']] }],
  },
  {
    title: 'source rule: mapQueryParams with mixed sides, last entry user-side: user-side keys to the user, event-side keys still to the event',
    settings: { mapQueryParams: { e: 'event_properties', u: 'user_properties' } },
    steps: [
      {
        messages: [track('event', { foo: 'bar' }, {}, { search: '?q=1' })],
        called: [
          ['setUserProperties', { u: '?q=1' }],
          ['logEvent', 'event', { foo: 'bar', e: '?q=1' }],
        ],
      },
    ],
  },
]

/** Tests of index.test.js with nothing a record could show, with the reason. */
export const NOT_EXPRESSIBLE: readonly { title: string; reason: string }[] = [
  {
    title: 'Amplitude › should have the right settings',
    reason: "compares the integration's option list and defaults, not what it sends (segamp reads the Segment catalog's settings)",
  },
  { title: 'Amplitude › before loading › #initialize › should create window.amplitude', reason: 'loading the SDK in a browser' },
  { title: 'Amplitude › before loading › #initialize › should call load', reason: 'loading the SDK in a browser' },
  { title: 'Amplitude › before loading › #initialize › should set domain', reason: 'cookie domain of the SDK' },
  { title: 'Amplitude › loading › should load', reason: 'loading the SDK in a browser' },
  { title: A + 'should set api key', reason: 'records carry no API key (the project is the destination)' },
  {
    title: A + '#_initUtmData › should initialize utm properties',
    reason: 'SDK internals; the test is also vacuous: its assertions run in a "ready" handler registered after ready fired, so they never run',
  },
  { title: A + '#_initUtmData › should not track utm properties if disabled', reason: 'SDK internals (UTM capture from the browser URL)' },
  {
    title: A + '#track › should set deviceId if `preferAnonymousIdForDeviceId` is set',
    reason: 'it uses analytics.page() with default naming, which logs nothing: no record could carry the device id (the #identify, #orderCompleted and #group versions are cases)',
  },
  { title: A + 'getReferrer › should return the value of document.referrer', reason: 'a browser API' },
]
