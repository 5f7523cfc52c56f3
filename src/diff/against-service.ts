/**
 * `segamp diff-mappings --against EXPORT` as a library call. Memory stays flat whatever the
 * sizes: both sides are partitioned by pairing key into files of a work directory
 * (src/diff/against-spill.ts) and paired one bucket at a time (src/diff/against-pairing.ts).
 * 1. the archive: each kept message's pairing rows go to the bucket of each of its ids and time
 *    slices (`m`, see `rowSlices`), its messageId to the bucket of that id (`i`);
 * 2. the export: each stored event goes to the bucket of its user_id (else device_id) and time
 *    slice (`s`), and each message id its `$insert_id` may carry to that id's bucket (`c`);
 * 3. per messageId bucket, insert ids are resolved to message ordinals (`r`, by stored bucket);
 * 4. per stored bucket, each stored event is given its owner; owned events go to the file of
 *    their message's ordinal range (`o`), the rest are only-in-amplitude or ambiguous;
 * 5. the archive again, in order: each message's Actions records against its stored events
 *    (read one ordinal range at a time), and the Classic emulation against the same events.
 * The report does not depend on the number of buckets (examples are the first by export order).
 */
import { openArchive, type Archive } from '../pipeline/decode/index.js'
import { messageTime } from '../pipeline/route/index.js'
import { emptyCounts, type ScanCounts } from '../pipeline/decode/index.js'
import { readMessages } from '../pipeline/index.js'
import { compileClassic } from '../segment/classic/index.js'
import { readClassicSettings } from '../segment/classic/settings.js'
import { DiffAggregator, diffMessage, redactSecrets } from './index.js'
import {
  AgainstFindings,
  align,
  amplitudeModelLines,
  emptyAgreement,
  emulationFindings,
  endpointName,
  matchedStored,
  messageName,
  NOT_EXPORTED,
  percent,
  type AgainstReport,
  type AgainstSection,
} from './against.js'
import {
  DEFAULT_IDENTIFY_WINDOW_MS,
  decideOwner,
  KeyRows,
  RecentState,
  rowSlices,
  sliceMs,
  type Claims,
  insertIdCandidates,
  messageRows,
  propSource,
  storedKey,
  type MessageRow,
} from './against-pairing.js'
import { bucketOf, SpillDir } from './against-spill.js'
import { refusal } from './refused.js'
import { AMPLITUDE_ADDED_FIELDS, storedToSender, type SenderShape } from '../export/format.js'
import { readExport } from '../export/read.js'
import type { ReadProgress } from '../inspect/index.js'
import { actionsRecordsOf, type CompareOptions } from './service.js'
import type { FindingKind } from './index.js'

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
  onProgress?: (p: ReadProgress & { phase: string }) => void
}

export interface AgainstResult {
  report: AgainstReport
  counts: ScanCounts
}

/** Archive ordinals per file of owned stored events (`o`): what phase 5 holds in memory at once. */
const ORDINALS_PER_CHUNK = 2048

/** Buckets for an archive of `bytes` (as read: compressed files count compressed): about 1 MB of archive each, 16 to 4,096. */
export function bucketCount(bytes: number): number {
  return Math.min(4096, Math.max(16, Math.ceil(bytes / (1024 * 1024))))
}

type Progress = ReadProgress & { phase: string }
type Pairing = AgainstSection['pairing']

interface StoredRow {
  /** Sequence number of the stored event in the export. */
  q: number
  /** Its pairing key and time slice (`<key>|<slice>`), when it has a key. */
  k?: string
  /** What it changed on the user (`$identify` rows), when known. */
  ch?: string[]
  /** Index of its file in `files`. */
  f: number
  l: number
  s: SenderShape
}

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
}

