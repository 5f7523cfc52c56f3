/**
 * Emulation of what Segment's Amplitude (Classic) destination sent to Amplitude for one Segment message.
 *
 * `cloud` (default): the server-side integration — the 2017 open-source mapper (golden fixtures in
 * test/fixtures/classic-cloud-2017.ndjson) plus the behaviour documented later (Order Completed →
 * Product Purchased, trait operators, group type/value traits, sendAlias, batch endpoint, EU, …).
 * `web`: analytics.js device-mode naming and web-only settings, on top of the same field mapping.
 *
 * Pure: no I/O. Compile settings once with `compileClassic`, then call the returned function per message.
 * Records share nested values (e.g. trait sub-objects) with the input message: treat both as read-only.
 *
 * Owns the emulation, its settings (defaults, a Public API destination response unwrapped) and
 * the assumptions it makes where Segment's behaviour is not documented (docs/classic-assumptions.md).
 * It must never send or read files, and never borrow the Actions mappings: the two sides of a
 * diff are computed apart.
 */
import { createRequire } from 'node:module'
import { readClassicSettings, isEuEndpoint, type ClassicMode, type ClassicSettings } from './settings.js'
import { currency, isObj, normalizeKey, ocFind, omitOc, parseLocale, rejectNullish, toEpochMs, type Obj } from './util.js'

export type { ClassicMode, ClassicSettings } from './settings.js'
export { readClassicSettings, CLASSIC_SETTINGS } from './settings.js'
export type { ClassicSettingsResult, ClassicSettingInfo, ClassicSettingKey } from './settings.js'

export type ClassicEndpoint = '/httpapi' | '/batch' | '/identify' | '/groupidentify' | '/usermap'

export interface ClassicRecord {
  endpoint: ClassicEndpoint
  record: Record<string, unknown>
  /**
   * Web mode: record fields the browser SDK filled in itself, which no archive can tell (today only
   * `device_id`: with preferAnonymousIdForDeviceId off, or no anonymousId, the SDK used its own
   * generated id). They are absent from `record`; the diff reports them as assumptions.
   */
  unknown?: string[]
  /**
   * Web mode: an event the browser SDK logged on its own, with no counterpart in any Actions
   * mapping (`revenue_amount`, from logRevenue/logRevenueV2). The diff counts these instead of
   * pairing them.
   */
  sdkGenerated?: boolean
}

export type ClassicFunction = (message: Record<string, unknown>) => ClassicRecord[]

// ---------------------------------------------------------------------------------------------
// UA parsing (the 2017 integration used Amplitude's fork of ua-parser-js)

interface UAResult {
  browser: { name?: string; major?: string }
  os: { name?: string }
}
type UAParserCtor = new (ua: string) => { getResult(): UAResult }
let UAParser: UAParserCtor | undefined
const uaCache = new Map<string, UAResult>()

function parseUserAgent(ua: string): UAResult {
  const hit = uaCache.get(ua)
  if (hit) return hit
  if (!UAParser) {
    const req = createRequire(import.meta.url)
    UAParser = req('@amplitude/ua-parser-js') as UAParserCtor
  }
  const r = new UAParser(ua).getResult()
  const slim: UAResult = { browser: { name: r.browser?.name, major: r.browser?.major }, os: { name: r.os?.name } }
  if (uaCache.size >= 5000) uaCache.clear()
  uaCache.set(ua, slim)
  return slim
}

// ---------------------------------------------------------------------------------------------

const ORDER_COMPLETED = /^[ _]?completed[ _]?order[ _]?|^[ _]?order[ _]?completed[ _]?$/i
const SEGMENT_GROUP = '[Segment] Group'
const CLEAN_KEYS = ['country', 'language', 'eventid', 'amplitudeeventtype']
const CLEAN_KEYS_CUSTOM = ['eventid', 'amplitudeeventtype']
const REVENUE_KEYS = ['price', 'quantity', 'productid', 'revenuetype']
const ADDRESS = ['address']
const PRODUCTS = ['products']
const UTM: ReadonlyArray<[string, string]> = [
  ['utm_source', 'campaign.source'],
  ['utm_medium', 'campaign.medium'],
  ['utm_campaign', 'campaign.name'],
  ['utm_term', 'campaign.term'],
  ['utm_content', 'campaign.content'],
]

/** Base URL Classic posted to (records don't carry it). */
export function classicEndpointBase(settings: unknown, endpoint: ClassicEndpoint = '/httpapi'): string {
  const st = readClassicSettings(settings).settings
  if (isEuEndpoint(st.endpoint)) return 'https://api.eu.amplitude.com'
  if (endpoint === '/batch') return 'https://api2.amplitude.com'
  return 'https://api.amplitude.com'
}

/** Full URL for one of Classic's endpoints under the given settings. */
export function classicEndpointUrl(settings: unknown, endpoint: ClassicEndpoint): string {
  return classicEndpointBase(settings, endpoint) + endpoint
}

function enabledFor(integrations: unknown): boolean {
  if (!isObj(integrations)) return true
  const v = integrations.Amplitude
  if (v !== undefined && v !== null) return v !== false
  const all = integrations.All ?? integrations.all
  return all !== false
}

