/**
 * Retry policy (pure): what becomes of each record of a request once its answer is classified
 * (classify.ts), and when the run as a whole must stop (docs/amplitude-api.md §10).
 *
 * Per record (`nextStep`), from its fate and its own counters:
 * - `ack` / `dead`: resolved.
 * - `backoff` (5xx, 408, timeouts, connection errors): retried after an exponential backoff with
 *   jitter. After `maxAttempts` failures it is dead-lettered `retries_exhausted:<reason>` only if
 *   Amplitude accepted something since its first failure; otherwise the endpoint is at fault, not
 *   the record, and the run stops (resume later).
 * - `resend` (another record was at fault): resent at once, no attempt counted.
 * - `split` (413): resent at once in requests of at most half the size.
 * - `throttle` (429): waits the throttle pause; after `maxThrottleRetries` pauses, `throttled`.
 * - `quota` (daily quota): parked `quotaPauseMs` up to `quotaRetries` times, then
 *   `exceeded_daily_quota`.
 * Per run (`StopRules`): no HTTP answer at all for `unreachableAfterMs`, or nothing accepted for
 * `stalledAfterMs`, while records wait: stop.
 *
 * It never sends, never schedules (it says how long a record waits, the scheduler holds it) and
 * never reads the clock: `now` is always given.
 */
import type { AmplitudeEndpoint } from '../../types.js'
import { REFUSING_HINT, UNREACHABLE_HINT, type Classification, type Fate } from './classify.js'

/** Backoff delay before the n-th retry (n ≥ 1), with jitter in [0.5, 1). Pure. */
export function backoffDelay(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, n - 1)))
  return Math.round(raw * (0.5 + 0.5 * random()))
}

export interface RetryOptions {
  /** Sends per record for transient failures (default 10). */
  maxAttempts?: number
  /** Backoff base (default 500 ms); delay = min(maxDelayMs, base·2^(n-1)) · U[0.5, 1). */
  baseDelayMs?: number
  /** Backoff cap (default 30 s). */
  maxDelayMs?: number
  /** Pause of a throttled key (default httpapi 30 s; batch, identify, groupidentify, usermap 15 s). */
  throttlePauseMs?: { httpapi: number; batch: number }
  /** Pause of an endpoint on a 429 without per-id detail (default 60 s). */
  projectPauseMs?: number
  /** 429 pauses per record before it is dead-lettered `throttled` (default 40). */
  maxThrottleRetries?: number
  /** Times a daily-quota record is parked before dead-lettering `exceeded_daily_quota` (default 0). */
  quotaRetries?: number
  /** Parking time for daily-quota records (default 1 h). */
  quotaPauseMs?: number
  /** Random source for jitter. */
  random?: () => number
}

export type RetryPolicy = Required<RetryOptions>

export function retryPolicy(o: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(o.maxAttempts ?? 10)),
    baseDelayMs: o.baseDelayMs ?? 500,
    maxDelayMs: o.maxDelayMs ?? 30_000,
    throttlePauseMs: { httpapi: o.throttlePauseMs?.httpapi ?? 30_000, batch: o.throttlePauseMs?.batch ?? 15_000 },
    projectPauseMs: o.projectPauseMs ?? 60_000,
    maxThrottleRetries: Math.max(0, o.maxThrottleRetries ?? 40),
    quotaRetries: Math.max(0, o.quotaRetries ?? 0),
    quotaPauseMs: o.quotaPauseMs ?? 3_600_000,
    random: o.random ?? Math.random,
  }
}

/** How long a throttled record (or, for a 429 naming no id, the endpoint) waits. */
export function throttlePause(p: RetryPolicy, endpoint: AmplitudeEndpoint, projectThrottle: boolean | undefined): number {
  if (projectThrottle) return p.projectPauseMs
  return endpoint === 'httpapi' ? p.throttlePauseMs.httpapi : p.throttlePauseMs.batch
}

/** A record's history, which the policy reads and (in `nextStep`) advances. */
export interface Attempts {
  /** Requests it was sent in. */
  sends: number
  /** Transient failures (`backoff` fates). */
  failures: number
  /** When its first transient failure happened (0: none yet). */
  firstFailureAt: number
  throttles: number
  quotas: number
  /** Most records a request holding it may carry (halved on 413). */
  cap: number
}

/**
 * What to do with one record:
 * - `ack`, `dead`: resolve it;
 * - `retry`: put it back, to be sent again after `delayMs` (`backoff`: a transient failure, the
 *   whole endpoint backs off with it; `throttled`: its key was throttled);
 * - `stop`: the run must stop with `message` (and `hint`: what to check); the record stays unresolved.
 */
