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
  return (
    ocFind(traits, 'address.' + field) ||
    ocFind(traits, field) ||
    (props ? ocFind(props, 'address.' + field) || ocFind(props, field) : undefined)
  )
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
    mqpType: mqpEntries.length
      ? mode === 'cloud'
        ? mqpEntries[0][1] || 'user_properties'
        : mqpEntries[mqpEntries.length - 1][1] || 'user_properties'
      : undefined,
    mqpKeys: mqpEntries.map((e) => e[0]),
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
    switch (type) {
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
}

/** One-off convenience (compiles the settings on every call: prefer `compileClassic` in loops). */
export function classicRecords(
  message: Record<string, unknown>,
  settings: unknown,
  opts?: { mode?: ClassicMode },
): ClassicRecord[] {
  return compileClassic(settings, { mode: opts?.mode ?? 'cloud' })(message)
}

// ---------------------------------------------------------------------------------------------

function deviceId(c: Compiled, p: Prepared): unknown {
  const ctxDevice = ocFind(p.context, 'device.id')
  const anon = p.msg.anonymousId
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
        for (const k of c.mqpKeys) userProps[k] = query
      } else if (c.mqpType === 'event_properties') {
        const ep: Obj = {}
        for (const k of c.mqpKeys) ep[k] = query
        ret.event_properties = ep
      }
    }
  }

  const groups = options.groups
  if (groups) {
    ret.groups = groups
    if (isObj(groups)) Object.assign(userProps, groups)
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

function webQueryIdentify(c: Compiled, p: Prepared): ClassicRecord[] {
  if (c.mode !== 'web' || c.mqpKey === undefined || c.mqpType === 'event_properties') return []
  const query = ocFind(p.context, 'page.search')
  if (query === undefined) return []
  const set: Obj = {}
  for (const k of c.mqpKeys) set[k] = query
  const rec = rejectNullish({ user_id: p.msg.userId, device_id: deviceId(c, p), time: eventTime(p.msg), library: 'segment', user_properties: { $set: set } })
  return [{ endpoint: '/identify', record: rec }]
}

function track(c: Compiled, p: Prepared): ClassicRecord[] {
  const event = p.msg.event
  const rawProps = isObj(p.msg.properties) ? p.msg.properties : {}
  if (typeof event === 'string' && ORDER_COMPLETED.test(event)) return orderCompleted(c, p, event, rawProps)
  const props = rawProps
  const payload = common(c, p, props)
  const revenue = revenueOf(props, event)
  const hasRevenue = applyRevenue(payload, props, revenue)
  put(payload, 'event_type', event)
  const ep = cleanProps(c, props, hasRevenue)
  appendFields(c, p, ep)
  payload.event_properties = { ...(payload.event_properties as Obj | undefined), ...ep }
  return [...webQueryIdentify(c, p), { endpoint: c.eventEndpoint, record: payload }]
}

function revenueOf(props: Obj, event: unknown): number | undefined {
  let revenue = ocFind(props, 'revenue')
  if (!revenue && typeof event === 'string' && ORDER_COMPLETED.test(event)) revenue = ocFind(props, 'total')
  return currency(revenue)
}

const SLIM_PRODUCT_KEYS = ['productId', 'sku', 'name', 'price', 'quantity', 'category']

function orderCompleted(c: Compiled, p: Prepared, event: string, rawProps: Obj): ClassicRecord[] {
  const out: ClassicRecord[] = [...webQueryIdentify(c, p)]
  const productsVal = ocFind(rawProps, 'products')
  const products = Array.isArray(productsVal) ? productsVal : []
  const props = omitOc(rawProps, PRODUCTS)
  const perProduct = c.st.trackRevenuePerProduct
  const productsOnce = c.mode === 'web' && c.st.trackProductsOnce

  // 1. the order event, without `products` (or with a slimmed array under trackProductsOnce)
  const order = common(c, p, props)
  const hasRevenue = perProduct ? false : applyRevenue(order, props, revenueOf(props, event))
  order.event_type = event
  const ep = cleanProps(c, props, hasRevenue)
  if (productsOnce) {
    ep.products = products.filter(isObj).map((prod) => {
      const slim: Obj = {}
      for (const k of SLIM_PRODUCT_KEYS) {
        const v = k === 'productId' ? prod.productId ?? prod.product_id : prod[k]
        if (v !== undefined) slim[k] = v
      }
      return slim
    })
  }
  appendFields(c, p, ep)
  order.event_properties = { ...(order.event_properties as Obj | undefined), ...ep }
  out.push({ endpoint: c.eventEndpoint, record: order })
  if (productsOnce) return out

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
  if (!names.length) return out
  out.push(...webQueryIdentify(c, p))
  for (const eventType of names) {
    const payload = common(c, p, props)
    payload.event_type = eventType
    const ep: Obj = { ...props }
    appendFields(c, p, ep)
    payload.event_properties = { ...(payload.event_properties as Obj | undefined), ...ep }
    out.push({ endpoint: c.eventEndpoint, record: payload })
  }
  return out
}

/** analytics.js trackReferrer: an Identify with referrer user properties on each page call. */
function referrerIdentify(c: Compiled, p: Prepared): ClassicRecord[] {
  const referrer = ocFind(p.context, 'page.referrer')
  if (typeof referrer !== 'string' || !referrer) return []
  let domain: string | undefined
  try {
    domain = new URL(referrer).hostname
  } catch {
    domain = undefined
  }
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
        put(op, k, v)
        placed = true
        // cloud: first matching list wins; web: a trait may get several operations
        if (c.mode === 'cloud') break
      }
    }
    if (!placed) put('$set', k, v)
  }
  return ops
}

