/**
 * The commit side of one replay run: applies each line's outcome as it settles (counts, the
 * dead-letter and rejected-line files), moves the position as lines commit in archive order
 * (completed files into completed.ndjson), and writes the checkpoint — after every response that
 * settled something and at least every `checkpointEveryMs` while anything else did. Dry runs
 * keep no checkpoint.
 */
import type { SegmentMessage, SourceRef } from '../../types.js'
import { redactSecretsInText } from '../../text.js'
import { LineLedger, type LineEntry } from './ledger.js'
import { CHECKPOINT_VERSION, mergeRanges, type AheadDraft, type Checkpoint } from './checkpoint.js'
import { UsageError } from '../../errors.js'
import type { LogName, StateDir } from './state-dir.js'
import { emptyReplayCounts, type ReplayCounts, type SubscriptionRef } from './report.js'
import { countRead } from './count.js'
import { rmSync } from 'node:fs'
import { join } from 'node:path'

/** What the engine records about one input line while it is open. */
export interface LineData {
  /** `end`: a file's last item (the file is complete once it commits). */
  kind: 'message' | 'rejected' | 'filtered' | 'end'
  /** An `end` an earlier run settled (and counted) already. */
  counted?: boolean
  /** An `end` of a file this run could not read to the end (it is not completed; see unreadable.ts). */
  unreadable?: boolean
  /** Indexes of the line's records acknowledged so far (this run or, for a partial line, the one before). */
  acked?: number[]
  reason?: string
  text?: string
  category?: string
  /** Per-record outcomes, filled as records settle: [subscription index, endpoint, dead?]. */
  outcomes?: Array<{
    sub: number
    endpoint: string
    dead?: { status: number | null; reason: string; attempts: number; record: Record<string, unknown>; options?: Record<string, unknown> }
  }>
  /** Subscriptions that matched but whose action rejected the event (Segment's validation). */
  invalid?: Array<{ sub: number; reason: string; message: SegmentMessage }>
  matched?: number[]
  duplicate?: boolean
  /** Records the line produced (counted as planned when it commits). */
  records?: number
  /** Of those, records whose user_properties mix plain keys with operations. */
  mixed?: number
  /** Matched subscriptions that ran the exact mapping path instead of the compiled one. */
  fallbacks?: number
}

export interface CommitOptions {
  state: StateDir
  runId: string
  dryRun: boolean
  /** The checkpoint resumed from (its files are cut back to what it recorded). */
  previous?: Checkpoint<ReplayCounts>
  /** Files an earlier run completed: path → identity. */
  completed: Map<string, string>
  /** Identity (size + mtime, or ETag) of every input, by path. */
  identities: Map<string, string>
  counts: ReplayCounts
  /** `--shard K/N`: which shard, and the run id the shards share (route/'s ShardRun). */
  shard?: { index: number; count: number; group: string }
  inputs: { files: number; bytes: number }
  checkpointEveryMs?: number
  /** Writing the state failed (an S3 PUT, the lock taken over): the run must stop. */
  onStateError?: (error: Error) => void
}

export interface Commit {
  ledger: LineLedger<LineData>
  /** Records of a line an interrupted run had acknowledged already (taken once). */
  takePartial(ref: SourceRef): ReadonlySet<number>
  /** Where the requests count comes from (the delivery's). */
  countRequests(sent: () => number): void
  /** Writes the checkpoint after the current synchronous pass (one write per response). */
  saveSoon(): void
  /** Writes the checkpoint now; `done` when the whole input was read and every line settled. */
  save(done: boolean): void
  /** One record of the line was acknowledged (its index among the line's records). */
  ack(entry: LineEntry<LineData>, index: number): void
  /** The line was read with records an interrupted run had acknowledged already. */
  partlySent(entry: LineEntry<LineData>): void
  /** Stops the timer, waits for the state's writes and closes the files. */
  close(): Promise<void>
}

/** What `replay --retry-dead-letters` did to the dead letters (by line index in dead-letter.ndjson; see src/replay/retry-dead-letters.ts). */
export const RETRY_LEDGER_FILE = 'dead-letter-retries.ndjson'

