/**
 * Which archived message a stored event belongs to (`diff-mappings --against`). Pure: a function
 * of the messages' pairing rows and the stored event, so the caller may hold everything in memory
 * or partition both sides by pairing key on disk (src/diff/against-spill.ts) and decide bucket by
 * bucket — the answer is the same. See docs/amplitude-export.md ("Pairing").
 */
import { deepEqual } from './engine.js'
import { flattenUserProperties } from './against.js'
import type { SenderShape } from '../amplitude/export-api/format.js'
import { parseTimestamp } from '../pipeline/route/index.js'

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Default `--identify-window`: how long after its message a `$identify` row may have been uploaded. */
export const DEFAULT_IDENTIFY_WINDOW_MS = 5 * 60_000

/** What one sender's /identify records of a message set: values, keys set for presence only, groups. */
export interface PropSource {
  values: Obj
  presenceOnly: string[]
  groups: Obj
  /** How many /identify records the sender sends for the message: the `$identify` rows it can explain. */
  count: number
}

/** One pairing row of a kept message: one per id it carries (user id, anonymous id, device id). */
export interface MessageRow {
  /** `u:<userId>` or `d:<anonymousId or device id>`. */
  k: string
  /** Ordinal of the kept message in the archive. */
  o: number
  /** The message's time (timestamp, else originalTimestamp, else receivedAt), ms. */
  t?: number
  /** When Segment received it (receivedAt, else timestamp), ms: a `$identify` row's upload time follows it. */
  rt?: number
  type: string
  event?: string
  /** Identify and group messages: what each sender's /identify records set (the tie-break). */
  sets?: PropSource[]
}

function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v !== 'string') return undefined
  const t = parseTimestamp(v)
  return Number.isFinite(t) ? t : undefined
}

