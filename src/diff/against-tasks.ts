/**
 * The heavy phases of `diff-mappings --against` as jobs (see src/diff/against-service.ts): each
 * reads its inputs from the work directory's files and answers with compact results (counts, a
 * few examples), so it runs alike on this thread (`--workers 1`) and on a TaskPool thread
 * (src/diff/against-worker.ts). The service merges the answers: counts add up, examples are
 * chosen by order (AgainstFindings) or by archive order of the chunks (DiffAggregator), so the
 * report is the same for any number of threads.
 * - `export` (phase 2): the export's stored events into key buckets (`s`), insert-id candidates (`c`);
 * - `resolve` (phase 3): one messageId bucket's insert-id candidates to message ordinals (`r<writer>`);
 * - `pair` (phase 4): one stored bucket's owners; owned events to their ordinal range's file
 *   (`o<writer>`: each thread writes its own files);
 * - `compare` (phase 5): one ordinal range's messages (`a`, spilled by phase 1) against their
 *   owned stored events, and the Classic emulation against the same events.
 */
import type { SegmentMessage } from '../types.js'
import { messageTime } from '../pipeline/route/index.js'
import type { Planner } from '../pipeline/index.js'
import type { ClassicFunction } from '../segment/classic/index.js'
import { DiffAggregator, diffMessage } from './index.js'
import type { AggregatorState } from './aggregate.js'
import { AgainstFindings, align, emulationFindings, endpointName, matchedStored, messageName, NOT_EXPORTED, type AgainstFindingsState, type AgainstSection } from './against.js'
import { decideOwner, insertIdCandidates, KeyRows, outsideSpan, RecentState, storedKey, type ArchiveSpan, type Claims, type MessageRow } from './against-pairing.js'
import { bucketOf, SpillDir } from './against-spill.js'
import { refusal } from './refused.js'
import { crc32 } from '../crc32.js'
import { storedToSender, type SenderShape } from '../amplitude/export-api/format.js'
import { notATimeProblem, notATimeTotal, readExport } from '../export/read.js'
import type { ActionsRecord, FindingKind } from './types.js'

/** What every job needs, compiled where it runs. */
export interface TaskContext {
  /** The work directory (SpillDir). */
  dir: string
  buckets: number
  window: number
  slice: number
  examples: number
  /** Kept messages per ordinal range (`a` and `o` files, a `compare` job). */
  chunkOrdinals: number
  exportInputs: string[]
  /** Suffix of the `o` files this thread writes ('' on the main thread). */
  writer: string
  planner: Planner
  /** Name and action of each subscription, by index (what a planned record's `sub` points at). */
  subs: Array<{ name: string; actionSlug: string }>
  classic: ClassicFunction
  renameMap?: ReadonlyMap<string, string>
  /** The export's file names (phase 2's `f` file), read when first needed. */
  files?: string[]
}

/**
 * A stored event in its key bucket (`s`): this header, a tab, and the event as its sender's
 * record (`SenderShape` JSON, copied through unparsed to the `o` files). The header holds what
 * pairing reads of every event; only `$identify` rows are parsed whole (their user properties
 * are the tie-break).
 */
export interface StoredRow {
  /** Sequence number of the stored event in the export. */
  q: number
  /** Its pairing key and time slice (`<key>|<slice>`), when it has a key. */
  k?: string
  /** What it changed on the user (`$identify` rows), when known. */
  ch?: string[]
  /** Its uuid (Amplitude's id of the stored event), when it has one: a copy read twice is skipped. */
  u?: string
  /** Index of its file in `files`. */
  f: number
  l: number
  /** Its endpoint, time (when a number) and event type (when a string). */
  e: SenderShape['endpoint']
  t?: number
  et?: string
}

/** A line of a header, a tab, and JSON text (the header's JSON holds no raw tab). */
function splitLine(line: string): [string, string] {
  const i = line.indexOf('\t')
  return [line.slice(0, i), line.slice(i + 1)]
}

/** `writers`: the suffixes of the files each thread wrote (`r`, `o`), '' for this thread's. */
export type Job =
  | { kind: 'export' }
  | { kind: 'resolve'; bucket: number }
  | { kind: 'pair'; bucket: number; writers: string[]; archiveSpan?: ArchiveSpan }
  | { kind: 'compare'; chunk: number; span: [number, number]; writers: string[] }

