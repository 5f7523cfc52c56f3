/**
 * Delivery engine: sends `AmplitudeRecord`s to Amplitude with batching, bounded concurrency,
 * an overall events/s cap, per-key ordering and the retry policy of docs/amplitude-api.md §10.
 * It composes the key scheduler (scheduler.ts), the retry policy (retry.ts), the request pump
 * (pump.ts) and the transport (transport.ts), and owns what joins them: the callbacks, the
 * counts, backpressure on `push`, `flush`/`abort`, and stopping the run.
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
 * Retry policy and failure budgets (each bounded; the README lists them; retry.ts has the rules)
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
 * - An answer larger than the transport reads (MAX_ANSWER_BYTES, 8 MiB) is not Amplitude's: a 2xx
 *   is FatalDeliveryError as above, any other status a failed attempt (backoff).
 * - 429: throttled records wait (see above), the others are resent at once; after
 *   `maxThrottleRetries` pauses a record is dead-lettered `throttled`. Records whose user/device
 *   is over the daily quota are parked `quotaPauseMs` up to `quotaRetries` times (default 0),
 *   then dead-lettered `exceeded_daily_quota` (re-run later; insert_id dedups).
 * - Invalid API key, missing api_key, 401, 403 (WAF), 404/invalid path, a proxy's 407, a redirect (3xx) and
 *   a TLS certificate not trusted → FatalDeliveryError (exit 1).
 */
import type { AmplitudeEndpoint, AmplitudeRecord, Region, SourceRef } from '../../types.js'
import { exitCodes, SegampError } from '../../errors.js'
import { systemClock, type Clock } from './clock.js'
import { registerSecret, registerUrlCredentials } from '../../secrets.js'
import { classifyResponse, type Classification, type HttpOutcome } from './classify.js'
import { RequestPump, type Batch, type PumpOptions } from './pump.js'
import { displayUrl, endpointUrl, normalizeBatchSize, serializeRecord, type EndpointLimit, type SerializedRecord } from './requests.js'
import { applyClassification, retryPolicy, StopRules, type Attempts, type RetryPolicy, type Settled } from './retry.js'
import { KeyScheduler, type KeyState, type Queued, type Returned } from './scheduler.js'
import { createHttpTransport, type Transport } from './transport.js'

export { backoffDelay, REFUSED_AFTER_MS } from './retry.js'

/** One request's deadline, its whole answer included (`requestTimeoutMs`; `replay --request-timeout`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** A run stops when no HTTP answer came for this long while records wait (`unreachableAfterMs`). */
export const DEFAULT_UNREACHABLE_AFTER_MS = 120_000
/** A run stops when Amplitude accepted nothing for this long while records wait (`stalledAfterMs`). */
export const DEFAULT_STALLED_AFTER_MS = 600_000

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
  /** Per-request deadline, its whole answer included (default 30 s); past it the request is a failed attempt (`timeout`). */
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
  /** Replaces the node:http transport (tests). */
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
  /**
   * Queue an item; resolves when there is room for more (backpressure). `ROOM` itself when there
   * is room already: a caller that compares can go on without waiting a turn of the microtask queue.
   */
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

/**
 * The run must stop. With an HTTP status (a refused key, a wrong path, an answer that is not
 * Amplitude's), retrying the same command fails the same way: exit 1. Without one (the endpoint
 * unreachable or failing past the retry budget, nothing accepted for the throttle budget), the
 * same command later may succeed and resumes: exit 75 (TEMPFAIL).
 */
export class FatalDeliveryError extends SegampError {
  readonly status: number | null
  /** What to check before resuming (the Hint), given where the stop was decided: the answer's classification or a budget. */
  readonly check?: string
  /** `permanent`: no HTTP answer, but waiting will not cure it (a TLS certificate not trusted): exit 1, not 75. */
  constructor(message: string, status: number | null = null, permanent = status !== null, check?: string) {
    super(message, {
      code: permanent ? 'delivery' : 'endpoint-unavailable',
      exitCode: permanent ? exitCodes.ABORTED : exitCodes.TEMPFAIL,
      hint: 'Once that is fixed, run the same command again: the replay resumes from its checkpoint.',
    })
    this.name = 'FatalDeliveryError'
    this.status = status
    if (check) this.check = check
  }
}

