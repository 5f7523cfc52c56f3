/**
 * `segamp diff-mappings --against EXPORT` as a library call. Memory stays flat whatever the
 * sizes: both sides are partitioned by pairing key into files of a work directory
 * (src/diff/against-spill.ts) and paired one bucket at a time (src/diff/against-pairing.ts).
 * 1. the archive (this thread, through the one read pipeline, routed; mapped only where its
 *    records are read here: identify and group messages, and duplicates): each kept message's pairing rows
 *    go to the bucket of each of its ids and time slices (`m`, see `rowSlices`), its messageId to
 *    the bucket of that id (`i`), the message itself to the file of its ordinal range (`a`);
 * 2. the export: each stored event goes to the bucket of its user_id (else device_id) and time
 *    slice (`s`), and each message id its `$insert_id` may carry to that id's bucket (`c`);
 * 3. per messageId bucket, insert ids are resolved to message ordinals (`r`, by stored bucket);
 * 4. per stored bucket, each stored event is given its owner; owned events go to the file of
 *    their message's ordinal range (`o`), the rest are only-in-amplitude or ambiguous, or, when
 *    no message of the archive could explain them (their time lies outside the span of the kept
 *    messages' times, found in 1: two numbers), counted apart as outside the archive's span;
 * 5. per ordinal range, in archive order: each message's Actions records (planned from the
 *    spilled copy) against its stored events, and the Classic emulation against the same events.
 *    A message whose mapping fails is found here: counted rejected, its stored events unpaired.
 * Phases 2 to 5 are jobs (src/diff/against-tasks.ts): one for the export, then one per bucket
 * (3, 4) or ordinal range (5). With `--workers N` (N > 1) they run on this thread and N - 1 others
 * (a TaskPool), the export's on another thread while this one does phase 1 (planned here:
 * receiving a thread's plans would cost this thread as much as planning them). A job reads and
 * writes files (each thread its own) and answers with counts and a few examples, never the events
 * themselves; this thread merges the answers (in ordinal-range order for phase 5). With one
 * worker the same jobs run here, so the report is the same for any N, any number of buckets and
 * any size of ordinal range (examples are the first by export or archive order).
 */
import { openArchive, type Archive } from '../pipeline/decode/index.js'
import { messageTime } from '../pipeline/route/index.js'
import { emptyCounts, type ScanCounts } from '../pipeline/decode/index.js'
import { createPlanner, readMessages, readPlannerSettings, TaskPool, toWorkerSettings, type ReadMessage, type WorkerSettings } from '../pipeline/index.js'
import { compileClassic } from '../segment/classic/index.js'
import { readClassicSettings } from '../segment/classic/settings.js'
import { DiffAggregator, redactSecrets } from './index.js'
import { AgainstFindings, amplitudeModelLines, emptyAgreement, percent, type AgainstReport, type AgainstSection } from './against.js'
import { DEFAULT_IDENTIFY_WINDOW_MS, rowSlices, sliceMs, messageRows, propSource, SpanBuilder, type ArchiveSpan } from './against-pairing.js'
import { bucketOf, SpillDir } from './against-spill.js'
import { ORDINALS_PER_CHUNK, runJob, spilledMessage, type CompareResult as ChunkResult, type ExportResult, type Job, type PairResult, type TaskContext } from './against-tasks.js'
import type { AgainstThreadInit } from './against-worker.js'
import { AMPLITUDE_ADDED_FIELDS } from '../amplitude/export-api/format.js'
import type { ReadProgress } from '../inspect/index.js'
import { actionsRecordsOf, type CompareOptions } from './service.js'
import type { FindingKind } from './index.js'
import { UsageError } from '../errors.js'
import { formatCount, visible } from '../text.js'

