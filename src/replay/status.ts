/**
 * `segamp status`: the combined progress and report of the shards of one replay, from their
 * state directories (local, copied from pods, or s3://). Reading is at the edge (`readShardState`);
 * combining is pure (`combineShards`).
 */
import { exitCodes, UsageError } from '../errors.js'
import { existsSync, statSync } from 'node:fs'
import { CheckpointUnreadableError, isS3State, STATE_FILES, type Checkpoint, type ReplayCounts, type ReplayReport, type StateDir } from '../pipeline/commit/index.js'
import { OTHER_SHARD } from '../pipeline/route/index.js'
import { visible } from '../text.js'

export interface ShardState {
  dir: string
  checkpoint: Checkpoint<ReplayCounts>
  /** report.json of the last run in this directory, when it belongs to the same run. */
  report?: ReplayReport
}

/** Reads one state directory (a path, or s3://bucket/prefix/); throws a message naming the file and what to do. */
export async function readShardState(state: StateDir): Promise<ShardState> {
  const dir = state.location
  const cpPath = state.where('checkpoint')
  let checkpoint: Checkpoint<ReplayCounts> | undefined
  try {
    checkpoint = await state.readCheckpoint<ReplayCounts>({ anyVersion: true })
  } catch (error) {
    if (!(error instanceof CheckpointUnreadableError)) throw error
    throw new StatusError(error.message.replace(/; use --fresh.*$/, ''), "Copy it again from the shard's volume (it was probably copied while being written).")
  }
  if (!checkpoint) throw await noCheckpointError(state)
  if (typeof checkpoint !== 'object' || !checkpoint.counts || typeof checkpoint.runId !== 'string')
    throw new StatusError(`${cpPath} is not a segamp replay checkpoint`, 'Pass the state directories of `segamp replay` runs (--state-dir, or .segamp/<run-id>).')
  let report: ReplayReport | undefined
  try {
    const r = await state.readReport()
    if (r && r.runId === checkpoint.runId) report = r
  } catch {
    /* a report cut short (copied mid-write): the checkpoint has the counts */
  }
  return { dir, checkpoint, report }
}

/** Why a directory holds no checkpoint: it does not exist, it is a dry run's, or it is no replay's. */
async function noCheckpointError(state: StateDir): Promise<StatusError> {
  const dir = state.location
  if (!isS3State(dir) && !existsSync(dir))
    return new StatusError(`${dir}: no such directory`, 'Pass the directories given by --state-dir, or .segamp/<run-id> (one per shard; `ls .segamp` lists them).')
  // A file given for its folder (e.g. STATE/report.json): say that, not "no checkpoint.json".
  if (!isS3State(dir) && !statSync(dir).isDirectory())
    return new StatusError(`${dir}: a file, not a state directory`, 'Pass the directories given by --state-dir, or .segamp/<run-id> (one per shard).')
  const report = await state.readReport().catch(() => undefined)
  if (report?.dryRun)
    return new StatusError(
      `${dir}: the state directory of a dry run, which keeps no checkpoint (only ${STATE_FILES.report}): status has no progress to show`,
      `Read ${state.where('report')} (the dry run's summary), or run the replay without --dry-run and pass its state directory.`,
    )
  return new StatusError(
    `${dir}: no ${STATE_FILES.checkpoint}, so not a replay state directory (or the shard never started)`,
    'Pass the directories given by --state-dir, or .segamp/<run-id> (one per shard).',
  )
}

export interface ShardRow {
  dir: string
  /** 0-based; 0 of 1 for an unsharded run. */
  index: number
  count: number
  runId: string
  done: boolean
  /** Messages this shard owns (read minus other shards'). */
  messages: number
  sent: number
  deadLettered: number
  rejected: number
  /** Files completed: every line settled (files read but still open in the checkpoint are not). */
  filesDone: number
  inputFiles: number | null
  position: string | null
  updatedAt: string
  /** Why the last run stopped, when it did not finish. */
  stopped: string | null
}

export interface CombinedStatus {
  group: string
  shards: number
  /** Every shard present and done. */
  finished: boolean
  missing: number[]
  unfinished: number[]
  rows: ShardRow[]
  totals: {
    messages: number
    rejected: number
    rejectedByReason: Record<string, number>
    duplicates: number
    filtered: Record<string, number>
    planned: number
    sent: number
    deadLettered: number
    deadLetterReasons: Record<string, number>
    requests: number
    retries: number
    throttles: number
    subscriptions: Array<{ name: string; actionSlug: string; messages: number; invalid: number; sent: number; deadLettered: number }>
    unreadableFiles: Array<{ file: string; reason: string; retryable?: boolean }>
    skippedPaths: Array<{ path: string; reason: string }>
  }
  /** Input files of the run, and how many each unfinished shard still has to finish. */
  remaining: { shards: number; files: Array<{ shard: number; filesLeft: number | null; position: string | null }> }
  /** 0 finished, 3 finished with rejected lines, dead letters or unreadable files, 75 finished but a file may read on a rerun, 1 not finished or shards missing. */
  exitCode: number
}