export type Step = { t: 'ack' } | { t: 'dead'; reason: string } | { t: 'retry'; delayMs: number; backoff?: boolean; throttled?: boolean } | ({ t: 'stop' } & RunStop)

/** Why a run stops, as decided where it is decided: the message, and what to check before resuming. */
export interface RunStop {
  message: string
  hint: string
}

export interface StepContext {
  /** Number of records in the request. */
  n: number
  /** The classification's reason (last failure), its `unreachable` flag and the pause for throttles. */
  reason: string
  unreachable?: boolean
  pauseMs: number
  now: number
  /** Last time Amplitude accepted anything, this answer included. */
  lastAcceptedAt: number
  /** Where the endpoint is, for the stop message. */
  where: () => string
}

const ACK: Step = { t: 'ack' }
const RESEND: Step = { t: 'retry', delayMs: 0 }

/** The next step of a record given its fate in this answer; advances its counters. */
export function nextStep(p: RetryPolicy, f: Fate, a: Attempts, ctx: StepContext): Step {
  switch (f.t) {
    case 'ack':
      return ACK
    case 'dead':
      return { t: 'dead', reason: f.reason }
    case 'resend':
      return RESEND
    case 'split':
      a.cap = Math.max(1, Math.min(a.cap, Math.floor(ctx.n / 2)))
      return RESEND
    case 'backoff': {
      a.failures++
      if (a.firstFailureAt === 0) a.firstFailureAt = ctx.now
      if (a.failures >= p.maxAttempts) {
        if (ctx.lastAcceptedAt > a.firstFailureAt) return { t: 'dead', reason: `retries_exhausted:${ctx.reason}` }
        // Nothing was accepted since this record first failed: the endpoint is down, not the record.
        const what = ctx.unreachable ? 'unreachable' : 'failing every request'
        const hint = ctx.unreachable ? UNREACHABLE_HINT : REFUSING_HINT
        return { t: 'stop', message: `Amplitude endpoint ${what} (${ctx.reason}) after ${a.sends} attempts: ${ctx.where()}`, hint }
      }
      return { t: 'retry', delayMs: backoffDelay(a.failures, p.baseDelayMs, p.maxDelayMs, p.random), backoff: true }
    }
    case 'throttle':
      a.throttles++
      if (a.throttles > p.maxThrottleRetries) return { t: 'dead', reason: 'throttled' }
      return { t: 'retry', delayMs: ctx.pauseMs, throttled: true }
    case 'quota':
      a.quotas++
      if (a.quotas > p.quotaRetries) return { t: 'dead', reason: 'exceeded_daily_quota' }
      return { t: 'retry', delayMs: p.quotaPauseMs }
  }
}

/** Where each record of a request goes; the engine turns these into callbacks and queue moves. */
export interface Outcome<E> {
  /** Resolve as acknowledged (in request order). */
  ack(e: E): void
  /** Resolve as dead-lettered. */
  dead(e: E, reason: string): void
  /** Back to its key's queue; the key waits `delayMs` (0: resend at once; also unresolved records of a stopped run). */
  keep(e: E, delayMs: number): void
  /** Stop the run (FatalDeliveryError); `permanent`: a setting to fix even without an HTTP answer (exit 1). */
  fatal(message: string, status: number | null, permanent?: boolean, hint?: string): void
  /** The run is stopping (fatal, aborted, or this request was cancelled): only acks and dead letters still count. */
  stopping(): boolean
}

export interface Settled {
  /** Records put back to be sent again (counted as retries). */
  retried: number
  /** Longest wait among them. */
  maxDelayMs: number
  /** The endpoint backs off until then (0: no transient failure). */
  backoffUntil: number
  /** Ordering keys of records that wait for a throttle. */
  throttledKeys: Set<string>
  /** Records over the daily quota (parked or dead-lettered). */
  quotaEvents: number
  /** The throttle pause that applied. */
  pauseMs: number
}

/**
 * Apply a classified answer to the records of its request (in body order): each record is
 * acknowledged, dead-lettered or kept through `out`, and the request's retry summary returned.
 * A fatal classification stops the run and keeps every record; once the run is stopping, records
 * that are not acknowledged or dead are kept without counting an attempt.
 */