export class DeliveryAbortedError extends Error {
  constructor() {
    super('delivery aborted')
    this.name = 'DeliveryAbortedError'
  }
}

/** One pushed item while it is delivered: what the scheduler, the pump and the retry policy read of it. */
class Entry implements Queued, Attempts {
  readonly key: string
  readonly seq: number
  readonly group: string
  readonly endpoint: AmplitudeEndpoint
  readonly options: Record<string, unknown> | undefined
  readonly json: string
  readonly bytes: number
  sends = 0
  failures = 0
  firstFailureAt = 0
  throttles = 0
  quotas = 0
  cap = Infinity

  constructor(
    readonly item: DeliveryItem,
    ser: SerializedRecord,
  ) {
    this.key = item.key
    this.seq = item.seq
    this.group = ser.group
    this.endpoint = ser.endpoint
    this.options = ser.options
    this.json = ser.json
    this.bytes = ser.bytes
  }

  // Read only while an id is throttled, or to classify a 429/400: a record planned as JSON alone
  // (every run's, see PlannedRecordView) is parsed only then.
  get userId(): unknown {
    return this.item.record.record.user_id
  }

  get deviceId(): unknown {
    return this.item.record.record.device_id
  }

  /** The ids a response's classification may read (RecordIds), read only if it does. */
  get user_id(): unknown {
    return this.userId
  }

  get device_id(): unknown {
    return this.deviceId
  }
}

type Held = KeyState<Entry>[]
type Waiter = { resolve: () => void; reject: (e: Error) => void }

/** What `push` returns when there is room for more at once (a resolved promise). */
export const ROOM: Promise<void> = Promise.resolve()

function cancelledClassification(n: number): Classification {
  return {
    code: null,
    reason: 'cancelled',
    fates: Array.from({ length: n }, () => ({ t: 'backoff' as const })),
    throttledUsers: [],
    throttledDevices: [],
    quotaUsers: [],
    quotaDevices: [],
  }
}

type Counters = { pushed: number; acked: number; deadLettered: number; outstanding: number; retries: number; throttles: number; ingestedMismatches: number }

/** Callers waiting on delivery: for room in the buffer (push), for every record settled (flush), for no request in flight (idle). */
class Waiters {
  push: Waiter[] = []
  flush: Waiter[] = []
  idle: Array<() => void> = []
  /** Rejects every push, then every flush waiter. */
  rejectAll(err: Error): void {
    for (const w of this.push) w.reject(err)
    this.push = []
    for (const w of this.flush) w.reject(err)
    this.flush = []
  }
  resolveFlush(): void {
    const ws = this.flush
    this.flush = []
    for (const w of ws) w.resolve()
  }
  resolveIdle(): void {
    const ws = this.idle
    this.idle = []
    for (const w of ws) w()
  }
}

/** What the request pump takes of delivery's options. */
function pumpOptions(opts: DeliveryOptions, o: { batchSize: number; concurrency: number; transport: Transport; clock: Clock }): PumpOptions {
  return {
    apiKey: opts.apiKey,
    region: opts.region,
    endpointUrl: opts.endpointUrl,
    userAgent: opts.userAgent,
    batchSize: o.batchSize,
    limits: opts.limits,
    concurrency: o.concurrency,
    maxEps: opts.maxEps,
    flushIntervalMs: opts.flushIntervalMs ?? 250,
    requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    transport: o.transport,
    clock: o.clock,
  }
}