/** A state directory that cannot be read as a shard of the run: a usage error (exit 2). */
export class StatusError extends UsageError {
  constructor(message: string, hint: string) {
    super(message, { code: 'status', hint })
  }
}

function add(into: Record<string, number>, from: Record<string, number> | undefined, skip?: string): void {
  for (const [k, v] of Object.entries(from ?? {})) if (k !== skip) into[k] = (into[k] ?? 0) + v
}

/** Combines the shards of one run. Throws StatusError on directories of different runs or a shard given twice. Pure. */
export function combineShards(states: ShardState[]): CombinedStatus {
  if (states.length === 0) throw new StatusError('no state directory given', 'Pass the state directory of every shard, e.g. `segamp status .segamp/<run-id>-shard-*-of-3`.')
  const groups = new Map<string, string[]>()
  const counts = new Set<number>()
  const byIndex = new Map<number, ShardState>()
  for (const s of states) {
    const sh = s.checkpoint.shard
    const group = sh?.group ?? s.checkpoint.runId
    groups.set(group, [...(groups.get(group) ?? []), s.dir])
    counts.add(sh?.count ?? 1)
  }
  if (groups.size > 1) {
    const list = [...groups].map(([g, dirs]) => `${g}: ${dirs.join(', ')}`).join('; ')
    throw new StatusError(
      `these state directories belong to different runs (${list})`,
      'Pass the shards of one run (same inputs, mappings and options); check each with `segamp status <dir>` alone.',
    )
  }
  if (counts.size > 1)
    throw new StatusError(`the shards disagree on the number of shards (${[...counts].join(', ')})`, 'Pass the shards of one run: the same --shards N (or K/N) for all of them.')
  const group = [...groups.keys()][0]!
  const n = [...counts][0]!
  for (const s of states) {
    const index = s.checkpoint.shard?.index ?? 0
    const twice = byIndex.get(index)
    if (twice) throw new StatusError(`${twice.dir} and ${s.dir} are both shard ${index}/${n}`, "Pass each shard's directory once.")
    byIndex.set(index, s)
  }

  const totals: CombinedStatus['totals'] = {
    messages: 0,
    rejected: 0,
    rejectedByReason: {},
    duplicates: 0,
    filtered: {},
    planned: 0,
    sent: 0,
    deadLettered: 0,
    deadLetterReasons: {},
    requests: 0,
    retries: 0,
    throttles: 0,
    subscriptions: [],
    unreadableFiles: [],
    skippedPaths: [],
  }
  const rows: ShardRow[] = []
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const s = byIndex.get(index)!
    const c = s.checkpoint.counts
    const owned = c.messages - (c.filtered?.[OTHER_SHARD] ?? 0)
    totals.messages += owned
    totals.rejected += c.rejected
    add(totals.rejectedByReason, c.rejectedByReason)
    totals.duplicates += c.duplicates
    add(totals.filtered, c.filtered, OTHER_SHARD)
    totals.planned += c.planned
    totals.sent += c.sent
    totals.deadLettered += c.deadLettered
    add(totals.deadLetterReasons, c.deadLetterReasons)
    totals.requests += c.requests
    totals.retries += c.retries
    totals.throttles += c.throttles
    for (const sub of c.subscriptions ?? []) {
      let t = totals.subscriptions.find((x) => x.name === sub.name && x.actionSlug === sub.actionSlug)
      if (!t) totals.subscriptions.push((t = { name: sub.name, actionSlug: sub.actionSlug, messages: 0, invalid: 0, sent: 0, deadLettered: 0 }))
      t.messages += sub.messages
      t.invalid += sub.invalid
      for (const e of Object.values(sub.byEndpoint ?? {})) {
        t.sent += e.sent
        t.deadLettered += e.deadLettered
      }
    }
    for (const u of c.unreadableFiles ?? []) addUnreadable(totals.unreadableFiles, u)
    for (const p of c.skippedPaths ?? []) if (!totals.skippedPaths.some((x) => x.path === p.path)) totals.skippedPaths.push(p)
    const cp = s.checkpoint
    const r = s.report
    rows.push({
      dir: s.dir,
      index,
      count: n,
      runId: cp.runId,
      done: cp.done,
      messages: owned,
      sent: c.sent,
      deadLettered: c.deadLettered,
      rejected: c.rejected,
      // counts.files counts the files opened; those still open (read, but lines not all settled:
      // requests in flight, or read ahead of the sends) are not done, whatever was read of them.
      filesDone: Math.max(0, c.files - Object.keys(cp.open ?? {}).length),
      inputFiles: cp.inputs?.files ?? null,
      position: cp.position ? `${cp.position.file}:${cp.position.line}` : null,
      updatedAt: cp.updatedAt,
      stopped: cp.done ? null : r?.error ? `stopped: ${r.error}` : r?.interrupted ? 'stopped: interrupted' : null,
    })
  }
  const missing: number[] = []
  for (let i = 0; i < n; i++) if (!byIndex.has(i)) missing.push(i)
  const unfinished = rows.filter((r) => !r.done).map((r) => r.index)
  const finished = missing.length === 0 && unfinished.length === 0
  const partial = totals.rejected > 0 || totals.deadLettered > 0 || totals.unreadableFiles.length > 0
  return {
    group,
    shards: n,
    finished,
    missing,
    unfinished,
    rows,
    totals,
    remaining: {
      shards: missing.length + unfinished.length,
      files: rows.filter((r) => !r.done).map((r) => ({ shard: r.index, filesLeft: r.inputFiles === null ? null : Math.max(0, r.inputFiles - r.filesDone), position: r.position })),
    },
    // As replay: an object the store kept failing is read by the shard's same command later (75).
    exitCode: finished ? (totals.unreadableFiles.some((u) => u.retryable) ? exitCodes.TEMPFAIL : partial ? exitCodes.PARTIAL : exitCodes.OK) : exitCodes.ABORTED,
  }
}