/** The emulation comparison's options, with the export in place of a sample limit. */
export interface AgainstOptions extends Omit<CompareOptions, 'archive' | 'limit' | 'onProgress' | 'onUnprocessable'> {
  /** Export zips, folders or files. */
  exportInputs: string[]
  /** How long after its message's receivedAt a `$identify` row may have been uploaded (default 5 minutes). */
  identifyWindowMs?: number
  /** Where the partitions go (a fresh directory inside it, removed at the end; default the system temp directory). */
  workDir?: string
  /** Number of hash buckets (default: from the archive's size). The report is the same for any number. */
  buckets?: number
  /** Kept messages per ordinal range, the unit of phase 5 (default 2,048; tests: small). The report is the same for any number. */
  chunkOrdinals?: number
  onProgress?: (p: ReadProgress & { phase: string }) => void
}

export interface AgainstResult {
  report: AgainstReport
  counts: ScanCounts
}

/**
 * Buckets for an archive of `bytes` (as read: compressed files count compressed): about 512 KiB of
 * archive each, 16 to 4,096. A pairing job holds one bucket's message rows in memory, so a bucket
 * holds about as many messages at any size (16 buckets, the least, is a 8 MB archive's count).
 */
export function bucketCount(bytes: number): number {
  return Math.min(4096, Math.max(16, Math.ceil(bytes / (512 * 1024))))
}

type Progress = ReadProgress & { phase: string }
type Pairing = AgainstSection['pairing']

interface Run {
  opts: AgainstOptions
  spill: SpillDir
  buckets: number
  window: number
  /** Time slice of the pairing keys (`sliceMs`). */
  slice: number
  progress: Progress
  tick: () => void
  against: AgainstFindings
  pairing: Pairing
  /** What the archive's reading counted (phase 1). */
  counts: ScanCounts
  /** The kept messages' times (phase 1), which bound the comparison (`outsideSpan`). */
  span: SpanBuilder
  /** Stored events outside the archive's span (phase 4). */
  outside: number
  ctx: TaskContext
  /** The other threads of `--workers N` (N - 1 of them), when the run's settings can be sent to them. */
  pool?: TaskPool
}

/** 1. the archive's pairing rows, by key bucket and messageId bucket, and the kept messages by ordinal range; returns the number of kept messages. */
async function indexArchive(run: Run, archive: Archive): Promise<number> {
  const { opts, spill, buckets, progress } = run
  const classic = compileClassic(opts.classicSettings, { mode: opts.classicMode })
  progress.totalBytes = archive.totalBytes
  let ordinal = 0
  // Routed here (one thread): receiving a thread's plans would cost this thread about as much.
  // Mapped only where this phase reads the records (an identify's or group's user properties)
  // or where a mapping that fails changes what is counted (a duplicate): phase 5 maps every
  // message again anyway, and this phase is the one no other thread shares.
  for await (const one of readMessages({
    archive,
    counts: run.counts,
    keepText: true,
    filters: opts.filters,
    onBytes: (n) => (progress.bytes += n),
    onFileEnd: opts.onFileEnd,
  })) {
    const { message, duplicate, ref } = one
    const time = messageTime(message)
    // Every kept message: one whose mapping fails, or a duplicate, is still a time the archive covers.
    run.span.add(message, time, ref)
    const identifies = message.type === 'identify' || message.type === 'group'
    let records: ReturnType<typeof actionsRecordsOf> | undefined
    if (identifies || duplicate) {
      records = mappedHere(run, one)
      if (records === undefined) continue
    }
    if (duplicate) {
      run.pairing.duplicateMessages++
      continue
    }
    let sets
    if (identifies) sets = [propSource(records!), propSource(classic(message))]
    const rows = messageRows(message, ordinal, time, sets)
    if (rows.length > 0) {
      // The rows of a message differ only in their key, and are in the same slices: the rest is made once.
      const { k: _, ...same } = rows[0]!
      const rest = JSON.stringify(same).slice(1)
      const slices = rowSlices(rows[0]!, run.slice, run.window)
      for (const row of rows) {
        for (const sl of slices) {
          const k = `${row.k}|${sl}`
          spill.writeLine('m', bucketOf(k, buckets), `{"k":${JSON.stringify(k)},${rest}`)
        }
      }
    }
    if (typeof message.messageId === 'string' && message.messageId !== '') spill.write('i', bucketOf(message.messageId, buckets), [message.messageId, ordinal])
    spill.writeLine('a', Math.floor(ordinal / run.ctx.chunkOrdinals), spilledMessage(ordinal, ref.file, ref.line, message, one.text))
    ordinal++
    progress.messages++
    if ((progress.messages & 0x3ff) === 0) run.tick()
  }
  spill.flush()
  return ordinal
}