/** 1. the archive's pairing rows, by key bucket and messageId bucket; returns the number of kept messages. */
async function indexArchive(run: Run, archive: Archive): Promise<number> {
  const { opts, spill, buckets, progress } = run
  const classic = compileClassic(opts.classicSettings, { mode: opts.classicMode })
  progress.totalBytes = archive.totalBytes
  let ordinal = 0
  const threads = { workers: opts.workers, batchLines: opts.batchLines, inlineLines: opts.inlineLines }
  // Mapped through the one pipeline (a group identify's missing time is the message's own).
  for await (const one of readMessages({ archive, filters: opts.filters, subscriptions: opts.subscriptions, ...threads, onBytes: (n) => (progress.bytes += n) })) {
    const { message, duplicate } = one
    if (duplicate) continue
    const time = messageTime(message)
    let sets
    if (message.type === 'identify' || message.type === 'group') {
      sets = [propSource(actionsRecordsOf(opts.subscriptions, one)), propSource(classic(message))]
    }
    for (const row of messageRows(message, ordinal, time, sets)) {
      const key = row.k
      for (const sl of rowSlices(row, run.slice, run.window)) {
        row.k = `${key}|${sl}`
        spill.write('m', bucketOf(row.k, buckets), row)
      }
    }
    if (typeof message.messageId === 'string' && message.messageId !== '') spill.write('i', bucketOf(message.messageId, buckets), [message.messageId, ordinal])
    ordinal++
    progress.messages++
    if ((progress.messages & 0x3ff) === 0) run.tick()
  }
  spill.flush()
  return ordinal
}

/** 2. the export's stored events, by key bucket, and their insert-id candidates, by candidate bucket. */
async function spillExport(run: Run): Promise<{ info: AgainstSection['export']; files: string[]; span: [number, number] }> {
  const { spill, buckets } = run
  const info = { inputs: run.opts.exportInputs, files: 0, events: 0, problems: [] as Array<{ file: string; reason: string }> }
  const files: string[] = []
  const fileIndex = new Map<string, number>()
  let from = Infinity
  let to = -Infinity
  const state = new RecentState()
  for await (const item of readExport(run.opts.exportInputs)) {
    if (item.kind === 'file') {
      info.files++
      continue
    }
    if (item.kind === 'problem') {
      info.problems.push({ file: item.file, reason: item.reason })
      continue
    }
    const q = info.events++
    if ((info.events & 0x3ff) === 0) run.tick()
    const s = storedToSender(item.event)
    const t = s.record.time
    if (typeof t === 'number') {
      if (t < from) from = t
      if (t > to) to = t
    }
    let f = fileIndex.get(item.ref.file)
    if (f === undefined) {
      fileIndex.set(item.ref.file, (f = files.length))
      files.push(item.ref.file)
    }
    const row: StoredRow = { q, f, l: item.ref.line, s }
    const id = storedKey(s)
    const key = id === undefined || typeof t !== 'number' ? undefined : `${id}|${Math.floor(t / run.slice)}`
    if (key !== undefined) row.k = key
    if (id !== undefined && s.endpoint === '/identify') {
      const ch = state.changed(id, s.record)
      if (ch !== undefined) row.ch = ch
    } else if (id !== undefined) state.changed(id, s.record)
    const insertId = typeof s.record.insert_id === 'string' && s.record.insert_id !== '' ? s.record.insert_id : undefined
    if (key === undefined && insertId === undefined) {
      run.pairing.unpaired++
      run.against.add('only-in-amplitude', storedName(s), example(row, files), q)
      continue
    }
    const b = bucketOf(key ?? '', buckets)
    spill.write('s', b, row)
    if (insertId !== undefined) insertIdCandidates(insertId).forEach((c, rank) => spill.write('c', bucketOf(c, buckets), [c, q, rank, b]))
  }
  spill.flush()
  return { info, files, span: [from, to] }
}

function storedName(s: SenderShape): string {
  if (s.endpoint === '/identify') return '$identify'
  return typeof s.record.event_type === 'string' ? s.record.event_type : '(no event_type)'
}

function example(row: StoredRow, files: readonly string[]): { messageId: null; file: string; line: number; records: SenderShape[] } {
  return { messageId: null, file: files[row.f]!, line: row.l, records: [row.s] }
}

/**
 * 3. per messageId bucket: insert-id candidates → [stored seq, rank, ordinal] in the stored event's
 * bucket. Candidates are streamed: short prefixes (`ajs` of `ajs-…`) are shared by every event and
 * all land in one bucket.
 */
