/**
 * perform() of each Actions Amplitude action (docs/actions-amplitude.md A.7–A.13): validated payload → the records
 * (events / identifications / group identifications / mappings) Segment puts in its requests.
 * Records contain only defined keys (what JSON.stringify would keep), in Segment's key order.
 */
import type { AmplitudeRecord } from '../../types.js'
import {
  addUserAgentProperties,
  compact,
  convertReferrerProperty,
  convertUTMProperties,
  eventSessionId,
  eventTime,
  fixPlatformCasing,
  mergeUserProperties,
  omit,
  utcMillis,
  type UserAgentData,
} from './helpers.js'

type Obj = Record<string, unknown>

const REVENUE_KEYS = ['revenue', 'price', 'productId', 'quantity', 'revenueType'] as const

/** Keys perform() consumes (never copied into the event) per event action, besides revenue keys. */
const COMMON_CONSUMED = ['time', 'session_id', 'userAgent', 'userAgentParsing', 'includeRawUserAgent', 'userAgentData', 'min_id_length', 'library', 'library2']
const CONSUMED_LOG_EVENT = new Set<string>([...REVENUE_KEYS, ...COMMON_CONSUMED, 'utm_properties', 'referrer'])
const CONSUMED_LOG_PURCHASE = new Set<string>([...CONSUMED_LOG_EVENT, 'products', 'trackRevenuePerProduct'])
const CONSUMED_LOG_EVENT_V2 = new Set<string>([...REVENUE_KEYS, ...COMMON_CONSUMED, 'setOnce', 'setAlways', 'add'])
const CONSUMED_IDENTIFY = new Set<string>(['utm_properties', 'referrer', 'userAgent', 'userAgentParsing', 'includeRawUserAgent', 'userAgentData', 'min_id_length', 'library'])
const UTM_REFERRER = ['utm_properties', 'referrer']

// The payload's keys are walked with for-in (the same order as Object.keys for a plain object,
// without making the array of its keys per record).
function pick(payload: Obj, consumed: Set<string>): Obj {
  const out: Obj = {}
  for (const k in payload) {
    if (!consumed.has(k) && payload[k] !== undefined) out[k] = payload[k]
  }
  return out
}

function applyPlatformRules(properties: Obj, library: unknown): void {
  if (properties.platform) properties.platform = fixPlatformCasing(String(properties.platform))
  if (library === 'analytics.js' && !properties.platform) properties.platform = 'Web'
}

/**
 * `withUserAgent(payload, properties)` built in one object, where `properties` is the payload
 * without the consumed keys and with the platform rules applied: the UA-parsed keys and the raw
 * user_agent first, then the payload's own keys. The same keys, order and values as the copy
 * (the UA keys never include platform, time, session_id, user_properties or library, so the
 * steps that follow read and write the same values here as on `properties`), without building
 * `properties` and copying it. Callers finish with `withoutUndefined`.
 */
function recordBase(payload: Obj, consumed: Set<string>): Obj {
  const out: Obj = {}
  if (payload.userAgentParsing) addUserAgentProperties(out, payload.userAgent, payload.userAgentData as UserAgentData | undefined)
  if (payload.includeRawUserAgent && payload.userAgent !== undefined) out.user_agent = payload.userAgent
  for (const k in payload) {
    if (consumed.has(k)) continue
    const v = payload[k]
    if (v !== undefined) out[k] = v
  }
  // The platform rules read the payload's own platform (never a UA key: there is none of that name).
  const picked = consumed.has('platform') ? undefined : payload.platform
  let platform = picked
  if (platform) platform = fixPlatformCasing(String(platform))
  if (payload.library === 'analytics.js' && !platform) platform = 'Web'
  if (platform !== picked) out.platform = platform
  return out
}

/** recordBase plus an event's time and session_id (steps 1–4 of A.7 with the UA keys first). */
function eventBase(payload: Obj, consumed: Set<string>): Obj {
  const out = recordBase(payload, consumed)
  const time = eventTime(payload.time)
  if (time !== undefined) out.time = time
  const sessionId = eventSessionId(payload.session_id)
  if (sessionId !== undefined) out.session_id = sessionId
  return out
}

