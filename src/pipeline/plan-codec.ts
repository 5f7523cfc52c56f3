/**
 * A batch of plans in a compact form for the way back from a worker thread (see workers.ts).
 *
 * Structured cloning a batch's plans walked every object on the worker (serialize) and built every
 * one again on the main thread (deserialize), all at once when the batch arrived; they then lived
 * in the queue until their turn, long enough to be promoted by the garbage collector. Measured on
 * 2 cores, that was most of the extra CPU of `--workers 2`. Here the common plans (a filtered
 * message; a message with its serialized records) become:
 * - numbers in one Float64Array (its buffer is transferred, not copied);
 * - the short strings of the batch (message ids, ordering keys) end to end in one string (one
 *   string clones as one copy), sliced back out on the main thread;
 * - on a live run, the records' JSON as a list of strings: each its own string on the main thread
 *   too, so a record kept long (throttled, retried) keeps no more than its own text alive;
 * - with `--out`, the records' `out` pieces as UTF-8 in one transferred buffer (the main thread
 *   only copies bytes into the --out line);
 * - a request group (endpoint, group key, options) once per batch, and on the main thread one
 *   shared object per distinct group for the whole run.
 *
 * The main thread decodes a plan only when the engine asks for its line, so the objects it makes
 * die young. Rarer shapes (a rejected line, a validation failure carrying its message, a message
 * id that is no string, options that are not flat JSON, plans that keep records or messages) travel
 * as they are, structured-cloned, in `rare`: every plan comes back exactly as it was planned.
 */
import type { SerializedRecord } from './deliver/index.js'
import type { LinePlan, PlannedRecord } from './plan.js'

/** A batch's plans, encoded (what a worker posts back). */
export interface EncodedPlans {
  /** The numbers, as a Float64Array's buffer (transferred). */
  nums: ArrayBuffer
  /** The batch's short strings (ids, keys, filter reasons), end to end; each one's length is among the numbers. */
  text: string
  /** The request groups the batch uses, each once, in order of first use (`endpoint\ngroup\nu|o<options JSON>`). */
  groups: string[]
  /** (Not `forOut`) The records' JSON, in order. */
  json?: string[]
  /** Plans of rarer shapes, as they are (structured clone), in the order they come. */
  rare: LinePlan[]
  /** (`forOut`) The records' `out` pieces, UTF-8, end to end (transferred). */
  out?: ArrayBuffer
}

/** One unit's plans: a block's `[line, plan]` pairs, or one message's plan. */
export type UnitPlans = Array<[number, LinePlan]> | LinePlan

const RARE = 0
const FILTERED = 1
const MESSAGE = 2
/** How a plan holds its message id: no `messageId` key, the key with undefined, a string. */
const ID_ABSENT = 0
const ID_UNDEFINED = 1
const ID_STRING = 2
/** A group met before in this batch is written as its index; a new one as -1 and its definition. */
const NEW_GROUP = -1
/** Least first size of a batch's out buffer (a batch of 512 dry-run lines writes about 700 KB). */
const OUT_START = 64 * 1024

/**
 * Encodes a batch's plans (`forOut`: the records carry their `out` piece, which goes into the byte
 * buffer; otherwise their JSON goes into the text).
 */
export function encodePlans(units: UnitPlans[], forOut: boolean): EncodedPlans {
  const w = new PlanWriter(forOut)
  for (const u of units) {
    if (Array.isArray(u)) {
      w.block(u.length)
      for (const [line, plan] of u) w.entry(line, plan)
    } else w.plan(u)
  }
  return w.finish()
}

/**
 * Encodes plans as they are made (a worker encodes each line's plan at once, so the plan is
 * garbage before the next line is planned, not a survivor of the batch's collections). A unit is
 * a block — `block(count)`, then `entry` for each of its lines — or one message's `plan`.
 */
export class PlanWriter {
  private readonly nums: number[] = []
  private readonly strs: string[] = []
  private readonly json: string[] = []
  private readonly rare: LinePlan[] = []
  private readonly groups = new Map<string, number>()
  private readonly groupList: string[] = []
  /** The `--out` pieces so far (UTF-8), in a buffer that doubles when full. */
  private out?: Buffer
  private outAt = 0

