/**
 * Renderers of a `diff-mappings --against` report: the emulation diff's table/Markdown for the
 * shared findings, followed by the export's own sections (only in Amplitude, only in the
 * archive, ambiguous pairings, emulation agreement). JSON is the report as it is.
 */
import { failingKinds } from './fail-on.js'
import { codeSpan, columnWidth, displayName, NOT_DIFFERENCES, padColumns, renderMarkdown, renderTable, formatCount } from './render.js'
import { visible } from '../text.js'
import type { AgainstReport } from './against.js'
import { AGAINST_KINDS, type AgainstKind } from './against.js'

/** --fail-on kinds of the against mode, beyond the shared ones. */
export function againstFailing(report: AgainstReport, failOn: readonly string[]): string[] {
  const base = failingKinds(
    report,
    failOn.filter((k) => !(AGAINST_KINDS as readonly string[]).includes(k)),
  )
  const extra = AGAINST_KINDS.filter((k) => failOn.includes(k) && report.against.byKind[k] > 0)
  return [...base, ...extra]
}

export function agreementLine(report: AgainstReport): string {
  const e = report.against.emulation
  if (e.storedEvents === 0) return `Emulation agreement: not measured (no stored event was paired with an archived message)`
  return `Emulation agreement: the Classic emulation (${e.classicMode}) matched ${e.percent} % of stored events (${formatCount(e.matched)} of ${formatCount(e.storedEvents)} paired with an archived message)`
}

const TITLES: Record<AgainstKind | 'ambiguous', string> = {
  'only-in-amplitude': 'Only in Amplitude: stored events no archived message explains',
  'only-in-archive': 'Only in the archive: messages Amplitude holds nothing for',
  ambiguous: 'Ambiguous: stored events that fit several messages (not paired)',
}

/** `markdown`: data (file names, a server's or a file's words) as code, never markup. */
function sectionLines(report: AgainstReport, markdown = false): string[] {
  const a = report.against
  const out: string[] = []
  for (const kind of [...AGAINST_KINDS, 'ambiguous'] as const) {
    const list = a.findings.filter((f) => f.kind === kind)
    if (list.length === 0) continue
    const unit = kind === 'only-in-archive' ? 'messages' : 'events'
    out.push('', `${TITLES[kind]} (${formatCount(a.byKind[kind])} ${unit})`)
    // Names come from the data: shown as the findings table shows them (control characters escaped).
    const shown = list.slice(0, 15).map((f) => ({ name: displayName(f.name), count: f.count }))
    const w = columnWidth(shown.map((f) => f.name))
    for (const f of shown) out.push(`  ${padColumns(f.name, w)}  (${formatCount(f.count)})`)
    if (list.length > shown.length) out.push(`  … ${list.length - shown.length} more (see --format json)`)
  }
  const outside = a.byKind['outside-archive-span'] ?? 0
  const span = a.archiveSpan
  if (outside > 0)
    out.push(
      '',
      `Outside the archive's span (${span.from} to ${span.to}): ${formatCount(outside)} stored events no archived message could explain, not compared and not a difference`,
    )
  const p = a.pairing
  // Every stored event outside the archive's span, none paired: another day or month was exported
  // (every message is then only-in-archive), which the counts alone leave the reader to work out.
  if (outside > 0 && outside === p.unpaired && p.byInsertId + p.byKey + p.byWindow + p.ambiguous === 0)
    out.push(
      `No stored event lies in the archive's span and none was paired: the export and the archive do not overlap in time (check the export's range, --start/--end, against the archive's dates)`,
    )
  out.push(
    '',
    `Export: ${formatCount(a.export.events)} stored events in ${formatCount(a.export.files)} file(s); paired by $insert_id ${formatCount(p.byInsertId)}, by user/device + time ${formatCount(p.byKey)}, $identify by upload-time window ${formatCount(p.byWindow)}, ambiguous ${formatCount(p.ambiguous)}, unpaired ${formatCount(p.unpaired)}${outside > 0 ? ` (${formatCount(outside)} outside the archive's span)` : ''}`,
    spanLine(span, markdown),
  )
  if (p.duplicateEvents > 0) out.push(`Export: ${formatCount(p.duplicateEvents)} stored event(s) read twice (the same uuid and content, e.g. in overlapping exports): counted once`)
  if (p.duplicateMessages > 0) out.push(`Archive: ${formatCount(p.duplicateMessages)} message(s) with an already seen messageId skipped`)
  if (p.notExportedRecords > 0) out.push(`Left out: ${formatCount(p.notExportedRecords)} Actions record(s) to /groupidentify or /usermap (never in an export)`)
  for (const pr of a.export.problems.slice(0, 20)) {
    const text = `${visible(pr.file)}: ${visible(pr.reason)}`
    out.push(`Export problem: ${markdown ? codeSpan(text) : text}`)
  }
  if (a.export.problems.length > 20) out.push(`… ${a.export.problems.length - 20} more export problems (see --format json)`)
  out.push(agreementLine(report))
  return out
}

/**
 * The span that bounds the comparison (stored events outside it are no difference), and where the
 * messages at its bounds are: file names are data (control characters escaped; code in Markdown).
 */
function spanLine(span: AgainstReport['against']['archiveSpan'], markdown: boolean): string {
  if (span.from === null) return `Archive span: unknown (no compared message has a time): every stored event no message explains is only-in-amplitude`
  const at = (where: string): string => (markdown ? codeSpan(visible(where)) : visible(where))
  const where = span.fromAt !== null && span.toAt !== null ? `, the earliest at ${at(span.fromAt)}, the latest at ${at(span.toAt)}` : ''
  return `Archive span: ${span.from} to ${span.to} (the compared messages' times${where}; $identify rows from ${span.identifyRowsFrom}, --identify-window after its start)`
}

function hasDifferences(report: AgainstReport): boolean {
  return report.findings.some((f) => !NOT_DIFFERENCES.has(f.kind) && f.count > 0) || AGAINST_KINDS.some((k) => report.against.byKind[k] > 0)
}

export function renderAgainstTable(report: AgainstReport, opts: { color: boolean }): string {
  const base = renderTable(report, opts).trimEnd().split('\n')
  base.pop() // the emulation diff's verdict; ours follows the export sections
  while (base.length > 0 && base[base.length - 1] === '') base.pop()
  return [...base, ...sectionLines(report), '', hasDifferences(report) ? 'Differences found.' : 'No differences.'].join('\n') + '\n'
}

export function renderAgainstMarkdown(report: AgainstReport, opts: { failOn: string[]; maxChars?: number }): string {
  const failing = againstFailing(report, opts.failOn)
  const shared = opts.failOn.filter((k) => !(AGAINST_KINDS as readonly string[]).includes(k))
  const lines = renderMarkdown(report, { failOn: shared, maxChars: opts.maxChars }).split('\n')
  let verdict: string
  if (failing.length > 0) verdict = `❌ failed on ${failing.join(', ')}`
  else if (opts.failOn.length > 0) verdict = `✅ passed (--fail-on ${opts.failOn.join(',')})`
  else verdict = hasDifferences(report) ? '⚠️ differences found' : '✅ no differences'
  lines[0] = `### segamp diff-mappings --against: ${verdict}`
  const extra = [
    '',
    '#### Against the export',
    '',
    ...sectionLines(report, true)
      .filter((l) => l !== '')
      .map((l) => (l.startsWith('  ') ? `- ${codeSpan(l.trim())}` : `${l}  `)),
  ]
  return lines.join('\n').trimEnd() + '\n' + extra.join('\n') + '\n'
}
