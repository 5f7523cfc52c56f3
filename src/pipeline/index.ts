/**
 * src/pipeline/: the stages of a line's way, one folder each (source → decode → route → map →
 * deliver → commit), and here their composition into what every command reads an archive through.
 * It owns reading, planning and the worker pool; it never knows the command line (no import from
 * src/cli or src/commands) and never decides what a service does with a line: replay delivers and
 * commits, inspect profiles, diff-mappings compares.
 *
 * The one read pipeline (read → decode → route → map) every command uses: `replay`, `inspect`,
 * `diff-mappings` (the emulation path and `--against`) and `migrate --verify`. The archive's
 * items are planned (on `--workers` threads, see workers.ts: archive order is kept) and each
 * one comes out as a `LineOutcome` (an array of them per block of lines read: one asynchronous
 * step a block, not a line): what the line amounts to, by the same rules for every
 * command — a rejected line, a filtered message, a duplicate, a message with its records.
 * `countOutcome` is the one way the read side of those outcomes is counted.
 */
import type { Readable } from 'node:stream'
import type { Archive, ArchiveItem, ReadOptions } from './decode/index.js'
import { emptyCounts, type ScanCounts } from './decode/index.js'
import { DuplicateCounter, OTHER_SHARD, type FilterOptions, type ShardRun } from './route/index.js'
import type { CompiledSubscription } from '../segment/subscriptions/index.js'
import type { AmplitudeRecord, SegmentMessage, SourceRef } from '../types.js'
import { countRead, noteSkipped, noteUnreadable, type LineOutcome } from './commit/index.js'
import { createPlanner, type LinePlan, type PlannerSettings } from './plan.js'
import { planInOrder, toWorkerSettings, type PlannedItem } from './workers.js'

export { createPlanner, type Planner, type PlannerSettings } from './plan.js'
export { toWorkerSettings, type WorkerSettings } from './workers.js'
export { compileWorkerPlanner } from './worker-planner.js'
export { TaskPool, serveTasks } from './tasks.js'

export type MessagePlan = Extract<LinePlan, { t: 'message' }>
export type PipelineOutcome = LineOutcome<MessagePlan>

/** How the pipeline runs: threads, and the knobs tests use to make small inputs start them. */
export interface PipelineThreads {
  /** Threads that decode, route and map (default 1: this thread only). */
  workers?: number
  /** Lines per batch sent to a worker (tests: small batches interleave more). */
  batchLines?: number
  /** Lines planned on this thread before workers start (default 4096; tests: 0). */
  inlineLines?: number
}

export interface PipelineOptions extends PipelineThreads {
  archive: Archive
  planner: PlannerSettings
  stdin?: Readable
  onBytes?: (n: number) => void
  /** A resumed replay's completed files and settled lines. */
  skipFile?: ReadOptions['skipFile']
  skipLine?: (file: string, line: number) => boolean
  /** Start the threads at once (a large input). */
  prestart?: boolean
  onWarning?: (text: string) => void
}

export interface Pipeline {
  /** Threads actually used (1 when the settings cannot be sent to a thread). */
  workers: number
  /** The outcomes in archive order, an array per block of lines (or per other item). */
  outcomes: AsyncGenerator<PipelineOutcome[]>
}

/** The archive's lines as outcomes, in archive order, for any number of workers. */
export function openPipeline(o: PipelineOptions): Pipeline {
  const settings = toWorkerSettings(o.planner)
  const asked = Math.max(1, o.workers ?? 1)
  if (asked > 1 && !settings) o.onWarning?.('--workers: these subscriptions or filters cannot be compiled on another thread; planning on one thread')
  const workers = settings ? asked : 1
  const items = o.archive.items({ stdin: o.stdin, onBytes: o.onBytes, skipFile: o.skipFile, skipLine: o.skipLine, blocks: true })
  const planned = planInOrder(items, {
    workers,
    planner: createPlanner(o.planner),
    settings,
    // The environment knobs let the CLI's tests start threads on small archives.
    batchLines: o.batchLines ?? envCount('SEGAMP_WORKER_BATCH_LINES'),
    inlineLines: o.inlineLines ?? envCount('SEGAMP_WORKER_INLINE_LINES'),
    prestart: o.prestart,
  })
  return { workers, outcomes: classifyAll(planned, o.planner.shard) }
}