function minIdOptions(payload: Obj): Obj | undefined {
  const m = payload.min_id_length
  return typeof m === 'number' && m > 0 ? { min_id_length: m } : undefined
}

function libraryValue(payload: Obj): unknown {
  const l2 = payload.library2 as Obj | undefined
  return l2?.behavior === 'use_mapping' ? l2.mapping : 'segment'
}

function hasUtmOrReferrer(payload: Obj): boolean {
  const utm = payload.utm_properties as Obj | undefined
  return Object.keys(utm ?? {}).length > 0 || Boolean(payload.referrer)
}

/** Steps 1–4 of A.7 shared by the event actions. */
function eventProperties(payload: Obj, consumed: Set<string>): Obj {
  const properties = pick(payload, consumed)
  applyPlatformRules(properties, payload.library)
  const time = eventTime(payload.time)
  if (time !== undefined) properties.time = time
  const sessionId = eventSessionId(payload.session_id)
  if (sessionId !== undefined) properties.session_id = sessionId
  return properties
}

function mergeUtmIntoUserProperties(properties: Obj, payload: Obj, traitsFirst: boolean): void {
  if (!hasUtmOrReferrer(payload)) return
  const utm = convertUTMProperties(payload.utm_properties as Obj | undefined)
  const ref = convertReferrerProperty(payload.referrer)
  const traits = omit(properties.user_properties as Obj | undefined, UTM_REFERRER)
  properties.user_properties = traitsFirst ? mergeUserProperties(traits, utm, ref) : mergeUserProperties(utm, ref, traits)
}

/** UA-parsed keys, raw user_agent, then the properties — in Segment's spread order. */
function withUserAgent(payload: Obj, properties: Obj): Obj {
  const out: Obj = {}
  if (payload.userAgentParsing) {
    addUserAgentProperties(out, payload.userAgent, payload.userAgentData as UserAgentData | undefined)
  }
  if (payload.includeRawUserAgent && payload.userAgent !== undefined) out.user_agent = payload.userAgent
  for (const k in properties) out[k] = properties[k]
  return withoutUndefined(out)
}

/**
 * The object without its undefined values, keys in the same order. Copied rather than `delete`d:
 * an object that loses keys turns into a slow dictionary for everything after (serializing too).
 */
function withoutUndefined(obj: Obj): Obj {
  let any = false
  for (const k in obj) {
    if (obj[k] === undefined) {
      any = true
      break
    }
  }
  if (!any) return obj
  const out: Obj = {}
  for (const k of Object.keys(obj)) if (obj[k] !== undefined) out[k] = obj[k]
  return out
}

function setIfDefined(out: Obj, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value
  else delete out[key]
}

function eventEndpoint(payload: Obj): 'batch' | 'httpapi' {
  return payload.use_batch_endpoint ? 'batch' : 'httpapi'
}

function eventRecords(payload: Obj, events: Obj[]): AmplitudeRecord[] {
  const endpoint = eventEndpoint(payload)
  const options = minIdOptions(payload)
  const out: AmplitudeRecord[] = []
  for (const record of events) out.push(options ? { endpoint, record, options: { ...options } } : { endpoint, record })
  return out
}

export function performLogEvent(payload: Obj): AmplitudeRecord[] {
  const event = eventBase(payload, CONSUMED_LOG_EVENT)
  mergeUtmIntoUserProperties(event, payload, false)
  const kept = withoutUndefined(event)
  setIfDefined(kept, 'library', libraryValue(payload))
  return eventRecords(payload, [kept])
}

function revenueProperties(x: Obj): Obj | undefined {
  let revenue = x.revenue as number | undefined
  const { quantity, price } = x
  if (typeof quantity === 'number' && typeof price === 'number') revenue = quantity * price
  if (!revenue) return undefined
  const out: Obj = { revenue, revenueType: x.revenueType ?? 'Purchase' }
  if (typeof quantity === 'number') out.quantity = Math.round(quantity)
  if (price !== undefined) out.price = price
  if (x.productId !== undefined) out.productId = x.productId
  return out
}

