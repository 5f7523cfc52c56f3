/**
 * A local stand-in for the subset of Segment's Public API that `segamp migrate` calls, with the
 * request and response shapes of the real API (docs/segment-public-api.md): `{data: {...}}`
 * envelopes, `{errors: [{type, message}]}` errors, `pagination[count]` / `pagination[cursor]`
 * query parameters and `data.pagination.next`, bearer auth, 429 with Retry-After.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const ACTIONS_METADATA_ID = '5f7dd6d21ad74f3842b1fc47'
export const CLASSIC_METADATA_ID = '54521fd525e721e32a72ee8f'

type Obj = Record<string, unknown>

export interface FakeDestination {
  id: string
  name: string | null
  enabled: boolean
  sourceId: string
  metadata: { id: string; name: string; slug: string; actions: Array<{ id: string; slug: string; name: string }> }
  settings: Obj
}

export interface FakeSubscription {
  id: string
  name: string
  actionId: string
  actionSlug: string
  destinationId: string
  enabled: boolean
  trigger: string
  settings: Obj
  modelId: null
}

export interface RecordedRequest {
  method: string
  path: string
  query: string
  body: unknown
  status: number
  auth: string | undefined
}

export const ACTIONS_CATALOG = [
  { id: 'act_logEvent', slug: 'logEvent', name: 'Log Event' },
  { id: 'act_logEventV2', slug: 'logEventV2', name: 'Log Event V2' },
  { id: 'act_logPurchase', slug: 'logPurchase', name: 'Log Purchase' },
  { id: 'act_identifyUser', slug: 'identifyUser', name: 'Identify User' },
  { id: 'act_groupIdentifyUser', slug: 'groupIdentifyUser', name: 'Group Identify User' },
  { id: 'act_mapUser', slug: 'mapUser', name: 'Map User' },
  { id: 'act_sessionId', slug: 'sessionId', name: 'Session Plugin' },
]

const actionsMeta = { id: ACTIONS_METADATA_ID, name: 'Actions Amplitude', slug: 'actions-amplitude', actions: ACTIONS_CATALOG }

export interface WorkspaceOptions {
  token: string
  /** A token that may read but not write (403 on writes). */
  readOnlyToken?: string
  classicSettings: Obj
  /** Put an existing Actions Amplitude destination (with two subscriptions) on the source. */
  withActions?: boolean
  /** Largest page the list endpoints return (forces pagination). */
  maxPage?: number
  /** Every Nth request is answered 429 (0 = never). */
  rateLimitEvery?: number
  /** Retry-After value sent with a 429 (seconds, as text). */
  retryAfter?: string
  /** Answer the nth request (1-based) of this method to a path ending so with a 500, once. */
  failNth?: { method: string; pathEndsWith: string; n: number }
}

export class FakeSegmentApi {
  readonly requests: RecordedRequest[] = []
  readonly destinations = new Map<string, FakeDestination>()
  readonly subscriptions = new Map<string, FakeSubscription[]>()
  url = ''
  #server: Server
  #seq = 0
  #count = 0
  #failSeen = 0

