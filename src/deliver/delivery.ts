/**
 * Delivery engine: sends `AmplitudeRecord`s to Amplitude with batching, bounded concurrency,
 * an overall events/s cap, per-key ordering and the retry policy of docs/amplitude-api.md §10.
 *
 * Guarantees
 * - Every pushed item ends in exactly one `onAck` or `onDeadLetter` call, unless the run stops
 *   first (FatalDeliveryError or `abort()`): items not yet resolved then get no callback and are
 *   listed by `pendingItems()` (a resumed run sends them again; insert_id dedups).
 * - Per-key order: while any item of a key is in flight, waiting for a retry, or paused by a
 *   429, no later item of that key is sent. Items of one key keep push order within a request.
 * - A throttled key (429) pauses only that key (30 s HTTP V2, 15 s batch/identify/…); other
 *   keys keep flowing. A 429 naming no id pauses that endpoint (`projectPauseMs`, 60 s).
 *
 * Retry policy and failure budgets (each bounded; the README lists them)
 * - 5xx, 408, timeouts, connection errors: exponential backoff with jitter, and the whole
 *   endpoint backs off with the request (retries go out together, in full requests). After
 *   `maxAttempts` sends a record is dead-lettered `retries_exhausted:<last reason>` only if
 *   Amplitude accepted other requests since its first failure; if it accepted nothing, the
 *   endpoint is at fault, not the record, and the run stops with FatalDeliveryError (resume later).
 * - No HTTP answer at all (timeouts, refused or reset connections) for `unreachableAfterMs`
 *   while records wait, or nothing accepted for `stalledAfterMs` (a permanent 429 or 5xx):
 *   FatalDeliveryError, so the run ends with its checkpoint and resume command.
 * - 400 naming records (`events_with_invalid_fields` etc.): those are dead-lettered
 *   (`invalid_field:<f>`, `missing_field:<f>`, `invalid_id_length:<f>`, `silenced_device`), the
 *   rest resent at once (not counted as an attempt: each round removes at least one record).
 * - 413: the records are resent in requests of at most half the size; a single record is
 *   dead-lettered `payload_too_large`. Nothing else splits a request.
 * - A 4xx naming no record: the request's records are dead-lettered `rejected (<code>): <error>`.
 * - 2xx: acknowledged only when the answer is Amplitude's (see classify.ts): fewer
 *   `events_ingested` than sent dead-letters the request's records `not_ingested`; a body that is
 *   not Amplitude's (an HTML page from a proxy) is FatalDeliveryError.
 * - 429: throttled records wait (see above), the others are resent at once; after
 *   `maxThrottleRetries` pauses a record is dead-lettered `throttled`. Records whose user/device
 *   is over the daily quota are parked `quotaPauseMs` up to `quotaRetries` times (default 0),
 *   then dead-lettered `exceeded_daily_quota` (re-run later; insert_id dedups).
 * - Invalid API key, missing api_key, 401, 403 (WAF), 404/invalid path → FatalDeliveryError.
 */
import type { AmplitudeEndpoint, AmplitudeRecord, Region, SourceRef } from '../types.js'
import { classifyResponse, type Classification, type HttpOutcome } from './classify.js'
import {
  buildBody,
  buildHeaders,
  effectiveLimit,
  emptyBodyBytes,
  endpointUrl,
  normalizeBatchSize,
  separatorBytes,
  serializeRecord,
  type EndpointLimit,
  type HttpRequest,
  type SerializedRecord,
} from './requests.js'
import { createGotTransport, transportErrorInfo, type Transport } from './transport.js'
import { displayUrl } from './requests.js'

export interface DeliveryItem {
  seq: number
  record: AmplitudeRecord
  ref: SourceRef
  /** Ordering key: device_id or user_id. */
  key: string
  /** The record serialized already with this delivery's options (a worker did it): used as is. */
  ser?: SerializedRecord
}

