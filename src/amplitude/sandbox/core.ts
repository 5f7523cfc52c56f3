/**
 * The sandbox's request semantics, free of sockets: given a decoded request it returns the
 * response Amplitude would give and records what was ingested. See docs/amplitude-api.md.
 */
import type { SandboxLimits } from './limits.js'
import {
  countGroupProperties,
  hasEntries,
  isPlainObject,
  validateEvents,
  validateGroupIdentifications,
  validateIdentifications,
  validateMappings,
  type ValidationRules,
} from './validate.js'
import { WindowCounter } from './window.js'
import { carriesMixedUserProperties } from '../user-properties.js'

export type SandboxRoute = 'httpapi' | 'batch' | 'identify' | 'groupidentify' | 'usermap'

export const ROUTES: Readonly<Record<string, SandboxRoute>> = Object.freeze({
  '/2/httpapi': 'httpapi',
  '/batch': 'batch',
  '/identify': 'identify',
  '/groupidentify': 'groupidentify',
  '/usermap': 'usermap',
})

export interface IngestedEvent {
  endpoint: 'httpapi' | 'batch'
  event: Record<string, unknown>
  receivedAt: number
  requestSeq: number
}

/** An accepted /identify identification, with when it arrived (the export builds `$identify` events from these). */
export interface IngestedIdentification {
  identification: Record<string, unknown>
  receivedAt: number
  requestSeq: number
}

export interface CoreRequest {
  route: SandboxRoute
  method: string
  contentType: string
  /** Decoded (gunzipped) body. */
  body: Buffer
  /** True when the body exceeded the route's byte limit (body then holds only a prefix). */
  oversize: boolean
  query: URLSearchParams
  /** 1-based sequence number of the request. */
  seq: number
  now: number
}

export interface CoreResponse {
  status: number
  contentType: string
  body: string
  /** Events / identifications / mappings the request carried (0 when unparseable). */
  items: number
}

/** Throttling/quota injections the core honours (a subset of SandboxFaults). */
export interface CoreFaults {
  throttle?: { deviceOrUser: string[]; times?: number }
  quotaExceeded?: string[]
  silencedDevices?: string[]
  projectThrottle?: number
}

const JSON_TYPE = 'application/json; charset=utf-8'
const TEXT_TYPE = 'text/plain; charset=utf-8'

const json = (status: number, body: Record<string, unknown>, items: number): CoreResponse => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify(body),
  items,
})
const text = (status: number, body: string, items: number): CoreResponse => ({ status, contentType: TEXT_TYPE, body, items })

export const THROTTLE_ERROR = 'Too many requests for some devices and users'

interface IdCounters {
  users: WindowCounter
  devices: WindowCounter
}

export class SandboxCore {
  readonly events: IngestedEvent[] = []
  readonly identifications: Record<string, unknown>[] = []
  /** The same identifications with arrival time and request order (for /api/2/export). */
  readonly identifyLog: IngestedIdentification[] = []
  readonly groupIdentifications: Record<string, unknown>[] = []
  readonly mappings: Record<string, unknown>[] = []
  duplicatesDiscarded = 0
  /**
   * Accepted records whose user_properties mixed plain keys with operations. Amplitude documents
   * such objects as unsupported but names no error for them, so the sandbox accepts them too
   * (docs/amplitude-api.md, "User properties: plain keys or operations") and only counts them.
   */
  mixedUserProperties = 0

  private readonly seen = new Map<string, number>()
  private readonly rate: Record<'v2' | 'batch', IdCounters>
  private readonly daily: IdCounters
  private readonly usermapCalls: WindowCounter
  private faultThrottleLeft = new Map<string, number>()
  private quotaIds = new Set<string>()
  private silenced = new Set<string>()
  private projectThrottleLeft = 0
  private readonly project: Record<'v2' | 'batch', WindowCounter>

