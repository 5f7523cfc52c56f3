/**
 * Request assembly for Amplitude's ingestion APIs (pure: no I/O).
 *
 * Groups `AmplitudeRecord`s by endpoint and identical request-level `options` into HTTP
 * requests, within Amplitude's per-request count and byte limits (docs/amplitude-api.md §2.4,
 * §3, §4, §5, §6):
 *  - `/2/httpapi`, `/batch`: JSON `{"api_key","events":[...],"options"?}`, `content-type: application/json`
 *  - `/identify`, `/groupidentify`: form `api_key=…&identification=[…]&options=…`
 *  - `/usermap`: form `api_key=…&mapping=[…]&options=…`
 * Form bodies are encoded like Segment's HTTP client (URLSearchParams: spaces as `+`,
 * `content-type: application/x-www-form-urlencoded;charset=UTF-8`). Unlike Segment's
 * per-event requests, `options` is omitted from a form body when a record has none
 * (Segment literally sends `options=undefined`).
 */
import { redactUrlUserinfo } from '../../secrets.js'
import type { AmplitudeEndpoint, AmplitudeRecord, Region } from '../../types.js'

export const DEFAULT_USER_AGENT = 'segamp/0.1.0'
export const DEFAULT_BATCH_SIZE = 1000
export const MAX_BATCH_SIZE = 2000
export const REDACTED = '<redacted>'

/** What is sent (and what `replay --dry-run --out` writes, one JSON object a line). */
export interface HttpRequest {
  method: 'POST'
  url: string
  headers: Record<string, string>
  body: string
}

export interface EndpointLimit {
  /** Most records per request. */
  maxItems: number
  /** Largest body in UTF-8 bytes (inclusive). */
  maxBytes: number
}

/**
 * Per-request limits. HTTP V2: docs say "fewer than 2,000" events and "under 1 MB", so 1,999 and
 * 999,999 bytes. Batch: 2,000 events, 20 MB. Group Identify: 1,024, 1 MB. User Mapping: 2,000, 1 MB.
 * Identify: undocumented; 2,000 and 1 MB assumed (like the other form endpoints).
 */
export const DEFAULT_LIMITS: Readonly<Record<AmplitudeEndpoint, EndpointLimit>> = Object.freeze({
  httpapi: { maxItems: 1999, maxBytes: 999_999 },
  batch: { maxItems: 2000, maxBytes: 20_000_000 },
  identify: { maxItems: 2000, maxBytes: 999_999 },
  groupidentify: { maxItems: 1024, maxBytes: 999_999 },
  usermap: { maxItems: 2000, maxBytes: 999_999 },
})

const PATHS: Record<AmplitudeEndpoint, string> = {
  httpapi: '/2/httpapi',
  batch: '/batch',
  identify: '/identify',
  groupidentify: '/groupidentify',
  usermap: '/usermap',
}

/** Amplitude's URL for an endpoint (docs/actions-amplitude.md A.2; usermap is on `api.` in the US). */
export function endpointUrl(endpoint: AmplitudeEndpoint, region: Region = 'us', override?: string): string {
  const path = PATHS[endpoint]
  if (override) {
    const u = new URL(override)
    // Replace scheme + host (+ port); a path prefix in the override is kept in front of the API path.
    // Credentials in it (a proxy's user:password) are kept for the request: never show this URL,
    // show displayUrl(url).
    const prefix = u.pathname.replace(/\/+$/, '')
    const userinfo = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : ''
    return `${u.protocol}//${userinfo}${u.host}${prefix}${path}`
  }
  if (region === 'eu') return `https://api.eu.amplitude.com${path}`
  if (endpoint === 'usermap') return `https://api.amplitude.com${path}`
  return `https://api2.amplitude.com${path}`
}

/** A URL as it may be shown or written anywhere: without user:password. Not a URL → its text with any `user:password@` redacted. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url)
    if (!u.username && !u.password) return url
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return redactUrlUserinfo(url)
  }
}

export function isEventEndpoint(e: AmplitudeEndpoint): e is 'httpapi' | 'batch' {
  return e === 'httpapi' || e === 'batch'
}

export function isFormEndpoint(e: AmplitudeEndpoint): boolean {
  return !isEventEndpoint(e)
}

/** `httpapi` becomes `batch` when the batch endpoint is forced. */
export function resolveEndpoint(e: AmplitudeEndpoint, useBatchEndpoint?: boolean): AmplitudeEndpoint {
  return useBatchEndpoint && e === 'httpapi' ? 'batch' : e
}