function str(v: unknown): string | undefined {
  return v == null ? undefined : String(v)
}

function platformFromLibrary(lib: unknown): string | undefined {
  if (!lib) return undefined
  const l = String(lib).toLowerCase()
  if (l === 'analytics.js') return 'Web'
  if (l === 'analytics-android') return 'Android'
  if (l === 'analytics-ios') return 'iOS'
  return undefined
}

function sanitizePlatform(p: unknown): string {
  const l = String(p).toLowerCase()
  if (l === 'web') return 'Web'
  if (l === 'android') return 'Android'
  if (l === 'ios') return 'iOS'
  return l
}

function addressField(traits: Obj, props: Obj | undefined, field: string): unknown {
  return ocFind(traits, 'address.' + field) || ocFind(traits, field) || (props ? ocFind(props, 'address.' + field) || ocFind(props, field) : undefined)
}

interface Prepared {
  msg: Obj
  type: string
  context: Obj
  options: Obj
  /** traits used for user_properties (context.traits, or traits on identify), copied, + id. */
  traits: Obj
}

interface Compiled {
  st: ClassicSettings
  mode: ClassicMode
  eventEndpoint: ClassicEndpoint
  mqpKey?: string
  mqpType?: string
  mqpKeys: string[]
  /** mapQueryParams entries in order: [custom property, side as given]. */
  mqpEntries: Array<[string, string]>
  appendFields: Array<{ path: string; name: string }>
  opLists: Array<[string, Set<string>]>
  anyOps: boolean
  cleanKeys: string[]
  cleanKeysRevenue: string[]
}

export function compileClassic(settings: unknown, opts: { mode: ClassicMode }): ClassicFunction {
  const mode: ClassicMode = opts?.mode === 'web' ? 'web' : 'cloud'
  const st = readClassicSettings(settings).settings
  const mqpEntries = Object.entries(st.mapQueryParams)
  const c: Compiled = {
    st,
    mode,
    eventEndpoint: mode === 'cloud' && st.sendToBatchEndpoint ? '/batch' : '/httpapi',
    mqpKey: mqpEntries.length ? mqpEntries[0][0] : undefined,
    mqpType: mqpEntries.length ? (mode === 'cloud' ? mqpEntries[0][1] || 'user_properties' : mqpEntries[mqpEntries.length - 1][1] || 'user_properties') : undefined,
    mqpKeys: mqpEntries.map((e) => e[0]),
    mqpEntries,
    appendFields: mode === 'web' ? Object.entries(st.appendFieldsToEventProps).map(([path, name]) => ({ path: normalizeKey(path), name })) : [],
    opLists:
      mode === 'cloud'
        ? [
            ['$add', new Set(st.traitsToIncrement)],
            ['$setOnce', new Set(st.traitsToSetOnce)],
            ['$append', new Set(st.traitsToAppend)],
            ['$prepend', new Set(st.traitsToPrepend)],
          ]
        : [
            ['$add', new Set(st.traitsToIncrement)],
            ['$setOnce', new Set(st.traitsToSetOnce)],
          ],
    anyOps: false,
    cleanKeys: mode === 'cloud' && !st.useCustomAmplitudeProperties ? CLEAN_KEYS : CLEAN_KEYS_CUSTOM,
    cleanKeysRevenue: [],
  }
  c.cleanKeysRevenue = [...c.cleanKeys, ...REVENUE_KEYS]
  c.anyOps = c.opLists.some(([, set]) => set.size > 0)

  return (message: Record<string, unknown>): ClassicRecord[] => {
    if (!isObj(message)) return []
    if (!enabledFor(message.integrations)) return []
    const type = typeof message.type === 'string' ? message.type : ''
    const context = isObj(message.context) ? message.context : {}
    const integrations = isObj(message.integrations) ? message.integrations : {}
    const options = isObj(integrations.Amplitude) ? integrations.Amplitude : {}
    const baseTraits = type === 'identify' ? message.traits : context.traits
    const traits: Obj = isObj(baseTraits) ? { ...baseTraits } : {}
    if (message.userId) traits.id = message.userId
    const p: Prepared = { msg: message, type, context, options, traits }
    const out = dispatch(c, p)
    if (mode === 'web') {
      for (const r of out) if (r.record.device_id === undefined) r.unknown = ['device_id']
    }
    return out
  }
}

function dispatch(c: Compiled, p: Prepared): ClassicRecord[] {
  switch (p.type) {
    case 'track':
      return track(c, p)
    case 'page':
    case 'screen':
      return page(c, p)
    case 'identify':
      return identify(c, p)
    case 'group':
      return group(c, p)
    case 'alias':
      return alias(c, p)
    default:
      return []
  }
}

/** One-off convenience (compiles the settings on every call: prefer `compileClassic` in loops). */
export function classicRecords(message: Record<string, unknown>, settings: unknown, opts?: { mode?: ClassicMode }): ClassicRecord[] {
  return compileClassic(settings, { mode: opts?.mode ?? 'cloud' })(message)
}

// ---------------------------------------------------------------------------------------------