/**
 * A kept message's Actions records, mapped on this thread; undefined when its mapping fails. Such a
 * message is what the read pipeline rejects when it maps (category `unprocessable`): it is
 * counted so, and left out. A message mapped only in phase 5 is counted there (`lateRejections`).
 */
function mappedHere(run: Run, one: ReadMessage): ReturnType<typeof actionsRecordsOf> | undefined {
  const plan = run.ctx.planner({ message: one.message }, `${one.ref.file}:${one.ref.line}`)
  if (plan.t === 'message') return actionsRecordsOf(run.opts.subscriptions, { records: plan.records.map((r) => ({ sub: r.sub, record: r.record! })) })
  if (plan.t === 'filtered') throw new Error(`${one.ref.file}:${one.ref.line}: the message was kept when it was routed, but not when it was mapped (${plan.reason})`)
  lateRejections(run.counts, { [plan.category]: 1 }, one.duplicate ? 1 : 0)
  return undefined
}

/** Moves messages counted as read (`duplicates` of them duplicates) to the rejections their mapping made, by category. */
function lateRejections(counts: ScanCounts, byCategory: Record<string, number>, duplicates = 0): void {
  for (const [category, n] of Object.entries(byCategory)) {
    counts.messages -= n
    counts.rejected += n
    counts.rejectedByReason[category] = (counts.rejectedByReason[category] ?? 0) + n
  }
  counts.duplicates -= duplicates
}

/**
 * Runs jobs 0..n-1 and hands their results to `take` in job order. With threads, this thread is
 * one of them: the others are kept fed (two jobs out each) and in between this thread runs the
 * next job itself.
 */
async function runJobs<R>(run: Run, n: number, make: (i: number) => Job, take: (r: R, i: number) => void): Promise<void> {
  const done = new Map<number, R>()
  const sent: Array<Promise<void>> = []
  let taken = 0
  let next = 0
  let out = 0
  let failure: { error: unknown } | undefined
  const flush = (): void => {
    for (; done.has(taken); taken++) {
      const r = done.get(taken)!
      done.delete(taken)
      take(r, taken)
    }
  }
  while (next < n) {
    if (failure) throw failure.error
    while (run.pool && next < n && out < 2 * run.pool.size) {
      const i = next++
      out++
      const p = run.pool.run<R>(make(i)).then((r) => {
        done.set(i, r)
        out--
      })
      // Awaited at the end; a run stopped early must not leave an unhandled rejection behind.
      p.catch((error: unknown) => (failure ??= { error }))
      sent.push(p)
    }
    if (next < n) {
      const i = next++
      done.set(i, (await runJob(run.ctx, make(i))) as R)
    }
    flush()
    // The threads' answers arrive as events: let them in before deciding what to send next.
    if (run.pool) await new Promise((resolve) => setImmediate(resolve))
  }
  await Promise.all(sent)
  flush()
}

