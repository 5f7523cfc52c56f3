/**
 * A small client for the part of Segment's Public API that `segamp migrate` uses (see
 * docs/segment-public-api.md): destinations, a source's connected destinations, destination
 * subscriptions. Bearer-token auth; the token is held in memory only and never appears in an
 * error message, a log line or a file. 429 answers are retried after the time the API asks for.
 */
import got from 'got'
import { SegampError, exitCodes } from '../../errors.js'

export const SEGMENT_API_HOSTS = {
  us: 'https://api.segmentapis.com',
  eu: 'https://eu1.api.segmentapis.com',
} as const

export type SegmentRegion = keyof typeof SEGMENT_API_HOSTS

/** Catalog id of Segment's "Actions Amplitude" destination (its metadata id). */
export const ACTIONS_AMPLITUDE_METADATA_ID = '5f7dd6d21ad74f3842b1fc47'

export interface DestinationMetadataAction {
  id: string
  slug: string
  name?: string
}

export interface DestinationMetadata {
  id: string
  name: string
  slug: string
  actions?: DestinationMetadataAction[]
  [k: string]: unknown
}

export interface Destination {
  id: string
  name?: string | null
  enabled: boolean
  metadata: DestinationMetadata
  sourceId: string
  settings: Record<string, unknown>
}

export interface DestinationSubscription {
  id: string
  name: string
  actionId: string
  actionSlug: string
  destinationId: string
  enabled: boolean
  settings: Record<string, unknown>
  trigger: string
  modelId?: string | null
}

export interface CreateDestinationInput {
  sourceId: string
  metadataId: string
  enabled?: boolean
  name?: string
  settings: Record<string, unknown>
}

export interface UpdateDestinationInput {
  name?: string | null
  enabled?: boolean
  settings?: Record<string, unknown>
}

export interface CreateSubscriptionInput {
  name: string
  actionId: string
  trigger: string
  enabled: boolean
  settings?: Record<string, unknown>
}

export interface UpdateSubscriptionInput {
  name?: string
  trigger?: string
  enabled?: boolean
  settings?: Record<string, unknown>
}

const RERUN = 'it reads the current state first and only sends what is still missing (the Classic destination is never modified)'

/**
 * What to do after a failed call, by its answer: a wrong token or id is fixed first (a rerun gets
 * the same answer); no answer, a 5xx or a rate limit past the budget may go away by itself.
 */
function hintFor(status: number | undefined, transient: boolean, write: boolean): string {
  if (status === 401 || status === 403) return 'Create or pick a Public API token in the Segment UI (Settings → Access Management → Tokens) and set it in SEGMENT_PUBLIC_API_TOKEN.'
  // A write to what the plan read: someone (or another run) removed it meanwhile.
  if (status === 404 && write) return `The destination changed since the plan was read (a subscription removed in the UI or by another run): run the same command again: ${RERUN}.`
  if (status === 404)
    return 'Check the destination id (--from-segment, --actions-destination) and the region (--segment-region us|eu): the token must be of the workspace that holds it.'
  if (transient) return `Run the same command again later: ${RERUN}.`
  if (status !== undefined && status >= 400 && status < 500) return `Segment refused the request: fix what its message names, then run the same command again (${RERUN}).`
  return `Fix what the message names, then run the same command again: ${RERUN}.`
}

/**
 * A Public API call that failed; `message` says what, where (URL without credentials) and what to
 * do. `transient` (no answer, 429 past the retry budget, 5xx) is exit 75: the same command later
 * may go through and finishes the job; anything else is exit 1.
 */
export class SegmentApiError extends SegampError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly url: string,
    transient = false,
    /** A call that changes the workspace (POST, PATCH, DELETE). */
    write = false,
  ) {
    super(message, {
      code: transient ? 'segment-api-unavailable' : 'segment-api',
      exitCode: transient ? exitCodes.TEMPFAIL : exitCodes.ABORTED,
      hint: hintFor(status, transient, write),
    })
    this.name = 'SegmentApiError'
  }
}