  /** `outHint`: bytes of --out the last batch wrote (the buffer starts a bit larger, so it rarely grows). */
  constructor(
    private readonly forOut: boolean,
    private readonly outHint = 0,
  ) {}

  /** Bytes of --out written so far. */
  get outBytes(): number {
    return this.outAt
  }

  block(count: number): void {
    this.nums.push(count)
  }

  entry(line: number, p: LinePlan): void {
    this.nums.push(line)
    this.plan(p)
  }

  plan(p: LinePlan): void {
    if (!this.encodable(p)) {
      this.nums.push(RARE)
      this.rare.push(p)
      return
    }
    if (p.t === 'filtered') {
      this.nums.push(FILTERED)
      this.id(p)
      this.str(p.reason)
      return
    }
    if (p.t !== 'message') return
    this.nums.push(MESSAGE)
    this.id(p)
    this.nums.push(p.matched.length, ...p.matched, p.records.length)
    for (const r of p.records) this.record(r as PlannedRecord & { ser: SerializedRecord })
    this.nums.push(p.mixed, p.fallbacks)
  }

  finish(): EncodedPlans {
    const nums = new Float64Array(this.nums).buffer
    const encoded: EncodedPlans = { nums, text: this.strs.join(''), groups: this.groupList, rare: this.rare }
    // The whole buffer moves (the reader knows where each piece is); it is this batch's alone.
    if (this.forOut) encoded.out = this.out ? (this.out.buffer as ArrayBuffer) : new ArrayBuffer(0)
    else encoded.json = this.json
    return encoded
  }

  private encodable(p: LinePlan): boolean {
    if (p.t === 'rejected') return false
    if ('messageId' in p && p.messageId !== undefined && typeof p.messageId !== 'string') return false
    if (p.t === 'filtered') return true
    if (p.invalid.length > 0 || 'message' in p) return false
    for (const r of p.records) {
      if (r.record !== undefined || !r.ser || typeof r.key !== 'string') return false
      if (this.forOut ? typeof r.ser.out !== 'string' : typeof r.ser.json !== 'string') return false
      if (r.ser.options !== undefined && !flatJson(r.ser.options)) return false
    }
    return true
  }

  private id(p: { messageId?: unknown }): void {
    if (!('messageId' in p)) this.nums.push(ID_ABSENT)
    else if (p.messageId === undefined) this.nums.push(ID_UNDEFINED)
    else {
      this.nums.push(ID_STRING)
      this.str(p.messageId as string)
    }
  }

  private record(r: PlannedRecord & { ser: SerializedRecord }): void {
    const s = r.ser
    this.nums.push(r.sub)
    this.str(r.key)
    const options = s.options === undefined ? '' : JSON.stringify(s.options)
    const fingerprint = `${s.endpoint}\n${s.group}\n${s.options === undefined ? 'u' : 'o'}${options}`
    const known = this.groups.get(fingerprint)
    if (known !== undefined) this.nums.push(known)
    else {
      this.groups.set(fingerprint, this.groups.size)
      this.groupList.push(fingerprint)
      this.nums.push(NEW_GROUP)
    }
    this.nums.push(s.bytes)
    if (this.forOut) this.nums.push(this.writeOut(s.out!))
    else this.json.push(s.json)
  }

  /** Appends a piece's UTF-8 to the out buffer; returns its length in bytes. */
  private writeOut(piece: string): number {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    const most = piece.length * 3
    if (!this.out || this.outAt + most > this.out.length) {
      const first = this.out ? this.out.length * 2 : Math.ceil(this.outHint * 1.25)
      const next = Buffer.allocUnsafeSlow(Math.max(OUT_START, first, this.outAt + most))
      this.out?.copy(next, 0, 0, this.outAt)
      this.out = next
    }
    const n = this.out.write(piece, this.outAt)
    this.outAt += n
    return n
  }

  private str(s: string): void {
    this.strs.push(s)
    this.nums.push(s.length)
  }
}

/**
 * Options that come back the same through JSON: a plain object of strings, finite numbers (not
 * -0), booleans and nulls. Anything else (nested values, undefined) keeps the structured clone.
 */