export async function compareAgainstExport(opts: AgainstOptions): Promise<AgainstResult> {
  const progress: Progress = { bytes: 0, totalBytes: 0, messages: 0, phase: 'indexing the archive' }
  let last = 0
  const tick = (): void => {
    if (opts.onProgress && Date.now() - last > 100) {
      last = Date.now()
      opts.onProgress(progress)
    }
  }
  const spill = new SpillDir(opts.workDir)
  let pool: TaskPool | undefined
  try {
    const archive = await openArchive(opts.inputs)
    const sizing = opts.buckets ?? bucketCount(archive.totalBytes)
    const pairing: Pairing = { byInsertId: 0, byKey: 0, byWindow: 0, ambiguous: 0, unpaired: 0, duplicateEvents: 0, duplicateMessages: 0, notExportedRecords: 0 }
    const window = opts.identifyWindowMs ?? DEFAULT_IDENTIFY_WINDOW_MS
    const buckets = Math.max(1, Math.floor(sizing))
    const planner = readPlannerSettings(opts.subscriptions, opts.filters)
    const ctx: TaskContext = {
      dir: spill.dir,
      buckets,
      window,
      slice: sliceMs(window),
      examples: opts.examples ?? 3,
      chunkOrdinals: Math.max(1, opts.chunkOrdinals ?? envCount('SEGAMP_AGAINST_CHUNK_MESSAGES') ?? ORDINALS_PER_CHUNK),
      exportInputs: opts.exportInputs,
      writer: '',
      planner: createPlanner(planner),
      subs: opts.subscriptions.map((s) => ({ name: s.name, actionSlug: s.actionSlug })),
      classic: compileClassic(opts.classicSettings, { mode: opts.classicMode }),
      renameMap: opts.renameMap,
    }
    // --workers N: this thread and N - 1 others.
    const threads = Math.max(1, opts.workers ?? 1)
    const settings = threads > 1 ? toWorkerSettings(planner) : undefined
    if (settings) pool = startPool(ctx, settings, threads - 1, opts)
    const run: Run = {
      opts,
      spill,
      buckets,
      window,
      slice: ctx.slice,
      progress,
      tick,
      against: new AgainstFindings(ctx.examples),
      pairing,
      counts: emptyCounts(),
      span: new SpanBuilder(),
      outside: 0,
      ctx,
      pool,
    }
    // 2 runs on a thread while this one does 1 (they write different files); else after it.
    const exported = pool ? pool.run<ExportResult>({ kind: 'export' } satisfies Job) : undefined
    exported?.catch(() => undefined)
    const kept = await indexArchive(run, archive)
    progress.phase = 'reading the export'
    const exp = await (exported ?? (runJob(ctx, { kind: 'export' }) as Promise<ExportResult>))
    refuseSeveralProjects(exp.projects)
    run.against.merge(exp.findings)
    progress.phase = 'pairing'
    await resolveInsertIds(run)
    await pairBuckets(run)
    return await compareMessages(run, kept, exp.info, exp.span)
  } finally {
    await pool?.close()
    spill.remove()
  }
}

/**
 * One export is one Amplitude project's events. Events of two projects (a staging export next to
 * production's, a folder of several projects' exports) would each pair with the message that
 * explains them: every message would seem sent twice, or its Classic side compared with another
 * project's copy.
 */
function refuseSeveralProjects(projects: ExportResult['projects']): void {
  if (projects.length < 2) return
  const list = projects.map((p) => `app ${p.app} (${formatCount(p.events)} events, first in ${visible(p.first)})`).join(', ')
  throw new UsageError(`--against: the export holds events of ${projects.length} Amplitude projects: ${list}`, {
    code: 'against-projects',
    hint: 'Give --against the export of one project, the one the Classic destination sent to (its project id is the folder name inside the zips); export each project into a folder of its own.',
  })
}

/** A test knob from the environment (the CLI's tests make small inputs use many ordinal ranges). */
function envCount(name: string): number | undefined {
  const v = process.env[name]
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined
}

function startPool(ctx: TaskContext, settings: WorkerSettings, threads: number, opts: AgainstOptions): TaskPool {
  const { writer: _w, planner: _p, classic: _c, files: _f, ...plain } = ctx
  const init: AgainstThreadInit = { ...plain, planner: settings, classicSettings: opts.classicSettings, classicMode: opts.classicMode }
  const here = import.meta.url
  return new TaskPool(new URL(`./against-worker${here.endsWith('.ts') ? '.ts' : '.js'}`, here), threads, init)
}

/** The suffixes of the files each thread writes ('' for this thread's). */
function writers(run: Run): string[] {
  return ['', ...Array.from({ length: run.pool?.size ?? 0 }, (_, i) => `w${i}`)]
}

/** 3. per messageId bucket (a job each): insert ids resolved to message ordinals. */
async function resolveInsertIds(run: Run): Promise<void> {
  await runJobs<undefined>(
    run,
    run.buckets,
    (b) => ({ kind: 'resolve', bucket: b }),
    () => run.tick(),
  )
}