async function* classifyAll(planned: AsyncGenerator<PlannedItem[]>, shard?: ShardRun): AsyncGenerator<PipelineOutcome[]> {
  const dupes = new DuplicateCounter()
  for await (const items of planned) {
    const out: PipelineOutcome[] = new Array(items.length)
    for (let i = 0; i < items.length; i++) out[i] = classify(items[i], dupes, shard)
    yield out
  }
}

/**
 * One planned item's outcome. The rules, once: a line that is no message is rejected (on shard 0;
 * the other shards count it as another shard's); a message is a duplicate when its messageId was
 * seen before (another shard's messages are not seen); a message that cannot be processed is
 * rejected, a filtered one keeps its filter's reason.
 */
export function classify(next: PlannedItem, dupes: DuplicateCounter, shard?: ShardRun): PipelineOutcome {
  const item = next.item
  if (item) return itemOutcome(item, shard)
  const { ref, plan } = next
  if (plan.t === 'rejected' && !plan.message) {
    // A line that is no message has no identity: shard 0 reports it, the others count it as theirs to skip.
    if (shard && shard.index !== 0) return { kind: 'filtered', ref, reason: OTHER_SHARD, duplicate: false, message: false }
    return { kind: 'rejected', ref, category: plan.category, reason: plan.reason, text: plan.text, message: false }
  }
  if (plan.t === 'filtered' && plan.reason === OTHER_SHARD) return { kind: 'filtered', ref, reason: OTHER_SHARD, duplicate: false, message: true }
  const duplicate = dupes.see(plan.messageId)
  // A message that could not be processed (absurd nesting, a bug): that line's failure.
  if (plan.t === 'rejected') return { kind: 'rejected', ref, category: plan.category, reason: plan.reason, text: plan.text, message: true }
  if (plan.t === 'filtered') return { kind: 'filtered', ref, reason: plan.reason, duplicate, message: true }
  return { kind: 'message', ref, duplicate, plan }
}

function itemOutcome(item: Exclude<ArchiveItem, { kind: 'block' | 'message' }>, shard?: ShardRun): PipelineOutcome {
  switch (item.kind) {
    case 'file':
      return { kind: 'file', file: item.file, format: item.format }
    case 'end':
      return { kind: 'end', file: item.file, lines: item.lines, ...(item.blank ? { blank: true as const } : {}), ...(item.headerOnly ? { headerOnly: true as const } : {}) }
    case 'skipped':
      return { kind: 'skipped', path: item.path, reason: item.reason }
    case 'unreadable':
      return { kind: 'unreadable', file: item.file, reason: item.reason, ...(item.retryable ? { retryable: true } : {}) }
    case 'rejected':
      if (shard && shard.index !== 0) return { kind: 'filtered', ref: item.ref, reason: OTHER_SHARD, duplicate: false, message: false }
      return { kind: 'rejected', ref: item.ref, category: item.category, reason: item.reason, text: item.text, message: false }
  }
}

/**
 * Counts an outcome's read side (files, messages, rejections, duplicates, filters) the way a
 * replay counts a settled line (commit/committer.ts applies the same `countRead`).
 * A message no subscription matched is counted as filtered `no-subscription` only by replay.
 */
export function countOutcome(counts: ScanCounts, o: PipelineOutcome): void {
  switch (o.kind) {
    case 'file':
      counts.files++
      if (o.format === 'csv') counts.csvFiles++
      return
    case 'end':
      return
    case 'skipped':
      noteSkipped(counts, o.path, o.reason)
      return
    case 'unreadable':
      noteUnreadable(counts, o.file, o.reason, o.retryable)
      return
    case 'rejected':
      countRead(counts, { kind: 'rejected', category: o.category })
      return
    case 'filtered':
      countRead(counts, { kind: 'filtered', reason: o.reason, duplicate: o.duplicate })
      return
    case 'message':
      countRead(counts, { kind: 'message', duplicate: o.duplicate })
  }
}

function envCount(name: string): number | undefined {
  const v = process.env[name]
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined
}

/** A file (or stdin) read to its end, as `onFileEnd` reports it. */
export interface FileEnd {
  file: string
  lines: number
  /** A CSV file with its header row and no data row (`lines` is 0: nothing was read from it). */
  headerOnly?: boolean
}