export function applyClassification<E extends Attempts & { readonly key: string }>(
  p: RetryPolicy,
  c: Classification,
  endpoint: AmplitudeEndpoint,
  entries: readonly E[],
  now: number,
  lastAcceptedAt: number,
  where: () => string,
  out: Outcome<E>,
): Settled {
  const pauseMs = throttlePause(p, endpoint, c.projectThrottle)
  const res: Settled = { retried: 0, maxDelayMs: 0, backoffUntil: 0, throttledKeys: new Set(), quotaEvents: 0, pauseMs }
  if (c.fatal) out.fatal(c.fatal, c.code, c.permanent, c.hint)
  const ctx: StepContext = { n: entries.length, reason: c.reason, unreachable: c.unreachable, pauseMs, now, lastAcceptedAt, where }
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    const f = c.fates[i]!
    if (c.fatal || (f.t !== 'ack' && f.t !== 'dead' && out.stopping())) {
      out.keep(e, 0) // stays unresolved
      continue
    }
    if (f.t === 'quota') res.quotaEvents++
    const s = nextStep(p, f, e, ctx)
    switch (s.t) {
      case 'ack':
        out.ack(e)
        break
      case 'dead':
        out.dead(e, s.reason)
        break
      case 'stop':
        out.fatal(s.message, null, false, s.hint)
        out.keep(e, 0)
        break
      case 'retry':
        out.keep(e, s.delayMs)
        res.retried++
        if (s.backoff) res.backoffUntil = Math.max(res.backoffUntil, now + s.delayMs)
        if (s.throttled) res.throttledKeys.add(e.key)
        // Resends (delay 0) leave maxDelayMs as it is.
        res.maxDelayMs = Math.max(res.maxDelayMs, s.delayMs)
        break
    }
  }
  return res
}

/**
 * Connections refused at once by an endpoint that has not answered once in this run: nothing
 * listens there (a wrong --endpoint-url port, a sandbox not started), or its host name does not
 * resolve (a mistyped host), so the run stops after this long instead of the 2-minute budget meant
 * for an endpoint that is down for a while.
 */
export const REFUSED_AFTER_MS = 10_000

/** Transport errors that say nothing is there to answer: the connection refused, the host unknown. */
const NOTHING_THERE: Record<string, string> = {
  ECONNREFUSED: 'was refused (ECONNREFUSED)',
  ENOTFOUND: 'failed: its host name does not resolve (ENOTFOUND)',
  EAI_AGAIN: 'failed: its host name could not be resolved (EAI_AGAIN)',
}

/** The run's failure budgets: no answer at all, or nothing accepted, for too long while records wait. */
export class StopRules {
  /** Last time Amplitude acknowledged something / answered at all (reset when work arrives). */
  lastAcceptedAt: number
  lastAnswerAt: number
  lastFailure = ''
  /** Whether the endpoint gave any HTTP answer in this run. */
  private everAnswered = false
  /** Since when every attempt was refused or its host unknown (NOTHING_THERE), while it never answered; undefined otherwise. */
  private refusedSince: number | undefined
  private refusedHow = ''

  constructor(
    private readonly o: { unreachableAfterMs: number; stalledAfterMs: number },
    now: number,
  ) {
    this.lastAcceptedAt = this.lastAnswerAt = now
  }

  /** Records arrived while none were outstanding: the clocks start now. */
  workArrived(now: number): void {
    this.lastAcceptedAt = this.lastAnswerAt = now
  }

  /** An answer (or a transport error) came for a request. */
  answered(c: Classification, now: number): void {
    if (c.code !== null) {
      this.lastAnswerAt = now
      this.everAnswered = true
    }
    if (!this.everAnswered && c.code === null && NOTHING_THERE[c.reason] !== undefined) {
      this.refusedSince ??= now
      this.refusedHow = NOTHING_THERE[c.reason]
    } else this.refusedSince = undefined
    if (c.fates.some((f) => f.t === 'ack')) this.lastAcceptedAt = now
    else this.lastFailure = c.reason
  }

  /** Why to stop now, if a budget is spent (`where`: the endpoint's origin). */
  check(now: number, where: () => string): RunStop | undefined {
    const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
    if (this.refusedSince !== undefined && now - this.refusedSince >= REFUSED_AFTER_MS) {
      const message = `the endpoint is unreachable: every connection to ${where()} ${this.refusedHow} for ${secs(now - this.refusedSince)}, and it has not answered once in this run; stopping`
      return { message, hint: UNREACHABLE_HINT }
    }
    if (now - this.lastAnswerAt >= this.o.unreachableAfterMs) {
      const message = `Amplitude has not answered for ${secs(now - this.lastAnswerAt)} (last: ${this.lastFailure || 'no answer'}) at ${where()}; stopping`
      return { message, hint: UNREACHABLE_HINT }
    }
    if (now - this.lastAcceptedAt >= this.o.stalledAfterMs) {
      const message = `Amplitude has accepted nothing for ${secs(now - this.lastAcceptedAt)} (last answer: ${this.lastFailure || 'none'}) at ${where()}; stopping`
      return { message, hint: REFUSING_HINT }
    }
    return undefined
  }
}
