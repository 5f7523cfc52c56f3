/** Renders an inspect report for a terminal: aligned columns, colour only when asked. */
import { shownName, visible } from '../text.js'
import { Chalk } from 'chalk'
import stringWidth from 'string-width'
import { stripVTControlCharacters } from 'node:util'
import type { InspectReport } from './profile.js'
import { AMPLITUDE_MIN_ID_LENGTH } from './profile.js'
import { CSV_LOST_FIELDS } from '../pipeline/decode/index.js'
import type { InspectResult } from './index.js'

const n = (v: number) => v.toLocaleString('en-US')
const pct = (v: number) => `${(v * 100).toFixed(1)}%`

/** Pads to a display width: a wide character (CJK, most emoji) takes two columns, a colour sequence none. */
const padEnd = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - stringWidth(s)))
const padStart = (s: string, width: number): string => ' '.repeat(Math.max(0, width - stringWidth(s))) + s
const isNumeric = (v: string): boolean => /^[\d,.%/ ]+$/.test(stripVTControlCharacters(v))

/**
 * Rows of a label and value columns, aligned by display width: labels (data: event names, reasons,
 * subscription names, shown escaped) to the left, numeric columns to the right, each column on its
 * own; a value that is not a number (a time range) is not padded and sets no width.
 */
function alignedRows(rows: string[][], indent = '  '): string[] {
  const cells = rows.map(([label, ...values]) => [visible(label!), ...values])
  const columns = Math.max(0, ...cells.map((r) => r.length))
  const widths: number[] = []
  for (let i = 0; i < columns; i++) widths.push(Math.max(0, ...cells.filter((r) => i < r.length && (i === 0 || isNumeric(r[i]!))).map((r) => stringWidth(r[i]!))))
  return cells.map((r) => `${indent}${r.map((cell, i) => (i === 0 ? padEnd(cell, widths[0]!) : isNumeric(cell) ? padStart(cell, widths[i]!) : cell)).join('  ')}`.trimEnd())
}

export function renderInspectTable(report: InspectReport, opts: { color: boolean; topEvents?: number }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 })
  const out: string[] = []
  const head = (title: string) => out.push('', c.bold(title))
  const table = (rows: string[][]) => out.push(...alignedRows(rows))

  out.push(c.bold('Archive profile'))
  table([
    ['files', n(report.files)],
    ['messages', n(report.messages)],
    ['filtered', n(Object.values(report.filtered).reduce((a, b) => a + b, 0))],
    ['kept (counted below)', n(report.kept)],
    ['duplicates (messageId seen before)', n(report.duplicates)],
    ['rejected lines', report.rejected > 0 ? c.yellow(n(report.rejected)) : n(report.rejected)],
    ['time range', report.timeRange.from ? `${report.timeRange.from} → ${report.timeRange.to}` : '(no timestamps)'],
  ])

  head(`Messages by type (of ${n(report.kept)} kept)`)
  table(Object.entries(report.byType).map(([k, v]) => [k, n(v)]))

  const events = Object.entries(report.byEvent)
  if (events.length > 0) {
    const top = opts.topEvents ?? 20
    head(`Track events (${n(events.length)} name${events.length === 1 ? '' : 's'}${events.length > top ? `, top ${top}` : ''})`)
    table(events.slice(0, top).map(([k, v]) => [shownName(k), n(v)]))
  }

  head(`Identifiers (count, share of the ${n(report.kept)} kept messages)`)
  const ids = report.ids
  table([
    ['userId', n(ids.userId), pct(ids.userIdShare)],
    ['anonymousId', n(ids.anonymousId), pct(ids.anonymousIdShare)],
    ['context.device.id', n(ids.deviceId), pct(ids.deviceIdShare)],
    [`shorter than ${AMPLITUDE_MIN_ID_LENGTH} chars (user/anon/device)`, `${n(ids.shortUserId)}/${n(ids.shortAnonymousId)}/${n(ids.shortDeviceId)}`],
    ['no id at all', ids.noId > 0 ? c.yellow(n(ids.noId)) : n(ids.noId)],
  ])

  if (Object.keys(report.subscriptions).length > 0) {
    head(`Subscriptions that would fire (of ${n(report.kept)} kept messages)`)
    table(Object.entries(report.subscriptions).map(([k, v]) => [k, n(v)]))
  }
  if (Object.keys(report.filtered).length > 0) {
    head('Filtered (reason)')
    table(Object.entries(report.filtered).map(([k, v]) => [k, n(v)]))
  }
  if (report.rejected > 0) {
    head(c.yellow('Rejected lines (reason)'))
    table(Object.entries(report.rejectedByReason).map(([k, v]) => [k, n(v)]))
  }
  if (report.unreadableFiles.length > 0) {
    head(c.red('Unreadable files'))
    for (const f of report.unreadableFiles) out.push(`  ${visible(f.file)}: ${visible(f.reason)}`)
  }
  return out.join('\n') + '\n'
}

/** What reading left out or could not keep, for stderr: one line each (empty when nothing). */
export function renderReadNotes(r: {
  rejected: number
  rejectedFile?: string
  unreadableFiles: Array<{ file: string; reason: string; retryable?: boolean }>
  skippedPaths?: Array<{ path: string; reason: string }>
}): string[] {
  return [
    ...(r.rejectedFile ? [`${n(r.rejected)} rejected line(s) written to ${r.rejectedFile}`] : []),
    ...r.unreadableFiles.map((f) => `unreadable: ${visible(f.file)}: ${visible(f.reason)}`),
    ...(r.unreadableFiles.some((f) => f.retryable) ? ['The store failed past its retries: run the same command again later (exit 75).'] : []),
    ...(r.skippedPaths ?? []).map((s) => `skipped: ${visible(s.path)}: ${visible(s.reason)}`),
  ]
}

/** The notes `segamp inspect` prints on stderr after its report. */
export function renderInspectNotes(result: InspectResult, configNotes: string[]): string[] {
  return [
    ...(result.csvFiles > 0
      ? [
          `${n(result.csvFiles)} file(s) were AWS S3 (Actions) CSV exports: that format does not carry ${CSV_LOST_FIELDS.join(', ')}, so page/screen names, group ids and alias previous ids are missing from those messages (Classic-fidelity diffs are not possible for them).`,
        ]
      : []),
    // About the configuration, not the archive: what its events may carry (replay counts the real ones).
    ...configNotes.map((note) => `Note: ${note}`),
    ...renderReadNotes({ rejected: result.report.rejected, rejectedFile: result.rejectedFile, unreadableFiles: result.report.unreadableFiles, skippedPaths: result.skippedPaths }),
  ]
}
