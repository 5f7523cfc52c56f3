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
import { checkItems } from './formats/items.js'
import type { Locator } from './formats/locate.js'
import { renderAnnotations } from './formats/github.js'
import { renderJunit } from './formats/junit.js'
import { renderSarif } from './formats/sarif.js'
import { renderHtml } from './formats/html.js'
import { unreadableAnnotations, withUnreadableJson, withUnreadableMarkdown, type UnreadableInput } from './formats/unreadable.js'

/** Formats of a diff report; github, junit, sarif and html are the CI ones (src/diff/formats/). */
export const DIFF_FORMATS = ['table', 'json', 'markdown', 'github', 'junit', 'sarif', 'html'] as const
export type DiffFormat = (typeof DIFF_FORMATS)[number]

export interface RenderOptions {
  failOn: string[]
  color: boolean
  /** Where the subscriptions are defined (mappings or Terraform file): findings point at its lines. */
  locator?: Locator
  /** A location's file as the reader's tools know it (relative to the repository root). */
  path?: (file: string) => string
  /** Markdown size budget (default: the PR-comment one). */
  maxChars?: number
  command?: string
  version?: string
  now?: () => Date
  /** Input files not read to the end: every format says so (the command exits 2). */
  unreadable?: readonly UnreadableInput[]
}

const isAgainst = (report: DiffReport): report is AgainstReport => (report as Partial<AgainstReport>).against !== undefined

/** The report in `format`; an --against report gets its export sections. */
export function renderDiffReport(report: DiffReport | AgainstReport, format: DiffFormat, opts: RenderOptions): string {
  const command = opts.command ?? 'diff-mappings'
  const version = opts.version ?? '0.0.0'
  const unreadable = opts.unreadable ?? []
  const some = unreadable.length > 0
  switch (format) {
    case 'json':
      return renderJson(some ? withUnreadableJson(report, unreadable) : report)
    case 'github':
      return [...unreadableAnnotations(unreadable), ...renderAnnotations(checkItems(report, opts.failOn, opts.locator), { path: opts.path })].join('\n') + '\n'
    case 'junit':
      return renderJunit(checkItems(report, opts.failOn, opts.locator), { command, unreadable })
    case 'sarif':
      return renderSarif(checkItems(report, opts.failOn, opts.locator), { version, path: opts.path, unreadable })
    case 'html':
      return renderHtml(report, checkItems(report, opts.failOn, opts.locator), { command, version, generatedAt: (opts.now?.() ?? new Date()).toISOString(), unreadable })
    case 'markdown': {
      const md = isAgainst(report)
        ? renderAgainstMarkdown(report, { failOn: opts.failOn, maxChars: opts.maxChars })
        : renderMarkdown(report, { failOn: opts.failOn, maxChars: opts.maxChars, command })
      return some ? withUnreadableMarkdown(md, unreadable) : md
    }
    default:
      return isAgainst(report) ? renderAgainstTable(report, { color: opts.color }) : renderTable(report, { color: opts.color })
  }
}

/** The --fail-on kinds the report has findings of (with --against, also only-in-amplitude/only-in-archive). */
export function failingDiffKinds(report: DiffReport | AgainstReport, failOn: string[]): string[] {
  return isAgainst(report) ? againstFailing(report, failOn) : failingKinds(report, failOn)
}

/** What reading left out, for stderr: rejected lines, unreadable files, skipped link paths. */
export function renderDiffReadNotes(counts: {
  rejected: number
  filtered?: Record<string, number>
  unreadableFiles: Array<{ file: string; reason: string }>
  skippedPaths?: Array<{ path: string; reason: string }>
}): string[] {
  // The report's messages are those the filters kept: the others are counted here, by reason, so
  // the lines read add up (Segment's integrations flags filter some even with no filter flag given).
  const filtered = Object.entries(counts.filtered ?? {}).filter(([, v]) => v > 0)
  const total = filtered.reduce((a, [, v]) => a + v, 0)
  return [
    ...(total > 0 ? [`${formatCount(total)} message(s) filtered, not compared (${filtered.map(([k, v]) => `${k} ${formatCount(v)}`).join(', ')})`] : []),
    ...(counts.rejected > 0 ? [`${formatCount(counts.rejected)} line(s) were rejected or could not be processed (rejected lines: see segamp inspect)`] : []),
    ...counts.unreadableFiles.map((f) => `unreadable: ${visible(f.file)}: ${visible(f.reason)}`),
    ...(counts.skippedPaths ?? []).map((s) => `skipped: ${visible(s.path)}: ${visible(s.reason)}`),
  ]
}

/** Why a diff over unreadable input exits 2, and what to do. */
export function unreadableTrouble(files: ReadonlyArray<{ retryable?: boolean }>): string {
  const retry = files.some((f) => f.retryable)
  return (
    `error: ${formatCount(files.length)} input file(s) could not be read to the end (listed above): the report covers only what was read, so this run exits 2. ` +
    (retry ? 'The store failed past its retries: run the same command again later.' : 'Replace those files, or leave them out of the input (name the other files or folders).')
  )
}
