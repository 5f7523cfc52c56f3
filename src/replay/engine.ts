/**
 * `segamp replay` as a library call: the stages composed, source → decode → route → map →
 * deliver → commit (README, "Architecture"). The reader (source + decode) yields blocks of lines;
 * `workers.ts` plans them (decode → route → map, on worker threads with `--workers`) and hands
 * the plans back in archive order; this file applies each plan: duplicate ids, the commit
 * stage's ledger, and delivery (live, or recorded for --dry-run). Every input line ends in
 * exactly one place: sent, filtered, rejected, or dead-lettered.
 */
import { visible } from '../cli/terminal.js'
import { closeSync, openSync, writeSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Region, SourceRef } from '../types.js'
import { openArchive, type ArchiveOptions } from '../pipeline/decode/reader.js'
import { DuplicateCounter, OTHER_SHARD, UsageError, type FilterOptions } from '../pipeline/route/index.js'
import { exitCodeOf, exitCodes } from '../errors.js'
import type { CompiledSubscription } from '../segment/subscriptions/index.js'
import { createPlanner, recordOf, unprocessable } from './plan.js'
import { planInOrder, toWorkerSettings } from './workers.js'
import { createDelivery, DeliveryAbortedError, FatalDeliveryError, type DeliveryCallbacks, type DeliveryItem, type DeliveryOptions, type Delivery } from '../pipeline/deliver/delivery.js'
import { displayUrl } from '../pipeline/deliver/requests.js'
import { createDryRunDelivery } from '../pipeline/deliver/dry-run.js'
import type { LineEntry } from '../pipeline/commit/ledger.js'
import { jsonLine, openCommit, resumeOrStart, type LineData } from '../pipeline/commit/committer.js'
import { checkInputsUnchanged, resumeFilter } from '../pipeline/commit/checkpoint.js'
import { completedFiles, type CheckpointCadence, type StateDir } from '../pipeline/commit/index.js'
import { stateDirAt } from './state.js'
import { sourceIdentity } from '../pipeline/source/sources.js'
import { honestDryRun, type ReplayCounts, type ReplayReport } from '../pipeline/commit/report.js'
import type { ShardRun } from '../pipeline/route/shard.js'
import { hasUnreadable, rereadUnreadable } from '../pipeline/commit/unreadable.js'
import { PRIVATE_FILE_MODE, secureFile } from '../pipeline/commit/private-files.js'
import { redactText } from '../secrets.js'

export interface ReplayProgress {
  phase: 'reading' | 'draining' | 'done'
  bytes: number
  totalBytes: number
  /** Messages read so far, those of the runs this one resumes included. */
  messages: number
  sent: number
  /** Sent by this run (what its events/s and ETA are computed from). */
  sentThisRun: number
  deadLettered: number
  /** Records waiting: queued, in flight, backing off or throttled. */
  outstanding: number
  parked: number
  retries: number
  throttles: number
  elapsedMs: number
}

export interface ReplayOptions {
  inputs: string[]
  /** How inputs are reached (S3 settings, listing and object progress). */
  archive?: ArchiveOptions
  stdin?: Readable
  subscriptions: CompiledSubscription[]
  mappingsSource: string
  filters?: FilterOptions
  runId: string
  stateDir: string
  fresh?: boolean
  dryRun?: boolean
  /** --dry-run --out: every request that would be sent, one JSON line each. */
  out?: string
  outIncludeKeys?: boolean
  apiKey?: string
  region?: Region
  endpointUrl?: string
  useBatchEndpoint?: boolean
  batchSize?: number
  concurrency?: number
  maxEps?: number
  skipUserPropertiesSync?: boolean
  /** Engine knobs (retries, pauses, timeouts): tests and advanced use. */
  delivery?: Partial<DeliveryOptions>
  /** Stop reading and settle cleanly (Ctrl-C). */
  signal?: AbortSignal
  onProgress?: (p: ReplayProgress) => void
  onWarning?: (text: string) => void
  /** Clock for groupIdentifyUser's missing time (tests). */
  now?: () => number
  checkpointEveryMs?: number
  /** s3:// state: how often a checkpoint is written (default S3_CADENCE). */
  checkpointCadence?: CheckpointCadence
  /** `--shard K/N`: keep only the messages this shard owns (see shard.ts); the rest are filtered as other-shard. */
  shard?: ShardRun
  /** Threads that decode, route and map (`--workers`; default 1: this thread only). */
  workers?: number
  /** Lines per batch sent to a worker (tests: small batches interleave more). */
  workerBatchLines?: number
  /** Lines planned on this thread before workers start (default 4096; tests: 0). */
  workerInlineLines?: number
}

