/** Helper semantics of the Actions Amplitude destination (docs/actions-amplitude.md A.2, A.6). Pure functions. */
import { createRequire } from 'node:module'
import type UAParserType from '@amplitude/ua-parser-js'
import dayjs from 'dayjs'
import utc from 'dayjs/plugin/utc.js'
import type { AmplitudeEndpoint } from '../../types.js'

dayjs.extend(utc)

export type AmplitudeRegion = 'north_america' | 'europe'

/** Endpoint URLs per region (regional-endpoints.ts). */
export const AMPLITUDE_ENDPOINTS: Readonly<Record<AmplitudeEndpoint | 'deletions' | 'usersearch', Readonly<Record<AmplitudeRegion, string>>>> = {
  httpapi: { north_america: 'https://api2.amplitude.com/2/httpapi', europe: 'https://api.eu.amplitude.com/2/httpapi' },
  batch: { north_america: 'https://api2.amplitude.com/batch', europe: 'https://api.eu.amplitude.com/batch' },
  identify: { north_america: 'https://api2.amplitude.com/identify', europe: 'https://api.eu.amplitude.com/identify' },
  groupidentify: {
    north_america: 'https://api2.amplitude.com/groupidentify',
    europe: 'https://api.eu.amplitude.com/groupidentify',
  },
  usermap: { north_america: 'https://api.amplitude.com/usermap', europe: 'https://api.eu.amplitude.com/usermap' },
  deletions: {
    north_america: 'https://amplitude.com/api/2/deletions/users',
    europe: 'https://analytics.eu.amplitude.com/api/2/deletions/users',
  },
  usersearch: {
    north_america: 'https://amplitude.com/api/2/usersearch',
    europe: 'https://analytics.eu.amplitude.com/api/2/usersearch',
  },
}

/** URL of an endpoint; an unknown or missing region falls back to north_america (as Segment does). */
export function endpointUrl(endpoint: AmplitudeEndpoint | 'deletions' | 'usersearch', region?: AmplitudeRegion | string): string {
  const table = AMPLITUDE_ENDPOINTS[endpoint]
  return region === 'europe' ? table.europe : table.north_america
}

/**
 * `dayjs.utc(v).valueOf()` — epoch ms, NaN when invalid (strings/numbers as Segment passes them).
 * dayjs hands a number, and a string ending in `Z` (any case), to `new Date(v)` unchanged, and a
 * UTC instance without an offset reads back that Date's time: those two (nearly every event
 * time) skip building the dayjs object. A property test holds this to dayjs for any value.
 */
export function utcMillis(v: string | number | undefined): number {
  if (typeof v === 'number') return new Date(v).getTime()
  if (typeof v === 'string' && (v.charCodeAt(v.length - 1) | 0x20) === 0x7a) return parsedDate(v)
  return dayjs.utc(v).valueOf()
}

let lastDateText = ''
let lastDateMs = NaN

/**
 * `Date.parse(text)` (the same as `new Date(text).getTime()`), remembering the last text: an
 * event's time is parsed by the compiled path's guard and then again by perform, one after the
 * other, and parsing a date costs more than anything else either does with it.
 */
export function parsedDate(text: string): number {
  if (text !== lastDateText) {
    lastDateMs = Date.parse(text)
    lastDateText = text
  }
  return lastDateMs
}

const DIGITS = /^\d+$/

/** convert-timestamp.ts formatSessionId. */
export function formatSessionId(sessionId: string | number): number {
  if (typeof sessionId === 'string' && DIGITS.test(sessionId)) return Number(sessionId)
  return utcMillis(sessionId)
}

/** Event `time` as Segment sends it, or undefined when it would be omitted. */
export function eventTime(time: unknown): number | undefined {
  if (!time) return undefined
  const ms = utcMillis(time as string | number)
  return Number.isNaN(ms) ? undefined : ms
}

/** Event `session_id` as Segment sends it, or undefined when it would be omitted. */
export function eventSessionId(sessionId: unknown): number | undefined {
  if (!sessionId) return undefined
  if (Number.isNaN(utcMillis(sessionId as string | number))) return undefined
  return formatSessionId(sessionId as string | number)
}

// ---- user-agent parsing (bounded cache by UA string) ----