/**
 * The files read to their end without one line (an empty file, an empty gzip, stdin at its end,
 * a CSV file with its header row only), from what `onFileEnd` reported: a file that could not be
 * read is unreadable, not empty.
 */
export function emptyFilesOf(ended: readonly FileEnd[], counts: Pick<ScanCounts, 'unreadableFiles'>): string[] {
  return ended.filter((f) => f.lines === 0 && !counts.unreadableFiles.some((u) => u.file === f.file)).map((f) => f.file)
}

/** Of `emptyFilesOf`, the CSV files that held their header row only (named so in the warnings). */
export function headerOnlyFilesOf(ended: readonly FileEnd[], counts: Pick<ScanCounts, 'unreadableFiles'>): string[] {
  return emptyFilesOf(
    ended.filter((f) => f.headerOnly === true),
    counts,
  )
}

/** A kept message (filters passed), with what the subscriptions made of it when they were given. */
export interface ReadMessage {
  message: SegmentMessage
  ref: SourceRef
  duplicate: boolean
  /** The records each matching subscription produced (validation failures produce none). */
  records: Array<{ sub: number; record: AmplitudeRecord }>
  /** The line the message was parsed from (`keepText`; absent for a CSV row). */
  text?: string
}

export interface ReadMessagesOptions extends PipelineThreads {
  archive: Archive
  filters?: FilterOptions
  /** Map each kept message through these (diff-mappings, migrate --verify); none: route only. */
  subscriptions?: CompiledSubscription[]
  /** Counts of what was read, by the rules `countOutcome` applies. */
  counts?: ScanCounts
  /** Give each message's line text too (`ReadMessage.text`). */
  keepText?: boolean
  stdin?: Readable
  onBytes?: (n: number) => void
  /** A line that is no message, or a message that cannot be processed (`message`). */
  onRejected?: (line: Extract<PipelineOutcome, { kind: 'rejected' }>) => void | Promise<void>
  /** A file (or stdin) read to its end, or as far as it could be read, with its count of lines (and whether it was a CSV header row only). */
  onFileEnd?: (file: string, lines: number, headerOnly?: boolean) => void
  onWarning?: (text: string) => void
}

/**
 * How `readMessages` plans a line: a service that plans a kept message again elsewhere (another
 * thread, from a spilled copy) plans it with these settings and gets the same records.
 */
export function readPlannerSettings(subscriptions: CompiledSubscription[], filters?: FilterOptions): PlannerSettings {
  return { subscriptions, filters, keepMessage: true, keepRecords: true, recordsFromThreads: true, messageClock: true, serialize: false }
}

/**
 * The kept messages of an archive, in archive order, through the same pipeline as replay (any
 * `--workers`): what inspect, diff-mappings and migrate --verify read. A group identify's missing
 * time is the message's own time, so comparisons do not depend on when they run.
 */
export async function* readMessages(o: ReadMessagesOptions): AsyncGenerator<ReadMessage> {
  const counts = o.counts ?? emptyCounts()
  const pipeline = openPipeline({
    archive: o.archive,
    planner: { ...readPlannerSettings(o.subscriptions ?? [], o.filters), ...(o.keepText ? { keepText: true } : {}) },
    stdin: o.stdin,
    onBytes: o.onBytes,
    workers: o.workers,
    batchLines: o.batchLines,
    inlineLines: o.inlineLines,
    onWarning: o.onWarning,
  })
  for await (const block of pipeline.outcomes) {
    for (const line of block) {
      countOutcome(counts, line)
      if (line.kind === 'rejected') await o.onRejected?.(line)
      // A file of blank lines only read nothing: it ends as an empty one does (no line with data).
      if (line.kind === 'end') o.onFileEnd?.(line.file, line.blank ? 0 : line.lines, line.headerOnly === true)
      if (line.kind !== 'message') continue
      const plan = line.plan
      yield {
        message: plan.message!,
        ref: line.ref,
        duplicate: line.duplicate,
        records: plan.records.map((r) => ({ sub: r.sub, record: r.record! })),
        ...(plan.text !== undefined ? { text: plan.text } : {}),
      }
    }
  }
}
