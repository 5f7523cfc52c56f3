/**
 * # map: a routed message → the Amplitude records it sends
 *
 * Owns running the matched subscriptions' compiled mappings and actions (the mapping-kit
 * directives, the Amplitude action's validation and payload rules, from `src/segment/`) on one
 * message, the derived `insert_id` when the mapping gives none (`<messageId>-<subscription salt>`,
 * stable across runs, resumes and worker counts), the ordering key of each record, and the
 * count of records whose user_properties mix plain keys with operations.
 *
 * It must never filter (route did), batch, send or count outcomes: the result is a pure function
 * of the message, the subscriptions and the clock given for a missing group time. A mapping
 * Segment would reject is an `invalid` entry (dead-lettered later as "segment validation"), not
 * an error; only a message that cannot be processed at all (nesting beyond the stack) throws.
 */
import type { AmplitudeRecord, SegmentMessage } from '../../types.js'
import { insertIdBase, mapWithSubscription, type CompiledSubscription } from '../../segment/subscriptions/index.js'

export interface MappedRecord {
  record: AmplitudeRecord
  /** Index of the subscription that produced it. */
  sub: number
}

export interface Mapped {
  /** Subscriptions that matched but whose action rejected the message (Segment's validation). */
  invalid: Array<{ sub: number; reason: string }>
  records: MappedRecord[]
  /** Subscriptions run on the exact path because the compiled one could not prove equality. */
  fallbacks: number
}

/** Runs the subscriptions `matched` (indexes into `subs`, as route returned them) on the message. */
export function mapMessage(message: SegmentMessage, subs: CompiledSubscription[], matched: readonly number[], now?: () => number): Mapped {
  const out: Mapped = { invalid: [], records: [], fallbacks: 0 }
  if (matched.length === 0) return out
  const base = insertIdBase(message)
  for (const i of matched) {
    const { outcome, fallback } = mapWithSubscription(subs[i], message, base, now)
    if (fallback) out.fallbacks++
    if (!outcome.ok) out.invalid.push({ sub: i, reason: outcome.reason })
    else for (const record of outcome.records) out.records.push({ record, sub: i })
  }
  return out
}

/**
 * Events of one device or user stay in order: the key is `device_id`, else `user_id` (group
 * identifications key on the group, user maps on the user). Delivery keeps each key's records in
 * archive order; `--workers` never reorders within a key.
 */
export function orderingKey(record: AmplitudeRecord): string {
  const r = record.record
  if (record.endpoint === 'groupidentify') return `g:${String(r.group_type)}:${String(r.group_value)}`
  if (record.endpoint === 'usermap') return `u:${String(r.user_id ?? r.global_user_id ?? '')}`
  const device = r.device_id
  if (typeof device === 'string' && device !== '') return `d:${device}`
  return `u:${String(r.user_id ?? '')}`
}

export { countMixedUserProperties } from '../../segment/subscriptions/mixed-user-properties.js'