function deviceId(c: Compiled, p: Prepared): unknown {
  const anon = p.msg.anonymousId
  // analytics.js: setDeviceId(anonymousId) only with preferAnonymousIdForDeviceId and a non-empty
  // string; otherwise the SDK kept the id it generated in the browser (unknowable: left out)
  if (c.mode === 'web') return c.st.preferAnonymousIdForDeviceId && typeof anon === 'string' && anon !== '' ? anon : undefined
  const ctxDevice = ocFind(p.context, 'device.id')
  if (c.st.preferAnonymousIdForDeviceId) return anon || ctxDevice
  const lib = ocFind(p.context, 'library.name')
  if (lib === 'analytics-android' && ocFind(p.context, 'library.version') === '1.4.4') {
    return `${p.msg.userId}:${ocFind(p.context, 'device.model')}:${ctxDevice}`
  }
  return ctxDevice || anon
}

function eventTime(msg: Obj): number | undefined {
  return toEpochMs(msg.timestamp) ?? toEpochMs(msg.receivedAt) ?? toEpochMs(msg.originalTimestamp)
}

/** Fields shared by events and identifications (the 2017 `common()`). */
function common(c: Compiled, p: Prepared, props: Obj | undefined): Obj {
  const { context, options } = p
  const os = ocFind(context, 'os.name')
  const ret: Obj = {}
  put(ret, 'user_id', p.msg.userId)
  put(ret, 'device_id', deviceId(c, p))
  put(ret, 'time', eventTime(p.msg))
  ret.library = 'segment'
  put(ret, 'app_version', c.mode === 'web' && c.st.versionName ? c.st.versionName : ocFind(context, 'app.version'))
  put(ret, 'os_name', os)
  put(ret, 'os_version', ocFind(context, 'os.version'))
  put(ret, 'carrier', ocFind(context, 'network.carrier'))
  put(ret, 'device_model', ocFind(context, 'device.model'))
  put(ret, 'device_brand', ocFind(context, 'device.brand'))
  put(ret, 'device_manufacturer', ocFind(context, 'device.manufacturer'))
  put(ret, 'location_lat', ocFind(context, 'location.latitude'))
  put(ret, 'location_lng', ocFind(context, 'location.longitude'))
  put(ret, 'ip', ocFind(context, 'ip'))
  put(ret, 'amplitude_event_type', ocFind(options, 'eventtype'))
  put(ret, 'session_id', ocFind(options, 'sessionid'))
  put(ret, 'event_id', ocFind(options, 'eventid'))
  const loc = parseLocale(ocFind(context, 'locale'))
  if (loc) {
    ret.language = loc.language
    ret.country = loc.country
  }
  const country = addressField(p.traits, props, 'country')
  if (country) ret.country = country
  const city = addressField(p.traits, props, 'city')
  if (city) ret.city = city
  const region = addressField(p.traits, props, 'region')
  if (region) ret.region = region

  const adId = ocFind(context, 'device.advertisingid') || ocFind(context, 'device.idfa')
  const osLower = os == null ? '' : String(os).toLowerCase()
  if (osLower === 'ios') put(ret, 'idfa', adId)
  if (osLower === 'android') put(ret, 'adid', adId)

  const lib = ocFind(context, 'library.name')
  const platform = platformFromLibrary(lib) || ocFind(context, 'device.type') || (os ? osLower : undefined) || lib
  if (platform) ret.platform = sanitizePlatform(platform)

  if (lib != null && String(lib).toLowerCase() === 'analytics.js') {
    const ua = ocFind(context, 'useragent')
    if (ua) {
      const parsed = parseUserAgent(String(ua))
      // the 2017 code overwrote these even with undefined (then dropped them)
      setOrDrop(ret, 'os_name', parsed.browser.name)
      setOrDrop(ret, 'os_version', parsed.browser.major)
      setOrDrop(ret, 'device_model', parsed.os.name)
    }
  }

  const userProps: Obj = omitOc(p.traits, ADDRESS)
  ret.user_properties = userProps

  if (c.mode === 'cloud' && c.st.trackUtmProperties) {
    for (const [name, path] of UTM) {
      const v = ocFind(context, path)
      if (v != null && v !== '' && !(name in userProps)) userProps[name] = v
    }
  }

  if (c.mqpKey !== undefined) {
    const query = ocFind(context, 'page.search')
    if (query !== undefined) {
      if (c.mode === 'cloud') {
        if (p.type === 'identify' || c.mqpType !== 'event_properties') userProps[c.mqpKey] = query
        else ret.event_properties = { [c.mqpKey]: query }
      } else if (p.type === 'identify') {
        // web identify: every key becomes a trait (events: see webLogEvent)
        for (const k of c.mqpKeys) userProps[k] = query
      }
    }
  }

  const groups = options.groups
  if (groups) {
    ret.groups = groups
    // cloud: groups are also user properties; web: logEventWithGroups sends them as groups only
    if (c.mode === 'cloud' && isObj(groups)) Object.assign(userProps, groups)
  }
  return ret
}

/** Assigns only non-nullish values (the 2017 code stripped null/undefined with `reject`). */
function put(o: Obj, k: string, v: unknown): void {
  if (v != null) o[k] = v
}

function setOrDrop(o: Obj, k: string, v: unknown): void {
  if (v != null) o[k] = v
  else if (k in o) delete o[k]
}

