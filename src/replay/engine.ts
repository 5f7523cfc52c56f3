/**
 * `segamp replay` as a library call: archive → filters → subscriptions (trigger, mapping,
 * action) → delivery (live, or recorded for --dry-run) with a checkpoint after acknowledged
 * work. Every input line ends in exactly one place: sent, filtered, rejected, or dead-lettered.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { AmplitudeRecord, Region, SegmentMessage, SourceRef } from '../types.js'
import { openArchive, type ArchiveOptions } from '../archive/reader.js'
import { compileFilters, type FilterOptions } from '../archive/filters.js'
import { DuplicateCounter } from '../archive/duplicates.js'
import { runSubscriptions, type CompiledSubscription } from '../mapping/subscriptions.js'
import { createDelivery, DeliveryAbortedError, FatalDeliveryError, type DeliveryCallbacks, type DeliveryItem, type DeliveryOptions, type Delivery } from '../amplitude/delivery.js'
import { resolveEndpoint } from '../amplitude/requests.js'
import { createDryRunDelivery } from './dry-run.js'
import { redactSecretsInText } from '../archive/message.js'
import { LineLedger, type LineEntry } from './ledger.js'
import { acquireLock, fileSize, readCheckpoint, truncateTo, writeCheckpoint, writeJson, type Checkpoint } from './state.js'
import { emptyReplayCounts, type ReplayCounts, type ReplayReport } from './report.js'

export interface ReplayProgress {
  phase: 'reading' | 'draining' | 'done'
  bytes: number
  totalBytes: number
  messages: number
  sent: number
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
}

interface LineData {
  kind: 'message' | 'rejected' | 'filtered'
  reason?: string
  text?: string
  category?: string
  /** Per-record outcomes, filled as records settle: [subscription index, endpoint, dead?]. */
  outcomes?: Array<{ sub: number; endpoint: string; dead?: { status: number | null; reason: string; attempts: number; record: Record<string, unknown> } }>
  /** Subscriptions that matched but whose action rejected the event (Segment's validation). */
  invalid?: Array<{ sub: number; reason: string; message: SegmentMessage }>
  matched?: number[]
  duplicate?: boolean
  /** Records the line produced (counted as planned when it commits). */
  records?: number
  /** `counts.files` when the line was read (the checkpoint keeps the value of its position). */
  files: number
}

interface ItemContext {
  entry: LineEntry<LineData>
  sub: number
  endpoint: string
}

const DRY_RUN_KEY = 'dry-run-api-key'
/** Lines read but not committed before reading pauses (bounds memory and what a crash re-reads). */
const MAX_OPEN_LINES = 100_000

export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now()
  const dir = opts.stateDir
  mkdirSync(dir, { recursive: true })
  const lock = acquireLock(dir)
  try {
    return await run(opts, dir, started, lock.stale)
  } finally {
    lock.release()
  }
}