/** Deterministic JSON (sorted keys) used to compare `options` objects. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined'
  if (Array.isArray(v)) return `[${v.map((x) => stableStringify(x)).join(',')}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`
}

/** Grouping key: records with equal keys may share a request. */
export function groupKey(endpoint: AmplitudeEndpoint, options: Record<string, unknown> | undefined): string {
  const hasOptions = options !== undefined && options !== null && Object.keys(options).length > 0
  return hasOptions ? `${endpoint} ${stableStringify(options)}` : endpoint
}

export interface SerializeOptions {
  /** Adds `"$skip_user_properties_sync": true` to every event (httpapi/batch only). */
  skipUserPropertiesSync?: boolean
  /** Also keep the record as it appears inside a `--out` line (`SerializedRecord.out`). */
  forOut?: boolean
}

/** One record serialized for its request type, with its byte contribution precomputed. */
export interface SerializedRecord {
  endpoint: AmplitudeEndpoint
  group: string
  options?: Record<string, unknown>
  /** JSON text of the record. */
  json: string
  /** Bytes this record adds to the body (UTF-8 for JSON; URL-encoded length for forms). */
  bytes: number
  /**
   * (`forOut`) The record as it stands inside the body string of a `--out` line: the JSON text
   * escaped as a JSON string's content, or, for form bodies, URL-encoded (which needs no escaping).
   */
  out?: string
  /** `out` as UTF-8 bytes (a worker thread encoded it, see src/pipeline/plan-codec.ts: the main thread only copies bytes). */
  outBytes?: Uint8Array
}

/** What encodeURIComponent keeps or writes that application/x-www-form-urlencoded writes otherwise. */
const FORM_FIXES: Record<string, string> = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E', '%20': '+' }
const FORM_FIX = /[!'()~]|%20/g

/**
 * A value as application/x-www-form-urlencoded (URLSearchParams) writes it: pure ASCII, so
 * length === bytes. encodeURIComponent (native, faster) with the five characters it keeps and the
 * space it writes as %20 put right; a lone surrogate, which it refuses, goes through URLSearchParams.
 */
export function formEncoded(s: string): string {
  let e: string
  try {
    e = encodeURIComponent(s)
  } catch {
    return new URLSearchParams({ x: s }).toString().slice(2)
  }
  return e.replace(FORM_FIX, (m) => FORM_FIXES[m])
}

/** ASCII characters that application/x-www-form-urlencoded keeps as one character (space becomes `+`). */
const FORM_ONE_CHAR = (() => {
  const t = new Uint8Array(128)
  for (const c of '*-._ 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz') t[c.charCodeAt(0)] = 1
  return t
})()

/**
 * Length of `s` as URLSearchParams writes it (pure ASCII, so length === bytes), without building
 * it: every other UTF-8 byte becomes `%XX`; a lone surrogate is written as U+FFFD.
 */
export function formEncodedLength(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += FORM_ONE_CHAR[c] === 1 ? 1 : 3
    else if (c < 0x800) n += 6
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 12
      i++
    } else n += 9
  }
  return n
}

export function serializeRecord(rec: AmplitudeRecord, useBatchEndpoint: boolean | undefined, opts: SerializeOptions = {}): SerializedRecord {
  const endpoint = resolveEndpoint(rec.endpoint, useBatchEndpoint)
  const body = opts.skipUserPropertiesSync && isEventEndpoint(endpoint) ? { ...rec.record, $skip_user_properties_sync: true } : rec.record
  const json = JSON.stringify(body)
  const options = rec.options && Object.keys(rec.options).length > 0 ? rec.options : undefined
  if (isEventEndpoint(endpoint)) {
    const ser: SerializedRecord = { endpoint, group: groupKey(endpoint, options), options, json, bytes: Buffer.byteLength(json, 'utf8') }
    if (opts.forOut) ser.out = JSON.stringify(json).slice(1, -1)
    return ser
  }
  if (!opts.forOut) return { endpoint, group: groupKey(endpoint, options), options, json, bytes: formEncodedLength(json) }
  const encoded = formEncoded(json)
  return { endpoint, group: groupKey(endpoint, options), options, json, bytes: encoded.length, out: encoded }
}