export interface SegmentApiOptions {
  /** Base URL, e.g. https://api.segmentapis.com (a path prefix is kept). */
  baseUrl: string
  token: string
  /** Retries of a 429 answer before giving up (default 5). */
  maxRetries?: number
  /** Longest single wait for a 429, in ms (default 120 s): a longer Retry-After aborts instead. */
  maxWaitMs?: number
  /** Page size for list calls (default 100). */
  pageSize?: number
  /** Injected for tests of the wait logic; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>
  /** Called before a 429 wait (for a progress line). */
  onRateLimited?: (waitMs: number, url: string) => void
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number
}

export interface RequestLog {
  method: string
  path: string
  status: number
}

const ACCEPT = 'application/vnd.segment.v1+json, application/vnd.segment.v1alpha+json, application/json'

/** How long a 429 asks us to wait: Retry-After (seconds or HTTP date), else the body's data.msBeforeNext, else X-RateLimit-Reset. */
/** The one thing read from response headers: a header's value, or null (a fetch Headers fits). */
export interface HeaderReader {
  get(name: string): string | null
}

export function retryAfterMs(headers: HeaderReader, body: unknown, now = Date.now()): number | undefined {
  const ra = headers.get('retry-after')
  if (ra !== null && ra.trim() !== '') {
    const secs = Number(ra)
    if (Number.isFinite(secs) && secs >= 0) return Math.ceil(secs * 1000)
    const at = Date.parse(ra)
    if (!Number.isNaN(at)) return Math.max(0, at - now)
  }
  const errors = (body as { errors?: Array<{ data?: { msBeforeNext?: unknown } }> } | undefined)?.errors
  const ms = errors?.[0]?.data?.msBeforeNext
  if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms)
  const reset = headers.get('x-ratelimit-reset')
  if (reset !== null) {
    const at = Date.parse(reset)
    if (!Number.isNaN(at)) return Math.max(0, at - now)
  }
  return undefined
}

function apiMessage(body: unknown): string | undefined {
  const errors = (body as { errors?: Array<{ message?: unknown; field?: unknown }> } | undefined)?.errors
  if (!Array.isArray(errors) || errors.length === 0) return undefined
  return errors
    .map((e) => [typeof e.message === 'string' ? e.message : undefined, typeof e.field === 'string' ? `(field ${e.field})` : undefined].filter(Boolean).join(' '))
    .filter((m) => m !== '')
    .join('; ')
}