async function resolveInsertIds(run: Run): Promise<void> {
  const { spill, buckets } = run
  for (let b = 0; b < buckets; b++) {
    const ids = new Map<string, number>()
    for (const [id, o] of spill.readAll<[string, number]>('i', b)) if (!ids.has(id)) ids.set(id, o)
    if (ids.size > 0) {
      for await (const [c, q, rank, sb] of spill.stream<[string, number, number, number]>('c', b)) {
        const o = ids.get(c)
        if (o !== undefined) spill.write('r', sb, [q, rank, o])
      }
    }
    spill.drop('i', b)
    spill.drop('c', b)
  }
  spill.flush()
}

/** 4. per stored bucket: each stored event's owner; owned events to their ordinal range's file. */
async function pairBuckets(run: Run, files: readonly string[]): Promise<void> {
  const { spill, buckets, pairing, against } = run
  for (let b = 0; b < buckets; b++) {
    const rowsOf = new Map<string, MessageRow[]>()
    for (const row of spill.readAll<MessageRow>('m', b)) {
      const l = rowsOf.get(row.k)
      if (l === undefined) rowsOf.set(row.k, [row])
      else l.push(row)
    }
    const byKey = new Map<string, KeyRows>()
    for (const [k, rows] of rowsOf) byKey.set(k, new KeyRows(k, rows))
    rowsOf.clear()
    const insert = new Map<number, [number, number]>() // seq → [rank, ordinal], lowest rank kept
    for (const [q, rank, o] of spill.readAll<[number, number, number]>('r', b)) {
      const cur = insert.get(q)
      if (cur === undefined || rank < cur[0]) insert.set(q, [rank, o])
    }
    const claims: Claims = new Map()
    for await (const row of spill.stream<StoredRow>('s', b)) {
      const owner = decideOwner(row.s, insert.get(row.q)?.[1], row.k === undefined ? undefined : byKey.get(row.k), row.ch, run.window, claims)
      if (owner.kind === 'owned') {
        if (owner.via === 'insert_id') pairing.byInsertId++
        else if (owner.via === 'key') pairing.byKey++
        else pairing.byWindow++
        spill.write('o', Math.floor(owner.ordinal / ORDINALS_PER_CHUNK), [owner.ordinal, row.q, row.s])
        continue
      }
      if (owner.kind === 'ambiguous') pairing.ambiguous++
      else pairing.unpaired++
      against.add(owner.kind === 'ambiguous' ? 'ambiguous' : 'only-in-amplitude', storedName(row.s), example(row, files), row.q)
    }
    for (const f of ['m', 'r', 's']) spill.drop(f, b)
    run.progress.messages = b + 1
    run.tick()
  }
  spill.flush()
}

/** Owned stored events of the ordinal range `chunk`, by ordinal, in export order. */
function loadChunk(spill: SpillDir, chunk: number): Map<number, SenderShape[]> {
  const rows = spill.readAll<[number, number, SenderShape]>('o', chunk)
  spill.drop('o', chunk)
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const out = new Map<number, SenderShape[]>()
  for (const [o, , s] of rows) {
    const l = out.get(o)
    if (l === undefined) out.set(o, [s])
    else l.push(s)
  }
  return out
}

export async function compareAgainstExport(opts: AgainstOptions): Promise<AgainstResult> {
  const examples = opts.examples ?? 3
  const progress: Progress = { bytes: 0, totalBytes: 0, messages: 0, phase: 'indexing the archive' }
  let last = 0
  const tick = (): void => {
    if (opts.onProgress && Date.now() - last > 100) {
      last = Date.now()
      opts.onProgress(progress)
    }
  }
  const spill = new SpillDir(opts.workDir)
  try {
    const archive = await openArchive(opts.inputs)
    const sizing = opts.buckets ?? bucketCount(archive.totalBytes)
    const pairing: Pairing = { byInsertId: 0, byKey: 0, byWindow: 0, ambiguous: 0, unpaired: 0, duplicateMessages: 0, notExportedRecords: 0 }
    const window = opts.identifyWindowMs ?? DEFAULT_IDENTIFY_WINDOW_MS
    const run: Run = { opts, spill, buckets: Math.max(1, Math.floor(sizing)), window, slice: sliceMs(window), progress, tick, against: new AgainstFindings(examples), pairing }
    await indexArchive(run, archive)
    progress.phase = 'reading the export'
    const exp = await spillExport(run)
    progress.phase = 'pairing'
    await resolveInsertIds(run)
    await pairBuckets(run, exp.files)
    return await compareMessages(run, exp.info, exp.span)
  } finally {
    spill.remove()
  }
}