/** What the /identify records of one sender set, for the tie-break (empty when it sends none). */
export function propSource(records: ReadonlyArray<{ endpoint: string; record: Obj }>): PropSource {
  const out: PropSource = { values: {}, presenceOnly: [], groups: {}, count: 0 }
  for (const r of records) {
    if (!r.endpoint.replace(/^\/+/, '').replace(/^2\//, '').startsWith('identify')) continue
    out.count++
    const flat = flattenUserProperties(r.record.user_properties)
    Object.assign(out.values, flat.values)
    for (const k of flat.presenceOnly) if (!out.presenceOnly.includes(k)) out.presenceOnly.push(k)
    if (isObj(r.record.groups)) Object.assign(out.groups, r.record.groups)
  }
  return out
}

/** Pairing rows of a kept message (`sets` only for identify and group calls). */
export function messageRows(message: Obj, ordinal: number, time: number | undefined, sets?: PropSource[]): MessageRow[] {
  const ids: string[] = []
  if (typeof message.userId === 'string' && message.userId !== '') ids.push(`u:${message.userId}`)
  if (typeof message.anonymousId === 'string' && message.anonymousId !== '') ids.push(`d:${message.anonymousId}`)
  const ctx = message.context
  const device = isObj(ctx) && isObj(ctx.device) ? ctx.device.id : undefined
  if (typeof device === 'string' && device !== '' && device !== message.anonymousId) ids.push(`d:${device}`)
  const type = String(message.type)
  const rt = timeOf(message.receivedAt) ?? timeOf(message.timestamp)
  return ids.map((k) => {
    const row: MessageRow = { k, o: ordinal, type }
    if (time !== undefined) row.t = time
    if (rt !== undefined) row.rt = rt
    if (typeof message.event === 'string') row.event = message.event
    if (sets !== undefined && (type === 'identify' || type === 'group')) row.sets = sets
    return row
  })
}

/** The pairing key of a stored event: its user_id, else its device_id. */
export function storedKey(shape: SenderShape): string | undefined {
  const r = shape.record
  if (typeof r.user_id === 'string' && r.user_id !== '') return `u:${r.user_id}`
  if (typeof r.device_id === 'string' && r.device_id !== '') return `d:${r.device_id}`
  return undefined
}

/**
 * Message ids an insert id may carry, longest first: the whole id, then every prefix ending
 * before a `:` or `-` (Classic sent `<messageId>:<suffix>`, Actions replays `<messageId>-<hex>`).
 */
export function insertIdCandidates(insertId: string): string[] {
  const out = [insertId]
  for (let i = insertId.length - 1; i > 0; i--) {
    const c = insertId[i]
    if (c === ':' || c === '-') out.push(insertId.slice(0, i))
  }
  return out
}

function firstAtLeast(rows: readonly MessageRow[], value: number, of: (m: MessageRow) => number): number {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (of(rows[mid]!) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The pairing rows of one key, sorted by time and (identify and group calls) by receipt time, for range look-ups. */
export class KeyRows {
  private readonly byTime: MessageRow[]
  private readonly byReceipt: MessageRow[]

  constructor(
    readonly key: string,
    rows: readonly MessageRow[],
  ) {
    this.byTime = rows.filter((m) => m.t !== undefined).sort((a, b) => a.t! - b.t! || a.o - b.o)
    this.byReceipt = rows.filter((m) => (m.type === 'identify' || m.type === 'group') && m.rt !== undefined).sort((a, b) => a.rt! - b.rt! || a.o - b.o)
  }

  /** Rows whose time is exactly `t`. */
  at(t: number): MessageRow[] {
    const out: MessageRow[] = []
    for (let i = firstAtLeast(this.byTime, t, (m) => m.t!); i < this.byTime.length && this.byTime[i]!.t === t; i++) out.push(this.byTime[i]!)
    return out
  }

  /** Identify and group rows received in [from, to]. */
  receivedIn(from: number, to: number): MessageRow[] {
    const out: MessageRow[] = []
    for (let i = firstAtLeast(this.byReceipt, from, (m) => m.rt!); i < this.byReceipt.length && this.byReceipt[i]!.rt! <= to; i++) out.push(this.byReceipt[i]!)
    return out
  }
}

export type Ownership = { kind: 'owned'; ordinal: number; via: 'insert_id' | 'key' | 'window' } | { kind: 'ambiguous'; candidates: number } | { kind: 'none' }

function eventTypeOf(shape: SenderShape): string | undefined {
  if (shape.endpoint === '/identify') return '$identify'
  return typeof shape.record.event_type === 'string' ? shape.record.event_type : undefined
}

function compatible(eventType: string | undefined, m: MessageRow): boolean {
  if (eventType === '$identify') return m.type === 'identify' || m.type === 'group'
  if (m.type === 'identify' || m.type === 'group' || m.type === 'alias') return false
  if (m.type === 'track') return m.event === eventType || eventType === 'Product Purchased'
  return true
}

/** What changed on the user with this row: keys whose value differs from the previous row of the same key. */
export function changedKeys(now: SenderShape['record'], before: SenderShape['record'] | undefined): string[] | undefined {
  if (before === undefined) return undefined
  const out: string[] = []
  const a = isObj(now.user_properties) ? now.user_properties : {}
  const b = isObj(before.user_properties) ? before.user_properties : {}
  for (const k of Object.keys(a)) if (!deepEqual(a[k], b[k])) out.push(k)
  const ga = isObj(now.groups) ? now.groups : {}
  const gb = isObj(before.groups) ? before.groups : {}
  for (const t of Object.keys(ga)) if (!deepEqual(ga[t], gb[t]) && !out.includes(t)) out.push(t)
  return out
}

function groupHolds(stored: unknown, value: unknown): boolean {
  if (Array.isArray(stored)) return Array.isArray(value) ? value.every((v) => stored.some((s) => deepEqual(s, v))) : stored.some((s) => deepEqual(s, value))
  return deepEqual(stored, value)
}

/**
 * Could this sender's /identify records have produced the row? What they set must be on the
 * user after the row (its user_properties and groups are the state after it), and what the row
 * changed (when the previous row of the user is known) must be among what they set.
 */
export function explains(src: PropSource, row: SenderShape['record'], changed: string[] | undefined): boolean {
  const up = isObj(row.user_properties) ? row.user_properties : {}
  const groups = isObj(row.groups) ? row.groups : {}
  for (const [k, v] of Object.entries(src.values)) {
    if (!(k in up)) return false
    if (!src.presenceOnly.includes(k) && !deepEqual(up[k], v)) return false
  }
  for (const [t, v] of Object.entries(src.groups)) if (!(t in groups) || !groupHolds(groups[t], v)) return false
  if (changed === undefined) return true
  return changed.every((k) => k in src.values || k in src.groups)
}

/**
 * `$identify` rows already given to each message, per pairing key (`<key>|<ordinal>`): a message
 * explains at most as many rows as it sends /identify records (the most either sender sends).
 */
export type Claims = Map<string, number>

/** Whether `m` can still explain a row of key `key` (unknown capacity, no sender sending /identify: always). */
function available(m: MessageRow, key: string, claims: Claims | undefined): boolean {
  if (claims === undefined) return true
  const capacity = Math.max(0, ...(m.sets ?? []).map((s) => s.count))
  return capacity === 0 || (claims.get(`${key}|${m.o}`) ?? 0) < capacity
}

/**
 * The owner of a stored event:
 * 1. `insert` (the message its `$insert_id` names, found by the caller) wins;
 * 2. else the rows of its key whose time equals its event_time (event type as tie-break);
 * 3. else, for a `$identify` row (no time of its own: Amplitude stamps the upload time), the
 *    identify and group messages of its key received at most `windowMs` before it, less those
 *    whose rows are all accounted for already (`claims`, updated here; rows come in upload
 *    order); several: those whose /identify records explain the row's user properties
 *    (`explains`). Still several (or none that explains it): ambiguous. A guess is never made.
 * `changed` is what the row changed on the user (`changedKeys` against the previous stored event
 * of its key), undefined when that is not known.
 */
export function decideOwner(
  shape: SenderShape,
  insert: number | undefined,
  rows: KeyRows | undefined,
  changed: string[] | undefined,
  windowMs: number,
  claims?: Claims,
): Ownership {
  if (insert !== undefined) return { kind: 'owned', ordinal: insert, via: 'insert_id' }
  if (rows === undefined) return { kind: 'none' }
  const t = typeof shape.record.time === 'number' ? shape.record.time : undefined
  if (t === undefined) return { kind: 'none' }
  const type = eventTypeOf(shape)
  const exact = distinct(rows.at(t))
  if (exact.length === 1) return { kind: 'owned', ordinal: exact[0]!.o, via: 'key' }
  if (exact.length > 1) {
    const fit = exact.filter((m) => compatible(type, m))
    if (fit.length === 1) return { kind: 'owned', ordinal: fit[0]!.o, via: 'key' }
    return { kind: 'ambiguous', candidates: fit.length > 0 ? fit.length : exact.length }
  }
  if (type !== '$identify') return { kind: 'none' }
  const key = rows.key
  const inWindow = distinct(rows.receivedIn(t - windowMs, t))
  const near = inWindow.filter((m) => available(m, key, claims))
  if (near.length === 0) return inWindow.length === 0 ? { kind: 'none' } : { kind: 'ambiguous', candidates: inWindow.length }
  let owner: MessageRow | undefined
  let fit = near
  if (near.length === 1) owner = near[0]
  else {
    fit = near.filter((m) => (m.sets ?? []).some((s) => explains(s, shape.record, changed)))
    if (fit.length === 1) owner = fit[0]
  }
  if (owner === undefined) return { kind: 'ambiguous', candidates: fit.length > 0 ? fit.length : near.length }
  claims?.set(`${key}|${owner.o}`, (claims.get(`${key}|${owner.o}`) ?? 0) + 1)
  return { kind: 'owned', ordinal: owner.o, via: 'window' }
}

/** Rows of distinct messages (a message has one row per id; the key picks one of them). */
function distinct(rows: readonly MessageRow[]): MessageRow[] {
  const seen = new Set<number>()
  const out: MessageRow[] = []
  for (const r of rows) {
    if (seen.has(r.o)) continue
    seen.add(r.o)
    out.push(r)
  }
  return out
}

/**
 * The span of the archive, as the pairing sees it: the earliest and latest time (inclusive, ms) a
 * kept message is paired at — its time (`messageTime`) and, for identify and group calls, when it
 * was received. A stored event no message owns whose time lies outside it is explained by no
 * message the archive could hold (the export covers more time than the archive): see `outsideSpan`.
 */
export interface ArchiveSpan {
  from: number
  to: number
  /**
   * Where the message at each bound is (`file:line`, the first one in archive order at that time),
   * when the builder was told: one message with a skewed clock widens the span by as much, and
   * the report names it so that it can be found (and left out with --since/--until).
   */
  fromAt?: string
  toAt?: string
}

/** Where a message is: its file and line. */
interface Where {
  readonly file: string
  readonly line: number
}

/** Builds an ArchiveSpan from the kept messages, in any order: two numbers (and where each is), whatever the archive's size. */
export class SpanBuilder {
  private from = Infinity
  private to = -Infinity
  private fromAt: Where | undefined
  private toAt: Where | undefined

  /** A kept message, with its `messageTime` and where it is (formatted only for the two bounds). */
  add(message: Obj, time: number | undefined, at?: Where): void {
    if (time !== undefined) this.widen(time, at)
    if (message.type === 'identify' || message.type === 'group') {
      const rt = timeOf(message.receivedAt) ?? timeOf(message.timestamp)
      if (rt !== undefined) this.widen(rt, at)
    }
  }

  private widen(t: number, at: Where | undefined): void {
    if (t < this.from) {
      this.from = t
      this.fromAt = at
    }
    if (t > this.to) {
      this.to = t
      this.toAt = at
    }
  }

  /** The span; undefined when no kept message had a time. */
  span(): ArchiveSpan | undefined {
    if (this.from > this.to) return undefined
    const fmt = (w: Where): string => `${w.file}:${w.line}`
    return { from: this.from, to: this.to, ...(this.fromAt ? { fromAt: fmt(this.fromAt) } : {}), ...(this.toAt ? { toAt: fmt(this.toAt) } : {}) }
  }
}

/**
 * Whether a stored event that no message owns lies outside the archive's span (not a difference:
 * no message of the archive could have explained it). An event with a time of its own: before
 * `from` or after `to` (one exactly at a bound is inside). A `$identify` row, stamped with its
 * upload time: the calls it may follow were received up to `windowMs` before it, so it is inside
 * only when all of them would be, from `from + windowMs` to `to`. No span (no kept message with a
 * time) or no time: inside, an only-in-amplitude event as before.
 */
export function outsideSpan(span: ArchiveSpan | undefined, endpoint: string, time: number | undefined, windowMs: number): boolean {
  if (span === undefined || time === undefined) return false
  const from = endpoint === '/identify' ? span.from + windowMs : span.from
  return time < from || time > span.to
}

/**
 * Time slices of the pairing keys: a key's rows and stored events are partitioned by
 * `floor(time / slice)` too, so that one heavy user spreads over many buckets. A slice is at
 * least the identify window long; a call is indexed in the slice of its time and in every slice
 * its window reaches into, so every candidate of a stored event is in the stored event's slice.
 */
export function sliceMs(windowMs: number): number {
  return Math.max(10 * 60_000, windowMs)
}

/** The slices a message row is looked up in: its time's, and for identify and group calls those its window covers. */
export function rowSlices(row: MessageRow, slice: number, windowMs: number): number[] {
  const out: number[] = []
  if (row.t !== undefined) out.push(Math.floor(row.t / slice))
  if ((row.type === 'identify' || row.type === 'group') && row.rt !== undefined) {
    for (let s = Math.floor(row.rt / slice); s <= Math.floor((row.rt + windowMs) / slice); s++) if (!out.includes(s)) out.push(s)
  }
  return out
}

/**
 * The user state before each stored event of a key, for `changedKeys`: the last record of the
 * most recent `capacity` keys (export order), so memory is bounded; an evicted key's next row has
 * no known change (the tie-break then uses the values alone).
 */
export class RecentState {
  private readonly last = new Map<string, SenderShape['record']>()

  constructor(private readonly capacity = 50_000) {}

  /** What `record` changed against the previous record of `key`, then remembers it. */
  changed(key: string, record: SenderShape['record']): string[] | undefined {
    const before = this.last.get(key)
    if (before !== undefined) this.last.delete(key)
    else if (this.last.size >= this.capacity) this.last.delete(this.last.keys().next().value!)
    this.last.set(key, { user_properties: record.user_properties, groups: record.groups })
    return changedKeys(record, before)
  }
}

/** `--identify-window`: `90s`, `5m`, `1h`, `1500ms` or plain seconds → ms; undefined when unreadable or negative. */
export function parseWindow(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(value)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'h' ? n * 3_600_000 : n * 60_000
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}
