/** Replay counts (checkpointed) and the final report (report.json); src/replay/render.ts renders it. */
import type { ReadCounts } from '../../types.js'

export interface SubscriptionCounts {
  name: string
  actionSlug: string
  /** Messages the trigger matched. */
  messages: number
  /** Matched messages the action's schema rejected (Segment would not have sent them). */
  invalid: number
  /** `wouldSend`: dry runs only (their `sent` is 0: nothing was sent). */
  byEndpoint: Record<string, { sent: number; deadLettered: number; wouldSend?: number }>
}

/** What was read (the reader's counts), then what was planned, sent and dead-lettered. */
export interface ReplayCounts extends Omit<ReadCounts, 'csvFiles'> {
  /** Records the mappings produced. */
  planned: number
  sent: number
  deadLettered: number
  deadLetterReasons: Record<string, number>
  subscriptions: SubscriptionCounts[]
  requests: number
  retries: number
  throttles: number
  /** Pause time summed over every paused id (pauses of several ids overlap). */
  throttledMs: number
  /** Wall time during which at least one id was paused. */
  throttledWallMs: number
  /** Records whose user_properties mixed plain keys with $-operations (see mixed-user-properties.ts). */
  mixedUserProperties: number
  /** What `replay --retry-dead-letters` did in this state directory (see src/replay/retry-dead-letters.ts). */
  deadLetterRetry?: { runs: number; resent: number; sent: number; ledgerBytes: number }
  /**
   * Matched (message, subscription) pairs mapped by the exact path because the compiled path could
   * not prove it gives the same records (src/segment/subscriptions/direct.ts). The fallback rate is
   * this over the sum of `subscriptions[].messages`.
   */
  mappingFallbacks: number
}

export interface ReplayReport extends ReplayCounts {
  runId: string
  dryRun: boolean
  stateDir: string
  mappings: string
  region: string
  endpointUrl: string | null
  resumed: boolean
  alreadyDone: boolean
  interrupted: boolean
  error: string | null
  /** With `error`, where the answer named its cause: what to check before resuming. */
  errorHint?: string
  durationMs: number
  exitCode: number
  /** Events this run sent (a resumed run's `sent` includes the earlier runs'). */
  sentThisRun: number
  /** Messages read but not settled when the run stopped: the resume reads them again. */
  leftForResume: number
  /** `--shard K/N` runs: which shard, and the run id the shards share. */
  shard?: { index: number; count: number; group: string }
  /** Threads that decoded, routed and mapped (`--workers`). */
  workers: number
  /** Dry runs: the records packed into requests, which a live run would send (`sent` is 0 then). 0 for live runs. */
  wouldSend: number
  /** Files this run read to their end without one line (listed only when there are some). */
  emptyFiles?: string[]
  /** Of `emptyFiles`, the CSV files that held their header row only (listed only when there are some). */
  headerOnlyFiles?: string[]
}

/**
 * A dry run sends nothing: its report says so (`sent` 0, per endpoint too) and counts what a live
 * run would send as `wouldSend`, in the same shape as a live run's report. Pure.
 */
export function honestDryRun<R extends Pick<ReplayReport, 'dryRun' | 'sent' | 'sentThisRun' | 'wouldSend' | 'subscriptions'>>(r: R): R {
  if (!r.dryRun) return r
  return {
    ...r,
    sent: 0,
    sentThisRun: 0,
    wouldSend: r.sent,
    subscriptions: r.subscriptions.map((s) => ({
      ...s,
      byEndpoint: Object.fromEntries(Object.entries(s.byEndpoint).map(([k, v]) => [k, { sent: 0, wouldSend: v.sent, deadLettered: v.deadLettered }])),
    })),
  }
}

/** What commit needs of a subscription (a CompiledSubscription is one). */
export type SubscriptionRef = Pick<SubscriptionCounts, 'name' | 'actionSlug'>

export function emptyReplayCounts(subs: readonly SubscriptionRef[]): ReplayCounts {
  return {
    files: 0,
    messages: 0,
    rejected: 0,
    rejectedByReason: {},
    duplicates: 0,
    filtered: {},
    unreadableFiles: [],
    skippedPaths: [],
    planned: 0,
    sent: 0,
    deadLettered: 0,
    deadLetterReasons: {},
    subscriptions: subs.map((s) => ({ name: s.name, actionSlug: s.actionSlug, messages: 0, invalid: 0, byEndpoint: {} })),
    requests: 0,
    retries: 0,
    throttles: 0,
    throttledMs: 0,
    throttledWallMs: 0,
    mixedUserProperties: 0,
    mappingFallbacks: 0,
  }
}