interface ItemContext {
  entry: LineEntry<LineData>
  sub: number
  endpoint: string
  /** The record's index among the line's records (what a checkpoint's `partial` names). */
  index: number
}

const DRY_RUN_KEY = 'dry-run-api-key'
/** Lines read but not committed before reading pauses (bounds memory and what a crash re-reads). */
const MAX_OPEN_LINES = 100_000
/** Inputs of this size or more start their worker threads at once (their start-up overlaps the first lines). */
const PRESTART_BYTES = 8 * 1024 * 1024

export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now()
  const state = stateDirAt(opts.stateDir, { s3: opts.archive?.s3, cadence: opts.checkpointCadence, onWarning: opts.onWarning })
  try {
    const lock = await state.lock({ runId: opts.runId })
    try {
      return await run(opts, state, started, lock.stale)
    } finally {
      await lock.release()
    }
  } finally {
    state.close()
  }
}

async function run(opts: ReplayOptions, state: StateDir, started: number, staleLock?: string): Promise<ReplayReport> {
  const subs = opts.subscriptions
  const dryRun = Boolean(opts.dryRun)

  // --- resume or start fresh ---
  const { previous, counts } = await resumeOrStart({ state, runId: opts.runId, fresh: opts.fresh, dryRun, staleLock, subscriptions: subs, onWarning: opts.onWarning })
  // A finished run with unreadable files goes on: a resume reads them again (see rereadUnreadable).
  if (previous?.done && !hasUnreadable(previous.counts)) {
    return finish(opts, state, counts, started, { resumed: true, alreadyDone: true, interrupted: false, fatal: undefined })
  }
  const archive = await openArchive(opts.inputs, { ...opts.archive, since: opts.filters?.since })
  if (archive.sources.length === 0 && archive.problems.length > 0) {
    // Not one input could be found: a mistyped path, not a finished replay of nothing.
    throw new UsageError(`nothing to read: ${archive.problems.map((p) => `${visible(p.file)}: ${visible(p.reason)}`).join('; ')}; check the paths`)
  }
  const completed = completedFiles(previous ? await state.readLog('completed', previous) : [])
  const identities = new Map(archive.sources.map((src) => [src.path, sourceIdentity(src)]))
  if (previous) checkInputsUnchanged(previous, completed, identities, opts.onWarning)
  let stateError: Error | undefined
  const commit = await openCommit({
    state,
    runId: opts.runId,
    dryRun,
    previous,
    completed,
    identities,
    counts,
    shard: opts.shard,
    inputs: { files: archive.sources.length, bytes: archive.totalBytes },
    checkpointEveryMs: opts.checkpointEveryMs,
    // The state cannot be written (the lock taken over, S3 failing): stop, resumable (exit 75).
    onStateError: (error) => {
      stateError ??= error
      interrupted = true
      void delivery.abort().catch(() => undefined)
    },
  })
  const { ledger, takePartial, saveSoon } = commit
  // 0600: with --out-include-keys the file holds the API key.
  const outFd = dryRun && opts.out ? openSync(opts.out, 'w', PRIVATE_FILE_MODE) : undefined
  if (opts.out && outFd !== undefined) secureFile(opts.out)

  // --- delivery: live, or a recording transport for --dry-run ---
  const contexts = new Map<number, ItemContext>()
  let pausedUntil = 0
  const sentBefore = counts.sent
  const messagesBefore = counts.messages
  /** Message lines this run read (settled or not): the progress count. */
  let messagesRead = 0
  const apiKey = opts.apiKey ?? (dryRun ? DRY_RUN_KEY : '')
  const deadOutcome = (seq: number, dead: { status: number | null; reason: string; attempts: number; record: Record<string, unknown>; options?: Record<string, unknown> }): void => {
    const ctx = contexts.get(seq)
    if (!ctx) return
    ctx.entry.data.outcomes!.push({ sub: ctx.sub, endpoint: ctx.endpoint, dead })
    contexts.delete(seq)
    ledger.settle(ctx.entry)
  }
  const callbacks: DeliveryCallbacks = {
    onAck(items) {
      for (const item of items) settle(item)
      saveSoon()
    },
    onDeadLetter(item, d) {
      // The request options (min_id_length) too: `--retry-dead-letters` resends the record as it was.
      deadOutcome(item.seq, { ...d, record: item.record.record, options: item.record.options })
      saveSoon()
    },
    onRetry() {
      counts.retries++
    },
    onThrottle(info) {
      counts.throttles++
      counts.throttledMs += info.pauseMs
      // Wall time during which at least one id was paused (pauses overlap; their sum is per id).
      const t = Date.now()
      const until = t + info.pauseMs
      counts.throttledWallMs = (counts.throttledWallMs ?? 0) + Math.max(0, until - Math.max(t, pausedUntil))
      pausedUntil = Math.max(pausedUntil, until)
    },
  }
  const delivery = openDelivery(opts, apiKey, callbacks, outFd, () => counts.requests++)
  commit.countRequests(() => delivery.stats().requests)
  const settle = (item: DeliveryItem): void => {
    const ctx = contexts.get(item.seq)
    if (!ctx) return
    ctx.entry.data.outcomes!.push({ sub: ctx.sub, endpoint: ctx.endpoint })
    contexts.delete(item.seq)
    commit.ack(ctx.entry, ctx.index)
  }

  // --- read loop ---
  const endOfFile = rereadUnreadable(previous?.counts)
  const dupes = new DuplicateCounter()
  const skipLine = previous ? resumeFilter(previous) : undefined
  let bytes = 0
  let seq = 0
  let fatal: Error | undefined
  let completedRun = false
  let interrupted = false
  let workersUsed = 1
  const progress = (phase: ReplayProgress['phase']): void => {
    if (!opts.onProgress) return
    const st = delivery.stats()
    opts.onProgress({
      phase,
      bytes,
      totalBytes: archive.totalBytes,
      messages: messagesBefore + messagesRead,
      sent: counts.sent,
      sentThisRun: counts.sent - sentBefore,
      deadLettered: counts.deadLettered,
      outstanding: st.outstanding,
      parked: st.parked,
      retries: counts.retries,
      throttles: counts.throttles,
      elapsedMs: Date.now() - started,
    })
  }
  const ticker = opts.onProgress ? setInterval(() => progress('reading'), 200) : undefined
  const now = opts.now
  // Ctrl-C: stop reading, let requests in flight finish (their outcomes are recorded), stop
  // sending the rest (a resumed run sends them), even while draining or throttled.
  const onAbort = (): void => {
    interrupted = true
    void delivery.abort().catch(() => undefined)
  }
  if (opts.signal?.aborted) interrupted = true
  else opts.signal?.addEventListener('abort', onAbort, { once: true })
  const items = archive.items({
    stdin: opts.stdin,
    onBytes: (n) => (bytes += n),
    skipFile: previous ? (src) => completed.get(src.path) === identities.get(src.path) : undefined,
    skipLine,
    blocks: true,
  })
  const plannerSettings = { subscriptions: subs, filters: opts.filters, shard: opts.shard, now, useBatchEndpoint: opts.useBatchEndpoint, skipUserPropertiesSync: opts.skipUserPropertiesSync, forOut: outFd !== undefined }
  const workerSettings = toWorkerSettings(plannerSettings)
  const workers = workerSettings ? Math.max(1, opts.workers ?? 1) : 1
  if ((opts.workers ?? 1) > 1 && !workerSettings) opts.onWarning?.('--workers: these subscriptions or filters cannot be compiled on another thread; planning on one thread')
  workersUsed = workers
  const planned = planInOrder(interrupted ? (async function* () {})() : items, {
    workers,
    planner: createPlanner(plannerSettings),
    settings: workerSettings,
    // The environment knobs let the CLI's tests start threads on small archives.
    batchLines: opts.workerBatchLines ?? envCount('SEGAMP_WORKER_BATCH_LINES'),
    inlineLines: opts.workerInlineLines ?? envCount('SEGAMP_WORKER_INLINE_LINES'),
    prestart: archive.totalBytes >= PRESTART_BYTES,
  })
  try {
    for await (const next of planned) {
      if (interrupted) break
      const item = next.item
      if (item) {
        if (item.kind === 'file') continue
        if (item.kind === 'end') {
          // The file's end is a line of its own: the file is complete once the position passes it
          // (also when an earlier run settled the end already: then it is not counted again).
          const ref = { file: item.file, line: item.lines + 1 }
          ledger.add(ref, 0, endOfFile(item.file, skipLine?.(ref.file, ref.line) === true))
          continue
        }
        if (item.kind === 'skipped') {
          if (!counts.skippedPaths.some((p) => p.path === item.path)) counts.skippedPaths.push({ path: item.path, reason: item.reason })
          opts.onWarning?.(`skipped: ${visible(item.path)}: ${visible(item.reason)}`)
          continue
        }
        if (item.kind === 'unreadable') {
          endOfFile.unreadable(item.file)
          // A resumed run meets a file it already reported again.
          if (!counts.unreadableFiles.some((u) => u.file === item.file && u.reason === item.reason)) counts.unreadableFiles.push({ file: item.file, reason: item.reason })
          opts.onWarning?.(`unreadable: ${visible(item.file)}: ${visible(item.reason)}`)
          continue
        }
      }
      const ref = next.ref ?? (item as { ref: SourceRef }).ref
      const plan = next.plan
      const rejection = item?.kind === 'rejected' ? item : plan?.t === 'rejected' && !plan.message ? plan : undefined
      if (rejection) {
        // A line that is no message has no identity: shard 0 reports it, the others count it as theirs to skip.
        if (opts.shard && opts.shard.index !== 0) {
          ledger.add(ref, 0, { kind: 'filtered', reason: OTHER_SHARD })
          continue
        }
        ledger.add(ref, 0, { kind: 'rejected', reason: rejection.reason, text: rejection.text, category: rejection.category })
        continue
      }
      if (!plan) continue
      if (ledger.open > MAX_OPEN_LINES) {
        // A throttled or retried line holds the position back: settle everything pushed so far
        // before reading on, which bounds memory and what a crash would re-read.
        await delivery.flush()
        if (interrupted) break
      }
      messagesRead++
      if (plan.t === 'filtered' && plan.reason === OTHER_SHARD) {
        ledger.add(ref, 0, { kind: 'filtered', reason: OTHER_SHARD })
        continue
      }
      const duplicate = dupes.see(plan.messageId)
      if (plan.t === 'rejected') {
        // A message that could not be processed (absurd nesting, a bug): that line's failure.
        ledger.add(ref, 0, { kind: 'rejected', category: plan.category, reason: plan.reason, text: plan.text })
        continue
      }
      if (plan.t === 'filtered') {
        ledger.add(ref, 0, { kind: 'filtered', reason: plan.reason, duplicate })
        continue
      }
      const data: LineData = { kind: 'message', duplicate, matched: plan.matched, outcomes: [], invalid: plan.invalid, records: plan.records.length, mixed: plan.mixed, fallbacks: plan.fallbacks }
      // Records an interrupted run had sent already (the line was not settled then) are not sent again.
      const done = takePartial(ref)
      for (const i of done) {
        const it = plan.records[i]
        if (it) data.outcomes!.push({ sub: it.sub, endpoint: it.ser.endpoint })
      }
      if (done.size > 0) data.acked = [...done]
      const entry = ledger.add(ref, plan.records.length - data.outcomes!.length, data)
      if (done.size > 0) commit.partlySent(entry)
      for (const [index, it] of plan.records.entries()) {
        if (done.has(index)) continue
        const s = ++seq
        contexts.set(s, { entry, sub: it.sub, endpoint: it.ser.endpoint, index })
        try {
          await delivery.push({ seq: s, record: recordOf(it, opts.skipUserPropertiesSync), ref: ref, key: it.key, ser: it.ser })
        } catch (error) {
          if (error instanceof FatalDeliveryError || error instanceof DeliveryAbortedError) throw error
          // The record cannot even be serialized (absurd nesting): it is dead-lettered, the run goes on.
          deadOutcome(s, { status: null, reason: unprocessable(error), attempts: 0, record: { insert_id: recordOf(it).record.insert_id ?? null } })
        }
      }
    }
    if (!interrupted) {
      progress('draining')
      await delivery.flush()
      completedRun = !interrupted
    }
  } catch (error) {
    if (error instanceof FatalDeliveryError) fatal = error
    else if (!(interrupted && error instanceof DeliveryAbortedError)) {
      // Reading stopped (an s3:// input that cannot be read, say): what was read goes out and
      // settles first, so the checkpoint keeps it and the resume starts after it.
      if (!(error instanceof DeliveryAbortedError)) await delivery.flush().catch(() => undefined)
      throw error
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    if (ticker) clearInterval(ticker)
    if (interrupted || fatal) await delivery.abort().catch(() => undefined)
    delivery.close()
    // "done" only when the whole archive was read and every record settled; any other way out
    // (Ctrl-C, a fatal answer, an unexpected error) leaves a checkpoint to resume from.
    commit.save(completedRun && !interrupted && !fatal && ledger.open === 0)
    if (outFd !== undefined) closeSync(outFd)
    await commit.close()
  }
  if (stateError) throw stateError
  progress('done')
  return finish(opts, state, counts, started, {
    resumed: Boolean(previous),
    alreadyDone: false,
    interrupted,
    fatal,
    sentThisRun: counts.sent - sentBefore,
    // Read, but not settled when the run stopped: the resume reads these again.
    leftForResume: messagesRead - (counts.messages - messagesBefore),
    workers: workersUsed,
  })
}




async function finish(
  opts: ReplayOptions,
  state: StateDir,
  counts: ReplayCounts,
  started: number,
  how: { resumed: boolean; alreadyDone: boolean; interrupted: boolean; fatal?: Error; sentThisRun?: number; leftForResume?: number; workers?: number },
): Promise<ReplayReport> {
  const partial = counts.rejected > 0 || counts.deadLettered > 0 || counts.unreadableFiles.length > 0
  const exitCode = how.fatal ? exitCodeOf(how.fatal) : how.interrupted ? exitCodes.INTERRUPTED : partial ? exitCodes.PARTIAL : exitCodes.OK
  const report: ReplayReport = honestDryRun({
    runId: opts.runId,
    dryRun: Boolean(opts.dryRun),
    stateDir: opts.stateDir,
    mappings: opts.mappingsSource,
    region: opts.region ?? 'us',
    endpointUrl: opts.endpointUrl ? displayUrl(opts.endpointUrl) : null,
    resumed: how.resumed,
    alreadyDone: how.alreadyDone,
    interrupted: how.interrupted,
    error: how.fatal ? redactText(how.fatal.message) : null,
    durationMs: Date.now() - started,
    exitCode,
    ...counts,
    sentThisRun: how.sentThisRun ?? 0,
    leftForResume: how.leftForResume ?? 0,
    workers: how.workers ?? 1,
    throttledWallMs: counts.throttledWallMs ?? 0,
    ...(opts.shard ? { shard: opts.shard } : {}),
    wouldSend: 0,
  })
  await state.writeReport(report)
  return report
}


/**
 * Delivery for this run: live, or (--dry-run) a recorder that packs requests the same way and
 * writes each one to `--out` instead of sending it.
 */
function openDelivery(opts: ReplayOptions, apiKey: string, callbacks: DeliveryCallbacks, outFd: number | undefined, onRecorded: () => void): Delivery {
  // What both pack requests by: a dry run's requests are the ones a live run would send.
  const packing = {
    apiKey,
    region: opts.region ?? 'us',
    endpointUrl: opts.endpointUrl,
    useBatchEndpoint: opts.useBatchEndpoint,
    batchSize: opts.batchSize,
    skipUserPropertiesSync: opts.skipUserPropertiesSync,
  } as const
  if (!opts.dryRun) return createDelivery({ ...packing, concurrency: opts.concurrency, maxEps: opts.maxEps, ...opts.delivery }, callbacks)
  return createDryRunDelivery(
    { ...packing, redact: !(opts.outIncludeKeys && opts.apiKey), limits: opts.delivery?.limits, forOut: outFd !== undefined },
    callbacks,
    (req) => {
      onRecorded()
      if (outFd === undefined) return
      if (typeof req === 'string') writeSync(outFd, req + '\n')
      else if (Buffer.isBuffer(req)) writeSync(outFd, req)
      else writeSync(outFd, jsonLine(req))
    },
  )
}


function envCount(name: string): number | undefined {
  const v = process.env[name]
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined
}