  constructor(
    readonly limits: SandboxLimits,
    private readonly acceptKey: (key: string) => boolean,
  ) {
    const w = limits.throttleWindowMs
    this.rate = {
      v2: { users: new WindowCounter(w), devices: new WindowCounter(w) },
      batch: { users: new WindowCounter(w), devices: new WindowCounter(w) },
    }
    this.daily = { users: new WindowCounter(limits.dailyQuotaWindowMs), devices: new WindowCounter(limits.dailyQuotaWindowMs) }
    this.usermapCalls = new WindowCounter(w)
    this.project = { v2: new WindowCounter(w), batch: new WindowCounter(w) }
  }

  setFaults(f: CoreFaults): void {
    const times = f.throttle?.times ?? 1
    this.faultThrottleLeft = new Map((f.throttle?.deviceOrUser ?? []).map((id) => [id, times]))
    this.quotaIds = new Set(f.quotaExceeded ?? [])
    this.silenced = new Set(f.silencedDevices ?? [])
    this.projectThrottleLeft = Math.max(0, Math.floor(f.projectThrottle ?? 0))
  }

  maxBytes(route: SandboxRoute): number {
    if (route === 'httpapi') return this.limits.httpApiMaxBytes
    if (route === 'batch') return this.limits.batchMaxBytes
    return this.limits.formMaxBytes
  }

  /** Best-effort count of the records a request carries, without side effects. */
  countItems(route: SandboxRoute, body: Buffer, query: URLSearchParams, contentType: string): number {
    try {
      if (route === 'httpapi' || route === 'batch') {
        const parsed: unknown = JSON.parse(body.toString('utf8'))
        return isPlainObject(parsed) && Array.isArray(parsed.events) ? parsed.events.length : 0
      }
      const params = formParams(body, query, contentType)
      const items = parseItems(params.get(route === 'usermap' ? 'mapping' : 'identification'))
      return items ? items.length : 0
    } catch {
      return 0
    }
  }

  handle(req: CoreRequest): CoreResponse {
    if (req.route === 'httpapi' || req.route === 'batch') return this.handleEvents(req, req.route)
    return this.handleForm(req, req.route)
  }

  // ---------------------------------------------------------------- events

  private handleEvents(req: CoreRequest, route: 'httpapi' | 'batch'): CoreResponse {
    if (req.method !== 'POST') return json(405, { code: 405, error: 'Method not allowed' }, 0)
    if (req.oversize) return json(413, { code: 413, error: 'Payload too large' }, 0)
    const raw = req.body.toString('utf8')
    if (raw.trim() === '') return json(400, { code: 400, error: 'Missing request body' }, 0)
    if (!/json/i.test(req.contentType)) return json(400, { code: 400, error: 'Invalid request: Content-Type must be application/json' }, 0)
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      return json(400, { code: 400, error: 'Invalid JSON request body' }, 0)
    }
    if (!isPlainObject(parsed)) return json(400, { code: 400, error: 'Invalid JSON request body' }, 0)
    const n = Array.isArray(parsed.events) ? parsed.events.length : 0
    const apiKey = parsed.api_key
    if (typeof apiKey !== 'string') return missingField('api_key', n)
    if (!this.acceptKey(apiKey)) return json(400, { code: 400, error: `Invalid API key: ${apiKey}` }, n)
    const events = parsed.events
    if (events === undefined || events === null || (Array.isArray(events) && events.length === 0)) return missingField('events', n)
    if (!Array.isArray(events)) return json(400, { code: 400, error: 'Invalid event JSON' }, 0)
    const maxEvents = route === 'httpapi' ? this.limits.httpApiMaxEvents : this.limits.batchMaxEvents
    if (events.length > maxEvents) return json(413, { code: 413, error: 'Payload too large' }, n)