export interface BuildOptions {
  apiKey: string
  region?: Region
  endpointUrl?: string
  userAgent?: string
  /** Replace the api_key in the body with `<redacted>` (dry-run output). */
  redact?: boolean
}

/** Bytes of a body holding no record (the separators between records are added per record). */
export function emptyBodyBytes(endpoint: AmplitudeEndpoint, apiKey: string, options?: Record<string, unknown>): number {
  return Buffer.byteLength(buildBody(endpoint, apiKey, [], options), 'utf8')
}

/** Separator bytes between two records. */
export function separatorBytes(endpoint: AmplitudeEndpoint): number {
  return isEventEndpoint(endpoint) ? 1 : 3 // ',' or '%2C'
}

/** Body text for already-serialized records (JSON texts). */
export function buildBody(endpoint: AmplitudeEndpoint, apiKey: string, jsonRecords: readonly string[], options?: Record<string, unknown>, redact = false): string {
  const key = redact ? REDACTED : apiKey
  const hasOptions = options !== undefined && Object.keys(options).length > 0
  if (isEventEndpoint(endpoint)) {
    const head = `{"api_key":${JSON.stringify(key)},"events":[`
    const tail = hasOptions ? `],"options":${JSON.stringify(options)}}` : ']}'
    const n = jsonRecords.length
    if (n === 0) return head + tail
    // One join over head+first … last+tail: the body comes out as one flat string, copied once
    // (a template around the joined records would be copied again when it is sent or measured).
    const parts = jsonRecords.slice()
    parts[0] = head + parts[0]
    parts[n - 1] = parts[n - 1] + tail
    return parts.join(',')
  }
  // What URLSearchParams writes for these three fields, through formEncoded (native encoding: a live
  // run builds one such body per /identify request). The placeholder stays readable in dry-run files.
  const field = endpoint === 'usermap' ? 'mapping' : 'identification'
  const text = `api_key=${redact ? REDACTED : formEncoded(key)}&${field}=${formEncoded(`[${jsonRecords.join(',')}]`)}`
  return hasOptions ? `${text}&options=${formEncoded(JSON.stringify(options))}` : text
}

export function buildHeaders(endpoint: AmplitudeEndpoint, userAgent = DEFAULT_USER_AGENT): Record<string, string> {
  return {
    'content-type': isEventEndpoint(endpoint) ? 'application/json' : 'application/x-www-form-urlencoded;charset=UTF-8',
    'user-agent': userAgent,
  }
}

export function buildRequest(endpoint: AmplitudeEndpoint, jsonRecords: readonly string[], options: Record<string, unknown> | undefined, b: BuildOptions): HttpRequest {
  const url = endpointUrl(endpoint, b.region ?? 'us', b.endpointUrl)
  return {
    method: 'POST',
    // Redacted requests lose the proxy credentials of --endpoint-url along with the API key.
    url: b.redact ? displayUrl(url) : url,
    headers: buildHeaders(endpoint, b.userAgent),
    body: buildBody(endpoint, b.apiKey, jsonRecords, options, b.redact ?? false),
  }
}

/**
 * Replace the API key of a request with `<redacted>`: the body's `api_key` field (JSON or form)
 * and any header value containing it.
 */
export function redactRequest(req: HttpRequest, apiKey: string): HttpRequest {
  if (!apiKey) return req
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) headers[k] = v.split(apiKey).join(REDACTED)
  let body = req.body
  const jsonField = `"api_key":${JSON.stringify(apiKey)}`
  const formField = `api_key=${new URLSearchParams({ x: apiKey }).toString().slice(2)}`
  if (body.startsWith(`{${jsonField}`)) body = `{"api_key":${JSON.stringify(REDACTED)}${body.slice(jsonField.length + 1)}`
  else if (body.includes(jsonField)) body = body.replace(jsonField, `"api_key":${JSON.stringify(REDACTED)}`)
  else if (body.startsWith(`${formField}&`) || body === formField) body = `api_key=${REDACTED}${body.slice(formField.length)}`
  else body = body.replace(`&${formField}`, `&api_key=${REDACTED}`)
  return { method: req.method, url: displayUrl(req.url), headers, body }
}