  constructor(readonly opts: WorkspaceOptions) {
    const add = (d: FakeDestination): void => {
      this.destinations.set(d.id, d)
      this.subscriptions.set(d.id, [])
    }
    add({
      id: 'dst_classic',
      name: 'Amplitude',
      enabled: true,
      sourceId: 'src_web',
      metadata: { id: CLASSIC_METADATA_ID, name: 'Amplitude', slug: 'amplitude', actions: [] },
      settings: structuredClone(opts.classicSettings),
    })
    add({
      id: 'dst_webhook',
      name: 'Webhooks',
      enabled: true,
      sourceId: 'src_web',
      metadata: { id: '5ff73c5d5c96b2e1e3dd9a2b', name: 'Webhooks (Actions)', slug: 'actions-webhook', actions: [] },
      settings: {},
    })
    add({
      id: 'dst_mixpanel',
      name: 'Mixpanel',
      enabled: false,
      sourceId: 'src_web',
      metadata: { id: '54521fd925e721e32a72eee2', name: 'Mixpanel', slug: 'mixpanel', actions: [] },
      settings: {},
    })
    add({ id: 'dst_other_source', name: 'Amplitude', enabled: true, sourceId: 'src_other', metadata: { id: ACTIONS_METADATA_ID, ...actionsMeta }, settings: {} })
    if (opts.withActions) {
      add({
        id: 'dst_actions',
        name: 'Amplitude (Actions)',
        enabled: false,
        sourceId: 'src_web',
        metadata: structuredClone(actionsMeta),
        settings: { apiKey: String(opts.classicSettings.apiKey), secretKey: String(opts.classicSettings.secretKey), endpoint: 'north_america' },
      })
      this.subscriptions.set('dst_actions', [
        {
          id: 'sub_track',
          name: 'Track Calls',
          actionId: 'act_logEventV2',
          actionSlug: 'logEventV2',
          destinationId: 'dst_actions',
          enabled: true,
          trigger: 'type = "track"',
          settings: { event_type: { '@path': '$.event' } },
          modelId: null,
        },
        {
          id: 'sub_custom',
          name: 'My custom subscription',
          actionId: 'act_logEvent',
          actionSlug: 'logEvent',
          destinationId: 'dst_actions',
          enabled: true,
          trigger: 'event = "Special"',
          settings: {},
          modelId: null,
        },
      ])
    }
    this.#server = createServer((req, res) => void this.#handle(req, res))
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((r) => this.#server.close(() => r()))
  }

  writes(since = 0): RecordedRequest[] {
    return this.requests.slice(since).filter((r) => r.method !== 'GET' && r.status !== 429)
  }

  #send(res: ServerResponse, rec: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
    rec.status = status
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  #error(res: ServerResponse, rec: RecordedRequest, status: number, type: string, message: string): void {
    this.#send(res, rec, status, { errors: [{ type, message, status }] })
  }

