import { strict as assert } from 'node:assert'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import {
  migrateClassic,
  mixedUserPropertyWarnings,
  renderRenameMapCsv,
  renameRowsFromMessages,
  classicPageEventName,
  ORDER_EVENT_NAMES,
  type MigrationResult,
  type Subscription,
} from '../../src/migrate/index.js'
import { PRESETS, defaultValues, type ActionSlug } from '../../src/segment/actions-amplitude/index.js'
import { MIXED_EFFECT } from '../../src/segment/subscriptions/mixed-user-properties.js'
import { CLASSIC_SETTINGS } from '../../src/segment/classic/settings.js'
import { analyzeTrigger } from '../../src/segment/fql/index.js'
import { validateMapping, transform as kitTransform } from '../../src/segment/mapping-kit/index.js'
import { checkSubscriptions, compileSubscriptions, parseMappingDocument, runSubscriptions } from '../../src/segment/subscriptions/index.js'
import type { SegmentMessage } from '../../src/types.js'

const require = createRequire(import.meta.url)
const { parseFql, validate } = require('@segment/destination-subscriptions')
const core = require('@segment/actions-core')

const classic = (input: unknown): MigrationResult => migrateClassic(input, { names: 'classic' })
const sub = (r: MigrationResult, name: string): Subscription => {
  const s = r.subscriptions.find((x) => x.name === name)
  assert.ok(s, `no subscription ${name}`)
  return s
}
const line = (r: MigrationResult, setting: string) => {
  const l = r.report.find((x) => x.setting === setting)
  assert.ok(l, `no report line ${setting}`)
  return l
}
const p = (path: string) => ({ '@path': path })

const ORDER_OR = ORDER_EVENT_NAMES.map((n) => `event = "${n}"`).join(' or ')
const ORDER_NOT = ORDER_EVENT_NAMES.map((n) => `event != "${n}"`).join(' and ')
const DEFAULT_NOTE = ' (Not in the input: catalog default assumed.)'

/** Keys of a generated mapping that differ from defaultValues(slug) (added, removed or changed). */
function overriddenKeys(slug: ActionSlug, mapping: Record<string, unknown>): string[] {
  const d = defaultValues(slug)
  const keys = new Set([...Object.keys(d), ...Object.keys(mapping)])
  return [...keys].filter((k) => JSON.stringify(d[k]) !== JSON.stringify(mapping[k])).sort()
}

// Representative messages as sources send them to Classic.
const ts = '2021-08-17T15:21:15.449Z'
const ctx = {
  library: { name: 'analytics.js', version: '2.11.1' },
  traits: { email: 'a@example.com', address: { city: 'Paris' } },
  campaign: { source: 'google', medium: 'cpc', name: 'spring' },
  page: { referrer: 'https://ref.example.com/', search: '?q=1', url: 'https://example.com/docs' },
  userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  locale: 'en-US',
}
const base = { userId: 'user-1234', anonymousId: 'anon-1234', timestamp: ts, context: ctx }
const EVENTS: Record<string, Record<string, unknown>> = {
  track: { ...base, type: 'track', event: 'Signed Up', properties: { plan: 'pro', country: 'FR', empty: null } },
  order: {
    ...base,
    type: 'track',
    event: 'Order Completed',
    properties: {
      order_id: 'o1',
      total: 30,
      products: [
        { product_id: 'p1', price: 10, quantity: 2, name: 'Pen' },
        { productId: 'p2', price: 10, quantity: 1 },
      ],
    },
  },
  completedOrder: { ...base, type: 'track', event: 'completed_order', properties: { revenue: 12.5 } },
  pageNamedCategorized: { ...base, type: 'page', name: 'Index', category: 'Docs', properties: { url: 'u', category: 'Docs', name: 'Index' } },
  pageNamed: { ...base, type: 'page', name: 'Home', properties: { url: 'u' } },
  pageCategoryOnly: { ...base, type: 'page', category: 'Docs', properties: { url: 'u', category: 'Docs' } },
  pageUnnamed: { ...base, type: 'page', properties: { url: 'u' } },
  screenNamed: { ...base, type: 'screen', name: 'Settings', properties: {}, context: { app: { version: '1.2' }, device: { id: 'dev-12345', type: 'ios' } } },
  identify: { ...base, type: 'identify', traits: { email: 'a@example.com', logins: 3, first_seen: '2020', plan: 'pro', address: { city: 'Paris' } } },
  groupWithTraits: { ...base, type: 'group', groupId: 'g-1', traits: { industry: 'retail', company_name: 'Acme', employees: 10 } },
  groupPlain: { ...base, type: 'group', groupId: 'g-1', traits: { employees: 10 } },
  alias: { ...base, type: 'alias', previousId: 'old-user-1' },
}

/** Names of the subscriptions whose trigger matches the event, per Segment's own FQL evaluator. */
function matching(r: MigrationResult, event: Record<string, unknown>): string[] {
  return r.subscriptions.filter((s) => validate(parseFql(s.trigger), event)).map((s) => s.name)
}

const MATRIX: Record<string, unknown> = {
  defaults: { apiKey: 'k' },
  namedAndCategorized: { apiKey: 'k', trackNamedPages: true, trackCategorizedPages: true },
  allPages: { apiKey: 'k', trackAllPages: true },
  categorizedOnly: { apiKey: 'k', trackNamedPages: false },
  noPages: { apiKey: 'k', trackNamedPages: false, trackCategorizedPages: false },
  everything: {
    apiKey: 'k',
    secretKey: 's',
    endpoint: 'EU',
    trackAllPages: true,
    trackRevenuePerProduct: true,
    groupTypeTrait: 'industry',
    groupValueTrait: 'company_name',
    sendAlias: true,
    traitsToSetOnce: ['first_seen'],
    traitsToIncrement: ['logins'],
    traitsToAppend: ['tags'],
    preferAnonymousIdForDeviceId: true,
    sendToBatchEndpoint: true,
    useCustomAmplitudeProperties: true,
    trackUtmProperties: false,
    trackReferrer: false,
    versionName: '3.1.0',
    mapQueryParams: { query: 'event_properties' },
  },
}