export interface ExportResult {
  info: AgainstSection['export']
  span: [number, number]
  findings: AgainstFindingsState
  /** The Amplitude projects (`app`) the stored events belong to: their events, and where the first one is. */
  projects: Array<{ app: string; events: number; first: string }>
}

export type PairCounts = Pick<AgainstSection['pairing'], 'byInsertId' | 'byKey' | 'byWindow' | 'ambiguous' | 'unpaired' | 'duplicateEvents'>

export interface PairResult {
  pairing: PairCounts
  /** Of the `unpaired`, those outside the archive's span (`outsideSpan`): no finding, not a difference. */
  outside: number
  findings: AgainstFindingsState
}

export interface CompareResult {
  messages: number
  /**
   * Messages whose mapping failed (by category). Phase 1 maps only what it reads, so this is where
   * such a message is found: it is counted rejected, and the stored events paired with it are
   * counted only-in-amplitude (`unpaired`), as if it had never been indexed.
   */
  rejected: Record<string, number>
  /** What those stored events had been counted as paired by, moved to `unpaired`. */
  unowned: PairCounts
  notExportedRecords: number
  agg: AggregatorState
  findings: AgainstFindingsState
  agreement: { storedEvents: number; matched: number; byKind: Partial<Record<FindingKind, number>> }
}

/** Default kept messages per ordinal range: the messages (`a`) and owned stored events (`o`) one `compare` job holds. */
export const ORDINALS_PER_CHUNK = 2048

export function runJob(ctx: TaskContext, job: Job): Promise<ExportResult | PairResult | CompareResult | undefined> | CompareResult {
  if (job.kind === 'export') return spillExport(ctx)
  if (job.kind === 'resolve') return resolveBucket(ctx, job.bucket)
  if (job.kind === 'pair') return pairBucket(ctx, job.bucket, job.writers, job.archiveSpan)
  return compareChunk(ctx, job.chunk, job.span, job.writers)
}

export function storedName(s: SenderShape): string {
  if (s.endpoint === '/identify') return '$identify'
  return typeof s.record.event_type === 'string' ? s.record.event_type : '(no event_type)'
}

function example(row: StoredRow, s: SenderShape, files: readonly string[]): { messageId: null; file: string; line: number; records: SenderShape[] } {
  return { messageId: null, file: files[row.f]!, line: row.l, records: [s] }
}

/** 2. the export's stored events, by key bucket, and their insert-id candidates, by candidate bucket; the file names to `f`. */
async function spillExport(ctx: TaskContext): Promise<ExportResult> {
  const { buckets } = ctx
  const spill = SpillDir.attach(ctx.dir)
  const against = new AgainstFindings(ctx.examples)
  const info = { inputs: ctx.exportInputs, files: 0, events: 0, problems: [] as Array<{ file: string; reason: string }> }
  const files: string[] = []
  const fileIndex = new Map<string, number>()
  let from = Infinity
  let to = -Infinity
  const projects = new Map<string, { app: string; events: number; first: string }>()
  let badTimes = 0
  const state = new RecentState()
  for await (const item of readExport(ctx.exportInputs)) {
    if (item.kind === 'file') {
      info.files++
      continue
    }
    if (item.kind === 'problem') {
      info.problems.push({ file: item.file, reason: item.reason })
      continue
    }
    const q = info.events++
    const app = item.event.app
    if (typeof app === 'number' || (typeof app === 'string' && app !== '')) {
      const p = projects.get(String(app))
      if (p === undefined) projects.set(String(app), { app: String(app), events: 1, first: `${item.ref.file}:${item.ref.line}` })
      else p.events++
    }
    const s = storedToSender(item.event)
    const t = s.record.time
    const et = item.event.event_time
    if (typeof t !== 'number' && et !== null && et !== undefined && badTimes++ < 3) info.problems.push({ file: `${item.ref.file}:${item.ref.line}`, reason: notATimeProblem(et) })
    if (typeof t === 'number') {
      if (t < from) from = t
      if (t > to) to = t
    }
    let f = fileIndex.get(item.ref.file)
    if (f === undefined) {
      fileIndex.set(item.ref.file, (f = files.length))
      files.push(item.ref.file)
      spill.write('f', 0, item.ref.file)
    }
    const row: StoredRow = { q, f, l: item.ref.line, e: s.endpoint }
    if (typeof item.event.uuid === 'string' && item.event.uuid !== '') row.u = item.event.uuid
    if (typeof t === 'number') row.t = t
    if (typeof s.record.event_type === 'string') row.et = s.record.event_type
    const id = storedKey(s)
    const key = id === undefined || typeof t !== 'number' ? undefined : `${id}|${Math.floor(t / ctx.slice)}`
    if (key !== undefined) row.k = key
    if (id !== undefined && s.endpoint === '/identify') {
      const ch = state.changed(id, s.record)
      if (ch !== undefined) row.ch = ch
    } else if (id !== undefined) state.changed(id, s.record)
    const insertId = typeof s.record.insert_id === 'string' && s.record.insert_id !== '' ? s.record.insert_id : undefined
    // Without key and insert id an event pairs with nothing; it still goes to a bucket, where a copy read twice is skipped.
    const b = bucketOf(key ?? '', buckets)
    spill.writeLine('s', b, `${JSON.stringify(row)}\t${JSON.stringify(s)}`)
    if (insertId !== undefined) insertIdCandidates(insertId).forEach((c, rank) => spill.write('c', bucketOf(c, buckets), [c, q, rank, b]))
  }
  if (badTimes > 3) info.problems.push({ file: ctx.exportInputs.join(', '), reason: notATimeTotal(badTimes) })
  spill.flush()
  return { info, span: [from, to], findings: against.state(), projects: [...projects.values()] }
}