/** Removes Amplitude-reserved keys from event properties (2017 `properties()`). */
function cleanProps(c: Compiled, props: Obj, hasRevenue: boolean): Obj {
  if (c.mode === 'web') return { ...props }
  return omitOc(props, hasRevenue ? c.cleanKeysRevenue : c.cleanKeys)
}

/** 2017 plain-track revenue fields; returns whether revenue was present. */
function applyRevenue(payload: Obj, props: Obj, revenue: number | undefined): boolean {
  if (revenue !== undefined) payload.revenue = revenue
  if (!revenue) return false
  const price = ocFind(props, 'price')
  const quantity = props.quantity || 1
  if (price && quantity) {
    payload.price = price
    payload.quantity = quantity
  }
  const revenueType = ocFind(props, 'revenuetype')
  if (revenueType) payload.revenueType = revenueType
  const productId = ocFind(props, 'productid')
  if (productId) payload.productId = productId
  return true
}

function appendFields(c: Compiled, p: Prepared, eventProps: Obj): void {
  for (const f of c.appendFields) {
    const v = ocFind(p.msg, f.path)
    if (v !== undefined) eventProps[f.name] = v
  }
}

// ---------------------------------------------------------------------------------------------
// Web mode: what the analytics.js integration asked the Amplitude browser SDK (amplitude-js 5.x) to
// log. Each SDK call becomes one record (docs/classic-assumptions.md, "Web mode"):
//   logEvent / logEventWithGroups → an event (no user_properties; groups only with groups)
//   logRevenueV2(revenue) → a `revenue_amount` event, event_properties + $productId/$quantity/$price/$revenueType
//   logRevenue(price, quantity, productId) → a `revenue_amount` event, api_properties {productId, special, quantity, price}
//   identify(ops) / setUserProperties(props) / setGroup(type, value) → an /identify record

const REVENUE_TYPE_BY_EVENT: Readonly<Record<string, string>> = {
  'order completed': 'Purchase',
  'completed order': 'Purchase',
  'product purchased': 'Purchase',
}

interface RevenueAttributes {
  price: unknown
  productId: unknown
  revenueType: unknown
  quantity: unknown
  eventProps: Obj
  revenue: number | undefined
}

/** The integration's mapRevenueAttributes over a Track facade of `event` with `props`. */
function revenueAttributes(event: string, props: Obj): RevenueAttributes {
  return {
    price: ocFind(props, 'price'),
    productId: ocFind(props, 'productid'),
    revenueType: ocFind(props, 'revenuetype') || (Object.hasOwn(REVENUE_TYPE_BY_EVENT, event.toLowerCase()) ? REVENUE_TYPE_BY_EVENT[event.toLowerCase()] : undefined),
    quantity: props.quantity || 1,
    eventProps: { ...props },
    revenue: revenueOf(props, event),
  }
}

/** amplitude-js's numeric test for logRevenue arguments (numbers and numeric strings). */
function isNumeric(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v)
  return typeof v === 'string' && !Number.isNaN(parseFloat(v)) && Number.isFinite(Number(v))
}

function dropUndefined(o: Obj): Obj {
  const out: Obj = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out
}

/** An SDK event record (what `_logEvent` sends): the message's fields, no user_properties. */
function webEventRecord(c: Compiled, p: Prepared, eventType: string, props: Obj): Obj {
  const rec = common(c, p, props)
  delete rec.user_properties
  rec.event_type = eventType
  rec.event_properties = dropUndefined(props)
  return rec
}

/** The integration's setRevenue: logRevenueV2 or the legacy logRevenue, as the SDK records it. */
function webRevenue(c: Compiled, p: Prepared, a: RevenueAttributes): ClassicRecord[] {
  let rec: Obj
  if (c.st.useLogRevenueV2) {
    let price = a.price
    let quantity = a.quantity
    if (!price) {
      price = a.revenue
      quantity = 1
    }
    if (typeof price !== 'number') return [] // Revenue without a numeric price is invalid: nothing sent
    const props: Obj = { ...a.eventProps }
    if (typeof a.productId === 'string' && a.productId !== '') props.$productId = a.productId
    props.$quantity = typeof quantity === 'number' ? Math.trunc(quantity) : 1
    props.$price = price
    if (a.revenueType && typeof a.revenueType === 'string') props.$revenueType = a.revenueType
    rec = webEventRecord(c, p, 'revenue_amount', props)
  } else {
    const amount = a.revenue || Number(a.price) * Number(a.quantity)
    if (!isNumeric(amount) || (a.quantity !== undefined && !isNumeric(a.quantity))) return []
    rec = webEventRecord(c, p, 'revenue_amount', {})
    rec.api_properties = dropUndefined({ productId: a.productId, special: 'revenue_amount', quantity: a.quantity || 1, price: amount })
  }
  return [{ endpoint: c.eventEndpoint, record: rec, sdkGenerated: true }]
}

function webIdentifyRecord(c: Compiled, p: Prepared, userProperties: Obj, groups?: Obj): Obj {
  return rejectNullish({
    user_id: p.msg.userId,
    device_id: deviceId(c, p),
    time: eventTime(p.msg),
    library: 'segment',
    groups,
    user_properties: userProperties,
  })
}