/** A short, non-reversible label for a key in messages: `abcd…(32)`. */
export function keyFingerprint(apiKey: string): string {
  if (!apiKey) return '(empty)'
  return `${apiKey.slice(0, Math.min(4, Math.floor(apiKey.length / 4)))}…(${apiKey.length})`
}

/** Effective per-request limit for an endpoint given `batchSize` and limit overrides. */
export function effectiveLimit(endpoint: AmplitudeEndpoint, batchSize: number | undefined, limits?: Partial<Record<AmplitudeEndpoint, Partial<EndpointLimit>>>): EndpointLimit {
  const base = { ...DEFAULT_LIMITS[endpoint], ...(limits?.[endpoint] ?? {}) }
  const bs = normalizeBatchSize(batchSize)
  return { maxItems: Math.max(1, Math.min(base.maxItems, bs)), maxBytes: base.maxBytes }
}

export function normalizeBatchSize(batchSize: number | undefined): number {
  if (batchSize === undefined || !Number.isFinite(batchSize)) return DEFAULT_BATCH_SIZE
  return Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(batchSize)))
}

export interface AssembleOptions extends BuildOptions, SerializeOptions {
  useBatchEndpoint?: boolean
  batchSize?: number
  limits?: Partial<Record<AmplitudeEndpoint, Partial<EndpointLimit>>>
}

export interface AssembledRequest extends HttpRequest {
  endpoint: AmplitudeEndpoint
  /**
   * (`forOut`) The request's `--out` line; `body` is then left empty and `bodyBytes` says its
   * size. As bytes (newline included) when its records were encoded by worker threads.
   */
  line?: string | Buffer
  bodyBytes?: number
  /** Indexes (into the input array) of the records in this request, in body order. */
  indexes: number[]
  /** The tags `add` was given with the records, in body order (what a dry run settles per request). */
  tags?: unknown[]
}

/**
 * Streaming packer: `add` records one by one and get back the requests that became complete;
 * `end` returns the remaining partial requests (in order of each group's first record).
 * Records keep their order inside each request; a request is complete when adding the next
 * record of its group would exceed the count or byte limit. A record that alone exceeds the
 * byte limit still gets its own request (the server answers 413). Indexes count `add` calls.
 */
export class RequestAssembler {
  private readonly open = new Map<string, OpenRequest>()
  private n = 0

  constructor(private readonly o: AssembleOptions) {}

  /**
   * `rec` may be left out when `serialized` is given (and, with `forOut`, carries its `out` piece).
   * `tag` comes back in the request's `tags`.
   */
  add(rec: AmplitudeRecord | undefined, serialized?: SerializedRecord, tag?: unknown): AssembledRequest[] {
    const o = this.o
    const out: AssembledRequest[] = []
    // A record serialized already (by a worker, with the same options) is packed as it is.
    const s = serialized ?? serializeRecord(rec!, o.useBatchEndpoint, o)
    let g = this.open.get(s.group)
    if (g && (g.indexes.length + 1 > g.limit.maxItems || g.bytes + separatorBytes(g.endpoint) + s.bytes > g.limit.maxBytes)) {
      out.push(this.emit(g))
      this.open.delete(s.group)
      g = undefined
    }
    if (!g) {
      // Sized with the real key even when redacting: same packing as a live run.
      const bytes = emptyBodyBytes(s.endpoint, o.apiKey, s.options)
      g = { endpoint: s.endpoint, options: s.options, parts: [], outs: [], indexes: [], bytes, limit: effectiveLimit(s.endpoint, o.batchSize, o.limits) }
      this.open.set(s.group, g)
    } else {
      g.bytes += separatorBytes(g.endpoint)
    }
    // A dry run's --out needs only each record's `out` piece: the JSON is not kept for a body never built.
    if (o.forOut) g.outs.push(s.outBytes ? ownBytes(s.outBytes) : (s.out ?? serializeRecord(rec!, o.useBatchEndpoint, o).out!))
    else g.parts.push(s.json)
    g.indexes.push(this.n++)
    if (tag !== undefined) (g.tags ??= []).push(tag)
    g.bytes += s.bytes
    return out
  }

  end(): AssembledRequest[] {
    const out = [...this.open.values()].map((g) => this.emit(g))
    this.open.clear()
    return out
  }