/**
 * 3. one messageId bucket: insert-id candidates → [stored seq, rank, ordinal] in the stored
 * event's bucket (`r<writer>`). Candidates are streamed: short prefixes (`ajs` of `ajs-…`) are
 * shared by every event and all land in one bucket.
 */
async function resolveBucket(ctx: TaskContext, b: number): Promise<undefined> {
  const spill = SpillDir.attach(ctx.dir)
  const ids = new Map<string, number>()
  for (const [id, o] of spill.readAll<[string, number]>('i', b)) if (!ids.has(id)) ids.set(id, o)
  if (ids.size > 0) {
    for await (const [c, q, rank, sb] of spill.stream<[string, number, number, number]>('c', b)) {
      const o = ids.get(c)
      if (o !== undefined) spill.write(`r${ctx.writer}`, sb, [q, rank, o])
    }
  }
  spill.flush()
  spill.drop('i', b)
  spill.drop('c', b)
  return undefined
}

/**
 * 4. one stored bucket: each stored event's owner; owned events to their ordinal range's file. An
 * event no message owns is only-in-amplitude, or, outside the archive's span, counted apart.
 */
async function pairBucket(ctx: TaskContext, b: number, writers: readonly string[], span: ArchiveSpan | undefined): Promise<PairResult> {
  const spill = SpillDir.attach(ctx.dir)
  ctx.files ??= spill.readAll<string>('f', 0)
  const files = ctx.files
  const against = new AgainstFindings(ctx.examples)
  const pairing: PairCounts = { byInsertId: 0, byKey: 0, byWindow: 0, ambiguous: 0, unpaired: 0, duplicateEvents: 0 }
  let outside = 0
  const rowsOf = new Map<string, MessageRow[]>()
  for (const row of spill.readAll<MessageRow>('m', b)) {
    const l = rowsOf.get(row.k)
    if (l === undefined) rowsOf.set(row.k, [row])
    else l.push(row)
  }
  const byKey = new Map<string, KeyRows>()
  for (const [k, rows] of rowsOf) byKey.set(k, new KeyRows(k, rows))
  rowsOf.clear()
  // seq → [rank, ordinal], lowest rank kept (a seq has one row per rank: the files' order does not matter)
  const insert = new Map<number, [number, number]>()
  for (const w of writers) {
    for (const [q, rank, o] of spill.readAll<[number, number, number]>(`r${w}`, b)) {
      const cur = insert.get(q)
      if (cur === undefined || rank < cur[0]) insert.set(q, [rank, o])
    }
  }
  const claims: Claims = new Map()
  // A stored event's copies (same uuid, same content: two overlapping exports) share its key, so its bucket: the first is paired.
  const seen = new Set<string>()
  for await (const line of spill.streamLines('s', b)) {
    const [head, text] = splitLine(line)
    const row = JSON.parse(head) as StoredRow
    if (row.u !== undefined) {
      const copy = `${row.u}\t${crc32(Buffer.from(text))}`
      if (seen.has(copy)) {
        pairing.duplicateEvents++
        continue
      }
      seen.add(copy)
    }
    // What decideOwner reads: time and event type, and all of a $identify row.
    const shape: SenderShape = row.e === '/identify' ? (JSON.parse(text) as SenderShape) : { endpoint: row.e, record: { time: row.t, event_type: row.et } }
    const owner = decideOwner(shape, insert.get(row.q)?.[1], row.k === undefined ? undefined : byKey.get(row.k), row.ch, ctx.window, claims)
    if (owner.kind === 'owned') {
      if (owner.via === 'insert_id') pairing.byInsertId++
      else if (owner.via === 'key') pairing.byKey++
      else pairing.byWindow++
      const head: OwnedHead = [owner.ordinal, row.q, row.f, row.l, VIA.indexOf(owner.via)]
      spill.writeLine(`o${ctx.writer}`, Math.floor(owner.ordinal / ctx.chunkOrdinals), `${JSON.stringify(head)}\t${text}`)
      continue
    }
    if (owner.kind === 'ambiguous') pairing.ambiguous++
    else pairing.unpaired++
    if (owner.kind === 'none' && outsideSpan(span, row.e, row.t, ctx.window)) {
      outside++
      continue
    }
    const s = JSON.parse(text) as SenderShape
    against.add(owner.kind === 'ambiguous' ? 'ambiguous' : 'only-in-amplitude', storedName(s), example(row, s, files), row.q)
  }
  spill.flush()
  for (const f of ['m', 's', ...writers.map((w) => `r${w}`)]) spill.drop(f, b)
  return { pairing, outside, findings: against.state() }
}

