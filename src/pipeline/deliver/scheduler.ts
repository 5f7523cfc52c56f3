/**
 * Key scheduler: which queued records may be sent now, and in what order.
 *
 * It holds one FIFO per ordering key (device_id, else user_id) and decides when each key is
 * ready:
 * - per-key order: a key's records leave in push order, and while any of them is in a request
 *   (the key is "held") none of the later ones leaves; records that come back unresolved go to
 *   the head of their key's queue, in push order;
 * - paused keys: a key whose records came back with a delay (backoff, throttle, quota) waits
 *   until then, and so do the later records pushed behind it;
 * - throttled ids: a user or device Amplitude throttled (429) holds every key whose next record
 *   carries that id, until the pause ends;
 * - endpoint pauses: a 429 naming no id, or a backoff, holds every key whose next record goes to
 *   that endpoint.
 * Ready keys are offered oldest first, and counted per request group so that the pump can see
 * when a group can fill a request.
 *
 * It never sends, never builds requests, never decides a record's fate (the retry policy does)
 * and never reads the wall clock except through the Clock it is given.
 */
import type { AmplitudeEndpoint } from '../../types.js'
import { systemClock, type Clock } from './clock.js'

/** What the scheduler needs to know about a queued record. */
export interface Queued {
  /** Ordering key. */
  readonly key: string
  /** Push order (records that come back are put back in this order). */
  readonly seq: number
  /** Request group (endpoint + options): records of one group may share a request. */
  readonly group: string
  readonly endpoint: AmplitudeEndpoint
  /** Bytes the record adds to a request body. */
  readonly bytes: number
  /** The record's user_id and device_id, matched against throttled ids. */
  readonly userId: unknown
  readonly deviceId: unknown
}

/** Records of ready keys whose next record is in this group (a key's whole queue counts). */
export interface ReadyGroup {
  n: number
  bytes: number
  endpoint: AmplitudeEndpoint
}

/** A key's state; outside this file only `key`, `group` and `readySince` are to be read. */
export interface KeyState<E> {
  readonly key: string
  queue: Deque<E>
  /** Some of its records are in a request. */
  busy: boolean
  /** Not before this time. */
  readyAt: number
  parked: boolean
  /** While ready: the group its queue is counted under, and how much was counted. */
  group?: string
  attrN: number
  attrBytes: number
  /** When it (last) became ready. */
  readySince: number
}

/** What `take`'s packer answers for each offered record. */
export const TAKE = 0
/** Take this record; the request is full. */
export const TAKE_LAST = 1
/** Leave this record (and the rest of its key); try the next key. */
export const SKIP_KEY = 2
/** Leave this record; the request is full. */
export const STOP = 3
export type Verdict = typeof TAKE | typeof TAKE_LAST | typeof SKIP_KEY | typeof STOP

/** Records coming back to a key after a request: put back at its head, the key waits `delay`. */
export interface Returned<E> {
  entries: E[]
  delay: number
}

/** FIFO with O(1) shift. */
export class Deque<T> {
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
    if (this.h >= this.a.length) {
      // Empty: start over in place (no copy).
      this.a.length = 0
      this.h = 0
    } else if (this.h > 1024 && this.h * 2 > this.a.length) {
      this.a = this.a.slice(this.h)
      this.h = 0
    }
    return x
  }
  unshiftAll(xs: T[]): void {
    this.a = this.h === this.a.length ? xs : xs.concat(this.a.slice(this.h))
    this.h = 0
  }
  toArray(): T[] {
    return this.a.slice(this.h)
  }
}

const bySeq = (a: Queued, z: Queued): number => a.seq - z.seq

export class KeyScheduler<E extends Queued> {
  private readonly keys = new Map<string, KeyState<E>>()
  private readonly ready = new Set<KeyState<E>>()
  private readonly totals = new Map<string, ReadyGroup>()
  private readonly paused = new Set<KeyState<E>>()
  /** `u:<user_id>` / `d:<device_id>` → time until which it is throttled. */
  private readonly throttledIds = new Map<string, number>()
  /** Endpoint → time until which it is paused. */
  private readonly endpointPause = new Map<AmplitudeEndpoint, number>()
  private parkedCount = 0
  private wakeTimer: unknown
  private wakeAt = Infinity
  private stopped = false