/**
 * The integration's logEvent(track, dontSetRevenue): mapQueryParams (event-side keys into the
 * properties; user-side keys through setUserProperties, but only when the last entry is
 * user-side), appendFieldsToEventProps, the event, then its revenue unless `dontSetRevenue`.
 */
function webLogEvent(c: Compiled, p: Prepared, event: unknown, baseProps: Obj, dontSetRevenue: boolean): ClassicRecord[] {
  const out: ClassicRecord[] = []
  const props: Obj = { ...baseProps }
  if (c.mqpEntries.length > 0) {
    const query = ocFind(p.context, 'page.search')
    const params: Obj = {}
    for (const [key, side] of c.mqpEntries) {
      if (side === 'user_properties') params[key] = query
      else props[key] = query
    }
    const set = dropUndefined(params)
    if (c.mqpEntries[c.mqpEntries.length - 1]![1] === 'user_properties' && Object.keys(set).length > 0) {
      out.push({ endpoint: '/identify', record: webIdentifyRecord(c, p, { $set: set }) })
    }
  }
  for (const f of c.appendFields) props[f.name] = ocFind(p.msg, f.path)
  // the SDK drops calls without an event name
  if (typeof event === 'string' && event !== '') out.push({ endpoint: c.eventEndpoint, record: webEventRecord(c, p, event, props) })
  const name = typeof event === 'string' ? event : ''
  if (!dontSetRevenue && revenueOf(baseProps, name)) out.push(...webRevenue(c, p, revenueAttributes(name, baseProps)))
  return out
}

/** The integration's orderCompleted. */
function webOrderCompleted(c: Compiled, p: Prepared, event: string, rawProps: Obj): ClassicRecord[] {
  const productsVal = ocFind(rawProps, 'products')
  const products = Array.isArray(productsVal) ? productsVal : []
  const perProduct = c.st.trackRevenuePerProduct
  if (c.st.trackProductsOnce) {
    // one event; products reduced to six attributes, quantity defaulting to 1
    const slim = products.map((prod) => {
      const pr = isObj(prod) ? prod : {}
      return dropUndefined({
        productId: ocFind(pr, 'product_id') || ocFind(pr, 'productid'),
        sku: ocFind(pr, 'sku'),
        name: ocFind(pr, 'name'),
        price: ocFind(pr, 'price'),
        quantity: pr.quantity || 1,
        category: ocFind(pr, 'category'),
      })
    })
    return webLogEvent(c, p, event, { ...rawProps, products: slim }, perProduct)
  }
  const orderProps: Obj = { ...rawProps }
  delete orderProps.products
  const out = webLogEvent(c, p, event, orderProps, perProduct)
  const orderRevenueType = ocFind(rawProps, 'revenuetype')
  const orderRevenue = revenueOf(rawProps, event)
  for (const product of products) {
    if (!isObj(product)) continue
    const props: Obj = { ...product }
    // per-product revenue needs a price (0 counts) and a truthy quantity; the order's revenue and
    // revenueType are copied into the product's properties first
    if (perProduct && props.price != null && props.quantity) {
      if (orderRevenueType) props.revenueType = orderRevenueType
      if (orderRevenue) props.revenue = orderRevenue
      out.push(...webRevenue(c, p, revenueAttributes('Product Purchased', props)))
    }
    out.push(...webLogEvent(c, p, 'Product Purchased', props, perProduct))
  }
  return out
}

function track(c: Compiled, p: Prepared): ClassicRecord[] {
  const event = p.msg.event
  const rawProps = isObj(p.msg.properties) ? p.msg.properties : {}
  if (c.mode === 'web') {
    if (typeof event === 'string' && ORDER_COMPLETED.test(event)) return webOrderCompleted(c, p, event, rawProps)
    return webLogEvent(c, p, event, rawProps, false)
  }
  if (typeof event === 'string' && ORDER_COMPLETED.test(event)) return orderCompleted(c, p, event, rawProps)
  const props = rawProps
  const payload = common(c, p, props)
  const revenue = revenueOf(props, event)
  const hasRevenue = applyRevenue(payload, props, revenue)
  put(payload, 'event_type', event)
  const ep = cleanProps(c, props, hasRevenue)
  appendFields(c, p, ep)
  payload.event_properties = { ...(payload.event_properties as Obj | undefined), ...ep }
  return [{ endpoint: c.eventEndpoint, record: payload }]
}

function revenueOf(props: Obj, event: unknown): number | undefined {
  let revenue = ocFind(props, 'revenue')
  if (!revenue && typeof event === 'string' && ORDER_COMPLETED.test(event)) revenue = ocFind(props, 'total')
  return currency(revenue)
}