function flatJson(o: Record<string, unknown>): boolean {
  if (Object.getPrototypeOf(o) !== Object.prototype) return false
  for (const k of Object.keys(o)) {
    if (k === '__proto__') return false
    const v = o[k]
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue
    if (typeof v !== 'number' || !Number.isFinite(v) || Object.is(v, -0)) return false
  }
  return true
}

/** A request group as records on the main thread share it. */
type Group = Pick<SerializedRecord, 'endpoint' | 'group' | 'options'>

/** The main thread's groups, one object per distinct (endpoint, group, options) for the whole run. */
export type GroupCache = Map<string, Group>

const MAX_CACHED_GROUPS = 1000

/**
 * Reads an encoded batch back, unit by unit in the order they were encoded: `block()` for a
 * block's `[line, plan]` pairs (made one at a time, as they are asked for), `plan()` for a message.
 */
export class PlanReader {
  private readonly nums: Float64Array
  private n = 0
  private t = 0
  private rareAt = 0
  private jsonAt = 0
  private outAt = 0
  private readonly groups: Group[] = []

  constructor(
    private readonly enc: EncodedPlans,
    private readonly cache: GroupCache = new Map(),
  ) {
    this.nums = new Float64Array(enc.nums)
  }

  *block(): Generator<[number, LinePlan]> {
    const count = this.nums[this.n++]
    for (let i = 0; i < count; i++) {
      const line = this.nums[this.n++]
      yield [line, this.plan()]
    }
  }

  plan(): LinePlan {
    const tag = this.nums[this.n++]
    if (tag === RARE) return this.enc.rare[this.rareAt++]
    if (tag === FILTERED) {
      const mode = this.nums[this.n++]
      const messageId = mode === ID_STRING ? this.str() : undefined
      const reason = this.str()
      return mode === ID_ABSENT ? { t: 'filtered', reason } : { t: 'filtered', reason, messageId }
    }
    const mode = this.nums[this.n++]
    const messageId = mode === ID_STRING ? this.str() : undefined
    const matched: number[] = new Array(this.nums[this.n++])
    for (let i = 0; i < matched.length; i++) matched[i] = this.nums[this.n++]
    const records: PlannedRecord[] = new Array(this.nums[this.n++])
    for (let i = 0; i < records.length; i++) records[i] = this.record()
    const mixed = this.nums[this.n++]
    const fallbacks = this.nums[this.n++]
    if (mode === ID_ABSENT) return { t: 'message', matched, invalid: [], records, mixed, fallbacks }
    return { t: 'message', messageId, matched, invalid: [], records, mixed, fallbacks }
  }

  private record(): PlannedRecord {
    const sub = this.nums[this.n++]
    const key = this.str()
    const index = this.nums[this.n++]
    // A group's text is its own string (cloned apart from the batch's text), so the cache keeps no batch alive.
    const g = index === NEW_GROUP ? this.group(this.enc.groups[this.groups.length]) : this.groups[index]
    const bytes = this.nums[this.n++]
    let ser: SerializedRecord
    if (this.enc.out) {
      const length = this.nums[this.n++]
      ser = { endpoint: g.endpoint, group: g.group, options: g.options, json: '', bytes, outBytes: new Uint8Array(this.enc.out, this.outAt, length) }
      this.outAt += length
    } else ser = { endpoint: g.endpoint, group: g.group, options: g.options, json: this.enc.json![this.jsonAt++], bytes }
    return { sub, key, ser }
  }

  private group(fingerprint: string): Group {
    let g = this.cache.get(fingerprint)
    if (!g) {
      const [endpoint, group, options] = fingerprint.split('\n')
      g = { endpoint: endpoint as Group['endpoint'], group, options: options === 'u' ? undefined : (JSON.parse(options.slice(1)) as Record<string, unknown>) }
      if (this.cache.size < MAX_CACHED_GROUPS) this.cache.set(fingerprint, g)
    }
    this.groups.push(g)
    return g
  }

  private str(): string {
    const length = this.nums[this.n++]
    const s = this.enc.text.slice(this.t, this.t + length)
    this.t += length
    return s
  }
}
