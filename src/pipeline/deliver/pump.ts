/**
 * Request pump: turns ready records into requests and keeps up to `concurrency` of them in flight.
 *
 * - Batching (the RequestAssembler's rules, requests.ts): one request holds records of one group
 *   (endpoint + options), at most the endpoint's record count and body bytes (and at most the
 *   smallest `cap` among its records, which a 413 halves). A group is sent once it can fill a
 *   request; a partial request leaves when the oldest ready key waited `flushIntervalMs`, when
 *   the engine asks (flush, backpressure), or when the partial-batch timer fires.
 * - `maxEps`: requests are paced so that records leave at no more than that rate overall.
 * - Each request goes through the transport with a deadline; its outcome (an HTTP answer, or a
 *   transport error as `status: null`) is handed to the engine.
 *
 * It never decides what a record's answer means (classify and the retry policy do), never holds
 * records back for order or throttling (the scheduler offers only what may leave) and never
 * changes a record's JSON: bodies are joined from each record's serialized text.
 */
import type { AmplitudeEndpoint, Region } from '../../types.js'
import { systemClock, type Clock } from './clock.js'
import type { HttpOutcome } from './classify.js'
import { buildBody, buildHeaders, effectiveLimit, emptyBodyBytes, endpointUrl, separatorBytes, type EndpointLimit, type HttpRequest } from './requests.js'
import { SKIP_KEY, STOP, TAKE, TAKE_LAST, type Verdict } from './scheduler.js'
import { transportErrorInfo, type Transport } from './transport.js'

/** What the pump needs of a record. */
export interface Packable {
  readonly group: string
  readonly endpoint: AmplitudeEndpoint
  readonly options?: Record<string, unknown>
  /** The record's JSON text, as it goes into the body. */
  readonly json: string
  /** Bytes it adds to the body. */
  readonly bytes: number
  /** Most records a request holding it may carry. */
  readonly cap: number
  /** Requests it was sent in (the pump counts). */
  sends: number
}

/** Where ready records come from (the key scheduler). */
export interface PumpSource<E, H> {
  hasReady(): boolean
  /** The key that became ready first, if any may leave now. */
  oldestReady(now: number): { readonly group?: string; readonly readySince: number } | undefined
  /** Ready records per group. */
  readyGroups(): ReadonlyMap<string, { readonly n: number; readonly bytes: number; readonly endpoint: AmplitudeEndpoint }>
  /** Offer ready records of `group` to `pack`; returns what to hand back once the request ended. */
  take(group: string, now: number, pack: (e: E) => Verdict): H
}

export interface Batch<E, H> {
  endpoint: AmplitudeEndpoint
  options?: Record<string, unknown>
  entries: E[]
  /** Body bytes, as packed (the body's exact UTF-8 length). */
  bytes: number
  /** From the source's `take`. */
  held: H
}

export interface PumpOptions {
  apiKey: string
  region: Region
  endpointUrl?: string
  userAgent?: string
  /** Records per request (normalized). */
  batchSize: number
  limits?: Partial<Record<AmplitudeEndpoint, Partial<EndpointLimit>>>
  /** Requests in flight. */
  concurrency: number
  /** Overall events/s cap. */
  maxEps?: number
  /** How long a partial request may wait for more records. */
  flushIntervalMs: number
  /** Per-request deadline. */
  requestTimeoutMs: number
  transport: Transport
  clock?: Clock
}

export interface PumpHooks<E, H> {
  /** Send partial requests now (a flush is waiting, or pushers are blocked). */
  mustFlush(): boolean
  /** A request ended: its outcome, and whether it was cancelled (abort). */
  onOutcome(batch: Batch<E, H>, outcome: HttpOutcome, cancelled: boolean): void
  /** `onOutcome` threw. */
  onError(err: Error): void
  /** A request slot is free again (after `onOutcome`). */
  onSlotFree(): void
}

export class RequestPump<E extends Packable, H> {
  private inFlightCount = 0
  private requestCount = 0
  private bytes = 0
  private readonly controllers = new Set<AbortController>()
  private readonly limitFor = new Map<AmplitudeEndpoint, EndpointLimit>()
  private readonly headersFor = new Map<AmplitudeEndpoint, Record<string, string>>()
  private readonly urlFor = new Map<AmplitudeEndpoint, string>()
  private readonly clock: Clock
  private readonly maxEps: number | undefined
  private pumping = false
  private stopped = false
  private forceOnce = false
  private partialTimer: unknown
  private epsTimer: unknown
  private epsNext = 0

  constructor(
    private readonly o: PumpOptions,
    private readonly source: PumpSource<E, H>,
    private readonly hooks: PumpHooks<E, H>,
  ) {
    this.clock = o.clock ?? systemClock
    this.maxEps = o.maxEps && o.maxEps > 0 ? o.maxEps : undefined
  }

  get inFlightRequests(): number {
    return this.inFlightCount
  }
  get requests(): number {
    return this.requestCount
  }
  get bytesSent(): number {
    return this.bytes
  }

