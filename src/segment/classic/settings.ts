/**
 * Amplitude (Classic) settings: the 37 catalog settings (docs/classic-amplitude.md §3),
 * their catalog defaults, and which emulation mode reads each one. Pure data.
 */

export type ClassicMode = 'cloud' | 'web'

export interface ClassicSettings {
  apiKey: string
  secretKey: string
  trackAllPages: boolean
  trackNamedPages: boolean
  trackCategorizedPages: boolean
  trackAllPagesV2: boolean
  trackUtmProperties: boolean
  trackReferrer: boolean
  useAmplitudeReferral: boolean
  saveParamsReferrerOncePerSession: boolean
  unsetParamsReferrerOnNewSession: boolean
  trackGclid: boolean
  deviceIdFromUrlParam: boolean
  forceHttps: boolean
  batchEvents: boolean
  eventUploadThreshold: number
  eventUploadPeriodMillis: number
  versionName: string
  /** dotted message path → event property name (web device mode only). */
  appendFieldsToEventProps: Record<string, string>
  /** custom property name → 'user_properties' | 'event_properties'. */
  mapQueryParams: Record<string, string>
  preferAnonymousIdForDeviceId: boolean
  useAdvertisingIdForDeviceId: boolean
  enableLocationListening: boolean
  trackSessionEvents: boolean
  useLogRevenueV2: boolean
  trackRevenuePerProduct: boolean
  trackProductsOnce: boolean
  traitsToIncrement: string[]
  traitsToSetOnce: string[]
  traitsToAppend: string[]
  traitsToPrepend: string[]
  groupTypeTrait: string
  groupValueTrait: string
  useCustomAmplitudeProperties: boolean
  sendAlias: boolean
  sendToBatchEndpoint: boolean
  endpoint: string
}

export type ClassicSettingKey = keyof ClassicSettings
type Kind = 'string' | 'boolean' | 'number' | 'map' | 'list'

export interface ClassicSettingInfo {
  key: ClassicSettingKey
  kind: Kind
  default: unknown
  /** Honoured by Segment's cloud-mode (server-side) Classic integration, per docs/classic-amplitude.md §3. */
  cloud: boolean
  /** Read by this emulation in each mode. */
  reads: Record<ClassicMode, boolean>
  /** Components of Classic that honour it (docs/classic-amplitude.md §3). */
  honouredBy: string
}

function s(key: ClassicSettingKey, kind: Kind, def: unknown, cloud: boolean, web: boolean, honouredBy: string, reads?: Partial<Record<ClassicMode, boolean>>): ClassicSettingInfo {
  return { key, kind, default: def, cloud, honouredBy, reads: { cloud: reads?.cloud ?? cloud, web: reads?.web ?? web } }
}

/** Catalog of all 37 Classic settings in catalog order (docs/classic-amplitude.md §3). `cloud`/`web`: honoured in that component. */
export const CLASSIC_SETTINGS: readonly ClassicSettingInfo[] = [
  s('apiKey', 'string', '', true, true, 'web, iOS, Android, cloud'),
  s('secretKey', 'string', '', true, false, 'cloud (user deletion only)', { cloud: false }),
  s('trackAllPages', 'boolean', false, true, true, 'web, iOS, Android, cloud'),
  s('trackNamedPages', 'boolean', true, true, true, 'web, Android, cloud'),
  s('trackCategorizedPages', 'boolean', true, true, true, 'web, Android, cloud'),
  s('trackAllPagesV2', 'boolean', false, false, false, 'iOS, Android'),
  s('trackUtmProperties', 'boolean', true, true, false, 'web (SDK includeUtm), cloud (context.campaign)'),
  s('trackReferrer', 'boolean', true, false, true, 'web'),
  s('useAmplitudeReferral', 'boolean', false, false, true, 'web'),
  s('saveParamsReferrerOncePerSession', 'boolean', true, false, false, 'web (SDK)'),
  s('unsetParamsReferrerOnNewSession', 'boolean', false, false, false, 'web (SDK)'),
  s('trackGclid', 'boolean', false, false, false, 'web (SDK)'),
  s('deviceIdFromUrlParam', 'boolean', false, false, false, 'web (SDK)'),
  s('forceHttps', 'boolean', false, false, false, 'web (SDK)'),
  s('batchEvents', 'boolean', false, false, false, 'web (SDK)'),
  s('eventUploadThreshold', 'number', 30, false, false, 'web (SDK)'),
  s('eventUploadPeriodMillis', 'number', 30000, false, false, 'web (SDK)'),
  s('versionName', 'string', '', false, true, 'web'),
  s('appendFieldsToEventProps', 'map', {}, false, true, 'web'),
  s('mapQueryParams', 'map', {}, true, true, 'web, cloud'),
  s('preferAnonymousIdForDeviceId', 'boolean', false, true, true, 'web, cloud'),
  s('useAdvertisingIdForDeviceId', 'boolean', false, false, false, 'iOS, Android'),
  s('enableLocationListening', 'boolean', true, false, false, 'Android'),
  s('trackSessionEvents', 'boolean', false, false, false, 'iOS, Android'),
  s('useLogRevenueV2', 'boolean', true, false, true, 'web, iOS, Android'),
  s('trackRevenuePerProduct', 'boolean', false, true, true, 'web, cloud'),
  s('trackProductsOnce', 'boolean', false, false, true, 'web'),
  s('traitsToIncrement', 'list', [], true, true, 'web, iOS, Android, cloud'),
  s('traitsToSetOnce', 'list', [], true, true, 'web, iOS, Android, cloud'),
  s('traitsToAppend', 'list', [], true, false, 'cloud'),
  s('traitsToPrepend', 'list', [], true, false, 'cloud'),
  s('groupTypeTrait', 'string', '', true, true, 'web, iOS, Android, cloud'),
  s('groupValueTrait', 'string', '', true, true, 'web, iOS, cloud'),
  s('useCustomAmplitudeProperties', 'boolean', false, true, false, 'cloud'),
  s('sendAlias', 'boolean', false, true, false, 'cloud'),
  s('sendToBatchEndpoint', 'boolean', false, true, false, 'cloud'),
  s('endpoint', 'string', '', true, false, 'cloud'),
]