interface ParsedUA {
  osName: string | undefined
  browserName: string | undefined
  browserMajor: string | undefined
  vendor: string | undefined
  model: string | undefined
  type: string | undefined
}

/** ua-parser is loaded by the first user agent parsed (a mapping without userAgentParsing never needs it). */
let UAParser: typeof UAParserType | undefined

const UA_CACHE_MAX = 5000
const uaCache = new Map<string, ParsedUA>()

function parseUA(ua: string): ParsedUA {
  let hit = uaCache.get(ua)
  if (hit !== undefined) return hit
  UAParser ??= createRequire(import.meta.url)('@amplitude/ua-parser-js') as typeof UAParserType
  const parser = new UAParser(ua)
  const device = parser.getDevice()
  const os = parser.getOS()
  const browser = parser.getBrowser()
  hit = {
    osName: os.name,
    browserName: browser.name,
    browserMajor: browser.major,
    vendor: device.vendor,
    model: device.model,
    type: device.type,
  }
  if (uaCache.size >= UA_CACHE_MAX) {
    const oldest = uaCache.keys().next().value
    if (oldest !== undefined) uaCache.delete(oldest)
  }
  uaCache.set(ua, hit)
  return hit
}

export interface UserAgentData {
  model?: string
  platformVersion?: string
}

/**
 * user-agent.ts parseUserAgentProperties, writing its five keys into `out` in Segment's order
 * (os_name, os_version, device_manufacturer, device_model, device_type). Keys are written even
 * when undefined, because they fix the JSON key position of later mapped values (the caller
 * removes the keys still undefined at the end).
 */
export function addUserAgentProperties(out: Record<string, unknown>, userAgent: unknown, userAgentData: UserAgentData | undefined): void {
  if (!userAgent) return
  const p = parseUA(String(userAgent))
  out.os_name = p.osName ?? p.browserName
  out.os_version = userAgentData?.platformVersion ?? p.browserMajor
  out.device_manufacturer = p.vendor
  out.device_model = userAgentData?.model ?? p.model ?? p.osName
  out.device_type = p.type
}

export function setDefined(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value
}

// ---- user properties ----

type Obj = Record<string, unknown>

/** utm.ts convertUTMProperties. */
export function convertUTMProperties(utm: Obj | undefined): Obj {
  if (!utm) return {}
  const $set: Obj = {}
  const $setOnce: Obj = {}
  for (const [k, v] of Object.entries(utm)) {
    $set[k] = v
    $setOnce[`initial_${k}`] = v
  }
  return { $set, $setOnce }
}

/** referrer.ts convertReferrerProperty. */
export function convertReferrerProperty(referrer: unknown): Obj {
  if (!referrer) return {}
  return { $set: { referrer }, $setOnce: { initial_referrer: referrer } }
}

/** merge-user-properties.ts: shallow left-to-right merge, `$set`/`$setOnce` merged one level deep. */
export function mergeUserProperties(...objs: Obj[]): Obj {
  let prev: Obj = {}
  for (const cur of objs) {
    const hasSet = prev.$set || cur.$set
    const hasSetOnce = prev.$setOnce || cur.$setOnce
    const next: Obj = { ...prev, ...cur }
    if (hasSet) next.$set = { ...(prev.$set as Obj), ...(cur.$set as Obj) }
    if (hasSetOnce) next.$setOnce = { ...(prev.$setOnce as Obj), ...(cur.$setOnce as Obj) }
    prev = next
  }
  return prev
}

/** Shallow copy without the given keys (actions-core omit). */
export function omit(obj: Obj | undefined, keys: readonly string[]): Obj {
  const out: Obj = {}
  if (!obj) return out
  for (const k of Object.keys(obj)) if (!keys.includes(k)) out[k] = obj[k]
  return out
}

/** compact.ts: true iff the object has at least one value !== ''. */
export function compact(obj: unknown): boolean {
  if (obj === undefined || obj === null) return false
  for (const k in obj as Obj) if ((obj as Obj)[k] !== '') return true
  return false
}

const IOS = /ios/i
const ANDROID = /android/i

/** Platform casing: first case-insensitive `ios` → `iOS`, then first `android` → `Android`. */
export function fixPlatformCasing(platform: string): string {
  return platform.replace(IOS, 'iOS').replace(ANDROID, 'Android')
}
