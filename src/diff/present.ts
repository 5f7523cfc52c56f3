/**
 * The one place a diff report (`diff-mappings`, with or without --against, and `migrate --verify`)
 * becomes text: the format is picked here, and so are the --fail-on kinds it found.
 */
import type { DiffReport } from './types.js'
import type { AgainstReport } from './against.js'
import { failingKinds } from './fail-on.js'
import { formatCount, renderJson, renderMarkdown, renderTable } from './render.js'
import { visible } from '../text.js'
import { againstFailing, renderAgainstMarkdown, renderAgainstTable } from './against-render.js'

export type DiffFormat = 'table' | 'json' | 'markdown'

const isAgainst = (report: DiffReport): report is AgainstReport => (report as Partial<AgainstReport>).against !== undefined

/** The report in `format`; an --against report gets its export sections. */
export function renderDiffReport(report: DiffReport | AgainstReport, format: DiffFormat, opts: { failOn: string[]; color: boolean }): string {
  if (format === 'json') return renderJson(report)
  if (isAgainst(report)) return format === 'markdown' ? renderAgainstMarkdown(report, { failOn: opts.failOn }) : renderAgainstTable(report, { color: opts.color })
  return format === 'markdown' ? renderMarkdown(report, { failOn: opts.failOn }) : renderTable(report, { color: opts.color })
}

/** The --fail-on kinds the report has findings of (with --against, also only-in-amplitude/only-in-archive). */
export function failingDiffKinds(report: DiffReport | AgainstReport, failOn: string[]): string[] {
  return isAgainst(report) ? againstFailing(report, failOn) : failingKinds(report, failOn)
}

/** What reading left out, for stderr: rejected lines, unreadable files, skipped link paths. */
export function renderDiffReadNotes(counts: { rejected: number; unreadableFiles: Array<{ file: string; reason: string }>; skippedPaths?: Array<{ path: string; reason: string }> }): string[] {
  return [
    ...(counts.rejected > 0 ? [`${formatCount(counts.rejected)} line(s) were rejected or could not be processed (rejected lines: see segamp inspect)`] : []),
    ...counts.unreadableFiles.map((f) => `unreadable: ${visible(f.file)}: ${visible(f.reason)}`),
    ...(counts.skippedPaths ?? []).map((s) => `skipped: ${visible(s.path)}: ${visible(s.reason)}`),
  ]
}
