/** Renders an inspect report for a terminal: aligned columns, colour only when asked. */
import { shownName, visible } from '../text.js'
import { Chalk } from 'chalk'
import type { InspectReport } from './profile.js'
import { AMPLITUDE_MIN_ID_LENGTH } from './profile.js'
import { CSV_LOST_FIELDS } from '../pipeline/decode/index.js'
import type { InspectResult } from './index.js'

const n = (v: number) => v.toLocaleString('en-US')
const pct = (v: number) => `${(v * 100).toFixed(1)}%`

export function renderInspectTable(report: InspectReport, opts: { color: boolean; topEvents?: number }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 })
  const out: string[] = []
  const head = (title: string) => out.push('', c.bold(title))
  const table = (cells: Array<[string, string]>, indent = '  ') => {
    // The first column holds data (event names, reasons, subscription names): shown escaped.
    const rows = cells.map(([k, v]): [string, string] => [visible(k), v])
    const width = Math.max(0, ...rows.map(([k]) => k.length))
    const numeric = (v: string) => /^[\d,.%/ ]+$/.test(v.replace(/\x1b\[[0-9;]*m/g, ''))
    const valueWidth = Math.max(0, ...rows.filter(([, v]) => numeric(v)).map(([, v]) => v.length))
    for (const [k, v] of rows) out.push(`${indent}${k.padEnd(width)}  ${numeric(v) ? v.padStart(valueWidth) : v}`.trimEnd())
  }

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
    ['userId', `${n(ids.userId)}  ${pct(ids.userIdShare)}`],
    ['anonymousId', `${n(ids.anonymousId)}  ${pct(ids.anonymousIdShare)}`],
    ['context.device.id', `${n(ids.deviceId)}  ${pct(ids.deviceIdShare)}`],
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
