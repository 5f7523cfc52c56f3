/**
 * The retry policy alone: hand-written classifications in, decisions out. No scheduler, no
 * pump, no HTTP, no clock (time is a number passed in).
 */
import { strict as assert } from 'node:assert'
import type { Classification, Fate } from '../../../src/pipeline/deliver/classify.js'
import {
  applyClassification,
  backoffDelay,
  nextStep,
  retryPolicy,
  StopRules,
  type Attempts,
  type Outcome,
  type RetryOptions,
  type Settled,
} from '../../../src/pipeline/deliver/retry.js'
import type { AmplitudeEndpoint } from '../../../src/types.js'

interface Rec extends Attempts {
  key: string
  name: string
}

const URL_SHOWN = 'http://127.0.0.1:9/2/httpapi'
const NOW = 5_000_000

function recs(n: number, keys = n): Rec[] {
  return Array.from({ length: n }, (_, i) => ({ name: `r${i}`, key: `dev-${i % keys}`, sends: 1, failures: 0, firstFailureAt: 0, throttles: 0, quotas: 0, cap: Infinity }))
}

function cls(fates: Fate[], o: Partial<Classification> = {}): Classification {
  return { code: 200, reason: 'ok', fates, throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [], ...o }
}

interface Log {
  acked: string[]
  dead: Array<[string, string]>
  kept: Array<[string, number]>
  fatal: Array<[string, number | null]>
  r: Settled
}

function apply(
  c: Classification,
  rs: Rec[],
  o: { policy?: RetryOptions; endpoint?: AmplitudeEndpoint; now?: number; lastAcceptedAt?: number; stopping?: () => boolean } = {},
): Log {
  const log = { acked: [], dead: [], kept: [], fatal: [] } as unknown as Log
  let stopped = false
  const out: Outcome<Rec> = {
    ack: (e) => log.acked.push(e.name),
    dead: (e, reason) => log.dead.push([e.name, reason]),
    keep: (e, d) => log.kept.push([e.name, d]),
    fatal: (m, s) => {
      stopped = true
      log.fatal.push([m, s])
    },
    stopping: o.stopping ?? (() => stopped),
  }
  const p = retryPolicy({ random: () => 0, ...o.policy })
  log.r = applyClassification(p, c, o.endpoint ?? 'httpapi', rs, o.now ?? NOW, o.lastAcceptedAt ?? 0, () => URL_SHOWN, out)
  return log
}

const all = (n: number, f: Fate): Fate[] => Array.from({ length: n }, () => f)