/**
 * A line settled: its outcome goes into the counts, a rejected line into rejected.ndjson and each
 * dead-lettered record (or event Segment's validation refused) into dead-letter.ndjson.
 */
function countSettled(entry: LineEntry<LineData>, counts: ReplayCounts, write: { rejected(value: unknown): void; deadLetter(value: unknown): void }): void {
  const d = entry.data
  if (d.kind === 'end') {
    if (!d.counted) counts.files++
    // Read whole at last (an earlier run could not): no longer unreadable.
    if (!d.unreadable && counts.unreadableFiles.some((u) => u.file === entry.ref.file)) counts.unreadableFiles = counts.unreadableFiles.filter((u) => u.file !== entry.ref.file)
    return
  }
  if (d.kind === 'rejected') {
    countRead(counts, { kind: 'rejected', category: d.category! })
    write.rejected({ file: entry.ref.file, line: entry.ref.line, reason: d.reason, text: redactSecretsInText(d.text ?? '') })
    return
  }
  if (d.kind === 'filtered') {
    countRead(counts, { kind: 'filtered', reason: d.reason!, duplicate: d.duplicate })
    return
  }
  countRead(counts, { kind: 'message', duplicate: d.duplicate })
  if (!d.matched || d.matched.length === 0) {
    counts.filtered['no-subscription'] = (counts.filtered['no-subscription'] ?? 0) + 1
    return
  }
  for (const i of d.matched) counts.subscriptions[i].messages++
  counts.planned += d.records ?? 0
  if (d.mixed) counts.mixedUserProperties = (counts.mixedUserProperties ?? 0) + d.mixed
  if (d.fallbacks) counts.mappingFallbacks = (counts.mappingFallbacks ?? 0) + d.fallbacks
  for (const inv of d.invalid ?? []) {
    const s = counts.subscriptions[inv.sub]
    s.invalid++
    counts.deadLettered++
    const reason = `segment validation: ${inv.reason}`
    counts.deadLetterReasons[reason] = (counts.deadLetterReasons[reason] ?? 0) + 1
    write.deadLetter({ event: redactMessage(inv.message), status: null, reason, attempts: 0, subscription: s.name, source: entry.ref })
  }
  for (const o of d.outcomes ?? []) {
    const s = counts.subscriptions[o.sub]
    const e = (s.byEndpoint[o.endpoint] ??= { sent: 0, deadLettered: 0 })
    if (o.dead) {
      e.deadLettered++
      counts.deadLettered++
      counts.deadLetterReasons[o.dead.reason] = (counts.deadLetterReasons[o.dead.reason] ?? 0) + 1
      write.deadLetter({
        event: o.dead.record,
        endpoint: o.endpoint,
        ...(o.dead.options && Object.keys(o.dead.options).length > 0 ? { options: o.dead.options } : {}),
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

const NOTHING_CARRIED: ReadonlySet<number> = new Set()

/**
 * The range lists as one. Each is in normal form already (sorted, merged where ranges touch), so
 * an empty one is left out rather than merged: merging would only copy and re-sort the others,
 * and a live run's window can hold thousands of ranges, saved after every response.
 */
function mergeNonEmpty(...lists: Array<Checkpoint['ahead']>): Checkpoint['ahead'] {
  const given = lists.filter((l) => l.length > 0)
  return given.length === 0 ? [] : given.reduce((a, b) => mergeRanges(a, b))
}

/**
 * A checkpoint's `ahead`: the lines runs before settled beyond the position, the ledger's own
 * (none when the run is done), and those of files read only in part. Most checkpoints have only
 * the ledger's: those are written from its text.
 */
function aheadDraft(carried: Checkpoint['ahead'], ledger: LineLedger<LineData> | undefined, retained: Checkpoint['ahead']): AheadDraft {
  if (carried.length === 0 && retained.length === 0) return ledger ? ledger.settledAheadJson() : []
  return mergeNonEmpty(carried, ledger ? ledger.settledAheadRanges() : [], retained)
}

/** A checkpoint's `partial`: lines carried half-sent from the run before, then this run's, in read order. */
function partialDraft(carried: Iterable<PartialLine>, partly: Iterable<LineEntry<LineData>>): PartialLine[] {
  const out = [...carried]
  for (const e of [...partly].sort((a, b) => a.n - b.n)) out.push({ file: e.ref.file, line: e.ref.line, acked: [...e.data.acked!] })
  return out
}

type PartialLine = NonNullable<Checkpoint['partial']>[number]

export async function openCommit(o: CommitOptions): Promise<Commit> {
  const { state, dryRun, previous, completed, identities, counts } = o
  const writer = await state.openWriter(previous, { onError: o.onStateError, everyMs: o.checkpointEveryMs })
  // A run that starts over starts a new dead-letter file: the retries of the old one are void.
  if (!previous && !state.remote) rmSync(join(state.location, RETRY_LEDGER_FILE), { force: true })
  let position: SourceRef | null = previous?.position ?? null
  /** Partly sent lines of the run before, until this run reads them again (then its ledger holds them). */
  const carriedPartial = new Map((previous?.partial ?? []).map((p) => [`${p.file}\u0000${p.line}`, p]))
  const takePartial = (ref: SourceRef): ReadonlySet<number> => {
    // Asked for every message line: most runs carry nothing.
    if (carriedPartial.size === 0) return NOTHING_CARRIED
    const key = `${ref.file}\u0000${ref.line}`
    const p = carriedPartial.get(key)
    if (!p) return new Set()
    carriedPartial.delete(key)
    return new Set(p.acked)
  }
  /** Lines read from files that then could not be read to the end (kept as `ahead`, even when done). */
  const retained: Checkpoint['ahead'] = []
  /** Files completed by this run (their lines need no listing any more). */
  const completedNow = new Set<string>()
  /**
   * Lines the runs before settled beyond their position: this run skips them, so its own ledger
   * never lists them; the checkpoint keeps them until the position or a file's completion covers them.
   */
  const carriedAhead = (): Checkpoint['ahead'] => {
    const at = position
    return (previous?.ahead ?? [])
      .filter((a) => !completedNow.has(a.file) && !completed.has(a.file))
      .map((a) => ({ file: a.file, lines: at && a.file === at.file ? a.lines.filter(([, b]) => b > at.line) : a.lines }))
      .filter((a) => a.lines.length > 0)
  }

  const appendLine = (log: LogName, value: unknown): void => writer.append(log, jsonLine(value))

  // --- a line settles: its outcome is applied at once (in any order) ---
  const write = { rejected: (value: unknown) => appendLine('rejected', value), deadLetter: (value: unknown) => appendLine('deadLetter', value) }
  const applySettled = (entry: LineEntry<LineData>): void => countSettled(entry, counts, write)

  // --- a line commits: it and all before it are settled; a file's end completes the file ---
  const applyCommitted = (entry: LineEntry<LineData>): void => {
    if (entry.data.kind === 'end' && entry.data.unreadable) {
      // Not completed: the next run reads it again, skipping the lines read now (the position
      // must not cover the end, a line the next run may read).
      if (entry.ref.line > 1) {
        position = { file: entry.ref.file, line: entry.ref.line - 1 }
        retained.push({ file: entry.ref.file, lines: [[1, entry.ref.line - 1]] })
      }
      return
    }
    position = entry.ref
    if (entry.data.kind === 'end') {
      completedNow.add(entry.ref.file)
      appendLine('completed', { file: entry.ref.file, id: identities.get(entry.ref.file) ?? 'stdin' })
    }
  }
  /** Lines with some records acknowledged and some not (the checkpoint's `partial`). */
  const partly = new Set<LineEntry<LineData>>()
  const ledger = new LineLedger<LineData>({
    settled(entry) {
      partly.delete(entry)
      applySettled(entry)
      dirty = true
      settledSinceSave++
    },
    committed: applyCommitted,
  })

  // --- checkpointing (never for dry runs: they always start over) ---
  // Local: written after every response that settled something (so a crash resends only the
  // requests in flight), and at least every `checkpointEveryMs` while anything else settled
  // (filtered and rejected lines, a throttled run); local-state.ts puts most of them in place into
  // a slot, and checkpoint.json at most that often. s3://: at most once per `cadence.everyMs`,
  // sooner when `cadence.everyLines` lines settled since the last one (each is a PUT).
  const cadence = state.cadence
  let dirty = false
  let settledSinceSave = 0
  let lastSave = Date.now()
  let saveQueued = false
  let closed = false
  const requestsBefore = counts.requests
  let requestsSent = (): number => 0
  const syncRequests = (): void => {
    if (!dryRun) counts.requests = requestsBefore + requestsSent()
  }
  const saveCheckpoint = (done: boolean): void => {
    if (dryRun) return
    syncRequests()
    const ahead = aheadDraft(carriedAhead(), done ? undefined : ledger, retained)
    const partial = done ? [] : partialDraft(carriedPartial.values(), partly)
    const open: Record<string, string> = {}
    for (const f of [position?.file, ...ahead.map((a) => a.file), ...partial.map((p) => p.file)]) if (f !== undefined) open[f] = identities.get(f) ?? 'stdin'
    writer.checkpoint<ReplayCounts>({
      version: CHECKPOINT_VERSION,
      runId: o.runId,
      position,
      ahead,
      ...(partial.length > 0 ? { partial } : {}),
      open,
      counts,
      updatedAt: new Date().toISOString(),
      done,
      ...(o.shard ? { shard: o.shard } : {}),
      inputs: o.inputs,
    })
    dirty = false
    settledSinceSave = 0
    lastSave = Date.now()
  }
  const saveSoon = (): void => {
    if (dryRun || saveQueued) return
    if (cadence && settledSinceSave < cadence.everyLines && Date.now() - lastSave < cadence.everyMs) return
    saveQueued = true
    // One write per response: a response settles its records in one synchronous pass. A microtask,
    // not a later turn of the event loop: before it runs, nothing else is sent, so a kill at any
    // moment resends only the requests in flight (a later turn would let new requests go out while
    // the acknowledged ones are not yet written down).
    queueMicrotask(() => {
      saveQueued = false
      if (dirty && !closed) saveCheckpoint(false)
    })
  }
  const saver = dryRun ? undefined : setInterval(() => dirty && saveCheckpoint(false), cadence?.everyMs ?? o.checkpointEveryMs ?? 1000)
  return {
    ledger,
    takePartial,
    countRequests(sent) {
      requestsSent = sent
    },
    saveSoon,
    save: saveCheckpoint,
    ack(entry, index) {
      // Which records of a half-sent line were acknowledged matters only to a checkpoint (never a
      // dry run's), and only while the line has others pending: its last record settles it (most
      // lines have one record, and keep no list).
      if (!dryRun && (entry.pending > 1 || entry.data.acked)) {
        ;(entry.data.acked ??= []).push(index)
        if (entry.pending > 1) partly.add(entry)
      }
      ledger.settle(entry)
    },
    partlySent(entry) {
      if (entry.pending > 0 && entry.data.acked?.length) partly.add(entry)
    },
    async close() {
      closed = true
      if (saver) clearInterval(saver)
      await writer.close()
    },
  }
}

/**
 * The checkpoint a run resumes from, or none: a dry run never resumes (and refuses a state
 * directory that holds a sending run's checkpoint, whose files it would cut); a checkpoint of
 * another run is refused. The counts go on from the checkpoint's.
 */
export async function resumeOrStart(o: {
  state: StateDir
  runId: string
  fresh?: boolean
  /** Fresh only because the run cannot resume (--sandbox, stdin): another run's checkpoint is refused, not overwritten. */
  freshImplied?: boolean
  dryRun: boolean
  staleLock?: string
  subscriptions: readonly SubscriptionRef[]
  onWarning?: (text: string) => void
}): Promise<{ previous?: Checkpoint<ReplayCounts>; counts: ReplayCounts }> {
  const { state } = o
  let previous: Checkpoint<ReplayCounts> | undefined
  if (!o.fresh && !o.dryRun) previous = await state.readCheckpoint<ReplayCounts>()
  if (o.dryRun && (await state.readCheckpoint({ anyVersion: true }))) {
    // A dry run would truncate the dead-letter/rejected files a resumable run still needs.
    throw new UsageError(`${state.location} holds the checkpoint of a run that sends; a dry run needs its own --state-dir`, {
      code: 'state-dir-in-use',
      hint: 'Give the dry run another --state-dir (or none: it gets one of its own).',
    })
  }
  // --sandbox or stdin starts over in its own state directory; in another run's (a live run's,
  // given as --state-dir) it would wipe that run's checkpoint and dead letters unasked.
  const other = o.fresh && o.freshImplied && !o.dryRun ? await state.readCheckpoint<ReplayCounts>({ anyVersion: true }).catch(() => undefined) : undefined
  if (other && other.runId !== o.runId) previous = other
  if (previous && previous.runId !== o.runId) {
    const shards = otherShardProblem(state.location, state.where('checkpoint'), previous.runId, o.runId)
    if (shards) throw shards
    throw new UsageError(`${state.where('checkpoint')} belongs to another run (${previous.runId}, this is ${o.runId}); use --fresh to start over or another --state-dir`, {
      code: 'checkpoint-other-run',
      hint: 'The inputs, mappings or sending options differ from the run that wrote it: run that command again to resume it, or rerun with --fresh (or another --state-dir) to start this one.',
    })
  }
  if (o.staleLock) o.onWarning?.(`a previous run (${o.staleLock}) stopped without releasing ${state.where('lock')}; ${previous ? 'resuming from its checkpoint' : 'starting over'}`)
  const counts: ReplayCounts = previous ? previous.counts : emptyReplayCounts(o.subscriptions)
  counts.skippedPaths ??= []
  counts.unreadableFiles ??= []
  return { previous, counts }
}

const SHARD_SUFFIX = /^(.*)-shard-(\d+)-of-(\d+)$/

/**
 * A state directory of one shard given to another run, one of them a shard (the same --state-dir
 * on every pod): said so, and never with the usual advice of --fresh, which would wipe the other
 * shard's checkpoint and dead letters.
 */
function otherShardProblem(location: string, checkpoint: string, theirs: string, ours: string): UsageError | undefined {
  const [t, o] = [SHARD_SUFFIX.exec(theirs), SHARD_SUFFIX.exec(ours)]
  if (!t && !o) return undefined
  const which = t ? `shard ${t[2]}/${t[3]}${o && o[1] === t[1] ? '' : ' of another run'}` : 'an unsharded run'
  return new UsageError(`${checkpoint} belongs to ${which} (${theirs}, this is ${ours}); each shard needs its own state directory`, {
    code: 'checkpoint-other-shard',
    hint: o
      ? `Give each shard its own state directory: {shard} in --state-dir becomes the shard index (--state-dir ${location.replace(/\/+$/, '')}-{shard}).`
      : `Give this run another --state-dir: ${location} holds that run's checkpoint and dead letters.`,
  })
}

/**
 * One JSON line. A record or message too deeply nested to serialize is written as what identifies
 * it (its messageId / insert_id), so the dead letter still says which line it was.
 */
export function jsonLine(value: unknown): string {
  try {
    return JSON.stringify(value) + '\n'
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    const v = value as { event?: Record<string, unknown> }
    const e = v.event ?? {}
    const summary = {
      messageId: e.messageId,
      insert_id: e.insert_id,
      type: e.type,
      event: typeof e.event === 'string' ? e.event : undefined,
      note: 'not written: nested too deeply to serialize',
    }
    return JSON.stringify({ ...v, event: summary }) + '\n'
  }
}

/** Messages written to dead-letter files never carry the source's writeKey. */
function redactMessage(message: SegmentMessage): SegmentMessage {
  if (message.writeKey === undefined) return message
  return { ...message, writeKey: '<redacted>' }
}
