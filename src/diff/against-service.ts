/**
 * `segamp diff-mappings --against EXPORT` as a library call. Three reads:
 * 1. the archive, to index the kept messages (messageId, user/device id + time);
 * 2. the export, each stored event assigned to its message (or only-in-amplitude / ambiguous);
 * 3. the archive again: each message's Actions records against its stored events, and the
 *    Classic emulation against the same stored events (emulation agreement).
 * Stored events wait in memory until their message comes (converted to the slim sender shape).
 */
import { openArchive } from '../pipeline/decode/reader.js'
import { messageTime } from '../pipeline/route/filters.js'
import { emptyCounts, type ScanCounts } from '../pipeline/decode/scan.js'
import { readMessages } from '../replay/pipeline.js'
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
  ownerOf,
  PairingIndex,
  percent,
  type AgainstReport,
} from './against.js'
import { AMPLITUDE_ADDED_FIELDS, parseExportTime, storedToSender, type SenderShape } from '../export/format.js'
import { readExport } from '../export/read.js'
import type { ReadProgress } from '../inspect/index.js'
import { actionsRecordsOf, type CompareOptions } from './service.js'
import type { FindingKind } from './index.js'

/** The emulation comparison's options, with the export in place of a sample limit. */
export interface AgainstOptions extends Omit<CompareOptions, 'archive' | 'limit' | 'onProgress'> {
  /** Export zips, folders or files. */
  exportInputs: string[]
  onProgress?: (p: ReadProgress & { phase: string }) => void
}

export interface AgainstResult {
  report: AgainstReport
  counts: ScanCounts
}

export async function compareAgainstExport(opts: AgainstOptions): Promise<AgainstResult> {
  const examples = opts.examples ?? 3
  const threads = { workers: opts.workers, batchLines: opts.batchLines, inlineLines: opts.inlineLines }
  const index = new PairingIndex()

  // 1. index the archive
  const first = await openArchive(opts.inputs)
  const progress = { bytes: 0, totalBytes: first.totalBytes, messages: 0, phase: 'indexing the archive' }
  let tick = 0
  const report = (): void => {
    if (opts.onProgress && Date.now() - tick > 100) {
      tick = Date.now()
      opts.onProgress(progress)
    }
  }
  for await (const { message, duplicate } of readMessages({ archive: first, filters: opts.filters, ...threads, onBytes: (n) => (progress.bytes += n) })) {
    if (duplicate) continue
    index.add(message, messageTime(message))
    progress.messages++
    if ((progress.messages & 0x3ff) === 0) report()
  }

  // 2. read the export, assigning stored events to messages
  const against = new AgainstFindings(examples)
  const owned = new Map<number, SenderShape[]>()
  const exportInfo = { inputs: opts.exportInputs, files: 0, events: 0, problems: [] as Array<{ file: string; reason: string }> }
  const pairing = { byInsertId: 0, byKey: 0, ambiguous: 0, unpaired: 0, duplicateMessages: 0, notExportedRecords: 0 }
  progress.phase = 'reading the export'
  // the event-time span the export covers: inside it, Amplitude holding nothing for a message means Classic sent nothing
  let spanFrom = Infinity
  let spanTo = -Infinity
  for await (const item of readExport(opts.exportInputs)) {
    if (item.kind === 'file') {
      exportInfo.files++
      continue
    }
    if (item.kind === 'problem') {
      exportInfo.problems.push({ file: item.file, reason: item.reason })
      continue
    }
    exportInfo.events++
    if ((exportInfo.events & 0x3ff) === 0) report()
    const ev = item.event
    const evTime = parseExportTime(ev.event_time)
    if (evTime !== undefined) {
      if (evTime < spanFrom) spanFrom = evTime
      if (evTime > spanTo) spanTo = evTime
    }
    const o = ownerOf(ev, index)
    const name = typeof ev.event_type === 'string' ? ev.event_type : '(no event_type)'
    if (o.kind === 'owned') {
      if (o.via === 'insert_id') pairing.byInsertId++
      else pairing.byKey++
      const l = owned.get(o.ordinal)
      const shape = storedToSender(ev)
      if (l) l.push(shape)
      else owned.set(o.ordinal, [shape])
      continue
    }
    const ex = { messageId: null, file: item.ref.file, line: item.ref.line, records: [storedToSender(ev)] }
    if (o.kind === 'ambiguous') {
      pairing.ambiguous++
      against.add('ambiguous', name, ex)
    } else {
      pairing.unpaired++
      against.add('only-in-amplitude', name, ex)
    }
  }

  // 3. compare message by message
  const classic = compileClassic(opts.classicSettings, { mode: opts.classicMode })
  const agg = new DiffAggregator({ examples })
  const ctx = { renameMap: opts.renameMap }
  const agreement = emptyAgreement(opts.classicMode)
  const counts = emptyCounts()
  const archive = await openArchive(opts.inputs)
  progress.phase = 'comparing'
  progress.bytes = 0
  progress.messages = 0
  let ordinal = -1
  let at = 0
  const onRejected = (line: { message: boolean; ref: { file: string; line: number }; reason: string }): void => {
    if (line.message) opts.onUnprocessable?.(line.ref, line.reason)
  }
  for await (const one of readMessages({ archive, counts, filters: opts.filters, subscriptions: opts.subscriptions, ...threads, onRejected, onBytes: (n) => (progress.bytes += n) })) {
    const { message, ref, duplicate } = one
    if (duplicate) {
      pairing.duplicateMessages++
      continue
    }
    ordinal++
    progress.messages++
    if ((progress.messages & 0x3ff) === 0) report()
    at = messageTime(message) ?? 0
    const all = actionsRecordsOf(opts.subscriptions, one)
    const actions = all.filter((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)))
    pairing.notExportedRecords += all.length - actions.length
    const emulated = classic(message)
    const stored = owned.get(ordinal) ?? []
    owned.delete(ordinal)
    const msgRef = { messageId: typeof message.messageId === 'string' ? message.messageId : undefined, file: ref.file, line: ref.line }
    const covered = at >= spanFrom && at <= spanTo && messageTime(message) !== undefined
    if (stored.length === 0 && !covered) {
      agg.addFindings(msgRef, 0, actions.length, [])
      const expected = actions.length > 0 || emulated.some((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)))
      if (expected) against.add('only-in-archive', messageName(message), { messageId: msgRef.messageId ?? null, file: ref.file, line: ref.line, records: actions.map((a) => ({ endpoint: a.endpoint, record: a.record })) })
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

  const settingsInfo = readClassicSettings(opts.classicSettings)
  const base = agg.report({
    classicMode: 'amplitude export',
    settings: redactSecrets(settingsInfo.settings as unknown as Record<string, unknown>) as Record<string, unknown>,
    mappingsSource: opts.mappingsSource,
    assumptions: amplitudeModelLines(),
  })
  const result: AgainstReport = {
    ...base,
    model: { ...base.model, amplitudeFields: AMPLITUDE_ADDED_FIELDS.map(([field]) => field) } as AgainstReport['model'],
    against: {
      export: exportInfo,
      pairing,
      byKind: { ...against.byKind },
      findings: against.list(),
      emulation: agreement,
      amplitudeFields: AMPLITUDE_ADDED_FIELDS.map(([field, reason]) => ({ field, reason })),
    },
  }
  return { report: result, counts }
}