export interface DeliveryOptions {
  apiKey: string
  region: Region
  endpointUrl?: string
  useBatchEndpoint?: boolean
  /** Records per request (default 1000, max 2000; HTTP V2 capped at 1999, groupidentify 1024). */
  batchSize?: number
  /** Requests in flight (default 4). */
  concurrency?: number
  /** Overall events/s cap (default: none). */
  maxEps?: number
  /** Sends per record for transient failures (default 10). */
  maxAttempts?: number
  /** Backoff base (default 500 ms); delay = min(maxDelayMs, base·2^(n-1)) · U[0.5, 1). */
  baseDelayMs?: number
  /** Backoff cap (default 30 s). */
  maxDelayMs?: number
  /** Pause of a throttled key (default httpapi 30 s; batch, identify, groupidentify, usermap 15 s). */
  throttlePauseMs?: { httpapi: number; batch: number /* also identify */ }
  /** Pause of an endpoint on a 429 without per-id detail (default 60 s). */
  projectPauseMs?: number
  /** 429 pauses per record before it is dead-lettered `throttled` (default 40). */
  maxThrottleRetries?: number
  /** Times a daily-quota record is parked before dead-lettering `exceeded_daily_quota` (default 0). */
  quotaRetries?: number
  /** Parking time for daily-quota records (default 1 h). */
  quotaPauseMs?: number
  /** Per-request deadline (default 30 s). */
  requestTimeoutMs?: number
  /** Stop when no HTTP answer came for this long while records wait (default 2 min). */
  unreachableAfterMs?: number
  /** Stop when Amplitude accepted nothing for this long while records wait (default 10 min). */
  stalledAfterMs?: number
  /** How long a partial request may wait for more records (default 250 ms). */
  flushIntervalMs?: number
  /** Adds `$skip_user_properties_sync: true` to every event (httpapi/batch). */
  skipUserPropertiesSync?: boolean
  /** Items held before `push` applies backpressure (default max(4·batchSize·concurrency, 1000)). */
  maxBuffered?: number
  /** Per-endpoint limit overrides (tests, sandbox limits). */
  limits?: Partial<Record<AmplitudeEndpoint, Partial<EndpointLimit>>>
  userAgent?: string
  /** Replaces the got transport (tests). */
  transport?: Transport
  /** Random source for jitter (tests). */
  random?: () => number
}

export interface DeadLetterInfo {
  status: number | null
  reason: string
  attempts: number
}

export interface DeliveryCallbacks {
  onAck(items: DeliveryItem[], status: number): void
  onDeadLetter(item: DeliveryItem, d: DeadLetterInfo): void
  onRetry?(info: { status: number | null; reason: string; attempt: number; delayMs: number; events: number }): void
  onThrottle?(info: { keys: string[]; pauseMs: number; project: boolean }): void
  onQuotaExceeded?(info: { users: string[]; devices: string[]; events: number; parkedMs: number | null }): void
  /** A 200 whose `events_ingested` differs from the number of events sent (duplicates, dropped ids). */
  onIngestedMismatch?(info: { sent: number; ingested: number; endpoint: AmplitudeEndpoint }): void
}

export interface DeliveryStats {
  pushed: number
  acked: number
  deadLettered: number
  /** Pushed, not yet acked or dead-lettered. */
  outstanding: number
  inFlightRequests: number
  /** Items of keys currently paused (backoff, throttle, quota). */
  parked: number
  requests: number
  retries: number
  throttles: number
  bytesSent: number
  ingestedMismatches: number
}

export interface Delivery {
  /** Queue an item; resolves when there is room for more (backpressure). */
  push(item: DeliveryItem): Promise<void>
  /** Send everything queued now and resolve once every pushed item is acked or dead-lettered. */
  flush(): Promise<void>
  /** Stop taking work; cancel timers; wait for in-flight requests (their outcomes are reported). */
  abort(opts?: { cancelInFlight?: boolean }): Promise<void>
  /** Release keep-alive sockets (call when done). */
  close(): void
  stats(): DeliveryStats
  /** Items pushed but not resolved (after a fatal error or abort). */
  pendingItems(): DeliveryItem[]
}

export class FatalDeliveryError extends Error {
  readonly status: number | null
  constructor(message: string, status: number | null = null) {
    super(message)
    this.name = 'FatalDeliveryError'
    this.status = status
  }
}

export class DeliveryAbortedError extends Error {
  constructor() {
    super('delivery aborted')
    this.name = 'DeliveryAbortedError'
  }
}

/** Backoff delay before the n-th retry (n ≥ 1), with jitter in [0.5, 1). Pure. */
export function backoffDelay(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, n - 1)))
  return Math.round(raw * (0.5 + 0.5 * random()))
}

