/**
 * `segamp replay` as a library call: the stages composed, source → decode → route → map →
 * deliver → commit (README, "Architecture"), and nothing else. The pipeline (pipeline.ts: the
 * reader's blocks planned on this thread or `--workers` threads, back in archive order) yields
 * each line's outcome; commit's line outcomes record it and hand back the records to send; the
 * sink (sink.ts) gives them to live delivery or to the dry-run writer, whose acknowledgements and
 * dead letters settle the lines. Every input line ends in exactly one place: sent, filtered,
 * rejected, or dead-lettered.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Region, SourceRef } from '../types.js'
import type { ArchiveOptions } from '../pipeline/decode/index.js'
import type { FilterOptions, ShardRun } from '../pipeline/route/index.js'
import type { CompiledSubscription } from '../segment/subscriptions/index.js'
import { DeliveryAbortedError, FatalDeliveryError, displayUrl, type DeliveryOptions } from '../pipeline/deliver/index.js'
import {
  openCommit,
  openLineOutcomes,
  resumeOrStart,
  type CheckpointCadence,
  type Commit,
  type LineOutcome,
  type LineOutcomes,
  type MessageOutcomePlan,
  type ReplayCounts,
  type ReplayReport,
  type StateDir,
} from '../pipeline/commit/index.js'
import { exitCodeOf, exitCodes, UsageError } from '../errors.js'
import { redactText } from '../secrets.js'
import { hasUnreadable, honestDryRun, isAlive, PRIVATE_FILE_MODE, secureFile } from '../pipeline/commit/index.js'
import { stateDirAt } from './state.js'
import { openPipeline, type PipelineOutcome } from '../pipeline/index.js'
import type { SerializedPlannedRecord } from '../pipeline/plan.js'
import { openSink, type Sink } from './sink.js'
import { runSettings } from './settings.js'
import { openInput, visible } from './input.js'

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
  /**
   * `fresh` because the run cannot resume (--sandbox, stdin), not because --fresh asked for it:
   * another run's checkpoint in the state directory is refused instead of overwritten.
   */
  freshImplied?: boolean
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

/** The stages composed: input → pipeline (read, decode, route, map) → line outcomes → sink; commit keeps the record. */
async function run(opts: ReplayOptions, state: StateDir, started: number, staleLock?: string): Promise<ReplayReport> {
  const settings = runSettings(opts)
  const dryRun = settings.delivery.dryRun
  const { previous, counts } = await resumeOrStart({
    state,
    runId: opts.runId,
    fresh: opts.fresh,
    freshImplied: opts.freshImplied,
    dryRun,
    staleLock,
    subscriptions: opts.subscriptions,
    onWarning: opts.onWarning,
  })
  // A finished run with unreadable files goes on: a resume reads them again (commit/unreadable.ts).
  if (previous?.done && !hasUnreadable(previous.counts)) return finish(opts, state, counts, started, { resumed: true, alreadyDone: true, interrupted: false })
  const input = await openInput(opts, state, previous)
  let stateError: Error | undefined
  // The state cannot be written (the lock taken over, S3 failing): stop, resumable (exit 75).
  const onStateError = (error: Error): void => {
    stateError ??= error
    stop.interrupt()
  }
  const commit = await openCommit({
    state,
    runId: opts.runId,
    dryRun,
    previous,
    completed: input.completed,
    identities: input.identities,
    counts,
    shard: opts.shard,
    inputs: { files: input.archive.sources.length, bytes: input.archive.totalBytes },
    checkpointEveryMs: opts.checkpointEveryMs,
    onStateError,
  })
  const emptyFiles: string[] = []
  const headerOnlyFiles: string[] = []
  const lines = openLineOutcomes({
    commit,
    counts,
    previous: previous?.counts,
    skipLine: input.skipLine,
    onWarning: opts.onWarning,
    onEmptyFile: (f, headerOnly) => {
      emptyFiles.push(f)
      if (headerOnly) headerOnlyFiles.push(f)
    },
    visible,
  })
  // 0600: with --out-include-keys the file holds the API key.
  const outLock = dryRun && opts.out ? lockOut(opts.out) : undefined
  const outFd = dryRun && opts.out ? openOut(opts.out, outLock) : undefined
  if (opts.out && outFd !== undefined) secureFile(opts.out)
  const sink = openSink(settings.delivery, lines, counts, outFd !== undefined && opts.out ? { fd: outFd, path: opts.out } : undefined, opts.onWarning)
  commit.countRequests(() => sink.stats().requests)
  const tally = { bytes: 0, read: 0, sentBefore: counts.sent, messagesBefore: counts.messages }
  const stop = watchSignal(opts.signal, sink)
  const progress = reportProgress(opts, input.archive.totalBytes, tally, counts, sink, started)
  const pipeline = openPipeline({
    archive: input.archive,
    planner: settings.planner,
    stdin: opts.stdin,
    onBytes: (n) => (tally.bytes += n),
    skipFile: input.skipFile,
    skipLine: input.skipLine,
    workers: opts.workers,
    batchLines: opts.workerBatchLines,
    inlineLines: opts.workerInlineLines,
    prestart: input.archive.totalBytes >= PRESTART_BYTES,
    onWarning: opts.onWarning,
  })
  let fatal: Error | undefined
  let completedRun = false
  try {
    if (!stop.interrupted) {
      await applyAll(pipeline.outcomes, lines, sink, commit, stop, tally)
      if (!stop.interrupted) {
        progress.tick('draining')
        await sink.flush()
        completedRun = !stop.interrupted
      }
    }
  } catch (error) {
    fatal = await stopped(error, stop, sink)
  } finally {
    stop.release()
    progress.stop()
    if (stop.interrupted || fatal) await sink.abort().catch(() => undefined)
    sink.close()
    // "done" only when the whole archive was read and every record settled; any other way out
    // (Ctrl-C, a fatal answer, an unexpected error) leaves a checkpoint to resume from.
    commit.save(completedRun && !stop.interrupted && !fatal && commit.ledger.open === 0)
    if (outFd !== undefined) closeSync(outFd)
    outLock?.()
    await commit.close()
  }
  if (stateError) throw stateError
  progress.tick('done')
  return finish(opts, state, counts, started, {
    resumed: Boolean(previous),
    alreadyDone: false,
    interrupted: stop.interrupted,
    fatal,
    sentThisRun: counts.sent - tally.sentBefore,
    // Read, but not settled when the run stopped: the resume reads these again.
    leftForResume: tally.read - (counts.messages - tally.messagesBefore),
    workers: pipeline.workers,
    emptyFiles,
    headerOnlyFiles,
  })
}