describe('deliver: retry policy', () => {
  it('backoff: exponential from the base, capped, jitter in [0.5, 1)', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffDelay(n, 500, 30_000, () => 0)),
      [250, 500, 1000, 2000],
    )
    assert.equal(
      backoffDelay(20, 500, 30_000, () => 0.999999),
      30_000,
    )
    assert.equal(
      backoffDelay(1, 500, 30_000, () => 0.5),
      375,
    )
  })

  it('a transient failure keeps every record with a growing backoff, and the endpoint backs off with them', () => {
    const rs = recs(3)
    const c = cls(all(3, { t: 'backoff' }), { code: 503, reason: 'http_503' })
    const first = apply(c, rs, { policy: { baseDelayMs: 100, maxDelayMs: 1000 } })
    assert.deepEqual(first.kept, [
      ['r0', 50],
      ['r1', 50],
      ['r2', 50],
    ])
    assert.deepEqual([first.r.retried, first.r.maxDelayMs, first.r.backoffUntil], [3, 50, NOW + 50])
    assert.deepEqual(first.dead, [])
    assert.ok(rs.every((r) => r.failures === 1 && r.firstFailureAt === NOW))
    const second = apply(c, rs, { policy: { baseDelayMs: 100, maxDelayMs: 1000 }, now: NOW + 60 })
    assert.deepEqual(
      second.kept.map(([, d]) => d),
      [100, 100, 100],
    )
    assert.ok(
      rs.every((r) => r.firstFailureAt === NOW),
      'the first failure time is kept',
    )
  })

  it('retries exhausted: dead-lettered with the last reason only if Amplitude accepted something since the first failure', () => {
    const c = cls(all(2, { t: 'backoff' }), { code: 500, reason: 'http_500: boom' })
    const accepted = recs(2).map((r) => ({ ...r, sends: 3, failures: 2, firstFailureAt: NOW - 1000 }))
    const a = apply(c, accepted, { policy: { maxAttempts: 3 }, lastAcceptedAt: NOW - 10 })
    assert.deepEqual(a.dead, [
      ['r0', 'retries_exhausted:http_500: boom'],
      ['r1', 'retries_exhausted:http_500: boom'],
    ])
    assert.deepEqual([a.kept, a.fatal, a.r.retried], [[], [], 0])

    // Nothing accepted since: the endpoint is at fault, the run stops, the records stay for the resume.
    const down = recs(2).map((r) => ({ ...r, sends: 3, failures: 2, firstFailureAt: NOW - 1000 }))
    const d = apply(c, down, { policy: { maxAttempts: 3 }, lastAcceptedAt: NOW - 2000 })
    assert.deepEqual(d.dead, [])
    assert.deepEqual(d.fatal, [[`Amplitude endpoint failing every request (http_500: boom) after 3 attempts: ${URL_SHOWN}`, null]])
    assert.deepEqual(
      d.kept,
      [
        ['r0', 0],
        ['r1', 0],
      ],
      'once stopping, the second record is kept without counting',
    )
    assert.equal(down[1]!.failures, 2)

    const unreachable = apply(cls([{ t: 'backoff' }], { code: null, reason: 'ECONNREFUSED', unreachable: true }), recs(1), { policy: { maxAttempts: 1 } })
    assert.match(unreachable.fatal[0]![0], /^Amplitude endpoint unreachable \(ECONNREFUSED\) after 1 attempts: /)
  })

  it('429 with ids: throttled records wait the pause (30 s HTTP V2, 15 s batch), the others are resent at once', () => {
    const c = cls([{ t: 'throttle' }, { t: 'resend' }, { t: 'throttle' }], { code: 429, reason: 'throttled', throttledDevices: ['dev-0'] })
    const h = apply(c, recs(3, 2))
    assert.deepEqual(h.kept, [
      ['r0', 30_000],
      ['r1', 0],
      ['r2', 30_000],
    ])
    assert.deepEqual([...h.r.throttledKeys], ['dev-0'])
    assert.deepEqual([h.r.retried, h.r.maxDelayMs, h.r.backoffUntil, h.r.pauseMs], [3, 30_000, 0, 30_000])
    assert.equal(apply(c, recs(3, 2), { endpoint: 'batch' }).r.pauseMs, 15_000)
    // A 429 naming no id pauses the endpoint for projectPauseMs.
    const project = apply(cls([{ t: 'throttle' }], { code: 429, reason: 'throttled', projectThrottle: true }), recs(1), { policy: { projectPauseMs: 777 } })
    assert.deepEqual(project.kept, [['r0', 777]])
  })

  it('a record throttled more than maxThrottleRetries times is dead-lettered throttled', () => {
    const r = recs(1)
    const c = cls([{ t: 'throttle' }], { code: 429, reason: 'throttled' })
    assert.deepEqual(apply(c, r, { policy: { maxThrottleRetries: 2 } }).kept, [['r0', 30_000]])
    assert.deepEqual(apply(c, r, { policy: { maxThrottleRetries: 2 } }).kept, [['r0', 30_000]])
    assert.deepEqual(apply(c, r, { policy: { maxThrottleRetries: 2 } }).dead, [['r0', 'throttled']])
  })

  it('daily quota: dead-lettered exceeded_daily_quota at once by default, or parked quotaPauseMs up to quotaRetries times', () => {
    const c = cls([{ t: 'quota' }, { t: 'resend' }], { code: 429, reason: 'throttled', quotaDevices: ['dev-0'] })
    const now = apply(c, recs(2))
    assert.deepEqual(now.dead, [['r0', 'exceeded_daily_quota']])
    assert.deepEqual(now.kept, [['r1', 0]])
    assert.equal(now.r.quotaEvents, 1)
    const r = recs(2)
    const parked = apply(c, r, { policy: { quotaRetries: 1, quotaPauseMs: 60_000 } })
    assert.deepEqual(parked.kept, [
      ['r0', 60_000],
      ['r1', 0],
    ])
    assert.equal(parked.r.quotaEvents, 1)
    assert.deepEqual(apply(c, r, { policy: { quotaRetries: 1 } }).dead, [['r0', 'exceeded_daily_quota']])
  })

  it('413: every record is resent at once in requests of at most half the size', () => {
    const r = recs(8)
    const split = apply(cls(all(8, { t: 'split' }), { code: 413, reason: 'payload_too_large' }), r)
    assert.equal(split.kept.length, 8)
    assert.ok(r.every((x) => x.cap === 4))
    apply(cls(all(4, { t: 'split' }), { code: 413, reason: 'payload_too_large' }), r.slice(0, 4))
    assert.deepEqual(
      r.map((x) => x.cap),
      [2, 2, 2, 2, 4, 4, 4, 4],
    )
    assert.equal(r[0]!.failures, 0, 'a split is not a failed attempt')
  })

  it('400 naming records: those dead-lettered with their reason, the rest resent without counting an attempt', () => {
    const r = recs(3)
    const c = cls([{ t: 'resend' }, { t: 'dead', reason: 'invalid_field:time' }, { t: 'resend' }], { code: 400, reason: 'rejected' })
    const h = apply(c, r)
    assert.deepEqual(h.dead, [['r1', 'invalid_field:time']])
    assert.deepEqual(h.kept, [
      ['r0', 0],
      ['r2', 0],
    ])
    assert.deepEqual([h.r.retried, h.r.backoffUntil], [2, 0])
    assert.ok(r.every((x) => x.failures === 0))
  })

  it('a fatal answer stops the run with its code and keeps every record unresolved, counting nothing', () => {
    const r = recs(2)
    const h = apply(cls(all(2, { t: 'backoff' }), { code: 400, reason: 'invalid API key', fatal: 'Amplitude httpapi request failed with 400' }), r)
    assert.deepEqual(h.fatal, [['Amplitude httpapi request failed with 400', 400]])
    assert.deepEqual(h.kept, [
      ['r0', 0],
      ['r1', 0],
    ])
    assert.deepEqual([h.r.retried, r[0]!.failures], [0, 0])
  })

  it('once the run is stopping, acks and dead letters still count, other records are kept unresolved', () => {
    const r = recs(4)
    const c = cls([{ t: 'ack' }, { t: 'backoff' }, { t: 'dead', reason: 'silenced_device' }, { t: 'throttle' }])
    const h = apply(c, r, { stopping: () => true })
    assert.deepEqual(h.acked, ['r0'])
    assert.deepEqual(h.dead, [['r2', 'silenced_device']])
    assert.deepEqual(h.kept, [
      ['r1', 0],
      ['r3', 0],
    ])
    assert.deepEqual([h.r.retried, r[1]!.failures, r[3]!.throttles], [0, 0, 0])
  })

  it('nextStep is the same decision for one record', () => {
    const p = retryPolicy({ maxAttempts: 2, random: () => 0 })
    const a: Attempts = { sends: 1, failures: 0, firstFailureAt: 0, throttles: 0, quotas: 0, cap: Infinity }
    const ctx = { n: 1, reason: 'timeout', pauseMs: 1, now: 10, lastAcceptedAt: 20, where: () => 'x' }
    assert.deepEqual(nextStep(p, { t: 'backoff' }, a, ctx), { t: 'retry', delayMs: 250, backoff: true })
    assert.deepEqual(nextStep(p, { t: 'backoff' }, a, ctx), { t: 'dead', reason: 'retries_exhausted:timeout' })
    assert.deepEqual(nextStep(p, { t: 'ack' }, a, ctx), { t: 'ack' })
  })
})

