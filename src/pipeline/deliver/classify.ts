/**
 * Response classification (pure): what happens to each record of a request, given what came
 * back (docs/amplitude-api.md §2.5, §2.6, §3, §8, §10).
 *
 * The effective code is the JSON body's numeric `code` when the body parses as a JSON object
 * carrying one (as the official SDKs do), otherwise the HTTP status. Non-JSON bodies are fine.
 */
import { redactText } from '../../secrets.js'
import type { AmplitudeEndpoint } from '../../types.js'
import { keyFingerprint } from './requests.js'

/** What a transport produced: a response, or an error before/while reading one. */
export interface HttpOutcome {
  status: number | null
  body?: string
  /** A 3xx answer's `location` header. */
  location?: string
  /** The answer was larger than this many bytes: not read past it (transport.ts MAX_ANSWER_BYTES), `body` empty. */
  tooLarge?: number
  /** Transport error (no usable response): `code` such as ECONNRESET, ECONNREFUSED, ETIMEDOUT. */
  error?: { code?: string; message?: string; timeout?: boolean }
}

/**
 * Fate of one record of the request:
 * - `ack`: accepted.
 * - `dead`: rejected for good (reason given).
 * - `backoff`: transient failure; retry after exponential backoff (counts as a failed attempt).
 * - `resend`: not at fault (another record was); resend at once, no attempt counted.
 * - `throttle`: its user/device is throttled; pause its ordering key, then resend.
 * - `quota`: its user/device is over the daily quota.
 * - `split`: resend in smaller requests (413 only).
 */
export type Fate = { t: 'ack' } | { t: 'dead'; reason: string } | { t: 'backoff' } | { t: 'resend' } | { t: 'throttle' } | { t: 'quota' } | { t: 'split' }