/** An entry the retry policy keeps goes back to its key, which waits the longest delay of its entries. */
function keepFor(returned: Map<string, Returned<Entry>>, e: Entry, delay: number): void {
  const b = returned.get(e.key)
  if (!b) returned.set(e.key, { entries: [e], delay })
  else {
    b.entries.push(e)
    if (delay > b.delay) b.delay = delay
  }
}

interface SettleContext {
  st: Counters
  cb: DeliveryCallbacks
  safe: (f: () => void) => void
  scheduler: KeyScheduler<Entry>
  policy: RetryPolicy
  stopping: () => boolean
  checkBudgets: (now: number) => void
}

/** A request ended and the retry policy decided: count it, tell the callbacks, pause what must wait. */
function reportSettled(x: SettleContext, batch: Batch<Entry, Held>, c: Classification, r: Settled, acked: DeliveryItem[], now: number): void {
  const { st, cb, safe, scheduler, policy, stopping, checkBudgets } = x
  const entries = batch.entries
  if (acked.length > 0) {
    st.acked += acked.length
    st.outstanding -= acked.length
    if (c.ingested !== undefined && c.ingested !== acked.length) {
      st.ingestedMismatches++
      safe(() => cb.onIngestedMismatch?.({ sent: acked.length, ingested: c.ingested!, endpoint: batch.endpoint }))
    }
    safe(() => cb.onAck(acked, c.code ?? 200))
  }
  if (r.retried > 0 && !stopping()) {
    st.retries += r.retried
    let attempt = 0
    for (const e of entries) if (e.sends > attempt) attempt = e.sends
    safe(() => cb.onRetry?.({ status: c.code, reason: c.reason, attempt, delayMs: r.maxDelayMs, events: r.retried }))
  }
  if (c.throttledUsers.length + c.throttledDevices.length > 0) scheduler.throttleIds(c.throttledUsers, c.throttledDevices, now + r.pauseMs)
  if (r.throttledKeys.size > 0) {
    st.throttles++
    // The whole endpoint waits: ready keys whose next record goes there are parked.
    if (c.projectThrottle) scheduler.pauseEndpoint(batch.endpoint, now + r.pauseMs, false)
    safe(() => cb.onThrottle?.({ keys: [...r.throttledKeys], pauseMs: r.pauseMs, project: c.projectThrottle === true }))
  }
  // A transient failure backs off the whole endpoint, so retries leave together in full requests.
  if (r.backoffUntil > now && !stopping()) scheduler.pauseEndpoint(batch.endpoint, r.backoffUntil, true)
  checkBudgets(now)
  if (r.quotaEvents > 0) {
    safe(() => cb.onQuotaExceeded?.({ users: c.quotaUsers, devices: c.quotaDevices, events: r.quotaEvents, parkedMs: policy.quotaRetries > 0 ? policy.quotaPauseMs : null }))
  }
}

interface SettleDeps extends Omit<SettleContext, 'stopping'> {
  opts: DeliveryOptions
  clock: Clock
  rules: StopRules
  resolveDead: (e: Entry, status: number | null, reason: string) => void
  setFatal: (err: Error) => void
  endpointWhere: (e: AmplitudeEndpoint) => () => string
  /** The run stopped (fatal or aborted). */
  isStopped: () => boolean
}

