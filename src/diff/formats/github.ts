/**
 * GitHub Actions output of a diff report: workflow-command annotations (`--format github`), the
 * step summary (Markdown under GitHub's 1 MiB cap) and the step outputs. Pure: strings in and out;
 * the command writes them (see emit.ts). Escaping follows GitHub's workflow-command rules
 * (docs/github-actions.md).
 */
import type { CheckItem } from './items.js'

/** GitHub shows at most 10 annotations of each level (error, warning) per step. */
export const ANNOTATIONS_PER_LEVEL = 10
/** GitHub's cap on one step's summary ($GITHUB_STEP_SUMMARY), in bytes. */
export const STEP_SUMMARY_MAX_BYTES = 1024 * 1024

/** Message text of a workflow command: `%`, CR and LF percent-encoded. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A property value (file, title): as escapeData, plus `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export interface AnnotationOptions {
  /** The file path as GitHub knows it (relative to the repository root), replacing location.file. */
  path?: (file: string) => string
}

function annotation(level: 'error' | 'warning', item: CheckItem, opts: AnnotationOptions): string {
  const props: string[] = []
  if (item.location) {
    props.push(`file=${escapeProperty(opts.path ? opts.path(item.location.file) : item.location.file)}`)
    props.push(`line=${item.location.line}`)
  }
  props.push(`title=${escapeProperty(`segamp ${item.kind}: ${item.label}`)}`)
  return `::${level} ${props.join(',')}::${escapeData(item.message)}`
}

/**
 * Annotation lines: errors for failing items, warnings for the other findings (same-name findings
 * are not annotated), the 10 most frequent of each level, then one notice counting those left out.
 */
export function renderAnnotations(items: readonly CheckItem[], opts: AnnotationOptions = {}): string[] {
  const byCount = (a: CheckItem, b: CheckItem): number => b.count - a.count
  const findings = items.filter((i) => i.kind !== 'same' && i.count > 0)
  const errors = findings.filter((i) => i.failing).sort(byCount)
  const warnings = findings.filter((i) => !i.failing).sort(byCount)
  const out = [
    ...errors.slice(0, ANNOTATIONS_PER_LEVEL).map((i) => annotation('error', i, opts)),
    ...warnings.slice(0, ANNOTATIONS_PER_LEVEL).map((i) => annotation('warning', i, opts)),
  ]
  const moreErrors = Math.max(0, errors.length - ANNOTATIONS_PER_LEVEL)
  const moreWarnings = Math.max(0, warnings.length - ANNOTATIONS_PER_LEVEL)
  if (moreErrors + moreWarnings > 0) {
    const parts = [
      moreErrors > 0 ? `${moreErrors} more ${moreErrors === 1 ? 'error' : 'errors'}` : '',
      moreWarnings > 0 ? `${moreWarnings} more ${moreWarnings === 1 ? 'warning' : 'warnings'}` : '',
    ].filter(Boolean)
    out.push(
      `::notice title=${escapeProperty('segamp: findings not annotated')}::${escapeData(`${parts.join(' and ')} not annotated (GitHub shows ${ANNOTATIONS_PER_LEVEL} of each per step; the most frequent are shown): see the job summary and the reports`)}`,
    )
  }
  return out
}

/**
 * The step summary: `render(maxChars)` (a Markdown renderer that cuts examples first, then rows,
 * and says so) with the budget halved until the UTF-8 text fits `maxBytes`.
 */
export function fitStepSummary(render: (maxChars: number) => string, maxBytes = STEP_SUMMARY_MAX_BYTES): string {
  // Leave room for what GitHub or a later step adds, and for multi-byte characters.
  let chars = Math.floor(maxBytes * 0.9)
  for (;;) {
    const text = render(chars)
    if (Buffer.byteLength(text, 'utf8') < maxBytes * 0.95 || chars < 1000) return text
    chars = Math.floor(chars / 2)
  }
}

/** `$GITHUB_OUTPUT` lines: `name=value`, or the delimiter form when a value spans lines. */
export function renderOutputs(outputs: Record<string, string>): string {
  let out = ''
  for (const [k, v] of Object.entries(outputs)) {
    if (!/[\r\n]/.test(v)) out += `${k}=${v}\n`
    else {
      let delim = 'SEGAMP_EOF'
      while (v.includes(delim)) delim += '_'
      out += `${k}<<${delim}\n${v}\n${delim}\n`
    }
  }
  return out
}