/** Strips userinfo, query and fragment: what may be shown of a URL. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    u.search = ''
    u.hash = ''
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}

export class SegmentApiClient {
  readonly baseUrl: string
  /** Every request made, in order (method, path, status): what tests and the plan summary count. */
  readonly log: RequestLog[] = []
  #token: string
  #opts: Required<Omit<SegmentApiOptions, 'baseUrl' | 'token' | 'onRateLimited'>> & Pick<SegmentApiOptions, 'onRateLimited'>

  constructor(opts: SegmentApiOptions) {
    if (!opts.token) throw new SegmentApiError('no Segment Public API token: set SEGMENT_PUBLIC_API_TOKEN (or pass --segment-token)', undefined, displayUrl(opts.baseUrl))
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.#token = opts.token
    this.#opts = {
      maxRetries: opts.maxRetries ?? 5,
      maxWaitMs: opts.maxWaitMs ?? 120_000,
      pageSize: opts.pageSize ?? 100,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      onRateLimited: opts.onRateLimited,
      timeoutMs: opts.timeoutMs ?? 30_000,
    }
  }

  /** Number of calls that change the workspace (POST, PATCH, PUT, DELETE) that got an answer. */
  get writeCalls(): number {
    return this.log.filter((r) => r.method !== 'GET').length
  }

  async request<T>(method: string, path: string, body?: unknown, what = `${method} ${path}`): Promise<T> {
    const url = this.baseUrl + path
    const shown = displayUrl(url)
    for (let attempt = 0; ; attempt++) {
      let res: { status: number; ok: boolean; headers: HeaderReader; body: string }
      try {
        const r = await got(url, {
          method: method as 'GET',
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: ACCEPT,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeout: { request: this.#opts.timeoutMs },
          retry: { limit: 0 },
          throwHttpErrors: false,
          followRedirect: false,
          responseType: 'text',
        })
        const h = r.headers
        const get = (name: string): string | null => {
          const v = h[name.toLowerCase()]
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
        }
        res = { status: r.statusCode, ok: r.statusCode >= 200 && r.statusCode < 300, body: r.body, headers: { get } }
      } catch (error) {
        const cause = (error as { code?: string }).code ?? (error as Error).name
        throw new SegmentApiError(`${what}: no answer from ${shown} (${cause}); check --segment-api-url / --segment-region and your network`, undefined, shown, true)
      }
      const text = res.body
      let parsed: unknown
      try {
        parsed = text === '' ? undefined : JSON.parse(text)
      } catch {
        parsed = undefined
      }
      this.log.push({ method, path: path.split('?')[0]!, status: res.status })
      if (res.status === 429) {
        const wait = retryAfterMs(res.headers, parsed) ?? Math.min(60_000, 1000 * 2 ** attempt)
        if (attempt >= this.#opts.maxRetries) {
          throw new SegmentApiError(
            `${what}: rate limited by the Segment Public API (429) ${attempt + 1} times at ${shown}; wait a minute and run the same command again (it is safe to rerun)`,
            429,
            shown,
            true,
          )
        }
        if (wait > this.#opts.maxWaitMs) {
          throw new SegmentApiError(
            `${what}: the Segment Public API asks to wait ${Math.ceil(wait / 1000)} s (429 at ${shown}); run the same command again later (it is safe to rerun)`,
            429,
            shown,
            true,
          )
        }
        this.#opts.onRateLimited?.(wait, shown)
        await this.#opts.sleep(wait)
        continue
      }
      if (res.ok) {
        if (parsed === undefined)
          throw new SegmentApiError(`${what}: ${shown} answered ${res.status} without a JSON body; is --segment-api-url a Segment Public API host?`, res.status, shown)
        return parsed as T
      }
      // A server may echo what it was sent: the token never reaches a message.
      const said = apiMessage(parsed)
      const detail = said === undefined || this.#token === '' ? said : said.split(this.#token).join('<token>')
      const suffix = detail ? ` (Segment says: ${detail})` : ''
      switch (res.status) {
        case 401:
          throw new SegmentApiError(
            `${what}: 401 Unauthorized at ${shown}: the token was not accepted${suffix}. Check SEGMENT_PUBLIC_API_TOKEN: a Public API token of this workspace, for this region (--segment-region us|eu)`,
            401,
            shown,
          )
        case 403:
          throw new SegmentApiError(
            `${what}: 403 Forbidden at ${shown}: the token may not do this${suffix}. Reading needs a token with Workspace Member (read) access to the source; --apply needs Source Admin or Workspace Owner`,
            403,
            shown,
          )
        case 404:
          throw new SegmentApiError(
            `${what}: 404 Not Found at ${shown}${suffix}. Check the id (Segment UI: Connections → Destinations → the destination → Settings; the id is in the URL) and the region (--segment-region us|eu)`,
            404,
            shown,
            false,
            method !== 'GET',
          )
        default:
          throw new SegmentApiError(`${what}: ${res.status} at ${shown}${suffix}`, res.status, shown, res.status >= 500)
      }
    }
  }

  /** Follows `pagination.next` until it is null; `key` is the list's key under `data`. */
  async #list<T>(path: string, key: string, what: string): Promise<T[]> {
    const out: T[] = []
    let cursor: string | undefined
    const seen = new Set<string>()
    for (;;) {
      const q = new URLSearchParams({ 'pagination[count]': String(this.#opts.pageSize) })
      if (cursor !== undefined) q.set('pagination[cursor]', cursor)
      const page = await this.request<{ data?: Record<string, unknown> & { pagination?: { next?: string | null } } }>('GET', `${path}?${q}`, undefined, what)
      const items = page.data?.[key]
      if (!Array.isArray(items))
        throw new SegmentApiError(`${what}: the answer has no data.${key} list; is --segment-api-url a Segment Public API host?`, 200, displayUrl(this.baseUrl + path))
      out.push(...(items as T[]))
      const next = page.data?.pagination?.next
      if (next === undefined || next === null || next === '') return out
      if (seen.has(next)) throw new SegmentApiError(`${what}: pagination cursor repeats; stopping`, 200, displayUrl(this.baseUrl + path))
      seen.add(next)
      cursor = next
    }
  }

  async getDestination(id: string): Promise<Destination> {
    const r = await this.request<{ data?: { destination?: Destination } }>('GET', `/destinations/${encodeURIComponent(id)}`, undefined, `reading destination ${id}`)
    if (!r.data?.destination) throw new SegmentApiError(`reading destination ${id}: the answer has no data.destination`, 200, displayUrl(this.baseUrl))
    return r.data.destination
  }

  listConnectedDestinations(sourceId: string): Promise<Destination[]> {
    return this.#list<Destination>(`/sources/${encodeURIComponent(sourceId)}/connected-destinations`, 'destinations', `listing the destinations of source ${sourceId}`)
  }

  listSubscriptions(destinationId: string): Promise<DestinationSubscription[]> {
    return this.#list<DestinationSubscription>(
      `/destinations/${encodeURIComponent(destinationId)}/subscriptions`,
      'subscriptions',
      `listing the subscriptions of destination ${destinationId}`,
    )
  }

  async getDestinationMetadata(metadataId: string): Promise<DestinationMetadata> {
    const r = await this.request<{ data?: { destinationMetadata?: DestinationMetadata } }>(
      'GET',
      `/catalog/destinations/${encodeURIComponent(metadataId)}`,
      undefined,
      `reading catalog entry ${metadataId}`,
    )
    if (!r.data?.destinationMetadata) throw new SegmentApiError(`reading catalog entry ${metadataId}: the answer has no data.destinationMetadata`, 200, displayUrl(this.baseUrl))
    return r.data.destinationMetadata
  }

  async createDestination(input: CreateDestinationInput): Promise<Destination> {
    const r = await this.request<{ data?: { destination?: Destination } }>('POST', '/destinations', input, 'creating the Actions Amplitude destination')
    if (!r.data?.destination) throw new SegmentApiError('creating the Actions Amplitude destination: the answer has no data.destination', 200, displayUrl(this.baseUrl))
    return r.data.destination
  }

  async updateDestination(id: string, input: UpdateDestinationInput): Promise<Destination> {
    const r = await this.request<{ data?: { destination?: Destination } }>('PATCH', `/destinations/${encodeURIComponent(id)}`, input, `updating destination ${id}`)
    if (!r.data?.destination) throw new SegmentApiError(`updating destination ${id}: the answer has no data.destination`, 200, displayUrl(this.baseUrl))
    return r.data.destination
  }

  async createSubscription(destinationId: string, input: CreateSubscriptionInput): Promise<DestinationSubscription> {
    const r = await this.request<{ data?: { destinationSubscription?: DestinationSubscription } }>(
      'POST',
      `/destinations/${encodeURIComponent(destinationId)}/subscriptions`,
      input,
      `creating subscription "${input.name}"`,
    )
    if (!r.data?.destinationSubscription)
      throw new SegmentApiError(`creating subscription "${input.name}": the answer has no data.destinationSubscription`, 200, displayUrl(this.baseUrl))
    return r.data.destinationSubscription
  }

  async updateSubscription(destinationId: string, id: string, input: UpdateSubscriptionInput): Promise<DestinationSubscription> {
    const r = await this.request<{ data?: { subscription?: DestinationSubscription } }>(
      'PATCH',
      `/destinations/${encodeURIComponent(destinationId)}/subscriptions/${encodeURIComponent(id)}`,
      { input },
      `updating subscription ${id}`,
    )
    if (!r.data?.subscription) throw new SegmentApiError(`updating subscription ${id}: the answer has no data.subscription`, 200, displayUrl(this.baseUrl))
    return r.data.subscription
  }

  async removeSubscription(destinationId: string, id: string): Promise<void> {
    await this.request('DELETE', `/destinations/${encodeURIComponent(destinationId)}/subscriptions/${encodeURIComponent(id)}`, undefined, `removing subscription ${id}`)
  }
}