/** A request ended: classify its answer, apply the retry policy, report, hand unfinished records back to their keys. */
function settleBatch(d: SettleDeps, batch: Batch<Entry, Held>, outcome: HttpOutcome, cancelled: boolean): void {
  const { opts, clock, rules, policy, scheduler, resolveDead, setFatal, endpointWhere, isStopped } = d
  const entries = batch.entries
  const c: Classification = cancelled ? cancelledClassification(entries.length) : classifyResponse(batch.endpoint, entries, outcome, opts.apiKey, endpointWhere(batch.endpoint))
  const now = clock.now()
  const stopping = (): boolean => isStopped() || cancelled
  if (!cancelled) rules.answered(c, now)

  const acked: DeliveryItem[] = []
  let returned: Map<string, Returned<Entry>> | undefined
  const r = applyClassification(policy, c, batch.endpoint, entries, now, rules.lastAcceptedAt, endpointWhere(batch.endpoint), {
    ack: (e) => acked.push(e.item),
    dead: (e, reason) => resolveDead(e, c.code, reason),
    keep: (e, delay) => keepFor((returned ??= new Map()), e, delay),
    fatal: (message, status, permanent, hint) => setFatal(new FatalDeliveryError(message, status, permanent, hint)),
    stopping,
  })

  reportSettled({ ...d, stopping }, batch, c, r, acked, now)
  // Unfinished entries go back to the head of their key queues; the keys are free.
  scheduler.release(batch.held, returned, now)
}

function deliveryStats(st: Counters, pump: RequestPump<Entry, Held>, scheduler: KeyScheduler<Entry>): DeliveryStats {
  return {
    pushed: st.pushed,
    acked: st.acked,
    deadLettered: st.deadLettered,
    outstanding: st.outstanding,
    inFlightRequests: pump.inFlightRequests,
    parked: scheduler.parked,
    requests: pump.requests,
    retries: st.retries,
    throttles: st.throttles,
    bytesSent: pump.bytesSent,
    ingestedMismatches: st.ingestedMismatches,
  }
}

/** Runs a caller's callback; one that throws stops the run (`stop`) instead of crashing the process. */
function guarded(f: () => void, stop: (err: Error) => void): void {
  try {
    f()
  } catch (err) {
    stop(err instanceof Error ? err : new Error(String(err)))
  }
}