describe('migrate: defaults', () => {
  const r = classic({ apiKey: 'KEY', secretKey: 'SECRET' })

  it('destination settings', () => {
    assert.deepEqual(r.destination, { settings: { apiKey: 'KEY', secretKey: 'SECRET', endpoint: 'north_america' } })
    assert.deepEqual(r.unknownKeys, [])
    assert.equal(r.renameMap, undefined)
  })

  it('subscriptions: names, actions and triggers', () => {
    assert.deepEqual(
      r.subscriptions.map((s) => [s.name, s.actionSlug, s.trigger, s.enabled]),
      [
        ['Track Calls', 'logEventV2', `type = "track" and ${ORDER_NOT}`, true],
        ['Order Completed Calls', 'logPurchase', `type = "track" and (${ORDER_OR})`, true],
        ['Named Page Calls', 'logEventV2', 'type = "page" and name != null and name != ""', true],
        ['Categorized Page Calls', 'logEventV2', 'type = "page" and properties.category != null and properties.category != "" and (name = null or name = "")', true],
        ['Named Screen Calls', 'logEventV2', 'type = "screen" and name != null and name != ""', true],
        ['Categorized Screen Calls', 'logEventV2', 'type = "screen" and properties.category != null and properties.category != "" and (name = null or name = "")', true],
        ['Identify Calls', 'identifyUser', 'type = "identify"', true],
        ['Group Calls', 'groupIdentifyUser', 'type = "group"', true],
      ],
    )
  })

  it('mappings are defaultValues(slug) plus these overrides only', () => {
    // setOnce and app_version keep their default values here (UTM and referrer on, no versionName).
    const v2 = ['event_properties', 'groups', 'library2', 'session_id', 'setAlways', 'user_properties']
    assert.deepEqual(overriddenKeys('logEventV2', sub(r, 'Track Calls').settings), v2)
    assert.deepEqual(overriddenKeys('logEventV2', sub(r, 'Named Page Calls').settings), [...v2, 'event_type'].sort())
    assert.deepEqual(overriddenKeys('logPurchase', sub(r, 'Order Completed Calls').settings), [
      'event_properties',
      'groups',
      'library2',
      'products',
      'revenue',
      'session_id',
      'user_properties',
    ])
    assert.deepEqual(overriddenKeys('identifyUser', sub(r, 'Identify Calls').settings), ['groups', 'user_properties'])
    assert.deepEqual(overriddenKeys('groupIdentifyUser', sub(r, 'Group Calls').settings), ['group_properties', 'group_type', 'group_value'])
    // app_version without versionName keeps its default value (it is only re-set)
    assert.deepEqual(sub(r, 'Track Calls').settings.app_version, defaultValues('logEventV2').app_version)
  })

  it('Track Calls: user properties only as operations (setAlways = context.traits + id, setOnce = initial_*)', () => {
    const m = sub(r, 'Track Calls').settings
    assert.equal('user_properties' in m, false)
    const d = defaultValues('logEventV2') as Record<string, Record<string, unknown>>
    assert.deepEqual(m.setAlways, {
      '@excludeWhenNull': {
        '@merge': { direction: 'right', objects: [p('$.context.traits'), { address: null, id: p('$.userId') }, d.setAlways] },
      },
    })
    assert.deepEqual(m.setOnce, d.setOnce)
    assert.deepEqual(m.event_properties, {
      '@excludeWhenNull': {
        '@merge': {
          direction: 'right',
          objects: [p('$.properties'), { country: null, language: null, event_id: null, amplitude_event_type: null }],
        },
      },
    })
    assert.deepEqual(m.session_id, {
      '@if': {
        exists: p('$.integrations.Actions Amplitude.session_id'),
        then: p('$.integrations.Actions Amplitude.session_id'),
        else: p('$.integrations.Amplitude.session_id'),
      },
    })
    assert.deepEqual(m.groups, p('$.integrations.Amplitude.groups'))
    assert.deepEqual(m.library2, { behavior: 'auto' })
    assert.equal(m.use_batch_endpoint, false)
  })

  it('page naming: Classic cloud names via @if/@template', () => {
    assert.deepEqual(sub(r, 'Named Page Calls').settings.event_type, {
      '@if': { blank: p('$.category'), then: { '@template': 'Viewed {{category}} {{name}} Page' }, else: { '@template': 'Viewed {{name}} Page' } },
    })
    assert.equal(sub(r, 'Categorized Page Calls').settings.event_type, 'Loaded a Page')
    assert.equal(sub(r, 'Categorized Screen Calls').settings.event_type, 'Loaded a Screen')
  })

  it('Order Completed: logPurchase with revenue ← revenue else total, full products, no products in event_properties', () => {
    const m = sub(r, 'Order Completed Calls').settings
    assert.equal(m.trackRevenuePerProduct, false)
    assert.deepEqual(m.revenue, { '@if': { blank: p('$.properties.revenue'), then: p('$.properties.revenue'), else: p('$.properties.total') } })
    assert.deepEqual(m.products, {
      '@arrayPath': [
        '$.properties.products',
        { '@merge': { direction: 'right', objects: [p('$.'), { productId: { '@if': { exists: p('$.productId'), then: p('$.productId'), else: p('$.product_id') } } }] } },
      ],
    })
    assert.deepEqual(m.user_properties, {
      $set: { '@excludeWhenNull': { '@merge': { direction: 'right', objects: [p('$.context.traits'), { address: null, id: p('$.userId') }] } } },
    })
    assert.deepEqual(m.utm_properties, defaultValues('logPurchase').utm_properties)
    assert.deepEqual(m.referrer, defaultValues('logPurchase').referrer)
  })

  it('report: one line per Classic setting in catalog order, then behaviour lines', () => {
    const expected: Array<[string, unknown, string]> = [
      ['apiKey', 'KEY', 'migrated'],
      ['secretKey', '********', 'migrated'],
      ['trackAllPages', false, 'migrated'],
      ['trackNamedPages', true, 'migrated'],
      ['trackCategorizedPages', true, 'behavior-change'],
      ['trackAllPagesV2', false, 'no-equivalent'],
      ['trackUtmProperties', true, 'migrated'],
      ['trackReferrer', true, 'behavior-change'],
      ['useAmplitudeReferral', false, 'migrated'],
      ['saveParamsReferrerOncePerSession', true, 'no-equivalent'],
      ['unsetParamsReferrerOnNewSession', false, 'no-equivalent'],
      ['trackGclid', false, 'no-equivalent'],
      ['deviceIdFromUrlParam', false, 'no-equivalent'],
      ['forceHttps', false, 'no-equivalent'],
      ['batchEvents', false, 'no-equivalent'],
      ['eventUploadThreshold', 30, 'no-equivalent'],
      ['eventUploadPeriodMillis', 30000, 'no-equivalent'],
      ['versionName', '', 'migrated'],
      ['appendFieldsToEventProps', {}, 'migrated'],
      ['mapQueryParams', {}, 'migrated'],
      ['preferAnonymousIdForDeviceId', false, 'migrated'],
      ['useAdvertisingIdForDeviceId', false, 'no-equivalent'],
      ['enableLocationListening', true, 'no-equivalent'],
      ['trackSessionEvents', false, 'no-equivalent'],
      ['useLogRevenueV2', true, 'behavior-change'],
      ['trackRevenuePerProduct', false, 'migrated'],
      ['trackProductsOnce', false, 'migrated'],
      ['traitsToIncrement', [], 'migrated'],
      ['traitsToSetOnce', [], 'migrated'],
      ['traitsToAppend', [], 'migrated'],
      ['traitsToPrepend', [], 'migrated'],
      ['groupTypeTrait', '', 'migrated'],
      ['groupValueTrait', '', 'migrated'],
      ['useCustomAmplitudeProperties', false, 'migrated'],
      ['sendAlias', false, 'migrated'],
      ['sendToBatchEndpoint', false, 'migrated'],
      ['endpoint', '', 'migrated'],
      ['(order events)', null, 'behavior-change'],
      ['(revenue on other tracks)', null, 'behavior-change'],
      ['(user properties on events)', null, 'migrated'],
      ['(library)', null, 'migrated'],
      ['(session and event groups)', null, 'behavior-change'],
      ['(context fields)', null, 'behavior-change'],
      ['(page and screen naming)', null, 'behavior-change'],
      ['(group calls)', null, 'behavior-change'],
    ]
    assert.deepEqual(
      r.report.map((l) => [l.setting, l.value, l.status]),
      expected,
    )
    assert.deepEqual(
      r.report.slice(0, 37).map((l) => l.setting),
      CLASSIC_SETTINGS.map((i) => i.key),
    )
    for (const l of r.report) assert.ok(l.note.length > 20, l.setting)
  })

  it('report: exact notes of the page, group, alias and endpoint lines', () => {
    assert.deepEqual(line(r, 'trackAllPages'), {
      setting: 'trackAllPages',
      value: false,
      status: 'migrated',
      note: 'Off: page/screen calls with neither a non-empty name nor a category are not sent, as in Classic.' + DEFAULT_NOTE,
    })
    assert.deepEqual(line(r, 'trackNamedPages'), {
      setting: 'trackNamedPages',
      value: true,
      status: 'migrated',
      note: '"Named Page Calls" / "Named Screen Calls" (trigger: name present and non-empty) send `Viewed [{category} ]{name} Page|Screen`, as Classic cloud did.' + DEFAULT_NOTE,
    })
    assert.deepEqual(line(r, 'trackCategorizedPages'), {
      setting: 'trackCategorizedPages',
      value: true,
      status: 'behavior-change',
      note:
        '"Categorized Page Calls" / "Categorized Screen Calls" send calls with a category and no name as `Loaded a Page|Screen` (Classic cloud naming). ' +
        'FQL has no field for the top-level `category` of a page/screen call, so the trigger tests `properties.category` (analytics.js copies the category there): ' +
        'calls whose category is only top-level (server libraries, mobile screens) do not match it and are no longer sent (Classic cloud sent them).' +
        DEFAULT_NOTE,
    })
    assert.deepEqual(line(r, 'groupTypeTrait'), {
      setting: 'groupTypeTrait',
      value: '',
      status: 'migrated',
      note: 'Not set: "Group Calls" associates the user with group type "[Segment] Group" = groupId, without group properties, as Classic.' + DEFAULT_NOTE,
    })
    assert.deepEqual(line(r, 'sendAlias'), {
      setting: 'sendAlias',
      value: false,
      status: 'migrated',
      note: 'Off: no Map User subscription; alias calls are not sent (Classic rejected them).' + DEFAULT_NOTE,
    })
    assert.deepEqual(line(r, 'endpoint'), {
      setting: 'endpoint',
      value: '',
      status: 'migrated',
      note: 'destination.settings.endpoint = "north_america" (api2.amplitude.com).' + DEFAULT_NOTE,
    })
    assert.deepEqual(line(r, 'secretKey'), {
      setting: 'secretKey',
      value: '********',
      status: 'migrated',
      note: 'Copied to destination.settings.secretKey (Actions uses it for the connection test and GDPR deletions).',
    })
  })

  it('empty secretKey is a behavior-change line (Actions requires it)', () => {
    assert.deepEqual(line(classic({ apiKey: 'k' }), 'secretKey'), {
      setting: 'secretKey',
      value: '',
      status: 'behavior-change',
      note: 'Empty (Classic needed it only for user deletion). Actions requires a Secret Key: destination.settings.secretKey is empty; fill it in before saving.' + DEFAULT_NOTE,
    })
  })

  it('routing: each representative message reaches exactly the expected subscriptions (an order never twice)', () => {
    const got = Object.fromEntries(Object.entries(EVENTS).map(([k, e]) => [k, matching(r, e)]))
    assert.deepEqual(got, {
      track: ['Track Calls'],
      order: ['Order Completed Calls'],
      completedOrder: ['Order Completed Calls'],
      pageNamedCategorized: ['Named Page Calls'],
      pageNamed: ['Named Page Calls'],
      pageCategoryOnly: ['Categorized Page Calls'],
      pageUnnamed: [],
      screenNamed: ['Named Screen Calls'],
      identify: ['Identify Calls'],
      groupWithTraits: ['Group Calls'],
      groupPlain: ['Group Calls'],
      alias: [],
    })
  })

  it('explicit trackNamedPages + trackCategorizedPages = the defaults, without the default-assumed remark', () => {
    const e = classic({ apiKey: 'KEY', secretKey: 'SECRET', trackNamedPages: true, trackCategorizedPages: true })
    assert.deepEqual(e.subscriptions, r.subscriptions)
    assert.equal(line(e, 'trackNamedPages').note, line(r, 'trackNamedPages').note.replace(DEFAULT_NOTE, ''))
    assert.equal(line(e, 'trackCategorizedPages').note, line(r, 'trackCategorizedPages').note.replace(DEFAULT_NOTE, ''))
  })
})

