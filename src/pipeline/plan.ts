/**
 * One input line's plan: decode → route → map → serialize, as a pure function of the line and
 * the run's settings. The replay engine applies plans in archive order (ledger, delivery); this
 * part is what `--workers` runs on other threads, so a plan holds only data a worker can send
 * back (records travel as their serialized JSON, which is what delivery sends anyway).
 */
import type { AmplitudeRecord, SegmentMessage } from '../types.js'
import { blockLines, clipText, parseMessageLine, type RejectCategory } from './decode/index.js'
import { createRouter, messageTime, OTHER_SHARD, ownsLine, type FilterOptions, type ShardRun } from './route/index.js'
import { countMixedUserProperties, mapMessage, orderingKey } from './map/index.js'
import { serializeRecord, type SerializedRecord } from './deliver/index.js'
import type { CompiledSubscription } from '../segment/subscriptions/index.js'

export interface PlannedRecord {
  /** Index of the subscription that produced it. */
  sub: number
  key: string
  /** The record as delivery sends it; absent when the planner does not serialize (`serialize: false`). */
  ser?: SerializedRecord
  /** The record itself when planned on this thread (a worker's plan carries only `ser`). */
  record?: AmplitudeRecord
}

/** A record planned with `serialize` on (what replay's engine and sink take). */
export type SerializedPlannedRecord = PlannedRecord & { ser: SerializedRecord }

export type LinePlan =
  /** Not a message (bad JSON, no type…), or a message that could not be processed (`message`). */
  | { t: 'rejected'; category: RejectCategory; reason: string; text: string; message?: boolean; messageId?: unknown }
  | { t: 'filtered'; reason: string; messageId?: unknown }
  | {
      t: 'message'
      messageId?: unknown
      matched: number[]
      /** Matched, but the action rejected the message (Segment's validation). */
      invalid: Array<{ sub: number; reason: string; message: SegmentMessage }>
      records: PlannedRecord[]
      /** Records whose user_properties mix plain keys with operations. */
      mixed: number
      /** Matched subscriptions that ran the exact mapping path (the compiled one could not prove equality). */
      fallbacks: number
      /** The message itself (`keepMessage`: commands that read it after planning). */
      message?: SegmentMessage
      /** The line it was parsed from (`keepText`; absent for a message decoded already, a CSV row). */
      text?: string
    }

/** What a line is planned from: its text (NDJSON), or a message decoded already (CSV rows). */
export type PlanInput = { text: string; message?: undefined } | { message: SegmentMessage; text?: undefined }

export interface PlannerSettings {
  subscriptions: CompiledSubscription[]
  filters?: FilterOptions
  shard?: ShardRun
  now?: () => number
  useBatchEndpoint?: boolean
  skipUserPropertiesSync?: boolean
  /** Serialize records for a `--out` line too (a dry run with --out). */
  forOut?: boolean
  /**
   * Serialize each record for delivery (default true). Commands that only read the records
   * (diff-mappings, inspect, migrate --verify) leave it off: no JSON is made, and none crosses threads.
   */
  serialize?: boolean
  /** Keep each record object in its plan (false on a worker thread: only its JSON goes back). */
  keepRecords?: boolean
  /** Worker threads send each record object back too (diff-mappings compares them). */
  recordsFromThreads?: boolean
  /** Keep a routed message in its plan (inspect and diff-mappings read it after planning). */
  keepMessage?: boolean
  /** Keep a message's line text in its plan (diff-mappings --against copies it aside unparsed). */
  keepText?: boolean
  /** A group identify's missing time is the message's own time (diff-mappings: runs stay comparable). */
  messageClock?: boolean
}

export type Planner = (input: PlanInput, where: string) => LinePlan

export function createPlanner(s: PlannerSettings): Planner {
  const route = createRouter({ filters: s.filters, shard: s.shard, subscriptions: s.subscriptions })
  const serialize = { skipUserPropertiesSync: s.skipUserPropertiesSync, forOut: s.forOut }
  const keep = s.keepRecords !== false
  const serializing = s.serialize !== false
  return (input, where) => {
    let message: SegmentMessage
    if (input.message) message = input.message
    else {
      // A line another shard owns is counted from its text, unparsed, where the text settles it.
      if (s.shard && ownsLine(s.shard, input.text, where) === false) return { t: 'filtered', reason: OTHER_SHARD }
      const parsed = parseMessageLine(input.text)
      if (!parsed.ok) return { t: 'rejected', category: parsed.category, reason: parsed.reason, text: clipText(input.text) }
      message = parsed.message
    }
    const messageId = message.messageId
    // Checked before anything recurses into it: how deep a thread's stack reaches differs between
    // threads, and the verdict must not depend on which thread planned the line.
    if ((input.text === undefined || mayNestDeeperThan(input.text, MAX_NESTING)) && nestedDeeperThan(message, MAX_NESTING)) {
      return {
        t: 'rejected',
        category: 'unprocessable',
        reason: `unprocessable: the message is nested more than ${MAX_NESTING} levels deep (Amplitude keeps 40)`,
        text: clipText(input.text ?? ''),
        message: true,
        messageId,
      }
    }
    // Whatever goes wrong with one message (a stack overflow on absurd nesting, a bug) is that
    // line's failure: it is rejected with its file:line and the run goes on.
    try {
      const routed = route(message, where)
      if (routed.filtered !== undefined) return { t: 'filtered', reason: routed.filtered, ...(routed.filtered === OTHER_SHARD ? {} : { messageId }) }
      const now = s.messageClock ? () => messageTime(message) ?? 0 : s.now
      const mapped = mapMessage(message, s.subscriptions, routed.matched, now)
      const records: PlannedRecord[] = []
      for (const r of mapped.records) {
        const p: PlannedRecord = { sub: r.sub, key: orderingKey(r.record) }
        if (serializing) p.ser = serializeRecord(r.record, s.useBatchEndpoint, serialize)
        if (keep) p.record = r.record
        records.push(p)
      }
      return {
        t: 'message',
        messageId,
        matched: routed.matched,
        invalid: mapped.invalid.map((v) => ({ ...v, message })),
        records,
        mixed: mapped.records.length > 0 ? countMixedUserProperties(mapped.records) : 0,
        fallbacks: mapped.fallbacks,
        ...(s.keepMessage ? { message } : {}),
        ...(s.keepText && input.text !== undefined ? { text: input.text } : {}),
      }
    } catch (error) {
      return { t: 'rejected', category: 'unprocessable', reason: unprocessable(error), text: clipText(input.text ?? ''), message: true, messageId }
    }
  }
}