/** 4. per stored bucket (a job each): each stored event's owner; owned events to their ordinal range's file. */
async function pairBuckets(run: Run): Promise<void> {
  const { pairing, progress } = run
  const files = writers(run)
  const whole = run.span.span()
  // The jobs need the two times only.
  const archiveSpan = whole && { from: whole.from, to: whole.to }
  await runJobs<PairResult>(
    run,
    run.buckets,
    (b) => ({ kind: 'pair', bucket: b, writers: files, ...(archiveSpan ? { archiveSpan } : {}) }),
    (r, b) => {
      for (const k of ['byInsertId', 'byKey', 'byWindow', 'ambiguous', 'unpaired', 'duplicateEvents'] as const) pairing[k] += r.pairing[k]
      run.outside += r.outside
      run.against.merge(r.findings)
      progress.messages = b + 1
      run.tick()
    },
  )
}

/** 5. per ordinal range (a job each), in archive order: each message against its stored events, and the emulation agreement. */
async function compareMessages(run: Run, kept: number, exportInfo: AgainstSection['export'], span: [number, number]): Promise<AgainstResult> {
  const { opts, progress, pairing } = run
  const agg = new DiffAggregator({ examples: run.ctx.examples })
  const agreement = emptyAgreement(opts.classicMode)
  progress.phase = 'comparing'
  progress.bytes = 0
  progress.messages = 0
  const files = writers(run)
  await runJobs<ChunkResult>(
    run,
    Math.ceil(kept / run.ctx.chunkOrdinals),
    (chunk) => ({ kind: 'compare', chunk, span, writers: files }),
    (r) => {
      agg.merge(r.agg)
      run.against.merge(r.findings)
      lateRejections(run.counts, r.rejected)
      for (const k of ['byInsertId', 'byKey', 'byWindow', 'ambiguous', 'unpaired'] as const) pairing[k] += r.unowned[k]
      pairing.notExportedRecords += r.notExportedRecords
      agreement.storedEvents += r.agreement.storedEvents
      agreement.matched += r.agreement.matched
      for (const [k, n] of Object.entries(r.agreement.byKind) as Array<[FindingKind, number]>) agreement.byKind[k] += n
      progress.messages += r.messages
      run.tick()
    },
  )
  agreement.percent = percent(agreement.matched, agreement.storedEvents)
  return { report: assemble(run, agg, exportInfo, agreement), counts: run.counts }
}

function assemble(run: Run, agg: DiffAggregator, exportInfo: AgainstSection['export'], agreement: AgainstSection['emulation']): AgainstReport {
  const settingsInfo = readClassicSettings(run.opts.classicSettings)
  const base = agg.report({
    classicMode: 'amplitude export',
    settings: redactSecrets(settingsInfo.settings as unknown as Record<string, unknown>) as Record<string, unknown>,
    mappingsSource: run.opts.mappingsSource,
    assumptions: amplitudeModelLines(),
  })
  return {
    ...base,
    model: { ...base.model, amplitudeFields: AMPLITUDE_ADDED_FIELDS.map(([field]) => field) } as AgainstReport['model'],
    against: {
      export: exportInfo,
      pairing: run.pairing,
      archiveSpan: spanOf(run.span.span(), run.window),
      byKind: { ...run.against.byKind, 'outside-archive-span': run.outside },
      findings: run.against.list(),
      emulation: agreement,
      amplitudeFields: AMPLITUDE_ADDED_FIELDS.map(([field, reason]) => ({ field, reason })),
    },
  }
}

/** The archive's span as the report gives it: ISO times (null when no kept message had a time). */
function spanOf(span: ArchiveSpan | undefined, window: number): AgainstSection['archiveSpan'] {
  if (span === undefined) return { from: null, to: null, identifyRowsFrom: null, fromAt: null, toAt: null }
  const iso = (ms: number): string => new Date(ms).toISOString()
  return { from: iso(span.from), to: iso(span.to), identifyRowsFrom: iso(span.from + window), fromAt: span.fromAt ?? null, toAt: span.toAt ?? null }
}