describe('migrate: settings matrix', () => {
  it('trackAllPages: one subscription per type, named → Viewed …, unnamed → Loaded a …', () => {
    const r = classic({ apiKey: 'k', trackAllPages: true })
    assert.deepEqual(
      r.subscriptions.filter((s) => /Page|Screen/.test(s.name) && s.name !== 'Order Completed Calls').map((s) => [s.name, s.trigger]),
      [
        ['Page Calls', 'type = "page"'],
        ['Screen Calls', 'type = "screen"'],
      ],
    )
    assert.deepEqual(sub(r, 'Screen Calls').settings.event_type, {
      '@if': {
        blank: p('$.name'),
        then: { '@if': { blank: p('$.category'), then: { '@template': 'Viewed {{category}} {{name}} Screen' }, else: { '@template': 'Viewed {{name}} Screen' } } },
        else: 'Loaded a Screen',
      },
    })
    assert.deepEqual(line(r, 'trackAllPages'), {
      setting: 'trackAllPages',
      value: true,
      status: 'migrated',
      note: 'Subscriptions "Page Calls", "Screen Calls" send every page/screen call: `Viewed [{category} ]{name} Page|Screen` when it has a non-empty name, else `Loaded a Page|Screen`.',
    })
    assert.equal(line(r, 'trackNamedPages').note, 'Superseded by trackAllPages (every page/screen call is sent), as in Classic cloud.' + DEFAULT_NOTE)
    const names = (e: Record<string, unknown>) => core.transform(sub(r, e.type === 'page' ? 'Page Calls' : 'Screen Calls').settings, e).event_type
    assert.equal(names(EVENTS.pageNamedCategorized), 'Viewed Docs Index Page')
    assert.equal(names(EVENTS.pageNamed), 'Viewed Home Page')
    assert.equal(names(EVENTS.pageCategoryOnly), 'Loaded a Page')
    assert.equal(names(EVENTS.pageUnnamed), 'Loaded a Page')
    assert.equal(names({ ...EVENTS.pageUnnamed, name: '' }), 'Loaded a Page')
    assert.equal(names(EVENTS.screenNamed), 'Viewed Settings Screen')
  })

  it('trackNamedPages off: named calls need a category; noPages: no page/screen subscription', () => {
    const r = classic({ apiKey: 'k', trackNamedPages: false })
    assert.equal(sub(r, 'Named Page Calls').trigger, 'type = "page" and name != null and name != "" and properties.category != null and properties.category != ""')
    assert.equal(line(r, 'trackNamedPages').status, 'behavior-change')
    const none = classic({ apiKey: 'k', trackNamedPages: false, trackCategorizedPages: false })
    assert.deepEqual(
      none.subscriptions.map((s) => s.name),
      ['Track Calls', 'Order Completed Calls', 'Identify Calls', 'Group Calls'],
    )
    assert.deepEqual(line(none, 'trackAllPages'), {
      setting: 'trackAllPages',
      value: false,
      status: 'migrated',
      note: 'Off, and trackNamedPages/trackCategorizedPages are off too: no page or screen subscription is generated (Classic sent nothing for page/screen calls).' + DEFAULT_NOTE,
    })
  })

  it('trackRevenuePerProduct', () => {
    const r = classic({ apiKey: 'k', trackRevenuePerProduct: true })
    assert.equal(sub(r, 'Order Completed Calls').settings.trackRevenuePerProduct, true)
    assert.deepEqual(line(r, 'trackRevenuePerProduct'), {
      setting: 'trackRevenuePerProduct',
      value: true,
      status: 'behavior-change',
      note:
        '"Order Completed Calls" trackRevenuePerProduct = true: revenue on each Product Purchased event (price × quantity, else the product\'s revenue), none on the order. ' +
        "Classic gave revenue only to products with price and quantity and copied the order's revenue/revenueType into each Product Purchased event's properties; Actions does not copy them.",
    })
  })

  it('groupTypeTrait + groupValueTrait: trigger split with the [Segment] Group fallback', () => {
    const r = classic({ apiKey: 'k', groupTypeTrait: 'industry', groupValueTrait: 'company_name' })
    const withTraits = sub(r, 'Group Calls (group traits)')
    const fallback = sub(r, 'Group Calls')
    assert.equal(withTraits.trigger, 'type = "group" and traits.industry != null and traits.industry != "" and traits.company_name != null and traits.company_name != ""')
    assert.equal(fallback.trigger, 'type = "group" and (traits.industry = null or traits.industry = "" or traits.company_name = null or traits.company_name = "")')
    assert.deepEqual(withTraits.settings, {
      ...defaultValues('groupIdentifyUser'),
      group_type: p('$.traits.industry'),
      group_value: { '@if': { exists: p('$.groupId'), then: p('$.traits.company_name') } },
    })
    const { group_properties: _gp, ...noProps } = defaultValues('groupIdentifyUser')
    assert.deepEqual(fallback.settings, { ...noProps, group_type: '[Segment] Group', group_value: p('$.groupId') })
    assert.deepEqual(matching(r, EVENTS.groupWithTraits), ['Group Calls (group traits)'])
    assert.deepEqual(matching(r, EVENTS.groupPlain), ['Group Calls'])
    assert.deepEqual(matching(r, { ...EVENTS.groupWithTraits, traits: { industry: 'retail', company_name: '' } }), ['Group Calls'])
    assert.deepEqual(line(r, 'groupTypeTrait'), {
      setting: 'groupTypeTrait',
      value: 'industry',
      status: 'migrated',
      note: '"Group Calls (group traits)" (both traits present and non-empty): group_type = traits.industry, group_value = traits.company_name, group_properties = traits. "Group Calls" (either missing): "[Segment] Group" = groupId without properties.',
    })
    const odd = classic({ apiKey: 'k', groupTypeTrait: 'account type', groupValueTrait: '1st' })
    assert.equal(
      sub(odd, 'Group Calls (group traits)').trigger,
      'type = "group" and traits.account\\ type != null and traits.account\\ type != "" and traits.\\1st != null and traits.\\1st != ""',
    )
    assert.deepEqual(matching(odd, { ...EVENTS.groupPlain, traits: { 'account type': 'plan', '1st': 'x' } }), ['Group Calls (group traits)'])
    const one = classic({ apiKey: 'k', groupTypeTrait: 'industry' })
    assert.deepEqual(
      one.subscriptions.filter((s) => s.actionSlug === 'groupIdentifyUser').map((s) => [s.name, s.trigger]),
      [['Group Calls', 'type = "group"']],
    )
  })

  it('sendAlias: Map User with its default mapping', () => {
    const r = classic({ apiKey: 'k', sendAlias: true })
    assert.deepEqual(sub(r, 'Alias Calls'), { name: 'Alias Calls', actionSlug: 'mapUser', trigger: 'type = "alias"', enabled: true, settings: defaultValues('mapUser') })
    assert.equal(line(r, 'sendAlias').status, 'behavior-change')
    assert.deepEqual(matching(r, EVENTS.alias), ['Alias Calls'])
  })

  it('traitsToSetOnce / traitsToIncrement: all-operations identify user_properties', () => {
    const r = classic({ apiKey: 'k', traitsToSetOnce: ['first_seen'], traitsToIncrement: ['logins', 'visits'] })
    const m = sub(r, 'Identify Calls').settings
    assert.deepEqual(m.user_properties, {
      $set: {
        '@excludeWhenNull': {
          '@merge': {
            direction: 'right',
            objects: [p('$.traits'), { address: null, id: p('$.userId'), first_seen: null, logins: null, visits: null }],
          },
        },
      },
      $setOnce: { first_seen: p('$.traits.first_seen') },
      $add: { logins: p('$.traits.logins'), visits: p('$.traits.visits') },
    })
    assert.deepEqual(core.transform(m, EVENTS.identify).user_properties, {
      $set: { email: 'a@example.com', plan: 'pro', id: 'user-1234' },
      $setOnce: { first_seen: '2020' },
      $add: { logins: 3 },
    })
    assert.deepEqual(line(r, 'traitsToIncrement'), {
      setting: 'traitsToIncrement',
      value: ['logins', 'visits'],
      status: 'migrated',
      note: '"Identify Calls" user_properties.$add {logins, visits} from traits; these traits are removed from $set (identify only, as Classic).',
    })
    assert.deepEqual(line(r, 'traitsToSetOnce'), {
      setting: 'traitsToSetOnce',
      value: ['first_seen'],
      status: 'migrated',
      note: '"Identify Calls" user_properties.$setOnce {first_seen} from traits; these traits are removed from $set (identify only, as Classic).',
    })
    assert.equal(line(classic({ apiKey: 'k', traitsToSetOnce: ['a.b'] }), 'traitsToSetOnce').status, 'behavior-change')
  })

  it('EU endpoint; unrecognised endpoint values are flagged', () => {
    const eu = classic({ apiKey: 'k', endpoint: 'EU' })
    assert.equal(eu.destination.settings.endpoint, 'europe')
    assert.deepEqual(line(eu, 'endpoint'), {
      setting: 'endpoint',
      value: 'EU',
      status: 'migrated',
      note: 'destination.settings.endpoint = "europe" (api.eu.amplitude.com).',
    })
    assert.equal(classic({ apiKey: 'k', endpoint: 'europe' }).destination.settings.endpoint, 'europe')
    assert.equal(classic({ apiKey: 'k', endpoint: 'US' }).destination.settings.endpoint, 'north_america')
    const odd = classic({ apiKey: 'k', endpoint: 'mars' })
    assert.equal(odd.destination.settings.endpoint, 'north_america')
    assert.deepEqual(line(odd, 'endpoint'), {
      setting: 'endpoint',
      value: 'mars',
      status: 'behavior-change',
      note: `Option value not recognised (Classic's option values are unpublished); assumed "north_america". Check the project's data region.`,
    })
  })

  it('unknown keys are reported, not fatal', () => {
    const r = classic({ apiKey: 'k', residency: 'EU', useUserAgentParsing: true })
    assert.deepEqual(r.unknownKeys, ['residency', 'useUserAgentParsing'])
    assert.deepEqual(r.report.slice(-2), [
      { setting: 'residency', value: 'EU', status: 'no-equivalent', note: 'Not an Amplitude (Classic) setting; ignored.' },
      { setting: 'useUserAgentParsing', value: true, status: 'no-equivalent', note: 'Not an Amplitude (Classic) setting; ignored.' },
    ])
  })

  it('Public API destination response shape gives the same result as the bare settings', () => {
    const settings = { apiKey: 'k', secretKey: 's', trackAllPages: true, sendAlias: true, extra: 1 }
    const wrapped = { data: { destination: { id: 'd1', name: 'Amplitude', enabled: true, settings } } }
    assert.deepEqual(classic(wrapped), classic(settings))
    assert.deepEqual(classic(JSON.stringify(wrapped)), classic(settings))
  })

  it('everything on: batch endpoint, device id preference, versionName, mapQueryParams, no UTM/referrer', () => {
    const r = classic(MATRIX.everything)
    const t = sub(r, 'Track Calls').settings
    assert.equal(t.use_batch_endpoint, true)
    assert.deepEqual(t.device_id, { '@if': { exists: p('$.anonymousId'), then: p('$.anonymousId'), else: p('$.context.device.id') } })
    assert.deepEqual(t.app_version, { '@if': { exists: p('$.context.app.version'), then: p('$.context.app.version'), else: '3.1.0' } })
    assert.deepEqual(t.event_properties, { '@merge': { direction: 'right', objects: [p('$.properties'), { query: p('$.context.page.search') }] } })
    assert.equal('setOnce' in t, false)
    assert.deepEqual(t.setAlways, { '@excludeWhenNull': { '@merge': { direction: 'right', objects: [p('$.context.traits'), { address: null, id: p('$.userId') }] } } })
    const id = sub(r, 'Identify Calls').settings
    assert.equal('utm_properties' in id, false)
    assert.equal('referrer' in id, false)
    assert.deepEqual((id.user_properties as Record<string, unknown>).$append, { tags: p('$.traits.tags') })
    assert.deepEqual(sub(r, 'Group Calls (group traits)').settings.device_id, t.device_id)
    assert.deepEqual(line(r, 'mapQueryParams'), {
      setting: 'mapQueryParams',
      value: { query: 'event_properties' },
      status: 'migrated',
      note: '"query" = context.page.search (raw query string) is added to event_properties of tracks, orders, pages and screens and to $set on identify, as Classic cloud did with the first entry.',
    })
  })
})