/** Deepest nesting of objects and arrays a message may have (Amplitude itself keeps 40 levels). */
export const MAX_NESTING = 500

/**
 * False when a JSON text cannot hold more than `limit` levels of nesting: each level opens with a
 * `{` or `[`, so a text with at most `limit` of them (in strings too: an upper bound) cannot. A
 * cheap test (native searches for two characters) that spares nearly every line the walk below.
 */
export function mayNestDeeperThan(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false
  let n = 0
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++n > limit) return true
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++n > limit) return true
  return false
}

/**
 * True when `value` holds objects or arrays nested more than `limit` levels deep (`value` itself is
 * level 1). It recurses, but never past `limit` + 1 frames of one small function, whatever the
 * message: well within any thread's stack. Allocates nothing (it runs on every long line).
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  return value !== null && typeof value === 'object' && deeperThan(value, 1, limit)
}

function deeperThan(v: object, depth: number, limit: number): boolean {
  if (depth > limit) return true
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i]
      if (x !== null && typeof x === 'object' && deeperThan(x, depth + 1, limit)) return true
    }
    return false
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k]
    if (x !== null && typeof x === 'object' && deeperThan(x, depth + 1, limit)) return true
  }
  return false
}

export function unprocessable(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  if (error instanceof RangeError && /call stack/i.test(text)) return 'unprocessable: the message is nested too deeply to map (Maximum call stack size exceeded)'
  return `unprocessable: ${text}`
}

/**
 * A record planned on another thread, as delivery and the dead-letter file see it: the record is
 * parsed back from its JSON only when something asks for it (a dead letter, a throttled id).
 */
export function recordOf(p: PlannedRecord, skipUserPropertiesSync?: boolean): AmplitudeRecord {
  // Without the record object, a plan always carries its JSON (only `serialize: false` leaves it out, and keeps the record).
  return p.record ?? new PlannedRecordView(p.ser!, skipUserPropertiesSync === true)
}

class PlannedRecordView implements AmplitudeRecord {
  readonly endpoint: AmplitudeRecord['endpoint']
  // Declared only: set when the record has options, so `'options' in record` says so.
  declare readonly options?: Record<string, unknown>
  private parsed?: Record<string, unknown>

  constructor(
    private readonly ser: SerializedRecord,
    private readonly skipSync: boolean,
  ) {
    this.endpoint = ser.endpoint as AmplitudeRecord['endpoint']
    if (ser.options) (this as { options?: Record<string, unknown> }).options = ser.options
  }

  get record(): Record<string, unknown> {
    if (!this.parsed) {
      this.parsed = JSON.parse(jsonOf(this.ser)) as Record<string, unknown>
      if (this.skipSync) delete this.parsed.$skip_user_properties_sync
    }
    return this.parsed
  }
}

/**
 * A serialized record's JSON text. A worker planning for a dry run's `--out` sends only the
 * `out` piece (the JSON escaped, or URL-encoded for form bodies) and leaves `json` empty.
 */
export function jsonOf(ser: SerializedRecord): string {
  const out = ser.out ?? (ser.outBytes ? Buffer.from(ser.outBytes.buffer, ser.outBytes.byteOffset, ser.outBytes.byteLength).toString('utf8') : undefined)
  if (ser.json !== '' || out === undefined) return ser.json
  if (ser.endpoint === 'httpapi' || ser.endpoint === 'batch') return JSON.parse(`"${out}"`) as string
  return decodeURIComponent(out.replace(/\+/g, ' '))
}

/** A block of undecoded lines (see decode's `lineBlocks`), as it travels to a worker. */
export interface BlockInput {
  file: string
  firstLine: number
  bytes: Uint8Array
  fileStart: boolean
}

/** Decodes a block's lines and plans each one: `[line number, plan]` in order (blank lines left out). */
export function planBlock(planner: Planner, block: BlockInput): Array<[number, LinePlan]> {
  const out: Array<[number, LinePlan]> = []
  planBlockEach(
    planner,
    block,
    () => undefined,
    (line, plan) => out.push([line, plan]),
  )
  return out
}

/**
 * `planBlock` one line at a time: `start` is told how many lines have a plan, then `each` gets
 * each line's plan as soon as it is made (a worker encodes it at once instead of keeping it).
 */
export function planBlockEach(planner: Planner, block: BlockInput, start: (count: number) => void, each: (line: number, plan: LinePlan) => void): void {
  const lines = blockLines(block.bytes, block.firstLine, block.fileStart)
  start(lines.length)
  for (const { line, text } of lines) each(line, planner({ text }, `${block.file}:${line}`))
}