export interface Classification {
  /** Effective status (body `code` or HTTP status); null when there was no response. */
  code: number | null
  /** Short reason for logs/dead letters; never contains the API key. */
  reason: string
  /** Set when the run must stop (configuration error): message for FatalDeliveryError. */
  fatal?: string
  /** With `fatal`, where the cause is known: what to check before the run is resumed (the Hint). */
  hint?: string
  /** A fatal without an HTTP answer that waiting will not cure (a TLS certificate not trusted): exit 1, not 75. */
  permanent?: boolean
  fates: Fate[]
  /** 429 without per-id detail: the whole project is throttled. */
  projectThrottle?: boolean
  /** Transport error that suggests the endpoint cannot be reached at all. */
  unreachable?: boolean
  /** `events_ingested` of a 200 from /2/httpapi or /batch. */
  ingested?: number
  throttledUsers: string[]
  throttledDevices: string[]
  quotaUsers: string[]
  quotaDevices: string[]
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL'])

/**
 * TLS errors that say this machine does not trust the endpoint's certificate (Node's codes, as
 * OpenSSL names them): a setting to fix (NODE_EXTRA_CA_CERTS, the host name of --endpoint-url),
 * not an outage, so the run stops at the first one instead of retrying until its budget is spent.
 */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const CERTIFICATE_HOST_HINT =
  'The certificate does not name the host name of --endpoint-url: give --endpoint-url a host name the certificate names (an IP address only if the certificate lists it)'
const CERTIFICATE_CA_HINT =
  'If the endpoint (a proxy, a private endpoint) uses a certificate of your own CA, trust that CA for this command with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (PEM; read when Node starts) instead of turning certificate checks off; an expired certificate must be renewed where it is served'
const PROXY_HINT = 'Give --endpoint-url (or AMPLITUDE_ENDPOINT_URL) the user:password the proxy expects, percent-encoded (@ as %40, : as %3A)'
const REDIRECT_HINT =
  'If the address it redirects to is right, give it as --endpoint-url (scheme, host and port; segamp adds the paths); if not, fix the proxy or load balancer that redirects'
/** A refused key, a wrong path, the WAF: the settings that say which project, where. */
const SETTINGS_HINT = 'Check --api-key (or AMPLITUDE_API_KEY), --region and --endpoint-url'
/** The run's budget stops (retry.ts): nothing answered, or nothing accepted. */
export const UNREACHABLE_HINT = 'Check that the endpoint is reachable from this machine (--endpoint-url, --region, a proxy or firewall)'
export const REFUSING_HINT = "The endpoint refused every request: check that --endpoint-url points at Amplitude (or a sandbox) and Amplitude's status page"

function parseBody(body: string | undefined): Record<string, unknown> | undefined {
  if (!body) return undefined
  const t = body.trimStart()
  if (!t.startsWith('{')) return undefined
  try {
    const v: unknown = JSON.parse(t)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

function indexList(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : []
}

function idKeys(v: unknown): string[] {
  const o = obj(v)
  if (o) return Object.keys(o)
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return []
}

/** Remove the API key from text coming back from the server. */
export function scrubSecret(text: string, secret: string | undefined): string {
  // The key as is becomes its fingerprint; its other forms (base64, another case) and every
  // other registered secret (a proxy's credentials echoed in an Authorization header) go too.
  return redactText(secret ? text.split(secret).join(keyFingerprint(secret)) : text, [secret])
}

function short(text: string, secret?: string): string {
  const s = scrubSecret(text.replace(/\s+/g, ' ').trim(), secret)
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}

function strId(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined
}

/**
 * Classify a response for a request that carried `records` (in body order).
 * `apiKey` is only used to scrub it out of reasons and to fingerprint it in fatal messages.
 */
/** What classifying an answer may read of a record: its ids (a 429 or a 400 names users and devices). */
export interface RecordIds {
  readonly user_id?: unknown
  readonly device_id?: unknown
}

export function classifyResponse(
  endpoint: AmplitudeEndpoint,
  records: readonly RecordIds[],
  out: HttpOutcome,
  apiKey?: string,
  where: () => string = () => `(${endpoint})`,
): Classification {
  const n = records.length
  const all = (f: Fate): Fate[] => records.map(() => f)
  const base = { throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [] }

  if (out.status === null || out.error) {
    const code = out.error?.code
    if (code !== undefined && CERTIFICATE_CODES.has(code)) {
      const fatal = `the TLS certificate of the ${endpoint} endpoint ${where()} was not accepted (${code}: ${short(out.error?.message ?? '', apiKey)}): nothing was sent there`
      const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? CERTIFICATE_HOST_HINT : CERTIFICATE_CA_HINT
      return { ...base, code: null, reason: code, fatal, hint, permanent: true, fates: all({ t: 'backoff' }) }
    }
    const reason = out.error?.timeout ? 'timeout' : (code ?? short(out.error?.message ?? 'transport error', apiKey))
    return { ...base, code: null, reason, fates: all({ t: 'backoff' }), unreachable: code !== undefined && UNREACHABLE_CODES.has(code) }
  }

  if (out.status >= 300 && out.status < 400) {
    // Not followed: the request's body (the API key) and the proxy's credentials would go where --endpoint-url does not say.
    const to = out.location ? `a redirect to ${short(out.location, apiKey)}` : 'a redirect'
    const fatal = `the ${endpoint} endpoint ${where()} answered ${out.status}, ${to}: redirects are not followed; nothing in that request was counted as sent`
    return { ...base, code: out.status, reason: `http_${out.status}`, fatal, hint: REDIRECT_HINT, fates: all({ t: 'backoff' }) }
  }

  if (out.tooLarge !== undefined && out.status !== 407) return classifyTooLarge(endpoint, n, out.status, out.tooLarge)

  const json = parseBody(out.body)
  const code = typeof json?.code === 'number' && Number.isInteger(json.code) ? json.code : out.status
  const error = typeof json?.error === 'string' ? json.error : !json && out.body ? out.body : ''
  const errText = error ? `: ${short(error, apiKey)}` : ''

  if (code >= 200 && code < 300) return classifySuccess(endpoint, n, code, out, json, apiKey)

  const fatalMsg = (what: string): Classification => ({
    ...base,
    code,
    reason: what,
    fatal: `Amplitude ${endpoint} request failed with ${code} (${what}); API key ${keyFingerprint(apiKey ?? '')}`,
    hint: SETTINGS_HINT,
    fates: all({ t: 'backoff' }),
  })

  if (/^invalid api key/i.test(error) || json?.missing_field === 'api_key') return fatalMsg('invalid API key')
  if (code === 401) return fatalMsg('unauthorized')
  // A proxy's, never Amplitude's: every request would get it, so dead-lettering it would dead-letter the whole archive.
  if (out.status === 407) {
    const fatal = `the proxy at ${where()} answered 407 (Proxy Authentication Required): it refused the user:password of --endpoint-url; nothing in that request was counted as sent`
    return { ...base, code: 407, reason: 'proxy_authentication_required', fatal, hint: PROXY_HINT, fates: all({ t: 'backoff' }) }
  }
  if (code === 403) return fatalMsg('forbidden by Amplitude WAF')
  if (code === 404 || code === 405 || /^invalid request path/i.test(error)) return fatalMsg('invalid request path')
  if (code === 400 && typeof json?.missing_field === 'string') return fatalMsg(`request missing required field ${short(json.missing_field)}`)

  if (code === 413) {
    if (n <= 1) return { ...base, code, reason: 'payload_too_large', fates: all({ t: 'dead', reason: 'payload_too_large' }) }
    return { ...base, code, reason: 'payload_too_large', fates: all({ t: 'split' }) }
  }

  if (code === 429) {
    const throttledUsers = idKeys(json?.throttled_users)
    const throttledDevices = idKeys(json?.throttled_devices)
    const quotaUsers = idKeys(json?.exceeded_daily_quota_users)
    const quotaDevices = idKeys(json?.exceeded_daily_quota_devices)
    const throttledIdx = new Set(indexList(json?.throttled_events).filter((i) => i >= 0 && i < n))
    const tu = new Set(throttledUsers)
    const td = new Set(throttledDevices)
    const qu = new Set(quotaUsers)
    const qd = new Set(quotaDevices)
    const detail = throttledIdx.size + tu.size + td.size + qu.size + qd.size > 0
    const fates: Fate[] = records.map((r, i) => {
      const u = strId(r.user_id)
      const d = strId(r.device_id)
      if ((u !== undefined && qu.has(u)) || (d !== undefined && qd.has(d))) return { t: 'quota' }
      if (!detail || throttledIdx.has(i) || (u !== undefined && tu.has(u)) || (d !== undefined && td.has(d))) return { t: 'throttle' }
      return { t: 'resend' }
    })
    const matched = fates.some((f) => f.t !== 'resend')
    // Per-id detail that names nothing in this request: treat as project-level.
    return {
      code,
      reason: 'throttled',
      fates: matched ? fates : all({ t: 'throttle' }),
      projectThrottle: !detail || !matched,
      throttledUsers,
      throttledDevices,
      quotaUsers,
      quotaDevices,
    }
  }

  if (code === 400 && json) {
    const dead = new Map<number, string>()
    const addMap = (field: string, prefix: string): void => {
      const m = obj(json[field])
      if (!m) return
      for (const [k, v] of Object.entries(m)) {
        for (const i of indexList(v)) if (i >= 0 && i < n && !dead.has(i)) dead.set(i, `${prefix}:${k}`)
      }
    }
    addMap('events_with_invalid_fields', 'invalid_field')
    addMap('events_with_missing_fields', 'missing_field')
    addMap('events_with_invalid_id_lengths', 'invalid_id_length')
    for (const i of indexList(json.silenced_events)) if (i >= 0 && i < n && !dead.has(i)) dead.set(i, 'silenced_device')
    if (dead.size > 0) {
      const throttled = new Set(indexList(json.throttled_events))
      const fates: Fate[] = records.map((_, i) => {
        const r = dead.get(i)
        if (r !== undefined) return { t: 'dead', reason: r }
        return throttled.has(i) ? { t: 'throttle' } : { t: 'resend' }
      })
      return { ...base, code, reason: `rejected${errText}`, fates, throttledDevices: idKeys(json.throttled_devices) }
    }
  }

  if (code === 408) return { ...base, code, reason: 'timeout', fates: all({ t: 'backoff' }) }

  if (code >= 400 && code < 500) {
    // A rejection that names no record: the request's records are dead-lettered with Amplitude's
    // words. Only a 413 splits a request: bisecting on anything else multiplies requests
    // without knowing that size was the problem.
    const reason = `rejected (${code})${errText}`
    return { ...base, code, reason, fates: all({ t: 'dead', reason }) }
  }

  return { ...base, code, reason: `http_${code}${errText}`, fates: all({ t: 'backoff' }) }
}

/**
 * A 2xx is an acknowledgement only when it is Amplitude's:
 * - /2/httpapi and /batch answer JSON with `events_ingested`. A body without it (an HTML page
 *   from a captive proxy, a wrong --endpoint-url) acknowledges nothing: the run stops and the
 *   records stay unsent for the resume. Fewer events ingested than sent means Amplitude dropped
 *   some without saying which (numeric or missing ids): all of the request's records are
 *   dead-lettered `not_ingested`, since resending them is safe (insert_id) and counting them
 *   sent is not.
 * - /identify, /groupidentify and /usermap answer plain text (`success`); an HTML page there
 *   is not Amplitude's either.
 */
function classifySuccess(endpoint: AmplitudeEndpoint, n: number, code: number, out: HttpOutcome, json: Record<string, unknown> | undefined, apiKey?: string): Classification {
  const base = { throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [] }
  const notAmplitude = (what: string): Classification => notAmplitudeSuccess(endpoint, n, code, out.status ?? code, what, 'not_amplitude')
  const body = (out.body ?? '').trim()
  const shown = body === '' ? 'an empty body' : `"${short(body, apiKey).slice(0, 80)}"`
  if (endpoint === 'httpapi' || endpoint === 'batch') {
    const ing = json?.events_ingested
    if (typeof ing !== 'number' || !Number.isInteger(ing)) return notAmplitude(shown)
    if (ing < n) {
      const reason = `not_ingested: Amplitude acknowledged the request but ingested ${ing} of its ${n} events`
      return { ...base, code, reason, fates: Array.from({ length: n }, () => ({ t: 'dead' as const, reason })), ingested: ing }
    }
    return { ...base, code, reason: 'ok', fates: Array.from({ length: n }, () => ({ t: 'ack' as const })), ingested: ing }
  }
  if (body.startsWith('<')) return notAmplitude(shown)
  return { ...base, code, reason: 'ok', fates: Array.from({ length: n }, () => ({ t: 'ack' as const })) }
}

/** A 2xx that is not Amplitude's acknowledges nothing: the run stops (exit 1), its records unsent for the resume. */
function notAmplitudeSuccess(endpoint: AmplitudeEndpoint, n: number, code: number, status: number, what: string, reason: string): Classification {
  return {
    throttledUsers: [],
    throttledDevices: [],
    quotaUsers: [],
    quotaDevices: [],
    code,
    reason,
    fatal: `the ${endpoint} endpoint answered ${status} with ${what}, which is not Amplitude's answer: nothing in that request was counted as sent. Check --endpoint-url and any proxy between here and Amplitude; the same command resumes`,
    fates: Array.from({ length: n }, () => ({ t: 'backoff' as const })),
  }
}

/**
 * An answer larger than Amplitude ever sends (transport.ts MAX_ANSWER_BYTES), not read past the
 * cap, is not Amplitude's, as a 2xx HTML page is not: a 2xx stops the run (it acknowledges
 * nothing), any other status is a failed attempt of the request, retried with backoff like a
 * proxy's 5xx page. Its body unread, no 4xx rule applies: dead-lettering on it would dead-letter
 * every record a proxy answers that way.
 */
function classifyTooLarge(endpoint: AmplitudeEndpoint, n: number, status: number, capBytes: number): Classification {
  const size = `${Math.round((capBytes / 1024 / 1024) * 10) / 10} MiB`
  if (status >= 200 && status < 300) return notAmplitudeSuccess(endpoint, n, status, status, `an answer larger than ${size} (reading stopped there)`, 'answer_too_large')
  const reason = `answer larger than ${size}: not Amplitude's answer (a proxy?)`
  return { throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [], code: status, reason, fates: Array.from({ length: n }, () => ({ t: 'backoff' as const })) }
}