/**
 * One entry a file: shards read every file, and each names its own byte where a read gave up. A
 * file some shard may read on a rerun stays retryable.
 */
function addUnreadable(list: CombinedStatus['totals']['unreadableFiles'], u: { file: string; reason: string; retryable?: boolean }): void {
  const known = list.find((x) => x.file === u.file)
  if (!known) list.push({ ...u })
  else if (u.retryable && !known.retryable) Object.assign(known, { reason: u.reason, retryable: true })
}

/** Terminal rendering of a combined status. Pure. */
export function renderStatus(st: CombinedStatus): string {
  const f = (n: number) => n.toLocaleString('en-US')
  const t = st.totals
  const lines: string[] = []
  const doneCount = st.rows.filter((r) => r.done).length
  lines.push(`Run ${st.group}: ${doneCount} of ${st.shards} shard${st.shards === 1 ? '' : 's'} finished${st.finished ? '' : ` — ${st.remaining.shards} to go`}`)
  for (const r of st.rows) {
    const where = r.done
      ? 'done'
      : `not finished${r.stopped ? ` (${visible(r.stopped)})` : ''}; at ${r.position === null ? 'the start' : visible(r.position)}, ${r.inputFiles === null ? `${f(r.filesDone)} files done` : `${f(r.filesDone)} of ${f(r.inputFiles)} files done`}, last checkpoint ${r.updatedAt}`
    lines.push(
      `  shard ${r.index}/${r.count}  ${f(r.messages)} messages, ${f(r.sent)} sent, ${f(r.deadLettered)} dead-lettered, ${f(r.rejected)} rejected — ${where}  (${visible(r.dir)})`,
    )
  }
  for (const i of st.missing) lines.push(`  shard ${i}/${st.shards}  missing: no state directory given for it (not started, or not copied)`)
  const filteredTotal = Object.values(t.filtered).reduce((a, b) => a + b, 0)
  lines.push('')
  lines.push(`Combined${st.finished ? '' : ' so far'}:`)
  lines.push(`  messages:      ${f(t.messages)} (${f(t.duplicates)} duplicate messageIds)`)
  lines.push(`  sent:          ${f(t.sent)} events in ${f(t.requests)} requests (${f(t.retries)} retries, ${f(t.throttles)} throttles)`)
  lines.push(
    `  dead-lettered: ${f(t.deadLettered)}${
      Object.keys(t.deadLetterReasons).length
        ? ` (${Object.entries(t.deadLetterReasons)
            .map(([k, v]) => `${k}: ${f(v)}`)
            .join('; ')})`
        : ''
    }`,
  )
  lines.push(
    `  rejected:      ${f(t.rejected)} lines${
      Object.keys(t.rejectedByReason).length
        ? ` (${Object.entries(t.rejectedByReason)
            .map(([k, v]) => `${k}: ${f(v)}`)
            .join('; ')})`
        : ''
    }`,
  )
  lines.push(
    `  filtered:      ${f(filteredTotal)}${
      filteredTotal
        ? ` (${Object.entries(t.filtered)
            .map(([k, v]) => `${k}: ${f(v)}`)
            .join('; ')})`
        : ''
    }`,
  )
  for (const s of t.subscriptions) lines.push(`  ${s.name}: ${f(s.messages)} messages, ${f(s.sent)} sent, ${f(s.deadLettered + s.invalid)} dead-lettered`)
  if (t.unreadableFiles.length) lines.push(`  unreadable files: ${t.unreadableFiles.map((u) => `${visible(u.file)}${u.retryable ? ' (retryable)' : ''}`).join(', ')}`)
  if (t.unreadableFiles.some((u) => u.retryable))
    lines.push('  The store failed past its retries: re-run the same replay command later (each shard its own); it resumes and reads the retryable files (exit 75).')
  if (!st.finished) {
    lines.push('')
    const parts = [
      ...st.missing.map((i) => `shard ${i} (missing)`),
      ...st.remaining.files.map(
        (r) =>
          `shard ${r.shard} (${r.filesLeft === null ? 'files left unknown' : `${f(r.filesLeft)} file(s) left`}, at ${r.position === null ? 'the start' : visible(r.position)})`,
      ),
    ]
    lines.push(`Remaining: ${parts.join(', ')}. Re-run a stopped shard with the same command: it resumes its own checkpoint.`)
  }
  return lines.join('\n')
}