    const rules = this.rules(parsed.options)
    const maps = validateEvents(events, rules)
    if (hasEntries(maps.invalidFields) || hasEntries(maps.missingFields)) {
      const error = hasEntries(maps.missingFields) ? 'Request missing required field' : 'Invalid field values on some events'
      return json(
        400,
        {
          code: 400,
          error,
          events_with_invalid_fields: maps.invalidFields,
          events_with_missing_fields: maps.missingFields,
        },
        n,
      )
    }
    if (hasEntries(maps.invalidIdLengths))
      return json(
        400,
        {
          code: 400,
          error: 'Invalid id length for user_id or device_id',
          events_with_invalid_id_lengths: maps.invalidIdLengths,
        },
        n,
      )

    const records = events as Record<string, unknown>[]
    const cls = route === 'httpapi' ? 'v2' : 'batch'
    const eps = route === 'httpapi' ? this.limits.httpApiEps : this.limits.batchEps

    if (this.silenced.size > 0) {
      const silencedEvents: number[] = []
      const silencedDevices = new Set<string>()
      records.forEach((rec, i) => {
        const d = ids(rec).device
        if (d !== undefined && this.silenced.has(d)) {
          silencedEvents.push(i)
          silencedDevices.add(d)
        }
      })
      if (silencedEvents.length > 0)
        return json(
          400,
          {
            code: 400,
            error: 'Events silenced for device_id',
            eps_threshold: eps,
            exceeded_daily_quota_devices: {},
            silenced_devices: [...silencedDevices],
            silenced_events: silencedEvents,
            throttled_devices: {},
            throttled_events: [],
          },
          n,
        )
    }

    const projectEps = route === 'httpapi' ? this.limits.httpApiProjectEps : this.limits.batchProjectEps
    const projectRecent = this.project[cls].count(apiKey, req.now)
    if (this.projectThrottleLeft > 0 || projectRecent > projectEps * (this.limits.throttleWindowMs / 1000)) {
      if (this.projectThrottleLeft > 0) this.projectThrottleLeft--
      return json(429, throttleBody(projectEps, {}, {}, {}, {}, []), n)
    }

    const limited = this.checkRate(records, cls, eps, req.now)
    if (limited) return limited
    this.project[cls].add(apiKey, records.length, req.now)