  private emit(g: OpenRequest): AssembledRequest {
    const tags = g.tags ? { tags: g.tags } : {}
    if (this.o.forOut) {
      // Only the --out line is wanted (a dry run): the body is never built on its own.
      const url = endpointUrl(g.endpoint, this.o.region ?? 'us', this.o.endpointUrl)
      return {
        method: 'POST',
        url: this.o.redact ? displayUrl(url) : url,
        headers: buildHeaders(g.endpoint, this.o.userAgent),
        body: '',
        bodyBytes: g.bytes,
        line: outLine(g.endpoint, g.outs, g.options, this.o),
        endpoint: g.endpoint,
        indexes: g.indexes,
        ...tags,
      }
    }
    return { ...buildRequest(g.endpoint, g.parts, g.options, this.o), endpoint: g.endpoint, indexes: g.indexes, ...tags }
  }
}

/**
 * A piece that is a view into a larger buffer (a worker's batch of pieces) is copied: a request of
 * a rare endpoint may stay open over thousands of batches, and each view would keep its whole
 * batch (about 1 MB) alive until the request is written.
 */
function ownBytes(piece: Uint8Array): Uint8Array {
  return piece.byteLength < piece.buffer.byteLength ? Buffer.from(piece) : piece
}

interface OpenRequest {
  endpoint: AmplitudeEndpoint
  options?: Record<string, unknown>
  /** The records' JSON (not kept with `forOut`). */
  parts: string[]
  outs: Array<string | Uint8Array>
  indexes: number[]
  tags?: unknown[]
  bytes: number
  limit: EndpointLimit
}

/** Pack records into requests (see RequestAssembler). */
export function assembleRequests(records: readonly AmplitudeRecord[], o: AssembleOptions): AssembledRequest[] {
  const a = new RequestAssembler(o)
  const out: AssembledRequest[] = []
  for (const r of records) out.push(...a.add(r))
  out.push(...a.end())
  return out
}

/**
 * The `--out` line of a request built from its records' `out` pieces: the same text as
 * `dryRunLine(buildRequest(…))`, without building the body and escaping it whole again.
 */
export function outLine(
  endpoint: AmplitudeEndpoint,
  outPieces: ReadonlyArray<string | Uint8Array>,
  options: Record<string, unknown> | undefined,
  b: BuildOptions,
): string | Buffer {
  const url = endpointUrl(endpoint, b.region ?? 'us', b.endpointUrl)
  // Never the proxy's credentials: --out-include-keys is about the API key only.
  const head = `{"method":"POST","url":${JSON.stringify(displayUrl(url))},"headers":${JSON.stringify(buildHeaders(endpoint, b.userAgent))},"body":"`
  const key = b.redact ? REDACTED : b.apiKey
  const hasOptions = options !== undefined && Object.keys(options).length > 0
  let open: string
  let separator: string
  let close: string
  if (isEventEndpoint(endpoint)) {
    const opt = hasOptions ? `,"options":${JSON.stringify(options)}` : ''
    const esc = (text: string): string => JSON.stringify(text).slice(1, -1)
    open = `${head}${esc(`{"api_key":${JSON.stringify(key)},"events":[`)}`
    separator = ','
    close = `${esc(`]${opt}}`)}"}`
  } else {
    const field = endpoint === 'usermap' ? 'mapping' : 'identification'
    const apiKey = b.redact ? REDACTED : formEncoded(key)
    const opt = hasOptions ? `&options=${formEncoded(JSON.stringify(options))}` : ''
    open = `${head}${JSON.stringify(`api_key=${apiKey}&${field}=`).slice(1, -1)}%5B`
    separator = '%2C'
    close = `%5D${JSON.stringify(opt).slice(1, -1)}"}`
  }
  if (outPieces.every((p) => typeof p === 'string')) return `${open}${(outPieces as string[]).join(separator)}${close}`
  // Pieces a worker thread encoded already: the line is put together as bytes (with a newline).
  const sep = Buffer.from(separator)
  const list: Uint8Array[] = [Buffer.from(open)]
  for (const [i, p] of outPieces.entries()) {
    if (i > 0) list.push(sep)
    list.push(typeof p === 'string' ? Buffer.from(p) : p)
  }
  list.push(Buffer.from(close + '\n'))
  return Buffer.concat(list)
}

/** The line `replay --dry-run --out` writes for a request. */
export function dryRunLine(req: HttpRequest): string {
  return JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: req.body })
}