/** How an owned stored event was paired (`OwnedHead`'s last number indexes this). */
const VIA = ['insert_id', 'key', 'window'] as const
const VIA_COUNT = { insert_id: 'byInsertId', key: 'byKey', window: 'byWindow' } as const

/** An owned stored event's header in an `o` file: its message's ordinal, its seq, file index and line, and how it was paired (`VIA`). */
type OwnedHead = [ordinal: number, q: number, f: number, l: number, via: number]

/** An owned stored event as phase 5 holds it. */
interface Owned {
  head: OwnedHead
  shape: SenderShape
}

/** Owned stored events of the ordinal range `chunk` (every thread's file of it), by ordinal, in export order. */
function loadChunk(spill: SpillDir, chunk: number, writers: readonly string[]): Map<number, Owned[]> {
  const rows: Array<[OwnedHead, string]> = []
  for (const w of writers) {
    for (const line of spill.readLines(`o${w}`, chunk)) {
      const [head, text] = splitLine(line)
      rows.push([JSON.parse(head) as OwnedHead, text])
    }
    spill.drop(`o${w}`, chunk)
  }
  rows.sort((a, b) => a[0][0] - b[0][0] || a[0][1] - b[0][1])
  const out = new Map<number, Owned[]>()
  for (const [head, text] of rows) {
    const o: Owned = { head, shape: JSON.parse(text) as SenderShape }
    const l = out.get(head[0])
    if (l === undefined) out.set(head[0], [o])
    else l.push(o)
  }
  return out
}

/** A kept message as phase 1 spills it (`a`): `[ordinal, file, line]`, a tab, and the message's JSON (its line as read, when it has one). */
export function spilledMessage(ordinal: number, file: string, line: number, message: SegmentMessage, text: string | undefined): string {
  return `${JSON.stringify([ordinal, file, line])}\t${text ?? JSON.stringify(message)}`
}

/** 5. one ordinal range: each message against its stored events, and the emulation agreement. */
function compareChunk(ctx: TaskContext, chunk: number, span: [number, number], writers: readonly string[]): CompareResult {
  const spill = SpillDir.attach(ctx.dir)
  const owned = loadChunk(spill, chunk, writers)
  const messages = spill.readLines('a', chunk)
  spill.drop('a', chunk)
  const out: Comparison = {
    agg: new DiffAggregator({ examples: ctx.examples }),
    against: new AgainstFindings(ctx.examples),
    agreement: { storedEvents: 0, matched: 0, byKind: {} },
    notExportedRecords: 0,
    rejected: {},
    unowned: { byInsertId: 0, byKey: 0, byWindow: 0, ambiguous: 0, unpaired: 0, duplicateEvents: 0 },
  }
  for (const spilled of messages) {
    const [head, text] = splitLine(spilled)
    const [ordinal, file, line] = JSON.parse(head) as [number, string, number]
    const m = { ordinal, file, line, message: JSON.parse(text) as SegmentMessage }
    const mine = owned.get(ordinal) ?? []
    const actions = actionsOf(ctx, m.message, `${file}:${line}`)
    if (typeof actions === 'string') unown(ctx, spill, out, actions, mine)
    else
      compareOne(
        ctx,
        out,
        m,
        actions,
        mine.map((o) => o.shape),
        span,
      )
  }
  const { agg, against, ...rest } = out
  return { messages: messages.length, ...rest, agg: agg.state(), findings: against.state() }
}