async function run(opts: ReplayOptions, dir: string, started: number, staleLock?: number): Promise<ReplayReport> {
  const deadLetterPath = join(dir, 'dead-letter.ndjson')
  const rejectedPath = join(dir, 'rejected.ndjson')
  const subs = opts.subscriptions
  const dryRun = Boolean(opts.dryRun)

  // --- resume or start fresh ---
  let previous: Checkpoint<ReplayCounts> | undefined
  if (!opts.fresh && !dryRun) previous = readCheckpoint<ReplayCounts>(dir)
  if (dryRun && readCheckpoint(dir)) {
    // A dry run would truncate the dead-letter/rejected files a resumable run still needs.
    throw new Error(`${dir} holds the checkpoint of a run that sends; a dry run needs its own --state-dir`)
  }
  if (previous && previous.runId !== opts.runId) {
    throw new Error(`${join(dir, 'checkpoint.json')} belongs to another run (${previous.runId}, this is ${opts.runId}); use --fresh to start over or another --state-dir`)
  }
  if (staleLock) opts.onWarning?.(`a previous run (pid ${staleLock}) stopped without releasing ${join(dir, 'lock')}; ${previous ? 'resuming from its checkpoint' : 'starting over'}`)
  const counts: ReplayCounts = previous ? previous.counts : emptyReplayCounts(subs)
  if (previous?.done) {
    return finish(opts, counts, started, { resumed: true, alreadyDone: true, interrupted: false, fatal: undefined })
  }
  const archive = await openArchive(opts.inputs, { ...opts.archive, since: opts.filters?.since })
  const resumeFile = previous?.position?.file
  if (resumeFile !== undefined && !archive.sources.some((s) => s.path === resumeFile)) {
    // The reader would start over from the first line and count and send everything again.
    throw new Error(`the checkpoint's position (${resumeFile}, line ${previous!.position!.line}) is not among the inputs any more (files moved or removed?); use --fresh to start over, or another --state-dir`)
  }
  if (previous) {
    truncateTo(deadLetterPath, previous.files.deadLetter)
    truncateTo(rejectedPath, previous.files.rejected)
  } else {
    truncateTo(deadLetterPath, 0)
    truncateTo(rejectedPath, 0)
  }
  const deadFd = openSync(deadLetterPath, 'a')
  const rejectedFd = openSync(rejectedPath, 'a')
  let deadBytes = fileSize(deadLetterPath)
  let rejectedBytes = fileSize(rejectedPath)
  const outFd = dryRun && opts.out ? openSync(opts.out, 'w') : undefined
  let position: SourceRef | null = previous?.position ?? null
  /** Files read up to the committed position (a resume reads the position's file again). */
  let committedFiles = counts.files

  const appendLine = (fd: number, value: unknown): number => {
    const text = JSON.stringify(value) + '\n'
    writeSync(fd, text)
    return Buffer.byteLength(text)
  }

  // --- commit: a line and all before it are settled ---
  const commit = (entry: LineEntry<LineData>): void => {
    applyCommit(entry)
    // The position moves only once the line's outputs are written.
    position = entry.ref
    committedFiles = entry.data.files
    maybeSave()
  }
  const applyCommit = (entry: LineEntry<LineData>): void => {
    const d = entry.data
    if (d.kind === 'rejected') {
      counts.rejected++
      counts.rejectedByReason[d.category!] = (counts.rejectedByReason[d.category!] ?? 0) + 1
      rejectedBytes += appendLine(rejectedFd, { file: entry.ref.file, line: entry.ref.line, reason: d.reason, text: redactSecretsInText(d.text ?? '') })
      return
    }
    counts.messages++
    if (d.duplicate) counts.duplicates++
    if (d.kind === 'filtered') {
      counts.filtered[d.reason!] = (counts.filtered[d.reason!] ?? 0) + 1
      return
    }
    if (!d.matched || d.matched.length === 0) {
      counts.filtered['no-subscription'] = (counts.filtered['no-subscription'] ?? 0) + 1
      return
    }
    for (const i of d.matched) counts.subscriptions[i].messages++
    counts.planned += d.records ?? 0
    for (const inv of d.invalid ?? []) {
      const s = counts.subscriptions[inv.sub]
      s.invalid++
      counts.deadLettered++
      const reason = `segment validation: ${inv.reason}`
      counts.deadLetterReasons[reason] = (counts.deadLetterReasons[reason] ?? 0) + 1
      deadBytes += appendLine(deadFd, { event: redactMessage(inv.message), status: null, reason, attempts: 0, subscription: s.name, source: entry.ref })
    }
    for (const o of d.outcomes ?? []) {
      const s = counts.subscriptions[o.sub]
      const e = (s.byEndpoint[o.endpoint] ??= { sent: 0, deadLettered: 0 })
      if (o.dead) {
        e.deadLettered++
        counts.deadLettered++
        counts.deadLetterReasons[o.dead.reason] = (counts.deadLetterReasons[o.dead.reason] ?? 0) + 1
        deadBytes += appendLine(deadFd, {
          event: o.dead.record,
          endpoint: o.endpoint,
          status: o.dead.status,
          reason: o.dead.reason,
          attempts: o.dead.attempts,
          subscription: s.name,
          source: entry.ref,
        })
      } else {
        e.sent++
        counts.sent++
      }
    }
  }
  const ledger = new LineLedger<LineData>(commit)

  // --- checkpointing (never for dry runs: they always start over) ---
  let lastSave = 0
  // Requests actually sent (retries included), added to those of the runs this one resumes.
  const requestsBefore = counts.requests
  const syncRequests = (): void => {
    if (!dryRun) counts.requests = requestsBefore + delivery.stats().requests
  }
  const saveCheckpoint = (done: boolean): void => {
    if (dryRun) return
    syncRequests()
    writeCheckpoint<ReplayCounts>(dir, {
      version: 1,
      runId: opts.runId,
      position,
      files: { deadLetter: deadBytes, rejected: rejectedBytes },
      // Counts as of `position`: what a resumed run must not count again.
      counts: done ? counts : { ...counts, files: committedFiles },
      updatedAt: new Date().toISOString(),
      done,
    })
    lastSave = Date.now()
  }
  const everyMs = opts.checkpointEveryMs ?? 1000
  const maybeSave = (): void => {
    if (Date.now() - lastSave >= everyMs) saveCheckpoint(false)
  }

  // --- delivery: live, or a recording transport for --dry-run ---
  const contexts = new Map<number, ItemContext>()
  const apiKey = opts.apiKey ?? (dryRun ? DRY_RUN_KEY : '')
  const callbacks: DeliveryCallbacks = {
    onAck(items) {
      for (const item of items) settle(item)
    },
    onDeadLetter(item, d) {
      const ctx = contexts.get(item.seq)
      if (ctx) {
        ctx.entry.data.outcomes!.push({ sub: ctx.sub, endpoint: ctx.endpoint, dead: { ...d, record: item.record.record } })
        contexts.delete(item.seq)
        ledger.settle(ctx.entry)
      }
      maybeSave()
    },
    onRetry() {
      counts.retries++
    },
    onThrottle(info) {
      counts.throttles++
      counts.throttledMs += info.pauseMs
    },
  }
  const delivery: Delivery = dryRun
    ? createDryRunDelivery(
        {
          apiKey,
          region: opts.region ?? 'us',
          endpointUrl: opts.endpointUrl,
          useBatchEndpoint: opts.useBatchEndpoint,
          batchSize: opts.batchSize,
          skipUserPropertiesSync: opts.skipUserPropertiesSync,
          redact: !(opts.outIncludeKeys && opts.apiKey),
          limits: opts.delivery?.limits,
        },
        callbacks,
        (req) => {
          counts.requests++
          if (outFd !== undefined) appendLine(outFd, req)
        },
      )
    : createDelivery(
        {
          apiKey,
          region: opts.region ?? 'us',
          endpointUrl: opts.endpointUrl,
          useBatchEndpoint: opts.useBatchEndpoint,
          batchSize: opts.batchSize,
          concurrency: opts.concurrency,
          maxEps: opts.maxEps,
          skipUserPropertiesSync: opts.skipUserPropertiesSync,
          ...opts.delivery,
        },
        callbacks,
      )
  const settle = (item: DeliveryItem): void => {
    const ctx = contexts.get(item.seq)
    if (!ctx) return
    ctx.entry.data.outcomes!.push({ sub: ctx.sub, endpoint: ctx.endpoint })
    contexts.delete(item.seq)
    ledger.settle(ctx.entry)
    maybeSave()
  }

  // --- read loop ---
  const filter = compileFilters(opts.filters ?? {})
  const dupes = new DuplicateCounter()
  const subIndexOf = new Map(subs.map((sub, i) => [sub, i]))
  let bytes = 0
  let seq = 0
  let fatal: Error | undefined
  let completed = false
  let interrupted = false
  const progress = (phase: ReplayProgress['phase']): void => {
    if (!opts.onProgress) return
    const st = delivery.stats()
    opts.onProgress({
      phase,
      bytes,
      totalBytes: archive.totalBytes,
      messages: counts.messages + ledger.open,
      sent: counts.sent,
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
  counts.unreadableFiles = counts.unreadableFiles ?? []
  // The resumed position's file is read again (its lines up to the position are skipped): it is counted already.
  let recountedFile = position?.file
  // Ctrl-C: stop reading, let requests in flight finish (their outcomes are recorded), stop
  // sending the rest (a resumed run sends them), even while draining or throttled.
  const onAbort = (): void => {
    interrupted = true
    void delivery.abort().catch(() => undefined)
  }
  if (opts.signal?.aborted) interrupted = true
  else opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const item of interrupted ? [] : archive.items({ resumeAfter: position ?? undefined, stdin: opts.stdin, onBytes: (n) => (bytes += n) })) {
      if (interrupted) break
      if (item.kind === 'file') {
        if (item.file === recountedFile) recountedFile = undefined
        else counts.files++
        continue
      }
      if (item.kind === 'unreadable') {
        // A resumed run meets a file it already reported again.
        if (!counts.unreadableFiles.some((u) => u.file === item.file && u.reason === item.reason)) counts.unreadableFiles.push({ file: item.file, reason: item.reason })
        opts.onWarning?.(`unreadable: ${item.file}: ${item.reason}`)
        continue
      }
      if (item.kind === 'rejected') {
        ledger.add(item.ref, 0, { kind: 'rejected', reason: item.reason, text: item.text, category: item.category, files: counts.files })
        continue
      }
      if (ledger.open > MAX_OPEN_LINES) {
        // A throttled or retried line holds the position back: settle everything pushed so far
        // before reading on, which bounds memory and what a crash would re-read.
        await delivery.flush()
        if (interrupted) break
      }
      const message = item.message
      const duplicate = dupes.see(message.messageId)
      const reason = filter(message)
      if (reason) {
        ledger.add(item.ref, 0, { kind: 'filtered', reason, duplicate, files: counts.files })
        continue
      }
      const outcomes = runSubscriptions(subs, message, { now })
      const data: LineData = { kind: 'message', duplicate, matched: [], outcomes: [], invalid: [], files: counts.files }
      const items: Array<{ record: AmplitudeRecord; sub: number }> = []
      for (const o of outcomes) {
        const subIndex = subIndexOf.get(o.subscription)!
        data.matched!.push(subIndex)
        if (!o.ok) data.invalid!.push({ sub: subIndex, reason: o.reason, message })
        else for (const record of o.records) items.push({ record, sub: subIndex })
      }
      data.records = items.length
      const entry = ledger.add(item.ref, items.length, data)
      for (const it of items) {
        const s = ++seq
        const endpoint = resolveEndpoint(it.record.endpoint, opts.useBatchEndpoint)
        contexts.set(s, { entry, sub: it.sub, endpoint })
        await delivery.push({ seq: s, record: it.record, ref: item.ref, key: orderingKey(it.record) })
      }
    }
    if (!interrupted) {
      progress('draining')
      await delivery.flush()
      completed = !interrupted
    }
  } catch (error) {
    if (error instanceof FatalDeliveryError) fatal = error
    else if (!(interrupted && error instanceof DeliveryAbortedError)) throw error
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    if (ticker) clearInterval(ticker)
    if (interrupted || fatal) await delivery.abort().catch(() => undefined)
    delivery.close()
    // "done" only when the whole archive was read and every record settled; any other way out
    // (Ctrl-C, a fatal answer, an unexpected error) leaves a checkpoint to resume from.
    saveCheckpoint(completed && !interrupted && !fatal && ledger.open === 0)
    closeSync(deadFd)
    closeSync(rejectedFd)
    if (outFd !== undefined) closeSync(outFd)
  }
  progress('done')
  return finish(opts, counts, started, { resumed: Boolean(previous), alreadyDone: false, interrupted, fatal })
}

function finish(
  opts: ReplayOptions,
  counts: ReplayCounts,
  started: number,
  how: { resumed: boolean; alreadyDone: boolean; interrupted: boolean; fatal?: Error },
): ReplayReport {
  const partial = counts.rejected > 0 || counts.deadLettered > 0 || counts.unreadableFiles.length > 0
  const exitCode = how.fatal ? 1 : how.interrupted ? 130 : partial ? 3 : 0
  const report: ReplayReport = {
    runId: opts.runId,
    dryRun: Boolean(opts.dryRun),
    stateDir: opts.stateDir,
    mappings: opts.mappingsSource,
    region: opts.region ?? 'us',
    endpointUrl: opts.endpointUrl ?? null,
    resumed: how.resumed,
    alreadyDone: how.alreadyDone,
    interrupted: how.interrupted,
    error: how.fatal ? how.fatal.message : null,
    durationMs: Date.now() - started,
    exitCode,
    ...counts,
  }
  writeJson(join(opts.stateDir, 'report.json'), report)
  return report
}

/** Events of one device or user stay in order: key on device_id, else user_id. */
export function orderingKey(record: AmplitudeRecord): string {
  const r = record.record
  if (record.endpoint === 'groupidentify') return `g:${String(r.group_type)}:${String(r.group_value)}`
  if (record.endpoint === 'usermap') return `u:${String(r.user_id ?? r.global_user_id ?? '')}`
  const device = r.device_id
  if (typeof device === 'string' && device !== '') return `d:${device}`
  return `u:${String(r.user_id ?? '')}`
}


/** Messages written to dead-letter files never carry the source's writeKey. */
function redactMessage(message: SegmentMessage): SegmentMessage {
  if (message.writeKey === undefined) return message
  return { ...message, writeKey: '<redacted>' }
}