function orderCompleted(c: Compiled, p: Prepared, event: string, rawProps: Obj): ClassicRecord[] {
  const out: ClassicRecord[] = []
  const productsVal = ocFind(rawProps, 'products')
  const products = Array.isArray(productsVal) ? productsVal : []
  const props = omitOc(rawProps, PRODUCTS)
  const perProduct = c.st.trackRevenuePerProduct

  // 1. the order event, without `products`
  const order = common(c, p, props)
  const hasRevenue = perProduct ? false : applyRevenue(order, props, revenueOf(props, event))
  order.event_type = event
  const ep = cleanProps(c, props, hasRevenue)
  appendFields(c, p, ep)
  order.event_properties = { ...(order.event_properties as Obj | undefined), ...ep }
  out.push({ endpoint: c.eventEndpoint, record: order })

  // 2. one Product Purchased per product
  const orderRevenueType = ocFind(rawProps, 'revenuetype')
  for (const product of products) {
    if (!isObj(product)) continue
    const pprops: Obj = product
    const rec = common(c, p, pprops)
    let productHasRevenue = false
    if (perProduct) {
      const price = typeof product.price === 'number' ? product.price : currency(product.price)
      if (price !== undefined || product.price === 0) {
        const priceNum = price ?? 0
        const q = Number(product.quantity) || 1
        rec.revenue = priceNum * q
        rec.price = priceNum
        rec.quantity = q
        const pid = ocFind(product, 'productid') ?? product.product_id
        if (pid) rec.productId = pid
        const rt = ocFind(product, 'revenuetype') || orderRevenueType
        if (rt) rec.revenueType = rt
        productHasRevenue = true
      }
    } else {
      productHasRevenue = applyRevenue(rec, pprops, currency(ocFind(pprops, 'revenue')))
    }
    rec.event_type = 'Product Purchased'
    const pep = cleanProps(c, pprops, productHasRevenue)
    appendFields(c, p, pep)
    rec.event_properties = { ...(rec.event_properties as Obj | undefined), ...pep }
    out.push({ endpoint: c.eventEndpoint, record: rec })
  }
  return out
}

function page(c: Compiled, p: Prepared): ClassicRecord[] {
  const suffix = p.type === 'screen' ? 'Screen' : 'Page'
  const name = p.msg.name
  const category = p.msg.category
  const props: Obj = isObj(p.msg.properties) ? { ...p.msg.properties } : {}
  if (category) props.category = category
  if (name) props.name = name
  const st = c.st

  if (c.mode === 'cloud') {
    const payload = common(c, p, props)
    const fullName = name && category ? `${category} ${name}` : name
    payload.event_type = fullName ? `Viewed ${fullName} ${suffix}` : `Loaded a ${suffix}`
    const ep = { ...(payload.event_properties as Obj | undefined), ...cleanProps(c, props, false) }
    payload.event_properties = ep
    const shouldTrack = st.trackAllPages || (st.trackCategorizedPages && ep.category) || (st.trackNamedPages && ep.name)
    if (!shouldTrack) return []
    return [{ endpoint: c.eventEndpoint, record: payload }]
  }

  // web: one event per enabled rule, in order
  const names: string[] = []
  if (st.trackAllPages) names.push(`Loaded a ${suffix}`)
  if (st.trackCategorizedPages && category) names.push(`Viewed ${category} ${suffix}`)
  if (st.trackNamedPages && name) names.push(category ? `Viewed ${category} ${name} ${suffix}` : `Viewed ${name} ${suffix}`)
  const out: ClassicRecord[] = []
  if (st.trackReferrer && !st.useAmplitudeReferral) out.push(...referrerIdentify(c, p))
  for (const eventType of names) out.push(...webLogEvent(c, p, eventType, props, false))
  return out
}

/** analytics.js trackReferrer: an Identify with referrer user properties on each page call. */
function referrerIdentify(c: Compiled, p: Prepared): ClassicRecord[] {
  const referrer = ocFind(p.context, 'page.referrer')
  if (typeof referrer !== 'string' || !referrer) return []
  // the integration splits on '/' and takes the third part: the host, port included
  const parts = referrer.split('/')
  const domain = parts.length >= 3 ? parts[2] : undefined
  const setOnce: Obj = { initial_referrer: referrer }
  const set: Obj = { referrer }
  if (domain) {
    setOnce.initial_referring_domain = domain
    set.referring_domain = domain
  }
  const rec = rejectNullish({
    user_id: p.msg.userId,
    device_id: deviceId(c, p),
    time: eventTime(p.msg),
    library: 'segment',
    user_properties: { $setOnce: setOnce, $set: set },
  })
  return [{ endpoint: '/identify', record: rec }]
}

function toOperations(c: Compiled, userProps: Obj): Obj {
  const ops: Obj = {}
  const put = (op: string, k: string, v: unknown) => {
    const bucket = (ops[op] as Obj | undefined) ?? (ops[op] = {})
    ;(bucket as Obj)[k] = v
  }
  for (const [k, v] of Object.entries(userProps)) {
    let placed = false
    for (const [op, set] of c.opLists) {
      if (set.has(k)) {
        // first matching list wins: cloud by rule; web because the SDK's Identify skips a second
        // operation on a property (so a trait in both traitsToIncrement and traitsToSetOnce is only $add)
        put(op, k, v)
        placed = true
        break
      }
    }
    if (!placed) put('$set', k, v)
  }
  return ops
}