    for (const ev of records) {
      this.count(ev, cls, req.now)
      if (this.isDuplicate(apiKey, ev, req.now)) this.duplicatesDiscarded++
      else {
        this.events.push({ endpoint: route, event: ev, receivedAt: req.now, requestSeq: req.seq })
        if (carriesMixedUserProperties(ev)) this.mixedUserProperties++
      }
    }
    return json(200, { code: 200, events_ingested: n, payload_size_bytes: req.body.length, server_upload_time: req.now }, n)
  }

  private rules(options: unknown): ValidationRules {
    let minIdLength = this.limits.minIdLength
    if (isPlainObject(options)) {
      const m = options.min_id_length
      if (typeof m === 'number' && Number.isSafeInteger(m) && m > 0) minIdLength = m
    }
    return { minIdLength, maxStringLength: this.limits.maxStringLength }
  }

  private isDuplicate(apiKey: string, ev: Record<string, unknown>, now: number): boolean {
    if (typeof ev.insert_id !== 'string') return false
    const who = typeof ev.device_id === 'string' && ev.device_id !== '' ? `d:${ev.device_id}` : `u:${String(ev.user_id)}`
    const key = `${apiKey}\u0000${who}\u0000${ev.insert_id}`
    const at = this.seen.get(key)
    if (at !== undefined && now - at < this.limits.dedupWindowMs) return true
    this.seen.set(key, now)
    return false
  }

  private count(rec: Record<string, unknown>, cls: 'v2' | 'batch', now: number): void {
    const { user, device } = ids(rec)
    if (user !== undefined) {
      this.rate[cls].users.add(user, 1, now)
      this.daily.users.add(user, 1, now)
    }
    if (device !== undefined) {
      this.rate[cls].devices.add(device, 1, now)
      this.daily.devices.add(device, 1, now)
    }
  }

  /**
   * Per-id throttling and daily quota (docs/amplitude-api.md §2.4, §2.5, §3). An id is throttled when
   * the events it sent in the trailing window, averaged per second, exceed the threshold, or when
   * a fault injection names it. The whole request is rejected; nothing is ingested.
   */
  private checkRate(records: Record<string, unknown>[], cls: 'v2' | 'batch', eps: number, now: number): CoreResponse | null {
    const windowSec = this.limits.throttleWindowMs / 1000
    const threshold = eps * windowSec
    const throttledUsers: Record<string, number> = {}
    const throttledDevices: Record<string, number> = {}
    const quotaUsers: Record<string, number> = {}
    const quotaDevices: Record<string, number> = {}
    const throttledEvents: number[] = []
    const faultConsumed = new Set<string>()
    const decided = new Map<string, boolean>()

    const consider = (id: string, kind: 'users' | 'devices'): boolean => {
      const memo = `${kind}\u0000${id}`
      const known = decided.get(memo)
      if (known !== undefined) return known
      const throttled = kind === 'users' ? throttledUsers : throttledDevices
      const quota = kind === 'users' ? quotaUsers : quotaDevices
      const daily = this.daily[kind].count(id, now)
      if (this.quotaIds.has(id)) quota[id] = Math.max(daily, this.limits.dailyQuota + 1)
      else if (daily > this.limits.dailyQuota) quota[id] = daily
      const recent = this.rate[cls][kind].count(id, now)
      const left = this.faultThrottleLeft.get(id)
      let hit = false
      if (left !== undefined && (left > 0 || faultConsumed.has(id))) {
        faultConsumed.add(id)
        throttled[id] = Math.max(eps + 1, Math.ceil(recent / windowSec))
        hit = true
      } else if (recent > threshold) {
        throttled[id] = Math.ceil(recent / windowSec)
        hit = true
      }
      decided.set(memo, hit)
      return hit
    }

    records.forEach((rec, i) => {
      const { user, device } = ids(rec)
      let hit = false
      if (user !== undefined && consider(user, 'users')) hit = true
      if (device !== undefined && consider(device, 'devices')) hit = true
      if (hit) throttledEvents.push(i)
    })
    for (const id of faultConsumed) this.faultThrottleLeft.set(id, Math.max(0, (this.faultThrottleLeft.get(id) ?? 1) - 1))

    if (throttledEvents.length === 0 && !hasEntries(quotaUsers) && !hasEntries(quotaDevices)) return null
    return json(429, throttleBody(eps, throttledDevices, throttledUsers, quotaUsers, quotaDevices, throttledEvents), records.length)
  }

  // ---------------------------------------------------------------- form endpoints

  private handleForm(req: CoreRequest, route: 'identify' | 'groupidentify' | 'usermap'): CoreResponse {
    if (req.method !== 'POST' && req.method !== 'GET') return text(405, 'method_not_allowed', 0)
    if (req.oversize) return json(413, { code: 413, error: 'Payload too large' }, 0)
    const params = req.method === 'GET' ? req.query : formParams(req.body, req.query, req.contentType)
    const field = route === 'usermap' ? 'mapping' : 'identification'
    const items = parseItems(params.get(field))
    const n = items ? items.length : 0
    const apiKey = params.get('api_key')
    if (apiKey === null || !this.acceptKey(apiKey)) return text(400, `Invalid API key: ${apiKey ?? ''}`, n)
    if (!items || items.length === 0) return text(400, route === 'usermap' ? 'missing_mapping' : 'missing_event', 0)

    if (route === 'identify') {
      if (n > this.limits.identifyMaxItems) return json(413, { code: 413, error: 'Payload too large' }, n)
      let options: unknown
      try {
        options = JSON.parse(params.get('options') ?? 'null')
      } catch {
        options = null
      }
      const problem = validateIdentifications(items, this.rules(options))
      if (problem) return text(400, problem, n)
      const records = items as Record<string, unknown>[]
      const limited = this.checkRate(records, 'v2', this.limits.httpApiEps, req.now)
      if (limited) return limited
      for (const rec of records) {
        this.count(rec, 'v2', req.now)
        this.identifications.push(rec)
        if (carriesMixedUserProperties(rec)) this.mixedUserProperties++
        this.identifyLog.push({ identification: rec, receivedAt: req.now, requestSeq: req.seq })
      }
      return text(200, 'success', n)
    }

    if (route === 'groupidentify') {
      if (n > this.limits.groupIdentifyMaxItems || countGroupProperties(items) > this.limits.groupIdentifyMaxItems) return json(413, { code: 413, error: 'Payload too large' }, n)
      const problem = validateGroupIdentifications(items)
      if (problem) return text(400, problem, n)
      for (const rec of items as Record<string, unknown>[]) this.groupIdentifications.push(rec)
      return text(200, 'success', n)
    }

    if (n > this.limits.usermapMaxItems) return json(413, { code: 413, error: 'Payload too large' }, n)
    const problem = validateMappings(items)
    if (problem) return text(400, problem, n)
    const windowSec = this.limits.throttleWindowMs / 1000
    if (this.usermapCalls.count('all', req.now) >= this.limits.usermapCallsPerSecond * windowSec) return json(429, { code: 429, error: 'Too many mapping requests' }, n)
    this.usermapCalls.add('all', 1, req.now)
    for (const rec of items as Record<string, unknown>[]) this.mappings.push(rec)
    return text(200, 'success', n)
  }
}