describe('migrate: --names actions and the rename map', () => {
  it('Quick Setup page/screen naming, Classic send decision kept, rename rows from the settings', () => {
    const r = migrateClassic({ apiKey: 'k' }, { names: 'actions' })
    const quick = PRESETS.find((x) => x.name === 'Page Calls')!.mapping.event_type
    for (const name of ['Named Page Calls', 'Categorized Page Calls', 'Named Screen Calls', 'Categorized Screen Calls']) {
      assert.deepEqual(sub(r, name).settings.event_type, quick)
    }
    assert.deepEqual(sub(r, 'Named Page Calls').trigger, sub(classic({ apiKey: 'k' }), 'Named Page Calls').trigger)
    assert.deepEqual(r.renameMap, [
      { classic: 'Loaded a Page', actions: 'Viewed ' },
      { classic: 'Loaded a Screen', actions: 'Viewed ' },
    ])
    assert.equal(line(r, 'trackNamedPages').status, 'behavior-change')
    assert.equal(line(r, '(rename map)').status, 'behavior-change')
    assert.equal(renderRenameMapCsv(r.renameMap!), 'classic,actions\nLoaded a Page,"Viewed "\nLoaded a Screen,"Viewed "\n')
  })

  it('no unnamed calls sent → no settings rows; user rows are merged and win', () => {
    const r = migrateClassic(
      { apiKey: 'k', trackCategorizedPages: false },
      {
        names: 'actions',
        renameMap: new Map([
          ['Viewed Home Page', 'Viewed Home'],
          ['a,b', 'say "hi"'],
        ]),
      },
    )
    assert.deepEqual(r.renameMap, [
      { classic: 'Viewed Home Page', actions: 'Viewed Home' },
      { classic: 'a,b', actions: 'say "hi"' },
    ])
    assert.equal(renderRenameMapCsv(r.renameMap!), 'classic,actions\nViewed Home Page,Viewed Home\n"a,b","say ""hi"""\n')
  })

  it('data-driven rows from messages', () => {
    const s = { trackAllPages: false, trackNamedPages: true, trackCategorizedPages: true }
    assert.equal(classicPageEventName(EVENTS.pageNamedCategorized, s), 'Viewed Docs Index Page')
    assert.equal(classicPageEventName(EVENTS.pageUnnamed, s), null)
    assert.deepEqual(
      renameRowsFromMessages([EVENTS.pageNamedCategorized, EVENTS.pageNamed, EVENTS.pageNamed, EVENTS.pageCategoryOnly, EVENTS.pageUnnamed, EVENTS.screenNamed], s),
      [
        { classic: 'Viewed Docs Index Page', actions: 'Viewed Index' },
        { classic: 'Viewed Home Page', actions: 'Viewed Home' },
        { classic: 'Loaded a Page', actions: 'Viewed ' },
        { classic: 'Viewed Settings Screen', actions: 'Viewed Settings' },
      ],
    )
  })
})