  /**
   * @param onWake called after paused keys whose time came were made ready (the engine pumps
   *   and checks its budgets then).
   */
  constructor(
    private readonly clock: Clock = systemClock,
    private readonly onWake: (now: number) => void = () => {},
  ) {}

  /** Queued records of paused keys. */
  get parked(): number {
    return this.parkedCount
  }

  hasReady(): boolean {
    return this.ready.size > 0
  }

  /** Queue a record behind its key's earlier ones. */
  push(e: E): void {
    let ks = this.keys.get(e.key)
    if (!ks) this.keys.set(e.key, (ks = { key: e.key, queue: new Deque<E>(), busy: false, readyAt: 0, parked: false, attrN: 0, attrBytes: 0, readySince: 0 }))
    ks.queue.push(e)
    if (ks.parked) this.parkedCount++
    else if (this.ready.has(ks)) {
      // Counted under the head's group (an upper bound when groups are mixed).
      ks.attrN++
      ks.attrBytes += e.bytes
      const t = this.totals.get(ks.group!)
      if (t) {
        t.n++
        t.bytes += e.bytes
      }
    } else if (!ks.busy) this.refresh(ks)
  }

  /** The key that became ready first and is not held by a throttled id or endpoint pause. */
  oldestReady(now: number): Pick<KeyState<E>, 'key' | 'group' | 'readySince'> | undefined {
    for (const ks of this.ready) {
      const until = this.heldUntil(ks.queue.peek()!, now)
      if (until > now) {
        ks.readyAt = until
        this.refresh(ks)
        continue
      }
      return ks
    }
    return undefined
  }

  /** Ready records per request group. */
  readyGroups(): ReadonlyMap<string, ReadyGroup> {
    return this.totals
  }

  /**
   * Offer the ready keys' next records of `group` to `pack`, oldest ready key first, each key's
   * records in order until `pack` declines; taken records leave their queues and their keys are
   * held until `release`. Returns the held keys.
   */
  take(group: string, now: number, pack: (e: E) => Verdict): KeyState<E>[] {
    const used: KeyState<E>[] = []
    let stop = false
    for (const ks of this.ready) {
      if (stop) break
      if (ks.group !== group) continue
      const until = this.heldUntil(ks.queue.peek()!, now)
      if (until > now) {
        ks.readyAt = until
        this.refresh(ks)
        continue
      }
      let took = 0
      for (let e = ks.queue.peek(); e !== undefined; e = ks.queue.peek()) {
        if (e.group !== group) break
        const v = pack(e)
        if (v >= SKIP_KEY) {
          if (v === STOP) stop = true
          break
        }
        ks.queue.shift()
        took++
        if (v === TAKE_LAST) {
          stop = true
          break
        }
      }
      if (took > 0) {
        ks.busy = true
        used.push(ks)
      }
    }
    for (const ks of used) this.delReady(ks)
    return used
  }

  /**
   * A request of these keys ended: unresolved records go back to the head of their key's queue
   * (in push order) and that key waits `delay` ms from `now`; the keys are no longer held.
   */
  release(held: readonly KeyState<E>[], returned: ReadonlyMap<string, Returned<E>> | undefined, now: number): void {
    for (const ks of held) {
      ks.busy = false
      const b = returned?.get(ks.key)
      if (b) {
        b.entries.sort(bySeq)
        ks.queue.unshiftAll(b.entries)
        if (ks.parked) this.parkedCount += b.entries.length
        ks.readyAt = Math.max(ks.readyAt, now + b.delay)
      }
      this.refresh(ks)
    }
  }

  /** Hold every key whose next record carries one of these ids until `until`. */
  throttleIds(users: readonly string[], devices: readonly string[], until: number): void {
    for (const u of users) this.throttledIds.set(`u:${u}`, until)
    for (const d of devices) this.throttledIds.set(`d:${d}`, until)
  }