function identify(c: Compiled, p: Prepared): ClassicRecord[] {
  if (c.mode === 'web') return webIdentify(c, p)
  const payload = common(c, p, undefined)
  delete payload.amplitude_event_type
  delete payload.session_id
  delete payload.event_id
  const paying = ocFind(p.options, 'paying')
  if (paying != null) payload.paying = paying
  const startVersion = ocFind(p.options, 'startversion')
  if (startVersion != null) payload.start_version = startVersion
  if (c.anyOps) payload.user_properties = toOperations(c, payload.user_properties as Obj)
  return [{ endpoint: '/identify', record: payload }]
}

/** Web identify: setTraits as one Identify of operations, then setGroup per `groups` option entry. */
function webIdentify(c: Compiled, p: Prepared): ClassicRecord[] {
  const out: ClassicRecord[] = []
  const payload = common(c, p, undefined)
  delete payload.amplitude_event_type
  delete payload.session_id
  delete payload.event_id
  delete payload.groups
  const ops = toOperations(c, dropUndefined(payload.user_properties as Obj))
  // the SDK sends no identify without operations
  if (Object.keys(ops).length > 0) {
    payload.user_properties = ops
    out.push({ endpoint: '/identify', record: payload })
  }
  const groups = p.options.groups
  if (isObj(groups)) {
    for (const [type, value] of Object.entries(groups)) {
      if (type !== '') out.push({ endpoint: '/identify', record: webIdentifyRecord(c, p, { $set: { [type]: value } }, { [type]: value }) })
    }
  }
  return out
}

function group(c: Compiled, p: Prepared): ClassicRecord[] {
  const groupId = p.msg.groupId
  if (!groupId) return []
  const traits = isObj(p.msg.traits) ? p.msg.traits : {}
  const st = c.st
  let groupType = SEGMENT_GROUP
  let groupValue: unknown = groupId
  let typed = false
  if (st.groupTypeTrait && st.groupValueTrait) {
    const t = ocFind(traits, normalizeKey(st.groupTypeTrait))
    const v = ocFind(traits, normalizeKey(st.groupValueTrait))
    if (t && v) {
      groupType = String(t)
      groupValue = v
      typed = true
    }
  }
  const association: Obj = {
    user_id: p.msg.userId,
    device_id: deviceId(c, p),
    time: eventTime(p.msg),
    groups: { [groupType]: groupValue },
    user_properties: c.mode === 'web' ? { $set: { [groupType]: groupValue } } : { [groupType]: groupValue },
  }
  const out: ClassicRecord[] = [{ endpoint: '/identify', record: rejectNullish(association) }]
  if (typed && c.mode === 'cloud') {
    out.push({
      endpoint: '/groupidentify',
      record: { group_type: groupType, group_value: groupValue, group_properties: { ...traits }, library: 'segment' },
    })
  }
  return out
}

function alias(c: Compiled, p: Prepared): ClassicRecord[] {
  if (c.mode !== 'cloud' || !c.st.sendAlias) return []
  const unmap = ocFind(p.options, 'unmap')
  if (unmap) return [{ endpoint: '/usermap', record: { user_id: unmap, unmap: true } }]
  const previousId = p.msg.previousId
  const userId = p.msg.userId
  if (!previousId || !userId) return []
  return [{ endpoint: '/usermap', record: { user_id: previousId, global_user_id: userId } }]
}

// ---------------------------------------------------------------------------------------------

const CLOUD_ASSUMPTIONS: readonly string[] = [
  'Classic model: cloud (server-side). Field mapping follows the open-source 2017 integration (v4.3.0); behaviour added later is taken from Segment docs.',
  'Page/screen: at most one event per call (2017 code): sent if trackAllPages, or trackCategorizedPages with a category, or trackNamedPages with a name; named "Viewed {category} {name} Page|Screen" when a name exists, else "Loaded a Page|Screen". Whether later cloud code switched to one event per rule (web behaviour) is unknown.',
  'mapQueryParams: only the first entry is used; its value side is honoured as documented (user_properties unless "event_properties"; identify always user_properties). The 2017 code put the query string in event_properties on every track/page/screen.',
  'Order Completed / Completed Order (any case, spaces/underscores optional): order event keeps its name and loses `products`; one "Product Purchased" event per product object, with the order\'s common fields. Revenue on the order (2017 fields: revenue‖total, price+quantity, productId, revenueType) unless trackRevenuePerProduct.',
  'trackRevenuePerProduct: each product with a price gets top-level price, quantity (default 1), revenue = price×quantity, productId (productId‖product_id) and revenueType (product‖order); the order event carries no revenue fields.',
  'Identify operators: when any of traitsToIncrement/SetOnce/Append/Prepend is non-empty, all user_properties are sent as operations ($add/$setOnce/$append/$prepend, everything else $set); a trait listed twice uses the first list in that order. With no lists, plain user_properties (2017).',
  'trackUtmProperties (default on): context.campaign source/medium/name/term/content → user_properties utm_source/utm_medium/utm_campaign/utm_term/utm_content on every call, without overriding a trait of the same name; no initial_utm_* properties.',
  'Group with groupTypeTrait and groupValueTrait both set and both traits truthy: /identify associating {type: value} (groups and user_properties) plus /groupidentify {group_type, group_value, group_properties: all traits, library: "segment"}; otherwise the 2017 "[Segment] Group" = groupId association only. No groupId → nothing.',
  'Alias: only with sendAlias; /usermap {user_id: previousId, global_user_id: userId}; integrations.Amplitude.unmap → {user_id: unmap, unmap: true} instead. Missing previousId or userId → nothing.',
  'sendToBatchEndpoint: track/page/screen events go to /batch (same event objects); identify/group stay on /identify. Hosts: api.amplitude.com (2017), batch api2.amplitude.com, EU api.eu.amplitude.com when the endpoint setting names EU.',
  'preferAnonymousIdForDeviceId: device_id = anonymousId ‖ context.device.id (else context.device.id ‖ anonymousId).',
  'useCustomAmplitudeProperties: country and language stay in event_properties (event_id and amplitude_event_type are still removed).',
  'time = timestamp (falling back to receivedAt, then originalTimestamp, instead of processing time); ISO strings without offset are UTC. No insert_id is sent (2017 code).',
  'language/country from context.locale "xx-YY" only (both parts required), names from ICU with ISO 3166 spellings for a few countries (e.g. "Korea, Republic of"); the 2017 code used the langs/country-list packages.',
  'UA parsing (library analytics.js with a userAgent): os_name = browser name, os_version = browser major, device_model = OS name, via @amplitude/ua-parser-js 0.7.25, the version Segment builds its production destinations with (2017: an older commit of the same fork).',
  'Messages with integrations.Amplitude = false, or All = false without Amplitude enabled, produce nothing. A missing apiKey (rejected by Classic) is reported by readClassicSettings but records are still produced.',
  'Field lookups follow the 2017 obj-case semantics (keys compared without punctuation and case: properties.product_id counts as productId, integrations.Amplitude.sessionId as session_id); an exact key wins over an earlier case variant.',
  'Not emulated: GDPR deletion (secretKey), retries and invalid-api_key errors, Amplitude-side validation.',
]

