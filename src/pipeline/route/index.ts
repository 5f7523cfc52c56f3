/**
 * # route: which messages go on, and to which subscriptions
 *
 * Owns the decisions made about a decoded message before any mapping runs:
 * - the integrations object (`"Amplitude": false`, `"All": false`), `--since`/`--until` and a
 *   message without a usable time, `--types`, `--where` (FQL) — `filters.ts`;
 * - `--shard K/N`: messages another shard owns (`shard.ts`, identity-key partition);
 * - subscription triggers: the indexes of the subscriptions whose trigger matches;
 * - duplicate messageIds, counted (not dropped: Amplitude drops them by insert_id) — `duplicates.ts`.
 *
 * It must never map, send or write anything: a routed message is only a verdict (a filter reason,
 * or the matching subscriptions), a pure function of the message and the options. Duplicate
 * counting is the one piece of state, and it lives with whoever sees messages in archive order.
 */
import type { SegmentMessage } from '../../types.js'
import type { CompiledSubscription } from '../../segment/subscriptions/index.js'
import { compileFilters, type FilterOptions } from './filters.js'
import { OTHER_SHARD, ownsMessage, type ShardRun } from './shard.js'

export { compileFilters, messageTime, parseTimestamp, parseTimeFlag, parseTypes, routedAway, UsageError, type FilterOptions, type FilterReason } from './filters.js'
export { parseTime, TIME_HINT } from '../../time.js'
export { DuplicateCounter } from './duplicates.js'
export { OTHER_SHARD, ownsLine, ownsMessage, partitionOf, parseShard, shardFromEnv, shardMaxEps, shardSuffix, SHARD_INDEX_ENV, type Shard, type ShardRun } from './shard.js'

/** A message's route: filtered (with the reason counted for it), or the matching subscriptions. */
export type Route = { filtered: string; matched?: undefined } | { filtered?: undefined; matched: number[] }

export interface RouterOptions {
  filters?: FilterOptions
  shard?: ShardRun
  subscriptions: CompiledSubscription[]
}

/**
 * Compiles the filters once; `route(message, where)` then decides per message. `where`
 * (`file:line`) owns a message with no identity at all for sharding.
 */
export function createRouter(opts: RouterOptions): (message: SegmentMessage, where: string) => Route {
  const filter = compileFilters(opts.filters ?? {})
  const subs = opts.subscriptions
  return (message, where) => {
    if (opts.shard && !ownsMessage(opts.shard, message, where)) return { filtered: OTHER_SHARD }
    const reason = filter(message)
    if (reason) return { filtered: reason }
    const matched: number[] = []
    for (let i = 0; i < subs.length; i++) if (subs[i].match(message)) matched.push(i)
    return { matched }
  }
}