/** Applies each line's outcome in archive order and sends its records; stops reading on Ctrl-C. */
async function applyAll(outcomes: AsyncGenerator<PipelineOutcome[]>, lines: LineOutcomes, sink: Sink, commit: Commit, stop: Stop, tally: { read: number }): Promise<void> {
  for await (const block of outcomes) {
    for (const line of block) {
      if (stop.interrupted) return
      const isMessage = line.kind === 'message' || ((line.kind === 'filtered' || line.kind === 'rejected') && line.message)
      if (isMessage) {
        if (commit.ledger.open > MAX_OPEN_LINES) {
          // A throttled or retried line holds the position back: settle everything pushed so far
          // before reading on, which bounds memory and what a crash would re-read.
          await sink.flush()
          if (stop.interrupted) return
        }
        tally.read++
      }
      // Replay's planner serializes every record (settings.ts never turns `serialize` off).
      const records = lines.add(line as LineOutcome<MessageOutcomePlan<SerializedPlannedRecord>>)
      if (records.length === 0) continue
      // A dry run's sink takes records at once (no promise): no await, so no turn of the microtask queue per line.
      const sending = sink.send(records, (line as { ref: SourceRef }).ref)
      if (sending) await sending
    }
  }
}

/** A run that stopped on an error: a fatal answer is reported; anything else is thrown once what was read has settled. */
async function stopped(error: unknown, stop: Stop, sink: Sink): Promise<Error | undefined> {
  if (error instanceof FatalDeliveryError) return error
  if (stop.interrupted && error instanceof DeliveryAbortedError) return undefined
  // Reading stopped (an s3:// input that cannot be read, say): what was read goes out and
  // settles first, so the checkpoint keeps it and the resume starts after it.
  if (!(error instanceof DeliveryAbortedError)) await sink.flush().catch(() => undefined)
  throw error
}

interface Stop {
  readonly interrupted: boolean
  /** Stops as Ctrl-C does (the state cannot be written). */
  interrupt(): void
  release(): void
}

/**
 * Ctrl-C: stop reading, let requests in flight finish (their outcomes are recorded), stop
 * sending the rest (a resumed run sends them), even while draining or throttled.
 */
function watchSignal(signal: AbortSignal | undefined, sink: Sink): Stop {
  let interrupted = Boolean(signal?.aborted)
  const onAbort = (): void => {
    interrupted = true
    void sink.abort().catch(() => undefined)
  }
  if (!interrupted) signal?.addEventListener('abort', onAbort, { once: true })
  return {
    get interrupted() {
      return interrupted
    },
    interrupt: onAbort,
    release: () => signal?.removeEventListener('abort', onAbort),
  }
}