const WEB_ASSUMPTIONS: readonly string[] = [
  'Classic model: web (analytics.js device mode). Records follow what the analytics.js integration asked the Amplitude browser SDK (amplitude-js) to log, one record per SDK call; fields the SDK filled in from the browser (session_id, os/browser, library "amplitude-js", IP geolocation) are approximated from the message.',
  'device_id: with preferAnonymousIdForDeviceId and a non-empty anonymousId, the anonymousId; otherwise the SDK kept its own generated id, which no archive holds: left out of the record and reported by the diff as a counted assumption, never compared.',
  'Page: one event per enabled rule, in order: trackAllPages → "Loaded a Page"; trackCategorizedPages with a category → "Viewed {category} Page"; trackNamedPages with a name → "Viewed {category} {name} Page" (or "Viewed {name} Page"). Event properties = page properties + name + category. Screen calls are named the same way with "Screen".',
  'trackReferrer (catalog default on) without useAmplitudeReferral: each page call with a non-empty context.page.referrer also produces an /identify with $setOnce initial_referrer/initial_referring_domain and $set referrer/referring_domain; the domain is the third "/"-separated part of the referrer (port kept).',
  'Events (logEvent) carry event_properties and no user_properties; integrations.Amplitude.groups makes them logEventWithGroups (groups, not user properties). Event properties are not cleaned.',
  'mapQueryParams (web): event-side entries add the query string to the event properties; user-side entries go to the user (an /identify $set before the event) only when the last entry is user-side. Identify: every key as a trait.',
  'appendFieldsToEventProps: values at the dotted message paths are added to track and page event properties (missing paths skipped).',
  'Revenue: a call with revenue (revenue, or total on Order Completed) also produces the SDK\'s own "revenue_amount" event: useLogRevenueV2 → event_properties + $price/$quantity/$productId/$revenueType (price ‖ revenue with quantity 1); otherwise the legacy logRevenue with api_properties {price: revenue ‖ price × quantity, quantity, productId}. revenueType defaults to "Purchase" on Order Completed / Product Purchased. The diff counts revenue_amount events instead of pairing them.',
  "Order Completed: the order event without products, then one Product Purchased per product. trackRevenuePerProduct: only products with a price (0 counts) and a truthy quantity book revenue, after the order's revenue and revenueType are copied into their properties; the order books none. trackProductsOnce: only the order, products reduced to productId/sku/name/price/quantity (default 1)/category.",
  'Identify: user properties as operations: $add (traitsToIncrement), $setOnce (traitsToSetOnce), $set for the rest; a trait in both lists is only $add (the SDK skips a second operation on a property); no identify without operations. integrations.Amplitude.groups adds one setGroup /identify per group.',
  'Group: groupTypeTrait/groupValueTrait pair or "[Segment] Group" = groupId, as an /identify with groups and $set user property; no group properties.',
  'Alias, sendToBatchEndpoint, endpoint (EU), traitsToAppend/Prepend, trackUtmProperties (the SDK reads UTM from the URL, not context.campaign) and useCustomAmplitudeProperties are not applied. versionName, when set, replaces app_version.',
  'time = timestamp (falling back to receivedAt, then originalTimestamp).',
]

/** Every assumption this emulation makes where Segment's behaviour is not documented (docs/classic-assumptions.md). */
export function classicAssumptions(mode: ClassicMode): string[] {
  return [...(mode === 'web' ? WEB_ASSUMPTIONS : CLOUD_ASSUMPTIONS)]
}