  /** Send what may leave now, within the concurrency and the events/s cap. */
  run(): void {
    if (this.pumping || this.stopped) return
    this.pumping = true
    try {
      const { concurrency, flushIntervalMs } = this.o
      while (this.inFlightCount < concurrency && this.source.hasReady()) {
        const now = this.clock.now()
        if (this.maxEps !== undefined && this.epsNext > now) {
          if (this.epsTimer === undefined) {
            this.epsTimer = this.clock.setTimeout(() => {
              this.epsTimer = undefined
              this.run()
            }, this.epsNext - now)
          }
          break
        }
        const force = this.forceOnce || this.hooks.mustFlush()
        const batch = this.buildBatch(force, now)
        if (!batch) break
        if (this.maxEps !== undefined) this.epsNext = Math.max(now, this.epsNext) + (batch.entries.length * 1000) / this.maxEps
        this.send(batch)
      }
      this.forceOnce = false
      if (this.source.hasReady() && this.inFlightCount < concurrency && this.partialTimer === undefined && this.epsTimer === undefined) {
        this.partialTimer = this.clock.setTimeout(() => {
          this.partialTimer = undefined
          this.forceOnce = true
          this.run()
        }, flushIntervalMs)
      }
    } finally {
      this.pumping = false
    }
  }

  /** No more requests (the run stopped); timers are cleared. */
  stop(): void {
    this.stopped = true
    this.clearTimers()
  }

  clearTimers(): void {
    if (this.partialTimer !== undefined) this.clock.clearTimeout(this.partialTimer)
    if (this.epsTimer !== undefined) this.clock.clearTimeout(this.epsTimer)
    this.partialTimer = this.epsTimer = undefined
  }

  /** Abort the requests in flight (their records come back as cancelled). */
  cancelInFlight(): void {
    for (const ac of this.controllers) ac.abort()
  }

  limit(endpoint: AmplitudeEndpoint): EndpointLimit {
    let l = this.limitFor.get(endpoint)
    if (!l) this.limitFor.set(endpoint, (l = effectiveLimit(endpoint, this.o.batchSize, this.o.limits)))
    return l
  }

  /**
   * The next request, or none. The group: the oldest ready key's once it waited
   * flushIntervalMs (no starvation), else one that can fill a request, else (when forced) the
   * oldest ready key's.
   */
  private buildBatch(force: boolean, now: number): Batch<E, H> | undefined {
    const oldest = this.source.oldestReady(now)
    if (!oldest) return undefined
    let group: string | undefined
    if (now - oldest.readySince >= this.o.flushIntervalMs) group = oldest.group
    else {
      for (const [g, t] of this.source.readyGroups()) {
        const l = this.limit(t.endpoint)
        if (t.n >= l.maxItems || t.bytes >= l.maxBytes) {
          group = g
          break
        }
      }
    }
    if (group === undefined) {
      if (!force) return undefined
      group = oldest.group
      if (group === undefined) return undefined
    }

    let endpoint: AmplitudeEndpoint | undefined
    let options: Record<string, unknown> | undefined
    let l: EndpointLimit | undefined
    let sep = 0
    let cap = Infinity
    let bytes = 0
    const entries: E[] = []
    const held = this.source.take(group, now, (e) => {
      if (!l) {
        endpoint = e.endpoint
        options = e.options
        l = this.limit(endpoint)
        sep = separatorBytes(endpoint)
        cap = l.maxItems
        bytes = emptyBodyBytes(endpoint, this.o.apiKey, options)
      }
      const newCap = e.cap < cap ? e.cap : cap
      const add = (entries.length > 0 ? sep : 0) + e.bytes
      if (entries.length > 0 && (entries.length + 1 > newCap || bytes + add > l.maxBytes)) {
        return entries.length >= cap || bytes + add > l.maxBytes ? STOP : SKIP_KEY
      }
      entries.push(e)
      cap = newCap
      bytes += add
      return entries.length >= cap ? TAKE_LAST : TAKE
    })
    if (entries.length === 0 || !endpoint) return undefined
    return { endpoint, options, entries, bytes, held }
  }

  private send(batch: Batch<E, H>): void {
    this.inFlightCount++
    this.requestCount++
    const parts = new Array<string>(batch.entries.length)
    for (let i = 0; i < batch.entries.length; i++) {
      const e = batch.entries[i]!
      e.sends++
      parts[i] = e.json
    }
    const req: HttpRequest = {
      method: 'POST',
      url: this.url(batch.endpoint),
      headers: this.headers(batch.endpoint),
      body: buildBody(batch.endpoint, this.o.apiKey, parts, batch.options),
    }
    this.bytes += batch.bytes
    const ac = new AbortController()
    this.controllers.add(ac)
    this.o
      .transport(req, {
        timeoutMs: this.o.requestTimeoutMs,
        signal: ac.signal,
        // Sent again on another connection by the transport: counted, as every request on the wire is.
        onResend: () => {
          this.requestCount++
          this.bytes += batch.bytes
        },
      })
      .then(
        (res): HttpOutcome => (res.location === undefined && res.tooLarge === undefined ? { status: res.status, body: res.body } : res),
        (err: unknown): HttpOutcome => ({ status: null, error: transportErrorInfo(err) }),
      )
      .then((outcome) => {
        this.controllers.delete(ac)
        this.hooks.onOutcome(batch, outcome, ac.signal.aborted)
      })
      .catch((err: unknown) => this.hooks.onError(err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        this.inFlightCount--
        this.hooks.onSlotFree()
      })
  }

  private url(endpoint: AmplitudeEndpoint): string {
    let u = this.urlFor.get(endpoint)
    if (u === undefined) this.urlFor.set(endpoint, (u = endpointUrl(endpoint, this.o.region, this.o.endpointUrl)))
    return u
  }

  private headers(endpoint: AmplitudeEndpoint): Record<string, string> {
    let h = this.headersFor.get(endpoint)
    if (!h) this.headersFor.set(endpoint, (h = buildHeaders(endpoint, this.o.userAgent)))
    return h
  }
}