function reportProgress(
  opts: ReplayOptions,
  totalBytes: number,
  tally: { bytes: number; read: number; sentBefore: number; messagesBefore: number },
  counts: ReplayCounts,
  sink: Sink,
  started: number,
) {
  const tick = (phase: ReplayProgress['phase']): void => {
    if (!opts.onProgress) return
    const st = sink.stats()
    opts.onProgress({
      phase,
      bytes: tally.bytes,
      totalBytes,
      messages: tally.messagesBefore + tally.read,
      sent: counts.sent,
      sentThisRun: counts.sent - tally.sentBefore,
      deadLettered: counts.deadLettered,
      outstanding: st.outstanding,
      parked: st.parked,
      retries: counts.retries,
      throttles: counts.throttles,
      elapsedMs: Date.now() - started,
    })
  }
  const ticker = opts.onProgress ? setInterval(() => tick('reading'), 200) : undefined
  return { tick, stop: () => ticker && clearInterval(ticker) }
}

async function finish(
  opts: ReplayOptions,
  state: StateDir,
  counts: ReplayCounts,
  started: number,
  how: {
    resumed: boolean
    alreadyDone: boolean
    interrupted: boolean
    fatal?: Error
    sentThisRun?: number
    leftForResume?: number
    workers?: number
    emptyFiles?: string[]
    headerOnlyFiles?: string[]
  },
): Promise<ReplayReport> {
  const partial = counts.rejected > 0 || counts.deadLettered > 0 || counts.unreadableFiles.length > 0
  // A file a store failed to serve past its retries is not lost: the same command later resumes
  // and reads it (exit 75, so a scheduler retries instead of failing the run for good).
  const retryLater = counts.unreadableFiles.some((u) => u.retryable)
  const exitCode = how.fatal ? exitCodeOf(how.fatal) : how.interrupted ? exitCodes.INTERRUPTED : retryLater ? exitCodes.TEMPFAIL : partial ? exitCodes.PARTIAL : exitCodes.OK
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
    ...(how.fatal instanceof FatalDeliveryError && how.fatal.check ? { errorHint: how.fatal.check } : {}),
    durationMs: Date.now() - started,
    exitCode,
    ...counts,
    sentThisRun: how.sentThisRun ?? 0,
    leftForResume: how.leftForResume ?? 0,
    workers: how.workers ?? 1,
    throttledWallMs: counts.throttledWallMs ?? 0,
    ...(opts.shard ? { shard: opts.shard } : {}),
    wouldSend: 0,
    ...(how.emptyFiles && how.emptyFiles.length > 0 ? { emptyFiles: how.emptyFiles } : {}),
    ...(how.headerOnlyFiles && how.headerOnlyFiles.length > 0 ? { headerOnlyFiles: how.headerOnlyFiles } : {}),
  })
  await state.writeReport(report)
  return report
}

/**
 * Holds --out for this run (`<out>.lock`, with its pid) and returns its release: two runs writing
 * one file (two shards given the same --out) each truncated it and wrote at their own offsets,
 * leaving their requests mixed and both exiting 0. A lock whose process is gone is taken over.
 */
function lockOut(out: string): () => void {
  // A device or a pipe (--out /dev/stdout) is not a file two runs could mix: no lock file beside it (in /dev).
  if (existsSync(out) && !statSync(out).isFile()) return () => undefined
  const path = `${out}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', PRIVATE_FILE_MODE)
      writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }) + '\n')
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (error) {
      // Not a lock we can take (a folder that does not exist): openOut names the problem.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return () => undefined
      let pid = 0
      try {
        pid = Number(JSON.parse(readFileSync(path, 'utf8')).pid)
      } catch {
        /* unreadable: taken over */
      }
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new UsageError(`--out ${out}: another segamp run (pid ${pid}) is writing it; two runs writing one --out (two shards) would mix their requests in one file`, {
          code: 'out-in-use',
          hint: `Give each run its own --out: with --shard or --shards, {shard} in it becomes the shard index (--out requests-{shard}.ndjson). If no run is active, delete ${path}.`,
        })
      }
      rmSync(path, { force: true })
    }
  }
  return () => undefined
}

/** The dry run's --out file (0600), or a usage error naming the flag: a folder, a missing folder. */
function openOut(path: string, release?: () => void): number {
  try {
    return openSync(path, 'w', PRIVATE_FILE_MODE)
  } catch (error) {
    release?.()
    throw new UsageError(`--out ${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      code: 'bad-flag',
      hint: 'Give --out the path of a file to write, in a folder that exists, e.g. --out requests.ndjson.',
    })
  }
}