interface Comparison {
  agg: DiffAggregator
  against: AgainstFindings
  agreement: CompareResult['agreement']
  notExportedRecords: number
  rejected: CompareResult['rejected']
  unowned: PairCounts
}

/** A message whose mapping failed (`category`): rejected, and its stored events only-in-amplitude (see `CompareResult.rejected`). */
function unown(ctx: TaskContext, spill: SpillDir, out: Comparison, category: string, mine: Owned[]): void {
  out.rejected[category] = (out.rejected[category] ?? 0) + 1
  ctx.files ??= spill.readAll<string>('f', 0)
  for (const { head, shape } of mine) {
    const [, q, f, l, via] = head
    out.unowned[VIA_COUNT[VIA[via]!]]--
    out.unowned.unpaired++
    out.against.add('only-in-amplitude', storedName(shape), { messageId: null, file: ctx.files[f]!, line: l, records: [shape] }, q)
  }
}

/** The Actions records of a kept message, planned as `readMessages` plans it; the rejection's category when its mapping fails. */
function actionsOf(ctx: TaskContext, message: SegmentMessage, where: string): ActionsRecord[] | string {
  const plan = ctx.planner({ message }, where)
  if (plan.t === 'rejected') return plan.category
  if (plan.t !== 'message') throw new Error(`${where}: the message was kept when the archive was indexed, but not when it was compared (${plan.t})`)
  return plan.records.map(({ sub, record }) => {
    const r = record!
    const rec: ActionsRecord = { subscription: ctx.subs[sub]!.name, actionSlug: ctx.subs[sub]!.actionSlug, endpoint: r.endpoint, record: r.record }
    if (r.options !== undefined) rec.options = r.options // min_id_length: whether Amplitude takes a short id
    return rec
  })
}

function compareOne(
  ctx: TaskContext,
  out: Comparison,
  m: { ordinal: number; file: string; line: number; message: SegmentMessage },
  all: ActionsRecord[],
  stored: SenderShape[],
  [spanFrom, spanTo]: [number, number],
): void {
  const { message } = m
  const check = { renameMap: ctx.renameMap, checkIds: { classic: false, actions: true } }
  const actions = all.filter((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)))
  out.notExportedRecords += all.length - actions.length
  const emulated = ctx.classic(message)
  const msgRef = { messageId: typeof message.messageId === 'string' ? message.messageId : undefined, file: m.file, line: m.line }
  const time = messageTime(message)
  const covered = time !== undefined && time >= spanFrom && time <= spanTo
  if (stored.length === 0 && !covered) {
    // Amplitude holds nothing, and the export does not cover the message's time: only-in-archive, unless Amplitude refuses all of it anyway
    out.agg.addFindings(
      msgRef,
      0,
      actions.length,
      diffMessage([], actions, check).filter((f) => f.kind === 'refused-by-amplitude'),
    )
    const accepted = (r: { endpoint: string; record: Record<string, unknown>; options?: Record<string, unknown> }): boolean =>
      refusal(r.endpoint, r.record, r.options) === undefined
    const expected = actions.some(accepted) || emulated.some((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)) && accepted(r))
    if (expected)
      out.against.add(
        'only-in-archive',
        messageName(message),
        { messageId: msgRef.messageId ?? null, file: m.file, line: m.line, records: actions.map((a) => ({ endpoint: a.endpoint, record: a.record })) },
        m.ordinal,
      )
    return
  }
  const a = align(stored, actions, String(message.type))
  out.agg.addFindings(msgRef, a.stored.length, a.sender.length, diffMessage(a.stored, a.sender, check))
  if (stored.length === 0) return
  const em = emulationFindings(emulated, stored, String(message.type))
  out.agreement.storedEvents += stored.length
  out.agreement.matched += matchedStored(em.findings).size
  const kinds = new Set<FindingKind>(em.findings.map((f) => f.kind))
  for (const k of kinds) out.agreement.byKind[k] = (out.agreement.byKind[k] ?? 0) + 1
}