export function createDelivery(opts: DeliveryOptions, cb: DeliveryCallbacks): Delivery {
  // What a server may echo back (the key, a proxy's user:password) is redacted wherever shown.
  registerSecret(opts.apiKey)
  registerUrlCredentials(opts.endpointUrl)
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4))
  const batchSize = normalizeBatchSize(opts.batchSize)
  const policy = retryPolicy(opts)
  const maxBuffered = Math.max(1, opts.maxBuffered ?? Math.max(4 * batchSize * concurrency, 1000))
  const clock = systemClock
  const ownTransport = opts.transport ? undefined : createHttpTransport(concurrency)
  const transport: Transport = opts.transport ?? ownTransport!.send
  const rules = new StopRules(
    { unreachableAfterMs: opts.unreachableAfterMs ?? DEFAULT_UNREACHABLE_AFTER_MS, stalledAfterMs: opts.stalledAfterMs ?? DEFAULT_STALLED_AFTER_MS },
    clock.now(),
  )
  const endpointWhere = (e: AmplitudeEndpoint) => (): string => displayUrl(endpointUrl(e, opts.region, opts.endpointUrl))
  const origin = (): string => new URL(displayUrl(endpointUrl('httpapi', opts.region, opts.endpointUrl))).origin

  const st: Counters = { pushed: 0, acked: 0, deadLettered: 0, outstanding: 0, retries: 0, throttles: 0, ingestedMismatches: 0 }
  let fatal: Error | undefined
  let aborted = false
  const waiting = new Waiters()

  const scheduler = new KeyScheduler<Entry>(clock, (now) => {
    checkBudgets(now)
    releasePushers()
    pump.run()
  })
  const pump: RequestPump<Entry, Held> = new RequestPump<Entry, Held>(pumpOptions(opts, { batchSize, concurrency, transport, clock }), scheduler, {
    mustFlush: () => waiting.flush.length > 0 || !hasRoom(),
    onOutcome: settle,
    onError: (err) => setFatal(err),
    onSlotFree: () => {
      releasePushers()
      pump.run()
      checkIdle()
    },
  })

  // ---- callbacks (a throwing callback stops the run instead of crashing the process) ----
  const safe = (f: () => void): void => guarded(f, setFatal)
  const resolveDead = (e: Entry, status: number | null, reason: string): void => {
    st.deadLettered++
    st.outstanding--
    safe(() => cb.onDeadLetter(e.item, { status, reason, attempts: e.sends }))
  }

  // ---- backpressure, flush and stop ----
  const hasRoom = (): boolean => st.outstanding - scheduler.parked < maxBuffered && st.outstanding < maxBuffered * 4
  function releasePushers(): void {
    if (fatal || aborted) return
    while (waiting.push.length > 0 && hasRoom()) waiting.push.shift()!.resolve()
  }
  function checkIdle(): void {
    if (st.outstanding === 0 && waiting.flush.length > 0 && !fatal) waiting.resolveFlush()
    if (pump.inFlightRequests === 0 && waiting.idle.length > 0) waiting.resolveIdle()
  }
  /** Stop: no new requests; waiting push/flush calls reject once in-flight requests finished. */
  function setFatal(err: Error): void {
    if (fatal) return
    fatal = err
    stopParts()
    const rejectAll = (): void => waiting.rejectAll(err)
    if (pump.inFlightRequests === 0) rejectAll()
    else waiting.idle.push(rejectAll)
  }
  function stopParts(): void {
    scheduler.stop()
    pump.stop()
  }
  /** The run's failure budgets (retry.ts): no answer, or nothing accepted, for too long while records wait. */
  function checkBudgets(now: number): void {
    if (fatal || aborted || st.outstanding === 0) return
    const stop = rules.check(now, origin)
    if (stop) setFatal(new FatalDeliveryError(stop.message, null, false, stop.hint))
  }

  // ---- a request ended: classify, apply the retry policy, report, hand records back ----
  function settle(batch: Batch<Entry, Held>, outcome: HttpOutcome, cancelled: boolean): void {
    const isStopped = (): boolean => fatal !== undefined || aborted
    settleBatch({ st, cb, safe, scheduler, policy, checkBudgets, opts, clock, rules, resolveDead, setFatal, endpointWhere, isStopped }, batch, outcome, cancelled)
  }

  return {
    push(item: DeliveryItem): Promise<void> {
      if (fatal) return Promise.reject(fatal)
      if (aborted) return Promise.reject(new DeliveryAbortedError())
      // A record serialized already (by a worker, with these options) is used as it is.
      const e = new Entry(item, item.ser ?? serializeRecord(item.record, opts.useBatchEndpoint, opts))
      if (st.outstanding === 0) rules.workArrived(clock.now())
      scheduler.push(e)
      st.pushed++
      st.outstanding++
      pump.run()
      if (hasRoom()) return ROOM
      return new Promise((resolve, reject) => waiting.push.push({ resolve, reject }))
    },
    flush(): Promise<void> {
      if (fatal) {
        const err = fatal
        if (pump.inFlightRequests === 0) return Promise.reject(err)
        return new Promise<void>((_, reject) => waiting.idle.push(() => reject(err)))
      }
      if (aborted) return Promise.reject(new DeliveryAbortedError())
      if (st.outstanding === 0) return Promise.resolve()
      const p = new Promise<void>((resolve, reject) => waiting.flush.push({ resolve, reject }))
      pump.run()
      return p
    },
    async abort(o?: { cancelInFlight?: boolean }): Promise<void> {
      if (!aborted) {
        aborted = true
        stopParts()
        waiting.rejectAll(new DeliveryAbortedError())
      }
      if (o?.cancelInFlight) pump.cancelInFlight()
      if (pump.inFlightRequests > 0) await new Promise<void>((r) => waiting.idle.push(r))
    },
    close(): void {
      scheduler.clearTimer()
      pump.clearTimers()
      ownTransport?.close()
    },
    stats: (): DeliveryStats => deliveryStats(st, pump, scheduler),
    pendingItems(): DeliveryItem[] {
      return scheduler
        .queued()
        .map((e) => e.item)
        .sort((a, b) => a.seq - b.seq)
    },
  }
}