function identify(c: Compiled, p: Prepared): ClassicRecord[] {
  const payload = common(c, p, undefined)
  delete payload.amplitude_event_type
  delete payload.session_id
  delete payload.event_id
  const paying = ocFind(p.options, 'paying')
  if (paying != null) payload.paying = paying
  const startVersion = ocFind(p.options, 'startversion')
  if (startVersion != null) payload.start_version = startVersion
  if (c.mode === 'web' || c.anyOps) payload.user_properties = toOperations(c, payload.user_properties as Obj)
  return [{ endpoint: '/identify', record: payload }]
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
  'UA parsing (library analytics.js with a userAgent): os_name = browser name, os_version = browser major, device_model = OS name, via @amplitude/ua-parser-js 0.7.33 (2017: an older fork).',
  'Messages with integrations.Amplitude = false, or All = false without Amplitude enabled, produce nothing. A missing apiKey (rejected by Classic) is reported by readClassicSettings but records are still produced.',
  'Field lookups follow the 2017 obj-case semantics (keys compared without punctuation and case: properties.product_id counts as productId, integrations.Amplitude.sessionId as session_id); an exact key wins over an earlier case variant.',
  'Not emulated: GDPR deletion (secretKey), retries and invalid-api_key errors, Amplitude-side validation.',
]

const WEB_ASSUMPTIONS: readonly string[] = [
  'Classic model: web (analytics.js device mode). Event names follow the analytics.js integration; the record fields reuse the cloud mapping, so SDK-generated fields (device_id, session_id, os/browser, library "amplitude-js", IP geolocation) are approximations.',
  'Page: one event per enabled rule, in order: trackAllPages → "Loaded a Page"; trackCategorizedPages with a category → "Viewed {category} Page"; trackNamedPages with a name → "Viewed {category} {name} Page" (or "Viewed {name} Page"). Event properties = page properties + name + category. Screen calls are named the same way with "Screen".',
  'trackReferrer (catalog default on) without useAmplitudeReferral: each page call with a non-empty context.page.referrer also produces an /identify with $setOnce initial_referrer/initial_referring_domain and $set referrer/referring_domain.',
  'mapQueryParams (web): the last entry decides the side; event side puts the query string under every configured key; user side sends a separate /identify ($set) before the event.',
  'appendFieldsToEventProps: values at the dotted message paths are added to track and page event properties (missing paths skipped).',
  'Order Completed: as cloud (order without products + Product Purchased per product); trackProductsOnce sends only the order with products slimmed to productId/sku/name/price/quantity/category. Revenue appears as cloud-style top-level fields, not as separate revenue_amount events.',
  'Event properties are not cleaned (the SDK sends country/language/event_id as given).',
  'Identify: user properties always sent as operations: $add (traitsToIncrement), $setOnce (traitsToSetOnce), $set for the rest; a trait in both lists gets both. No append/prepend.',
  'Group: groupTypeTrait/groupValueTrait pair or "[Segment] Group" = groupId, as an /identify with groups and $set user property; no group properties.',
  'Alias, sendToBatchEndpoint, endpoint (EU), traitsToAppend/Prepend, trackUtmProperties (the SDK reads UTM from the URL, not context.campaign) and useCustomAmplitudeProperties are not applied. versionName, when set, replaces app_version.',
  'time = timestamp (falling back to receivedAt, then originalTimestamp).',
]

/** Every assumption this emulation makes where Segment's behaviour is not documented (docs/classic-assumptions.md). */
export function classicAssumptions(mode: ClassicMode): string[] {
  return [...(mode === 'web' ? WEB_ASSUMPTIONS : CLOUD_ASSUMPTIONS)]
}
