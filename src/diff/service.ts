/**
 * `segamp diff-mappings` as a library call: every kept message goes through the Classic
 * emulation and through the Actions subscriptions; the diff aggregator compares the two.
 */
import type { SourceRef } from '../types.js'
import { openArchive, type ArchiveOptions } from '../pipeline/decode/index.js'
import type { FilterOptions } from '../pipeline/route/index.js'
import { emptyCounts, type ScanCounts } from '../pipeline/decode/index.js'
import { readMessages, type PipelineThreads, type ReadMessage } from '../pipeline/index.js'
import { compileClassic, classicAssumptions, type ClassicMode } from '../segment/classic/index.js'
import { readClassicSettings } from '../segment/classic/settings.js'
import type { CompiledSubscription } from '../segment/subscriptions/index.js'
import { countRead } from '../pipeline/commit/index.js'
import { DiffAggregator, redactSecrets, type ActionsRecord, type DiffReport } from './index.js'
import type { ReadProgress } from '../inspect/index.js'

export interface CompareOptions extends PipelineThreads {
  inputs: string[]
  /** How inputs are reached (S3 settings, listing and object progress). */
  archive?: ArchiveOptions
  filters?: FilterOptions
  /** Classic settings as given (object or Public API response); defaults apply. */
  classicSettings: unknown
  classicMode: ClassicMode
  subscriptions: CompiledSubscription[]
  mappingsSource: string
  renameMap?: ReadonlyMap<string, string>
  examples?: number
  /** Stop after this many kept messages (a sample). */
  limit?: number
  onProgress?: (p: ReadProgress) => void
  /** A message that could not be compared (counted as a rejected line, category `unprocessable`). */
  onUnprocessable?: (ref: SourceRef, reason: string) => void
  /** An archive file (or stdin) read to its end, or as far as it could be read, with its count of lines. */
  onFileEnd?: (file: string, lines: number, headerOnly?: boolean) => void
}

export interface CompareResult {
  report: DiffReport
  counts: ScanCounts
}

/** Actions side of one message: what each matching subscription sent (validation failures send nothing). */
export function actionsRecordsOf(subs: CompiledSubscription[], kept: Pick<ReadMessage, 'records'>): ActionsRecord[] {
  return kept.records.map(({ sub, record }) => {
    const rec: ActionsRecord = { subscription: subs[sub].name, actionSlug: subs[sub].actionSlug, endpoint: record.endpoint, record: record.record }
    if (record.options !== undefined) rec.options = record.options // min_id_length: whether Amplitude takes a short id
    return rec
  })
}

export async function compareArchives(opts: CompareOptions): Promise<CompareResult> {
  const classic = compileClassic(opts.classicSettings, { mode: opts.classicMode })
  const settingsInfo = readClassicSettings(opts.classicSettings)
  const archive = await openArchive(opts.inputs, { ...opts.archive, since: opts.filters?.since })
  const counts = emptyCounts()
  const agg = new DiffAggregator({ examples: opts.examples ?? 3 })
  // records Amplitude refuses (no id, an id too short) are reported as refused-by-amplitude, not compared
  const ctx = { renameMap: opts.renameMap, checkIds: { classic: true, actions: true } }
  const progress = { bytes: 0, totalBytes: archive.totalBytes, messages: 0 }
  let kept = 0
  let lastTick = 0
  // Group identify's missing `time` is "now" in Segment; the message's own time keeps runs comparable (readMessages).
  for await (const one of readMessages({
    archive,
    counts,
    filters: opts.filters,
    subscriptions: opts.subscriptions,
    workers: opts.workers,
    batchLines: opts.batchLines,
    inlineLines: opts.inlineLines,
    onBytes: (n) => (progress.bytes += n),
    onRejected: (line) => {
      if (line.message) opts.onUnprocessable?.(line.ref, line.reason)
    },
    onFileEnd: opts.onFileEnd,
  })) {
    const { message, ref } = one
    try {
      agg.add(
        { messageId: typeof message.messageId === 'string' ? message.messageId : undefined, file: ref.file, line: ref.line },
        classic(message),
        actionsRecordsOf(opts.subscriptions, one),
        ctx,
      )
    } catch (error) {
      // One message that cannot be processed (absurd nesting, a bug) is that line's failure only.
      countRead(counts, { kind: 'rejected', category: 'unprocessable' })
      opts.onUnprocessable?.(ref, error instanceof RangeError ? 'nested too deeply (Maximum call stack size exceeded)' : error instanceof Error ? error.message : String(error))
      continue
    }
    kept++
    if (opts.onProgress && (kept & 0x3ff) === 0 && Date.now() - lastTick > 100) {
      lastTick = Date.now()
      progress.messages = counts.messages
      opts.onProgress(progress)
    }
    if (opts.limit !== undefined && kept >= opts.limit) break
  }
  const report = agg.report({
    classicMode: opts.classicMode,
    settings: redactSecrets(settingsInfo.settings as unknown as Record<string, unknown>) as Record<string, unknown>,
    mappingsSource: opts.mappingsSource,
    assumptions: classicAssumptions(opts.classicMode),
  })
  return { report, counts }
}