  /**
   * Hold the endpoint until `until` (or, with `keepLonger`, until the later of that and its current
   * pause): ready keys whose next record goes there are parked now, others as they reach it.
   */
  pauseEndpoint(endpoint: AmplitudeEndpoint, until: number, keepLonger: boolean): void {
    this.endpointPause.set(endpoint, keepLonger ? Math.max(this.endpointPause.get(endpoint) ?? 0, until) : until)
    for (const ks of this.ready) {
      if (ks.queue.peek()!.endpoint !== endpoint) continue
      ks.readyAt = Math.max(ks.readyAt, until)
      this.refresh(ks)
    }
  }

  /** Every queued record (not those in requests), in no particular order. */
  queued(): E[] {
    const out: E[] = []
    for (const ks of this.keys.values()) for (const e of ks.queue.toArray()) out.push(e)
    return out
  }

  /** No more wake-ups (the run stopped). */
  stop(): void {
    this.stopped = true
    this.clearTimer()
  }

  /** Cancel the pending wake-up (a later pause arms a new one). */
  clearTimer(): void {
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer)
    this.wakeTimer = undefined
    this.wakeAt = Infinity
  }

  /** Time until which a throttled id or an endpoint pause holds this record (0: none). */
  private heldUntil(e: E, now: number): number {
    let until = 0
    if (this.endpointPause.size > 0) {
      const t = this.endpointPause.get(e.endpoint)
      if (t !== undefined && t > now) until = t
    }
    if (this.throttledIds.size === 0) return until
    if (e.userId !== undefined && e.userId !== null) until = this.idUntil(`u:${String(e.userId)}`, now, until)
    if (e.deviceId) until = this.idUntil(`d:${String(e.deviceId)}`, now, until)
    return until
  }

  private idUntil(id: string, now: number, until: number): number {
    const t = this.throttledIds.get(id)
    if (t === undefined) return until
    if (t <= now) {
      this.throttledIds.delete(id)
      return until
    }
    return Math.max(until, t)
  }

  private refresh(ks: KeyState<E>): void {
    if (ks.queue.length === 0) {
      this.delReady(ks)
      this.unpark(ks)
      if (!ks.busy) this.keys.delete(ks.key)
      return
    }
    if (ks.busy) {
      this.delReady(ks)
      return
    }
    if (ks.readyAt > this.clock.now()) {
      this.delReady(ks)
      this.park(ks)
      return
    }
    this.unpark(ks)
    this.addReady(ks)
  }

  private addReady(ks: KeyState<E>): void {
    if (this.ready.has(ks)) return
    const head = ks.queue.peek()!
    this.ready.add(ks)
    ks.readySince = this.clock.now()
    ks.group = head.group
    ks.attrN = ks.queue.length
    ks.attrBytes = ks.attrN * head.bytes
    let t = this.totals.get(ks.group)
    if (!t) this.totals.set(ks.group, (t = { n: 0, bytes: 0, endpoint: head.endpoint }))
    t.n += ks.attrN
    t.bytes += ks.attrBytes
  }

  private delReady(ks: KeyState<E>): void {
    if (!this.ready.delete(ks)) return
    const t = this.totals.get(ks.group!)
    if (t) {
      t.n -= ks.attrN
      t.bytes -= ks.attrBytes
      if (t.n <= 0) this.totals.delete(ks.group!)
    }
    ks.group = undefined
    ks.attrN = ks.attrBytes = 0
  }

  private park(ks: KeyState<E>): void {
    if (!ks.parked) {
      ks.parked = true
      this.parkedCount += ks.queue.length
    }
    this.paused.add(ks)
    if (ks.readyAt < this.wakeAt) this.armWake(ks.readyAt)
  }

  private unpark(ks: KeyState<E>): void {
    if (ks.parked) {
      ks.parked = false
      this.parkedCount -= ks.queue.length
    }
    this.paused.delete(ks)
  }

  private armWake(at: number): void {
    if (this.stopped) return
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer)
    this.wakeAt = at
    this.wakeTimer = this.clock.setTimeout(() => this.wake(), Math.max(0, at - this.clock.now()))
  }

  private wake(): void {
    this.wakeTimer = undefined
    this.wakeAt = Infinity
    const now = this.clock.now()
    let next = Infinity
    for (const ks of this.paused) {
      if (ks.readyAt <= now) this.refresh(ks)
      else next = Math.min(next, ks.readyAt)
    }
    if (next < Infinity) this.armWake(next)
    this.onWake(now)
  }
}