describe('migrate: mixed user properties', () => {
  it('flags the Quick Setup presets that mix traits with $set/$setOnce, never the generated config', () => {
    const presetSubs = PRESETS.map((x) => ({ name: x.name, actionSlug: x.partnerAction, settings: x.mapping }))
    assert.deepEqual(mixedUserPropertyWarnings(presetSubs), [
      `subscription "Track Calls" (logEventV2) maps user_properties alongside setOnce, setAlways: an event where both resolve carries plain user properties and operations in one object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
      `subscription "Order Completed Calls" (logPurchase) maps user_properties alongside utm_properties, referrer: an event where both resolve carries plain user properties and operations in one object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
      `subscription "Page Calls" (logEventV2) maps user_properties alongside setOnce, setAlways: an event where both resolve carries plain user properties and operations in one object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
      `subscription "Screen Calls" (logEventV2) maps user_properties alongside setOnce, setAlways: an event where both resolve carries plain user properties and operations in one object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
      `subscription "Identify Calls" (identifyUser) maps user_properties alongside utm_properties, referrer: an event where both resolve carries plain user properties and operations in one object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
    ])
    for (const input of Object.values(MATRIX)) {
      assert.deepEqual(mixedUserPropertyWarnings(classic(input).subscriptions), [])
      assert.deepEqual(mixedUserPropertyWarnings(migrateClassic(input, { names: 'actions' }).subscriptions), [])
    }
  })

  it('ignores empty operation fields and all-operations user_properties', () => {
    const d = defaultValues('logEventV2')
    assert.deepEqual(mixedUserPropertyWarnings([{ name: 'a', actionSlug: 'logEventV2', settings: { ...d, setOnce: {}, setAlways: {} } }]), [])
    assert.deepEqual(
      mixedUserPropertyWarnings([{ name: 'b', actionSlug: 'identifyUser', settings: { user_properties: { $set: p('$.traits') }, referrer: p('$.context.page.referrer') } }]),
      [],
    )
    assert.equal(mixedUserPropertyWarnings([{ name: 'c', actionSlug: 'logEventV2', settings: { user_properties: p('$.traits'), add: { logins: 1 } } }]).length, 1)
  })
})

describe('migrate: differential validation against Segment packages', () => {
  const configs = Object.entries(MATRIX).flatMap(([k, v]) => [[`${k}/classic`, classic(v)] as const, [`${k}/actions`, migrateClassic(v, { names: 'actions' })] as const])

  it('every generated trigger parses with @segment/destination-subscriptions and segamp FQL without warnings', () => {
    for (const [label, r] of configs) {
      for (const s of r.subscriptions) {
        const ast = parseFql(s.trigger)
        assert.equal(ast.error, undefined, `${label} ${s.name}: ${ast.error}`)
        const a = analyzeTrigger(s.trigger)
        assert.deepEqual([a.ok, a.error, a.warnings], [true, undefined, []], `${label} ${s.name}`)
      }
    }
  })

  it('every generated mapping validates and transforms identically in actions-core and segamp mapping-kit', () => {
    for (const [label, r] of configs) {
      for (const s of r.subscriptions) {
        assert.deepEqual(validateMapping(s.settings), [], `${label} ${s.name}`)
        for (const [ek, e] of Object.entries(EVENTS)) {
          const expected = core.transform(s.settings, e)
          assert.deepEqual(kitTransform(s.settings, e), expected, `${label} ${s.name} ${ek}`)
        }
      }
    }
  })
})

describe('migrate: output loads as a segamp --mappings file', () => {
  it('accepted without problems or warnings; every representative message yields records', () => {
    for (const input of Object.values(MATRIX)) {
      for (const r of [classic(input), migrateClassic(input, { names: 'actions' })]) {
        const doc = JSON.parse(JSON.stringify({ subscriptions: r.subscriptions }))
        const loaded = checkSubscriptions('migrate', parseMappingDocument(doc, 'migrate'))
        assert.deepEqual(loaded.warnings, [])
        const compiled = compileSubscriptions(loaded, r.destination.settings)
        for (const [k, e] of Object.entries(EVENTS)) {
          for (const o of runSubscriptions(compiled, e as SegmentMessage, { now: () => 0 })) {
            assert.ok(o.ok, `${k} ${o.subscription.name}: ${o.ok ? '' : o.reason}`)
          }
        }
      }
    }
  })
})

describe('migrate: generated subscriptions run through the published Actions Amplitude destination', function () {
  // Requests are answered at actions-core's fetch boundary (its request client calls
  // `fetch_1.default(request)` from dist/cjs/fetch.js at call time): no network, and no nock, whose
  // interceptors would stay installed for the rest of the mocha process.
  const coreFetch = require(join(dirname(require.resolve('@segment/actions-core')), 'fetch.js'))
  let realFetch: unknown
  const requests: Array<{ path: string; body: string }> = []
  const Amplitude = require('@segment/action-destinations/dist/destinations/amplitude/index.js').default
  // actions-core keys its AJV schema cache by "<destination name>:<action title>"; the installed
  // fast-uri rejects the space in "Actions Amplitude" as a URI scheme, so the name is spaceless here.
  const integration = core.createTestIntegration({ ...Amplitude, name: 'ActionsAmplitude' })

  before(() => {
    realFetch = coreFetch.default
    coreFetch.default = async (request: { url: string; text(): Promise<string> }) => {
      requests.push({ path: new URL(request.url).pathname, body: await request.text() })
      return new coreFetch.Response('{"code":200}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
  })

  after(() => {
    coreFetch.default = realFetch
  })

  async function run(r: MigrationResult, event: Record<string, unknown>): Promise<Array<{ sub: string; path: string; body: string }>> {
    const out: Array<{ sub: string; path: string; body: string }> = []
    for (const s of r.subscriptions) {
      if (!validate(parseFql(s.trigger), event)) continue
      requests.length = 0
      await integration.testAction(s.actionSlug, { event, mapping: s.settings, settings: r.destination.settings })
      for (const q of requests) out.push({ sub: s.name, path: q.path, body: q.body })
    }
    return out
  }

  it('no validation error on representative Classic-sent messages, for every config of the matrix', async () => {
    for (const input of Object.values(MATRIX)) {
      for (const r of [classic(input), migrateClassic(input, { names: 'actions' })]) {
        for (const e of Object.values(EVENTS)) await run(r, e)
      }
    }
  })

  it('payloads: Classic event names, all-operations user properties, revenue, groups, alias', async () => {
    const r = classic(MATRIX.everything)
    const json = (b: string) => JSON.parse(b) as { events: Array<Record<string, unknown>> }
    const form = (b: string) => JSON.parse(new URLSearchParams(b).get('identification') ?? new URLSearchParams(b).get('mapping')!)

    const page = await run(r, EVENTS.pageNamedCategorized)
    assert.deepEqual(
      page.map((x) => [x.sub, x.path]),
      [['Page Calls', '/batch']],
    )
    const pe = json(page[0].body).events[0]
    assert.equal(pe.event_type, 'Viewed Docs Index Page')
    assert.deepEqual(pe.event_properties, { url: 'u', category: 'Docs', name: 'Index', query: '?q=1' })
    assert.deepEqual(pe.user_properties, { $set: { email: 'a@example.com', id: 'user-1234' } })
    assert.equal(pe.device_id, 'anon-1234')
    assert.equal(pe.library, 'segment')
    assert.equal(pe.app_version, '3.1.0')

    const order = await run(r, EVENTS.order)
    const oe = json(order[0].body).events
    assert.deepEqual(
      oe.map((x) => [x.event_type, x.revenue, x.productId]),
      [
        ['Order Completed', undefined, undefined],
        ['Product Purchased', 20, 'p1'],
        ['Product Purchased', 10, 'p2'],
      ],
    )
    assert.deepEqual(oe[0].event_properties, { order_id: 'o1', total: 30, query: '?q=1' })
    assert.deepEqual(oe[1].event_properties, { product_id: 'p1', price: 10, quantity: 2, name: 'Pen', productId: 'p1' })

    const defaults = classic({ apiKey: 'k' })
    const completed = await run(defaults, EVENTS.completedOrder)
    assert.deepEqual(
      json(completed[0].body).events.map((x) => [x.event_type, x.revenue]),
      [['completed_order', 12.5]],
    )
    const track = await run(defaults, EVENTS.track)
    const te = json(track[0].body).events[0]
    assert.deepEqual(te.event_properties, { plan: 'pro' })
    assert.deepEqual(te.user_properties, {
      $setOnce: { initial_referrer: 'https://ref.example.com/', initial_utm_source: 'google', initial_utm_medium: 'cpc', initial_utm_campaign: 'spring' },
      $set: { email: 'a@example.com', id: 'user-1234', referrer: 'https://ref.example.com/', utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring' },
    })

    const identify = await run(r, EVENTS.identify)
    assert.deepEqual(form(identify[0].body).user_properties, {
      $set: { email: 'a@example.com', plan: 'pro', id: 'user-1234', query: '?q=1' },
      $setOnce: { first_seen: '2020' },
      $add: { logins: 3 },
      $append: {},
    })

    const group = await run(r, EVENTS.groupWithTraits)
    assert.deepEqual(
      group.map((x) => x.path),
      ['/identify', '/groupidentify'],
    )
    assert.deepEqual(form(group[1].body), [
      { group_properties: { industry: 'retail', company_name: 'Acme', employees: 10 }, group_value: 'Acme', group_type: 'retail', library: 'segment' },
    ])
    const legacy = await run(r, EVENTS.groupPlain)
    assert.deepEqual(form(legacy[1].body), [{ group_value: 'g-1', group_type: '[Segment] Group', library: 'segment' }])

    const alias = await run(r, EVENTS.alias)
    assert.deepEqual(
      alias.map((x) => [x.path, form(x.body)]),
      [['/usermap', [{ user_id: 'old-user-1', global_user_id: 'user-1234' }]]],
    )
  })

  it('a group call without groupId fails validation (not sent), as Classic dropped it', async () => {
    const r = classic(MATRIX.everything)
    const { groupId: _g, ...noId } = EVENTS.groupWithTraits
    await assert.rejects(run(r, noId), /group_value|Group Value/)
  })
})