function assign(target: Obj, source: Obj | undefined): void {
  if (!source) return
  for (const k in source) target[k] = source[k]
}

export function performLogPurchase(payload: Obj): AmplitudeRecord[] {
  const products = (payload.products as Obj[] | undefined) ?? []
  const perProduct = Boolean(payload.trackRevenuePerProduct)
  const properties = eventProperties(payload, CONSUMED_LOG_PURCHASE)
  mergeUtmIntoUserProperties(properties, payload, false)
  const library = libraryValue(payload)

  const main = withUserAgent(payload, properties)
  if (!(products.length && perProduct)) assign(main, revenueProperties(payload))
  setIfDefined(main, 'library', library)
  const events: Obj[] = [main]

  const insertId = properties.insert_id
  for (const product of products) {
    const ev: Obj = { ...properties }
    if (perProduct) assign(ev, revenueProperties(product ?? {}))
    ev.event_properties = product
    ev.event_type = 'Product Purchased'
    setIfDefined(ev, 'insert_id', insertId ? `${String(insertId)}-${events.length + 1}` : undefined)
    setIfDefined(ev, 'library', library)
    events.push(ev)
  }
  return eventRecords(payload, events)
}

const USER_PROPERTY_OPS: ReadonlyArray<readonly [string, string]> = [
  ['$setOnce', 'setOnce'],
  ['$set', 'setAlways'],
  ['$add', 'add'],
]

export function performLogEventV2(payload: Obj): AmplitudeRecord[] {
  const base = eventBase(payload, CONSUMED_LOG_EVENT_V2)
  for (const [op, field] of USER_PROPERTY_OPS) {
    const obj = payload[field]
    if (compact(obj)) base.user_properties = { ...(base.user_properties as Obj | undefined), [op]: obj }
  }
  const event = withoutUndefined(base)
  setIfDefined(event, 'library', libraryValue(payload))
  return eventRecords(payload, [event])
}

export function performIdentifyUser(payload: Obj): AmplitudeRecord[] {
  const base = recordBase(payload, CONSUMED_IDENTIFY)
  mergeUtmIntoUserProperties(base, payload, true)
  const identification = withoutUndefined(base)
  identification.library = 'segment'
  const options = minIdOptions(payload)
  return [options ? { endpoint: 'identify', record: identification, options } : { endpoint: 'identify', record: identification }]
}

export function performGroupIdentifyUser(payload: Obj, now: () => number): AmplitudeRecord[] {
  const groupType = String(payload.group_type)
  const options = minIdOptions(payload)
  const out: AmplitudeRecord[] = []
  if (payload.user_id || payload.device_id) {
    const association: Obj = {}
    setIfDefined(association, 'device_id', payload.device_id)
    association.groups = { [groupType]: payload.group_value }
    setIfDefined(association, 'insert_id', payload.insert_id)
    association.library = 'segment'
    const t = payload.time === undefined ? now() : utcMillis(payload.time as string)
    association.time = Number.isNaN(t) ? null : t
    setIfDefined(association, 'user_id', payload.user_id)
    association.user_properties = { [groupType]: payload.group_value }
    out.push(options ? { endpoint: 'identify', record: association, options: { ...options } } : { endpoint: 'identify', record: association })
  }
  const group: Obj = {}
  setIfDefined(group, 'group_properties', payload.group_properties)
  group.group_value = payload.group_value
  group.group_type = payload.group_type
  group.library = 'segment'
  out.push(options ? { endpoint: 'groupidentify', record: group, options: { ...options } } : { endpoint: 'groupidentify', record: group })
  return out
}

export function performMapUser(payload: Obj): AmplitudeRecord[] {
  const mapping: Obj = {}
  for (const k of Object.keys(payload)) setIfDefined(mapping, k, payload[k])
  const options = minIdOptions(payload)
  return [options ? { endpoint: 'usermap', record: mapping, options } : { endpoint: 'usermap', record: mapping }]
}
