/**
 * Input files a diff could not read to the end (a truncated gzip, an object the store kept
 * failing), in each report format: the report covers only what was read and the command exits 2,
 * so a reader of any one report (a CI system's JUnit view, code scanning, the step summary, a later
 * step's outputs) must see that as well as the log does. Pure: strings in and out.
 */
import { visible } from '../../text.js'
import { escapeData, escapeProperty, ANNOTATIONS_PER_LEVEL } from './github.js'

export interface UnreadableInput {
  file: string
  reason: string
}

/** The one-line statement every format carries. */
export function unreadableHeadline(files: readonly UnreadableInput[]): string {
  return `${files.length} input file(s) could not be read to the end: this report covers only what was read (the command exits 2)`
}

/** `file: reason`, control characters shown as `\uXXXX`. */
export function unreadableLine(f: UnreadableInput): string {
  return `${visible(f.file)}: ${visible(f.reason)}`
}

/** `--format github`: an error annotation per file (at most GitHub's 10), then a notice for the rest. */
export function unreadableAnnotations(files: readonly UnreadableInput[]): string[] {
  const out = files.slice(0, ANNOTATIONS_PER_LEVEL).map((f) => `::error title=${escapeProperty('segamp: input not read to the end')}::${escapeData(unreadableLine(f))}`)
  if (files.length > ANNOTATIONS_PER_LEVEL)
    out.push(
      `::notice title=${escapeProperty('segamp: input not read to the end')}::${escapeData(`${files.length - ANNOTATIONS_PER_LEVEL} more unreadable input file(s): see the log`)}`,
    )
  return out
}

const codeSpan = (s: string): string => '`` ' + s.replace(/`/g, "'") + ' ``'

/** Markdown (report and step summary): a block after the heading, one list item per file. */
export function withUnreadableMarkdown(markdown: string, files: readonly UnreadableInput[]): string {
  const block = [`> **❌ ${unreadableHeadline(files)}:**`, ...files.map((f) => `> - ${codeSpan(visible(f.file))}: ${codeSpan(visible(f.reason))}`), '']
  const lines = markdown.split('\n')
  const at = lines[0]?.startsWith('#') ? 1 : 0
  if (at === 1) block.unshift('')
  return [...lines.slice(0, at), ...block, ...lines.slice(at)].join('\n')
}

/** `--format json`: the report with `unreadableFiles` added. */
export function withUnreadableJson<T extends object>(report: T, files: readonly UnreadableInput[]): T & { unreadableFiles: UnreadableInput[] } {
  return { ...report, unreadableFiles: files.map((f) => ({ file: f.file, reason: f.reason })) }
}