interface Entry {
  item: DeliveryItem
  ser: SerializedRecord
  sends: number
  failures: number
  /** When its first transient failure happened (0: none yet). */
  firstFailureAt: number
  throttles: number
  quotas: number
  /** Most records a request holding this entry may carry (halved on 413 / unexplained 400). */
  cap: number
}

/** FIFO with O(1) shift. */
class Deque<T> {
  private a: T[] = []
  private h = 0
  get length(): number {
    return this.a.length - this.h
  }
  peek(): T | undefined {
    return this.a[this.h]
  }
  push(x: T): void {
    this.a.push(x)
  }
  shift(): T | undefined {
    if (this.h >= this.a.length) return undefined
    const x = this.a[this.h]
    this.a[this.h] = undefined as T
    this.h++
    if (this.h > 1024 && this.h * 2 > this.a.length) {
      this.a = this.a.slice(this.h)
      this.h = 0
    }
    return x
  }
  unshiftAll(xs: T[]): void {
    this.a = xs.concat(this.a.slice(this.h))
    this.h = 0
  }
  toArray(): T[] {
    return this.a.slice(this.h)
  }
}

interface KeyState {
  key: string
  queue: Deque<Entry>
  busy: boolean
  readyAt: number
  parked: boolean
  /** While in `ready`: the group its queue is counted under, and how much was counted. */
  attrGroup?: string
  attrN: number
  attrBytes: number
  /** When it (last) became ready: the oldest ready key's group goes first once it waited flushIntervalMs. */
  readySince: number
}

interface Batch {
  endpoint: AmplitudeEndpoint
  options?: Record<string, unknown>
  entries: Entry[]
  keys: KeyState[]
}