function throttleBody(
  eps: number,
  throttledDevices: Record<string, number>,
  throttledUsers: Record<string, number>,
  quotaUsers: Record<string, number>,
  quotaDevices: Record<string, number>,
  throttledEvents: number[],
): Record<string, unknown> {
  return {
    code: 429,
    error: THROTTLE_ERROR,
    eps_threshold: eps,
    throttled_devices: throttledDevices,
    throttled_users: throttledUsers,
    exceeded_daily_quota_users: quotaUsers,
    exceeded_daily_quota_devices: quotaDevices,
    throttled_events: throttledEvents,
  }
}

function missingField(field: string, n: number): CoreResponse {
  return json(400, { code: 400, error: 'Request missing required field', missing_field: field }, n)
}

function ids(rec: Record<string, unknown>): { user?: string; device?: string } {
  const out: { user?: string; device?: string } = {}
  if (typeof rec.user_id === 'string' && rec.user_id !== '') out.user = rec.user_id
  if (typeof rec.device_id === 'string' && rec.device_id !== '') out.device = rec.device_id
  return out
}

/** Form parameters from an urlencoded or multipart body, falling back to the query string. */
export function formParams(body: Buffer, query: URLSearchParams, contentType: string): URLSearchParams {
  const out = new URLSearchParams(query)
  let fromBody: Array<[string, string]> = []
  const boundary = /multipart\/form-data/i.test(contentType) ? /boundary="?([^";]+)"?/i.exec(contentType)?.[1] : undefined
  if (boundary) fromBody = parseMultipart(body.toString('utf8'), boundary)
  else if (body.length > 0) fromBody = [...new URLSearchParams(body.toString('utf8'))]
  for (const [k, v] of fromBody) out.set(k, v)
  return out
}

function parseMultipart(raw: string, boundary: string): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const part of raw.split(`--${boundary}`)) {
    const sep = part.indexOf('\r\n\r\n')
    if (sep < 0) continue
    const name = /name="([^"]*)"/i.exec(part.slice(0, sep))?.[1]
    if (name === undefined) continue
    out.push([name, part.slice(sep + 4).replace(/\r\n$/, '')])
  }
  return out
}

/** `identification` / `mapping` parameter: a JSON object or array of objects. */
function parseItems(raw: string | null): unknown[] | null {
  if (raw === null || raw.trim() === '') return null
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return null
  }
  if (Array.isArray(parsed)) return parsed
  if (isPlainObject(parsed)) return [parsed]
  return null
}