const INFO = new Map<string, ClassicSettingInfo>(CLASSIC_SETTINGS.map((i) => [i.key, i]))

export interface ClassicSettingsResult {
  settings: ClassicSettings
  /** Keys present in the input that are not Classic settings (sorted). */
  unknownKeys: string[]
  /** Settings explicitly set to a non-default value that only device-mode bundles honour (cloud ignores them). */
  deviceModeOnly: string[]
  /** Per emulation mode: settings explicitly set to a non-default value that this mode does not read. */
  ignoredByMode: Record<ClassicMode, string[]>
  /** Settings explicitly present in the input (known keys only). */
  explicitKeys: string[]
  /** Required settings missing or empty (Classic rejects every message without them). */
  missingRequired: string[]
  /** Values that could not be interpreted; the catalog default was used instead. */
  warnings: string[]
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Unwraps a Public API destination response, `{destination:{settings}}` or `{settings}`. */
export function unwrapClassicSettings(input: unknown): Record<string, unknown> {
  let v = input
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      return {}
    }
  }
  if (!isRecord(v)) return {}
  if (isRecord(v.data)) v = v.data
  if (isRecord((v as Record<string, unknown>).destination)) v = (v as Record<string, unknown>).destination
  const obj = v as Record<string, unknown>
  if (isRecord(obj.settings)) return obj.settings
  return obj
}

function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v
  if (v === 'true') return true
  if (v === 'false') return false
  if (v === 1 || v === 0) return v === 1
  return undefined
}

function toNum(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

function toList(v: unknown): string[] | undefined {
  if (v == null) return []
  if (Array.isArray(v)) return v.filter((x) => x != null && x !== '').map(String)
  if (typeof v === 'string')
    return v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
  return undefined
}

/** Accepts `{k: v}`, `[{key, value}]`, `[{from, to}]` or `[[k, v]]`. */
function toMap(v: unknown): Record<string, string> | undefined {
  if (v == null) return {}
  const out: Record<string, string> = {}
  if (Array.isArray(v)) {
    for (const e of v) {
      if (Array.isArray(e) && e.length >= 2) out[String(e[0])] = String(e[1] ?? '')
      else if (isRecord(e) && 'key' in e) out[String(e.key)] = String(e.value ?? '')
      else if (isRecord(e) && 'from' in e) out[String(e.from)] = String(e.to ?? '')
      else return undefined
    }
    return out
  }
  if (isRecord(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = val == null ? '' : String(val)
    return out
  }
  return undefined
}

function convert(kind: Kind, v: unknown): unknown {
  switch (kind) {
    case 'string':
      return v == null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined
    case 'boolean':
      return v == null ? undefined : toBool(v)
    case 'number':
      return v == null ? undefined : toNum(v)
    case 'list':
      return toList(v)
    case 'map':
      return toMap(v)
  }
}

function cloneDefault(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : isRecord(v) ? { ...v } : v
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Parses Classic settings (a settings object, a JSON string, or a Segment Public API destination
 * response `{"data":{"destination":{"settings":{...}}}}`), applying catalog defaults.
 */
export function readClassicSettings(input: unknown): ClassicSettingsResult {
  const raw = unwrapClassicSettings(input)
  const settings: Record<string, unknown> = {}
  const warnings: string[] = []
  const explicitKeys: string[] = []
  const nonDefault: ClassicSettingInfo[] = []
  for (const info of CLASSIC_SETTINGS) {
    let value = cloneDefault(info.default)
    if (Object.prototype.hasOwnProperty.call(raw, info.key)) {
      explicitKeys.push(info.key)
      const converted = convert(info.kind, raw[info.key])
      if (converted === undefined) {
        if (raw[info.key] != null) {
          warnings.push(`setting ${info.key}: cannot read ${JSON.stringify(raw[info.key])} as ${info.kind}; using default ${JSON.stringify(info.default)}`)
        }
      } else {
        value = converted
      }
      if (!sameValue(value, info.default)) nonDefault.push(info)
    }
    settings[info.key] = value
  }
  const unknownKeys = Object.keys(raw)
    .filter((k) => !INFO.has(k))
    .sort()
  const missingRequired = settings.apiKey === '' ? ['apiKey'] : []
  return {
    settings: settings as unknown as ClassicSettings,
    unknownKeys,
    deviceModeOnly: nonDefault.filter((i) => !i.cloud).map((i) => i.key),
    ignoredByMode: {
      cloud: nonDefault.filter((i) => !i.reads.cloud).map((i) => i.key),
      web: nonDefault.filter((i) => !i.reads.web).map((i) => i.key),
    },
    explicitKeys,
    missingRequired,
    warnings,
  }
}

/** True when the Classic `endpoint` setting selects the EU data center (option values are unpublished). */
export function isEuEndpoint(endpoint: string): boolean {
  const e = endpoint.trim().toLowerCase()
  return e === 'eu' || e === 'europe' || e.includes('.eu.') || e.startsWith('eu') || e.includes('eu-') || e.endsWith('eu')
}