describe('deliver: stop rules', () => {
  const rules = (): StopRules => new StopRules({ unreachableAfterMs: 120_000, stalledAfterMs: 600_000 }, 0)
  const where = (): string => 'https://api2.amplitude.com'

  it('no HTTP answer for 2 minutes while records wait: stop, naming the last failure', () => {
    const s = rules()
    s.answered(cls([{ t: 'backoff' }], { code: null, reason: 'timeout' }), 1000)
    assert.equal(s.check(119_999, where), undefined)
    assert.deepEqual(s.check(120_000, where), {
      message: 'Amplitude has not answered for 120 s (last: timeout) at https://api2.amplitude.com; stopping',
      hint: 'Check that the endpoint is reachable from this machine (--endpoint-url, --region, a proxy or firewall)',
    })
  })

  it('answers that accept nothing for 10 minutes: stop; any accepted record resets the clock', () => {
    const s = rules()
    const throttled = cls([{ t: 'throttle' }], { code: 429, reason: 'throttled' })
    s.answered(throttled, 500_000)
    s.answered(cls([{ t: 'ack' }, { t: 'throttle' }]), 550_000)
    s.answered(throttled, 1_149_999)
    assert.equal(s.check(1_149_999, where), undefined)
    assert.deepEqual(s.check(1_150_000, where), {
      message: 'Amplitude has accepted nothing for 600 s (last answer: throttled) at https://api2.amplitude.com; stopping',
      hint: "The endpoint refused every request: check that --endpoint-url points at Amplitude (or a sandbox) and Amplitude's status page",
    })
  })

  it('the clocks start again when work arrives after an idle spell', () => {
    const s = rules()
    s.workArrived(10_000_000)
    assert.equal(s.check(10_119_999, where), undefined)
    assert.match(s.check(10_120_000, where)!.message, /^Amplitude has not answered for 120 s \(last: no answer\)/)
  })
})