  #page<T>(items: T[], query: URLSearchParams): { page: T[]; pagination: Obj } {
    const count = Math.min(Number(query.get('pagination[count]') ?? '10'), this.opts.maxPage ?? 200)
    const cursor = query.get('pagination[cursor]')
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0
    const end = start + count
    const enc = (n: number): string => Buffer.from(String(n)).toString('base64url')
    return {
      page: items.slice(start, end),
      pagination: { current: enc(start), next: end < items.length ? enc(end) : null, previous: start > 0 ? enc(Math.max(0, start - count)) : null, totalEntries: items.length },
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const u = new URL(req.url ?? '/', 'http://x')
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: u.search,
      body: text ? JSON.parse(text) : undefined,
      status: 0,
      auth: req.headers.authorization,
    }
    this.requests.push(rec)
    this.#count++
    if (this.opts.rateLimitEvery && this.#count % this.opts.rateLimitEvery === 0) {
      return this.#send(
        res,
        rec,
        429,
        { errors: [{ type: 'RequestError', message: 'Too many requests', data: { remainingPoints: 0, msBeforeNext: 20, consumedPoints: 21 } }] },
        { 'retry-after': this.opts.retryAfter ?? '0.02' },
      )
    }
    const f = this.opts.failNth
    if (f && rec.method === f.method && u.pathname.endsWith(f.pathEndsWith) && ++this.#failSeen === f.n) {
      return this.#error(res, rec, 500, 'internal', 'Internal server error')
    }
    const auth = req.headers.authorization
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined
    if (token !== this.opts.token && (token === undefined || token !== this.opts.readOnlyToken)) return this.#error(res, rec, 401, 'unauthorized', 'Unauthorized')
    if (rec.method !== 'GET' && token === this.opts.readOnlyToken) return this.#error(res, rec, 403, 'forbidden', 'The token does not have the required permissions')
    const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const body = (rec.body ?? {}) as Obj
    // GET /catalog/destinations/{id}
    if (parts[0] === 'catalog' && parts[1] === 'destinations' && parts.length === 3 && rec.method === 'GET') {
      if (parts[2] !== ACTIONS_METADATA_ID) return this.#error(res, rec, 404, 'not-found', 'Destination metadata not found')
      return this.#send(res, rec, 200, { data: { destinationMetadata: actionsMeta } })
    }
    // GET /sources/{id}/connected-destinations
    if (parts[0] === 'sources' && parts[2] === 'connected-destinations' && parts.length === 3 && rec.method === 'GET') {
      const all = [...this.destinations.values()].filter((d) => d.sourceId === parts[1])
      if (all.length === 0) return this.#error(res, rec, 404, 'not-found', 'Source not found')
      // The list carries no settings in this stand-in: segamp must read each destination.
      const { page, pagination } = this.#page(
        all.map((d) => ({ ...d, settings: {} })),
        u.searchParams,
      )
      return this.#send(res, rec, 200, { data: { destinations: page, pagination } })
    }
    if (parts[0] === 'destinations') {
      if (parts.length === 1 && rec.method === 'POST') {
        if (typeof body.sourceId !== 'string' || typeof body.metadataId !== 'string' || typeof body.settings !== 'object')
          return this.#error(res, rec, 422, 'validation', 'sourceId, metadataId and settings are required')
        if (body.metadataId !== ACTIONS_METADATA_ID) return this.#error(res, rec, 422, 'validation', 'unknown metadataId')
        const d: FakeDestination = {
          id: `dst_new_${++this.#seq}`,
          name: (body.name as string) ?? null,
          enabled: body.enabled === true,
          sourceId: body.sourceId,
          metadata: structuredClone(actionsMeta),
          settings: body.settings as Obj,
        }
        this.destinations.set(d.id, d)
        this.subscriptions.set(d.id, [])
        return this.#send(res, rec, 200, { data: { destination: d } })
      }
      const d = this.destinations.get(parts[1] ?? '')
      if (!d) return this.#error(res, rec, 404, 'not-found', 'Destination not found')
      if (parts.length === 2 && rec.method === 'GET') return this.#send(res, rec, 200, { data: { destination: d } })
      if (parts.length === 2 && rec.method === 'PATCH') {
        if (body.settings) d.settings = { ...d.settings, ...(body.settings as Obj) }
        if (typeof body.enabled === 'boolean') d.enabled = body.enabled
        if (body.name !== undefined) d.name = body.name as string | null
        return this.#send(res, rec, 200, { data: { destination: d } })
      }
      const subs = this.subscriptions.get(d.id)!
      if (parts[2] === 'subscriptions' && parts.length === 3 && rec.method === 'GET') {
        const { page, pagination } = this.#page(subs, u.searchParams)
        return this.#send(res, rec, 200, { data: { subscriptions: page, pagination } })
      }
      if (parts[2] === 'subscriptions' && parts.length === 3 && rec.method === 'POST') {
        const action = d.metadata.actions.find((a) => a.id === body.actionId)
        if (!action) return this.#error(res, rec, 422, 'validation', `actionId ${String(body.actionId)} is not an action of this destination`)
        const s: FakeSubscription = {
          id: `sub_new_${++this.#seq}`,
          name: String(body.name),
          actionId: action.id,
          actionSlug: action.slug,
          destinationId: d.id,
          enabled: body.enabled === true,
          trigger: String(body.trigger),
          settings: (body.settings as Obj) ?? {},
          modelId: null,
        }
        subs.push(s)
        return this.#send(res, rec, 200, { data: { destinationSubscription: s } })
      }
      if (parts[2] === 'subscriptions' && parts.length === 4) {
        const i = subs.findIndex((s) => s.id === parts[3])
        if (i < 0) return this.#error(res, rec, 404, 'not-found', 'Subscription not found')
        if (rec.method === 'PATCH') {
          const input = (body.input ?? {}) as Obj
          const s = subs[i]!
          if (typeof input.name === 'string') s.name = input.name
          if (typeof input.trigger === 'string') s.trigger = input.trigger
          if (typeof input.enabled === 'boolean') s.enabled = input.enabled
          if (input.settings) s.settings = input.settings as Obj
          return this.#send(res, rec, 200, { data: { subscription: s } })
        }
        if (rec.method === 'DELETE') {
          subs.splice(i, 1)
          return this.#send(res, rec, 200, { data: { status: 'SUCCESS' } })
        }
        if (rec.method === 'GET') return this.#send(res, rec, 200, { data: { subscription: subs[i] } })
      }
    }
    return this.#error(res, rec, 404, 'not-found', `no route ${rec.method} ${u.pathname}`)
  }
}