export function createDelivery(opts: DeliveryOptions, cb: DeliveryCallbacks): Delivery {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4))
  const batchSize = normalizeBatchSize(opts.batchSize)
  const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 10))
  const baseDelayMs = opts.baseDelayMs ?? 500
  const maxDelayMs = opts.maxDelayMs ?? 30_000
  const pauseHttp = opts.throttlePauseMs?.httpapi ?? 30_000
  const pauseBatch = opts.throttlePauseMs?.batch ?? 15_000
  const projectPauseMs = opts.projectPauseMs ?? 60_000
  const maxThrottleRetries = Math.max(0, opts.maxThrottleRetries ?? 40)
  const quotaRetries = Math.max(0, opts.quotaRetries ?? 0)
  const quotaPauseMs = opts.quotaPauseMs ?? 3_600_000
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000
  const unreachableAfterMs = opts.unreachableAfterMs ?? 120_000
  const stalledAfterMs = opts.stalledAfterMs ?? 600_000
  const flushIntervalMs = opts.flushIntervalMs ?? 250
  const maxBuffered = Math.max(1, opts.maxBuffered ?? Math.max(4 * batchSize * concurrency, 1000))
  const maxEps = opts.maxEps && opts.maxEps > 0 ? opts.maxEps : undefined
  const random = opts.random ?? Math.random
  const ownTransport = opts.transport ? undefined : createGotTransport(concurrency)
  const transport: Transport = opts.transport ?? ownTransport!.send
  const headersFor = new Map<AmplitudeEndpoint, Record<string, string>>()
  const limitFor = new Map<AmplitudeEndpoint, EndpointLimit>()

  const keys = new Map<string, KeyState>()
  const ready = new Set<KeyState>()
  /** Queued records of ready keys per group (a key's whole queue counts under its head's group). */
  const readyTotals = new Map<string, { n: number; bytes: number; endpoint: AmplitudeEndpoint }>()
  const pausedKeys = new Set<KeyState>()
  /** `u:<user_id>` / `d:<device_id>` → time until which it is throttled. */
  const throttledIds = new Map<string, number>()
  /** Endpoint → time until which it is paused (429 without per-id detail). */
  const endpointPause = new Map<AmplitudeEndpoint, number>()
  const inFlight = new Set<AbortController>()

  const st: DeliveryStats = {
    pushed: 0,
    acked: 0,
    deadLettered: 0,
    outstanding: 0,
    inFlightRequests: 0,
    parked: 0,
    requests: 0,
    retries: 0,
    throttles: 0,
    bytesSent: 0,
    ingestedMismatches: 0,
  }

  let fatal: Error | undefined
  let aborted = false
  /** Last time Amplitude acknowledged something / answered at all (reset when work arrives). */
  let lastAcceptedAt = Date.now()
  let lastAnswerAt = Date.now()
  let lastFailure = ''
  let pumping = false
  let forceOnce = false
  let partialTimer: NodeJS.Timeout | undefined
  let wakeTimer: NodeJS.Timeout | undefined
  let wakeAt = Infinity
  let epsTimer: NodeJS.Timeout | undefined
  let epsNext = 0
  let pushWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  let flushWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  let idleWaiters: Array<() => void> = []

  const limit = (e: AmplitudeEndpoint): EndpointLimit => {
    let l = limitFor.get(e)
    if (!l) limitFor.set(e, (l = effectiveLimit(e, batchSize, opts.limits)))
    return l
  }
  const headers = (e: AmplitudeEndpoint): Record<string, string> => {
    let h = headersFor.get(e)
    if (!h) headersFor.set(e, (h = buildHeaders(e, opts.userAgent)))
    return h
  }
  const pauseFor = (e: AmplitudeEndpoint): number => (e === 'httpapi' ? pauseHttp : pauseBatch)

  // ---- callbacks (a throwing callback stops the run instead of crashing the process) ----
  const safe = (f: () => void): void => {
    try {
      f()
    } catch (err) {
      setFatal(err instanceof Error ? err : new Error(String(err)))
    }
  }
  const resolveDead = (e: Entry, status: number | null, reason: string): void => {
    st.deadLettered++
    st.outstanding--
    safe(() => cb.onDeadLetter(e.item, { status, reason, attempts: e.sends }))
  }

  // ---- key state ----
  function addReady(ks: KeyState): void {
    if (ready.has(ks)) return
    const head = ks.queue.peek()!
    ready.add(ks)
    ks.readySince = Date.now()
    ks.attrGroup = head.ser.group
    ks.attrN = ks.queue.length
    ks.attrBytes = ks.attrN * head.ser.bytes
    const t = readyTotals.get(ks.attrGroup) ?? { n: 0, bytes: 0, endpoint: head.ser.endpoint }
    t.n += ks.attrN
    t.bytes += ks.attrBytes
    readyTotals.set(ks.attrGroup, t)
  }
  function delReady(ks: KeyState): void {
    if (!ready.delete(ks)) return
    const t = readyTotals.get(ks.attrGroup!)
    if (t) {
      t.n -= ks.attrN
      t.bytes -= ks.attrBytes
      if (t.n <= 0) readyTotals.delete(ks.attrGroup!)
    }
    ks.attrGroup = undefined
    ks.attrN = ks.attrBytes = 0
  }
  function park(ks: KeyState): void {
    if (!ks.parked) {
      ks.parked = true
      st.parked += ks.queue.length
    }
    pausedKeys.add(ks)
    if (ks.readyAt < wakeAt) armWake(ks.readyAt)
  }
  function unpark(ks: KeyState): void {
    if (ks.parked) {
      ks.parked = false
      st.parked -= ks.queue.length
    }
    pausedKeys.delete(ks)
  }
  function refresh(ks: KeyState): void {
    if (ks.queue.length === 0) {
      delReady(ks)
      unpark(ks)
      if (!ks.busy) keys.delete(ks.key)
      return
    }
    if (ks.busy) {
      delReady(ks)
      return
    }
    if (ks.readyAt > Date.now()) {
      delReady(ks)
      park(ks)
      return
    }
    unpark(ks)
    addReady(ks)
  }
  function armWake(at: number): void {
    if (fatal || aborted) return
    if (wakeTimer) clearTimeout(wakeTimer)
    wakeAt = at
    wakeTimer = setTimeout(onWake, Math.max(0, at - Date.now()))
  }
  function onWake(): void {
    wakeTimer = undefined
    wakeAt = Infinity
    const now = Date.now()
    let next = Infinity
    for (const ks of [...pausedKeys]) {
      if (ks.readyAt <= now) refresh(ks)
      else next = Math.min(next, ks.readyAt)
    }
    if (next < Infinity) armWake(next)
    checkBudgets(now)
    releasePushers()
    pump()
  }

  // ---- backpressure ----
  const hasRoom = (): boolean => st.outstanding - st.parked < maxBuffered && st.outstanding < maxBuffered * 4
  function releasePushers(): void {
    if (fatal || aborted) return
    while (pushWaiters.length > 0 && hasRoom()) pushWaiters.shift()!.resolve()
  }
  function checkIdle(): void {
    if (st.outstanding === 0 && flushWaiters.length > 0 && !fatal) {
      const ws = flushWaiters
      flushWaiters = []
      for (const w of ws) w.resolve()
    }
    if (st.inFlightRequests === 0 && idleWaiters.length > 0) {
      const ws = idleWaiters
      idleWaiters = []
      for (const w of ws) w()
    }
  }
  /** Stop: no new requests; waiting push/flush calls reject once in-flight requests finished. */
  function setFatal(err: Error): void {
    if (fatal) return
    fatal = err
    clearTimers()
    const rejectAll = (): void => {
      for (const w of pushWaiters) w.reject(err)
      pushWaiters = []
      for (const w of flushWaiters) w.reject(err)
      flushWaiters = []
    }
    if (st.inFlightRequests === 0) rejectAll()
    else idleWaiters.push(rejectAll)
  }
  function clearTimers(): void {
    if (partialTimer) clearTimeout(partialTimer)
    if (wakeTimer) clearTimeout(wakeTimer)
    if (epsTimer) clearTimeout(epsTimer)
    partialTimer = wakeTimer = epsTimer = undefined
    wakeAt = Infinity
  }

  // ---- batching ----
  function idThrottledUntil(e: Entry, now: number): number {
    let until = 0
    if (endpointPause.size > 0) {
      const t = endpointPause.get(e.ser.endpoint)
      if (t !== undefined && t > now) until = t
    }
    if (throttledIds.size === 0) return until
    const r = e.item.record.record
    for (const id of [r.user_id !== undefined && r.user_id !== null ? `u:${String(r.user_id)}` : '', r.device_id ? `d:${String(r.device_id)}` : '']) {
      if (!id) continue
      const t = throttledIds.get(id)
      if (t === undefined) continue
      if (t <= now) throttledIds.delete(id)
      else until = Math.max(until, t)
    }
    return until
  }

  function buildBatch(force: boolean): Batch | undefined {
    if (ready.size === 0) return undefined
    const now = Date.now()
    // Choose the group: the oldest ready key's once it waited flushIntervalMs (no starvation),
    // else one that can fill a request, else (when forced) the oldest ready key's.
    let oldest: KeyState | undefined
    for (const ks of ready) {
      const until = idThrottledUntil(ks.queue.peek()!, now)
      if (until > now) {
        ks.readyAt = until
        refresh(ks)
        continue
      }
      oldest = ks
      break
    }
    if (!oldest) return undefined
    let group: string | undefined
    if (now - oldest.readySince >= flushIntervalMs) group = oldest.attrGroup
    else {
      for (const [g, t] of readyTotals) {
        const l = limit(t.endpoint)
        if (t.n >= l.maxItems || t.bytes >= l.maxBytes) {
          group = g
          break
        }
      }
    }
    if (group === undefined) {
      if (!force) return undefined
      group = oldest.attrGroup
    }

    let endpoint: AmplitudeEndpoint | undefined
    let options: Record<string, unknown> | undefined
    let l: EndpointLimit | undefined
    let cap = Infinity
    let bytes = 0
    const entries: Entry[] = []
    const used: KeyState[] = []
    let full = false
    for (const ks of ready) {
      if (full) break
      if (ks.attrGroup !== group) continue
      const until = idThrottledUntil(ks.queue.peek()!, now)
      if (until > now) {
        ks.readyAt = until
        refresh(ks)
        continue
      }
      let took = 0
      for (let e = ks.queue.peek(); e !== undefined; e = ks.queue.peek()) {
        if (e.ser.group !== group) break
        if (!l) {
          endpoint = e.ser.endpoint
          options = e.ser.options
          l = limit(endpoint)
          cap = l.maxItems
          bytes = emptyBodyBytes(endpoint, opts.apiKey, options)
        }
        const newCap = Math.min(cap, e.cap)
        const add = (entries.length > 0 ? separatorBytes(endpoint!) : 0) + e.ser.bytes
        if (entries.length > 0 && (entries.length + 1 > newCap || bytes + add > l.maxBytes)) {
          if (entries.length >= cap || bytes + add > l.maxBytes) full = true
          break
        }
        ks.queue.shift()
        entries.push(e)
        cap = newCap
        bytes += add
        took++
        if (entries.length >= cap) {
          full = true
          break
        }
      }
      if (took > 0) {
        ks.busy = true
        used.push(ks)
      }
    }
    for (const ks of used) delReady(ks)
    if (entries.length === 0 || !endpoint) return undefined
    return { endpoint, options, entries, keys: used }
  }

  // ---- pump ----
  function pump(): void {
    if (pumping || fatal || aborted) return
    pumping = true
    try {
      while (st.inFlightRequests < concurrency && ready.size > 0) {
        const now = Date.now()
        if (maxEps !== undefined && epsNext > now) {
          if (!epsTimer) {
            epsTimer = setTimeout(() => {
              epsTimer = undefined
              pump()
            }, epsNext - now)
          }
          break
        }
        const force = forceOnce || flushWaiters.length > 0 || !hasRoom()
        const batch = buildBatch(force)
        if (!batch) break
        if (maxEps !== undefined) epsNext = Math.max(now, epsNext) + (batch.entries.length * 1000) / maxEps
        send(batch)
      }
      forceOnce = false
      if (ready.size > 0 && st.inFlightRequests < concurrency && !partialTimer && !epsTimer) {
        partialTimer = setTimeout(() => {
          partialTimer = undefined
          forceOnce = true
          pump()
        }, flushIntervalMs)
      }
    } finally {
      pumping = false
    }
  }

  function send(batch: Batch): void {
    st.inFlightRequests++
    st.requests++
    for (const e of batch.entries) e.sends++
    const req: HttpRequest = {
      method: 'POST',
      url: endpointUrl(batch.endpoint, opts.region, opts.endpointUrl),
      headers: headers(batch.endpoint),
      body: buildBody(batch.endpoint, opts.apiKey, batch.entries.map((e) => e.ser.json), batch.options),
    }
    st.bytesSent += Buffer.byteLength(req.body)
    const ac = new AbortController()
    inFlight.add(ac)
    transport(req, { timeoutMs: requestTimeoutMs, signal: ac.signal })
      .then(
        (res): HttpOutcome => ({ status: res.status, body: res.body }),
        (err: unknown): HttpOutcome => ({ status: null, error: transportErrorInfo(err) }),
      )
      .then((outcome) => {
        inFlight.delete(ac)
        settle(batch, outcome, ac.signal.aborted)
      })
      .catch((err: unknown) => setFatal(err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        st.inFlightRequests--
        releasePushers()
        pump()
        checkIdle()
      })
  }

  function settle(batch: Batch, outcome: HttpOutcome, cancelled: boolean): void {
    const records = batch.entries.map((e) => e.item.record.record)
    const c: Classification = cancelled
      ? { code: null, reason: 'cancelled', fates: batch.entries.map(() => ({ t: 'backoff' as const })), throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [] }
      : classifyResponse(batch.endpoint, records, outcome, opts.apiKey)
    const now = Date.now()
    const stopping = (): boolean => fatal !== undefined || aborted || cancelled
    if (c.fatal) setFatal(new FatalDeliveryError(c.fatal, c.code))
    if (!cancelled) {
      if (c.code !== null) lastAnswerAt = now
      if (c.fates.some((f) => f.t === 'ack')) lastAcceptedAt = now
      else lastFailure = c.reason
    }

    const acked: DeliveryItem[] = []
    const back = new Map<KeyState, { entries: Entry[]; delay: number }>()
    const keyOf = (e: Entry): KeyState => keys.get(e.item.key)!
    const retry = (e: Entry, delay: number): void => {
      const ks = keyOf(e)
      const b = back.get(ks) ?? { entries: [], delay: 0 }
      b.entries.push(e)
      b.delay = Math.max(b.delay, delay)
      back.set(ks, b)
    }
    let maxDelay = 0
    let retried = 0
    /** A transient failure backs off the whole endpoint, so retries leave together in full requests. */
    let backoffUntil = 0
    const throttledKeys = new Set<string>()
    let quotaEvents = 0
    const n = batch.entries.length
    const pause = c.projectThrottle ? projectPauseMs : pauseFor(batch.endpoint)

    batch.entries.forEach((e, i) => {
      const f = c.fates[i]!
      if (c.fatal || (stopping() && f.t !== 'ack' && f.t !== 'dead')) {
        retry(e, 0) // stays unresolved
        return
      }
      switch (f.t) {
        case 'ack':
          acked.push(e.item)
          break
        case 'dead':
          resolveDead(e, c.code, f.reason)
          break
        case 'resend':
          retry(e, 0)
          retried++
          break
        case 'split':
          e.cap = Math.max(1, Math.min(e.cap, Math.floor(n / 2)))
          retry(e, 0)
          retried++
          break
        case 'backoff': {
          e.failures++
          if (e.firstFailureAt === 0) e.firstFailureAt = now
          if (e.failures >= maxAttempts) {
            if (lastAcceptedAt > e.firstFailureAt) resolveDead(e, c.code, `retries_exhausted:${c.reason}`)
            else {
              // Nothing was accepted since this record first failed: the endpoint is down, not the record.
              const what = c.unreachable ? 'unreachable' : 'failing every request'
              setFatal(new FatalDeliveryError(`Amplitude endpoint ${what} (${c.reason}) after ${e.sends} attempts: ${displayUrl(endpointUrl(batch.endpoint, opts.region, opts.endpointUrl))}`, null))
              retry(e, 0)
            }
          } else {
            const d = backoffDelay(e.failures, baseDelayMs, maxDelayMs, random)
            maxDelay = Math.max(maxDelay, d)
            backoffUntil = Math.max(backoffUntil, now + d)
            retry(e, d)
            retried++
          }
          break
        }
        case 'throttle':
          e.throttles++
          if (e.throttles > maxThrottleRetries) resolveDead(e, c.code, 'throttled')
          else {
            retry(e, pause)
            throttledKeys.add(e.item.key)
            maxDelay = Math.max(maxDelay, pause)
            retried++
          }
          break
        case 'quota':
          e.quotas++
          quotaEvents++
          if (e.quotas > quotaRetries) resolveDead(e, c.code, 'exceeded_daily_quota')
          else {
            retry(e, quotaPauseMs)
            maxDelay = Math.max(maxDelay, quotaPauseMs)
            retried++
          }
          break
      }
    })

    if (acked.length > 0) {
      st.acked += acked.length
      st.outstanding -= acked.length
      if (c.ingested !== undefined && c.ingested !== acked.length) {
        st.ingestedMismatches++
        safe(() => cb.onIngestedMismatch?.({ sent: acked.length, ingested: c.ingested!, endpoint: batch.endpoint }))
      }
      safe(() => cb.onAck(acked, c.code ?? 200))
    }
    if (retried > 0 && !stopping()) {
      st.retries += retried
      const attempt = Math.max(...batch.entries.map((e) => e.sends))
      safe(() => cb.onRetry?.({ status: c.code, reason: c.reason, attempt, delayMs: maxDelay, events: retried }))
    }
    if (c.throttledUsers.length + c.throttledDevices.length > 0 || c.projectThrottle) {
      const until = now + pause
      for (const u of c.throttledUsers) throttledIds.set(`u:${u}`, until)
      for (const d of c.throttledDevices) throttledIds.set(`d:${d}`, until)
    }
    if (throttledKeys.size > 0) {
      st.throttles++
      if (c.projectThrottle) {
        // The whole endpoint waits: park every ready key whose next record goes there.
        endpointPause.set(batch.endpoint, now + pause)
        for (const ks of [...ready]) {
          if (ks.queue.peek()!.ser.endpoint !== batch.endpoint) continue
          ks.readyAt = Math.max(ks.readyAt, now + pause)
          refresh(ks)
        }
      }
      safe(() => cb.onThrottle?.({ keys: [...throttledKeys], pauseMs: pause, project: c.projectThrottle === true }))
    }
    if (backoffUntil > now && !stopping()) {
      endpointPause.set(batch.endpoint, Math.max(endpointPause.get(batch.endpoint) ?? 0, backoffUntil))
      for (const ks of [...ready]) {
        if (ks.queue.peek()!.ser.endpoint !== batch.endpoint) continue
        ks.readyAt = Math.max(ks.readyAt, backoffUntil)
        refresh(ks)
      }
    }
    checkBudgets(now)
    if (quotaEvents > 0) {
      safe(() =>
        cb.onQuotaExceeded?.({ users: c.quotaUsers, devices: c.quotaDevices, events: quotaEvents, parkedMs: quotaRetries > 0 ? quotaPauseMs : null }),
      )
    }

    // Return unfinished entries to the head of their key queues; free the keys.
    for (const ks of batch.keys) {
      ks.busy = false
      const b = back.get(ks)
      if (b) {
        b.entries.sort((a, z) => a.item.seq - z.item.seq)
        ks.queue.unshiftAll(b.entries)
        if (ks.parked) st.parked += b.entries.length
        ks.readyAt = Math.max(ks.readyAt, now + b.delay)
      }
      refresh(ks)
    }
  }

  /** The run's failure budgets: no answer at all, or nothing accepted, for too long while records wait. */
  function checkBudgets(now: number): void {
    if (fatal || aborted || st.outstanding === 0) return
    const where = new URL(displayUrl(endpointUrl('httpapi', opts.region, opts.endpointUrl))).origin
    const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
    if (now - lastAnswerAt >= unreachableAfterMs) {
      setFatal(new FatalDeliveryError(`Amplitude has not answered for ${secs(now - lastAnswerAt)} (last: ${lastFailure || 'no answer'}) at ${where}; stopping`, null))
    } else if (now - lastAcceptedAt >= stalledAfterMs) {
      setFatal(new FatalDeliveryError(`Amplitude has accepted nothing for ${secs(now - lastAcceptedAt)} (last answer: ${lastFailure || 'none'}) at ${where}; stopping`, null))
    }
  }

  function getKey(key: string): KeyState {
    let ks = keys.get(key)
    if (!ks) keys.set(key, (ks = { key, queue: new Deque<Entry>(), busy: false, readyAt: 0, parked: false, attrN: 0, attrBytes: 0, readySince: 0 }))
    return ks
  }

  return {
    push(item: DeliveryItem): Promise<void> {
      if (fatal) return Promise.reject(fatal)
      if (aborted) return Promise.reject(new DeliveryAbortedError())
      const ser = item.ser ?? serializeRecord(item.record, opts.useBatchEndpoint, opts)
      const e: Entry = { item, ser, sends: 0, failures: 0, firstFailureAt: 0, throttles: 0, quotas: 0, cap: Infinity }
      if (st.outstanding === 0) lastAcceptedAt = lastAnswerAt = Date.now()
      const ks = getKey(item.key)
      ks.queue.push(e)
      if (ks.parked) st.parked++
      else if (ready.has(ks)) {
        // Counted under the head's group (an upper bound when groups are mixed).
        ks.attrN++
        ks.attrBytes += ser.bytes
        const t = readyTotals.get(ks.attrGroup!)
        if (t) {
          t.n++
          t.bytes += ser.bytes
        }
      }
      st.pushed++
      st.outstanding++
      if (!ks.busy && !ks.parked && !ready.has(ks)) refresh(ks)
      pump()
      if (hasRoom()) return Promise.resolve()
      return new Promise((resolve, reject) => pushWaiters.push({ resolve, reject }))
    },
    flush(): Promise<void> {
      if (fatal) {
        const err = fatal
        if (st.inFlightRequests === 0) return Promise.reject(err)
        return new Promise<void>((_, reject) => idleWaiters.push(() => reject(err)))
      }
      if (aborted) return Promise.reject(new DeliveryAbortedError())
      if (st.outstanding === 0) return Promise.resolve()
      const p = new Promise<void>((resolve, reject) => flushWaiters.push({ resolve, reject }))
      pump()
      return p
    },
    async abort(o?: { cancelInFlight?: boolean }): Promise<void> {
      if (!aborted) {
        aborted = true
        clearTimers()
        const err = new DeliveryAbortedError()
        for (const w of pushWaiters) w.reject(err)
        pushWaiters = []
        for (const w of flushWaiters) w.reject(err)
        flushWaiters = []
      }
      if (o?.cancelInFlight) for (const ac of inFlight) ac.abort()
      if (st.inFlightRequests > 0) await new Promise<void>((r) => idleWaiters.push(r))
    },
    close(): void {
      clearTimers()
      ownTransport?.close()
    },
    stats(): DeliveryStats {
      return { ...st }
    },
    pendingItems(): DeliveryItem[] {
      const out: DeliveryItem[] = []
      for (const ks of keys.values()) for (const e of ks.queue.toArray()) out.push(e.item)
      return out.sort((a, b) => a.seq - b.seq)
    },
  }
}