/** 5. the archive again: each message against its stored events, and the emulation agreement. */
async function compareMessages(run: Run, exportInfo: AgainstSection['export'], [spanFrom, spanTo]: [number, number]): Promise<AgainstResult> {
  const { opts, progress, pairing, against } = run
  const examples = opts.examples ?? 3
  const classic = compileClassic(opts.classicSettings, { mode: opts.classicMode })
  const agg = new DiffAggregator({ examples })
  const ctx = { renameMap: opts.renameMap, checkIds: { classic: false, actions: true } }
  const agreement = emptyAgreement(opts.classicMode)
  const counts = emptyCounts()
  const archive = await openArchive(opts.inputs)
  progress.phase = 'comparing'
  progress.bytes = 0
  progress.messages = 0
  let ordinal = -1
  let chunk = -1
  let owned = new Map<number, SenderShape[]>()
  let at = 0
  const threads = { workers: opts.workers, batchLines: opts.batchLines, inlineLines: opts.inlineLines }
  for await (const one of readMessages({ archive, counts, filters: opts.filters, subscriptions: opts.subscriptions, ...threads, onBytes: (n) => (progress.bytes += n) })) {
    const { message, ref, duplicate } = one
    if (duplicate) {
      pairing.duplicateMessages++
      continue
    }
    ordinal++
    if (Math.floor(ordinal / ORDINALS_PER_CHUNK) !== chunk) owned = loadChunk(run.spill, (chunk = Math.floor(ordinal / ORDINALS_PER_CHUNK)))
    progress.messages++
    if ((progress.messages & 0x3ff) === 0) run.tick()
    at = messageTime(message) ?? 0
    const all = actionsRecordsOf(opts.subscriptions, one)
    const actions = all.filter((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)))
    pairing.notExportedRecords += all.length - actions.length
    const emulated = classic(message)
    const stored = owned.get(ordinal) ?? []
    const msgRef = { messageId: typeof message.messageId === 'string' ? message.messageId : undefined, file: ref.file, line: ref.line }
    const covered = at >= spanFrom && at <= spanTo && messageTime(message) !== undefined
    if (stored.length === 0 && !covered) {
      // Amplitude holds nothing, and the export does not cover the message's time: only-in-archive, unless Amplitude refuses all of it anyway
      agg.addFindings(
        msgRef,
        0,
        actions.length,
        diffMessage([], actions, ctx).filter((f) => f.kind === 'refused-by-amplitude'),
      )
      const accepted = (r: { endpoint: string; record: Record<string, unknown>; options?: Record<string, unknown> }): boolean =>
        refusal(r.endpoint, r.record, r.options) === undefined
      const expected = actions.some(accepted) || emulated.some((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)) && accepted(r))
      if (expected)
        against.add(
          'only-in-archive',
          messageName(message),
          { messageId: msgRef.messageId ?? null, file: ref.file, line: ref.line, records: actions.map((a) => ({ endpoint: a.endpoint, record: a.record })) },
          ordinal,
        )
      continue
    }
    const a = align(stored, actions, String(message.type))
    agg.addFindings(msgRef, a.stored.length, a.sender.length, diffMessage(a.stored, a.sender, ctx))
    if (stored.length === 0) continue
    const em = emulationFindings(emulated, stored, String(message.type))
    agreement.storedEvents += stored.length
    agreement.matched += matchedStored(em.findings).size
    const kinds = new Set<FindingKind>(em.findings.map((f) => f.kind))
    for (const k of kinds) agreement.byKind[k]++
  }
  agreement.percent = percent(agreement.matched, agreement.storedEvents)
  return { report: assemble(run, agg, exportInfo, agreement), counts }
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
      byKind: { ...run.against.byKind },
      findings: run.against.list(),
      emulation: agreement,
      amplitudeFields: AMPLITUDE_ADDED_FIELDS.map(([field, reason]) => ({ field, reason })),
    },
  }
}
