/**
 * Renderers of a diff report: terminal table and Markdown (PR comment). They return strings;
 * JSON is `JSON.stringify(report, null, 2)` (see `renderJson`).
 */
import { visible } from '../text.js'
import { Chalk, type ChalkInstance } from 'chalk'
import stringWidth from 'string-width'

import { failingKinds } from './fail-on.js'
import type { DiffReport, Finding, FindingKind, PathChange, PathCount } from './types.js'
import { FINDING_KINDS } from './types.js'

const NUMBER = new Intl.NumberFormat('en-US')
/** `1204` → `1,204`. */
export function formatCount(n: number): string {
  return NUMBER.format(n)
}

function messages(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'message' : 'messages'}`
}

/**
 * A name as shown: null → `—`; names that would be misread (empty, leading/trailing
 * whitespace, control characters) are JSON-quoted, e.g. `"Viewed "`.
 */
export function displayName(name: string | null): string {
  if (name === null) return '—'
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.trim() !== name || /[\u0000-\u001f\u007f]/.test(name)) return visible(JSON.stringify(name))
  return visible(name)
}

const CHANGE_WORDS: Record<PathChange, string> = {
  'only-classic': 'only in Classic',
  'only-actions': 'only in Actions',
  changed: 'changed',
}

const TITLES: Record<FindingKind, string> = {
  dropped: 'Dropped: Classic sent it, Actions sends nothing',
  duplicated: 'Duplicated: Actions sends it more than once',
  renamed: 'Renamed: Actions sends another name',
  revenue: 'Revenue: revenue fields placed differently',
  properties: 'Properties: keys on one side only or changed values',
  added: 'Added: Actions only',
  'refused-by-amplitude': 'Refused by Amplitude: Actions records Amplitude answers 400 for and stores nothing of',
  same: 'Same name',
}

/** Rows shown per kind in the terminal table for `same` findings. */
export const TABLE_SAME_LIMIT = 10
/** Paths shown per finding in the terminal table; the JSON report has them all. */
export const PATH_LIMIT = 10
/** Paths shown per finding in a Markdown table cell. */
export const MD_PATH_LIMIT = 5

/** Distinct `subscription (actionSlug)` of a duplicated finding's first example. */
function viaSubscriptions(f: Finding): string | null {
  const ex = f.examples[0]
  if (ex === undefined || ex.actions.length === 0) return null
  const seen: string[] = []
  for (const a of ex.actions) {
    const s = `${a.subscription} (${a.actionSlug})`
    if (!seen.includes(s)) seen.push(s)
  }
  return seen.join(' + ')
}

function headerLine(report: DiffReport): string {
  const { model, totals } = report
  return (
    `Classic (${model.classicMode}) vs Actions (${model.mappingsSource}): ${messages(totals.messages)}, ` +
    `Classic sent ${formatCount(totals.classicEvents)} records, Actions sent ${formatCount(totals.actionsEvents)} records`
  )
}

/** Kinds that are facts, not differences: they make no "Differences found" unless named in --fail-on. */
export const NOT_DIFFERENCES: ReadonlySet<string> = new Set(['same', 'refused-by-amplitude'])

function hasDifferences(report: DiffReport): boolean {
  return report.findings.some((f) => !NOT_DIFFERENCES.has(f.kind) && f.count > 0)
}

// ---------------------------------------------------------------------------------------------
// Terminal table

function kindColor(c: ChalkInstance, kind: FindingKind): (s: string) => string {
  switch (kind) {
    case 'dropped':
    case 'duplicated':
      return c.bold.red
    case 'renamed':
    case 'properties':
      return c.bold.yellow
    case 'revenue':
      return c.bold.magenta
    case 'added':
      return c.bold.cyan
    case 'refused-by-amplitude':
      return c.bold.blue
    case 'same':
      return c.bold.green
  }
}

/**
 * Widest a column of names from the data gets: a longer name (a 300-character event name) keeps
 * its own width and runs past the column, instead of pushing every row of its section that far.
 */
export const NAME_COLUMN_MAX = 60

/** `s` padded to `width` terminal columns (a CJK character takes two, a combining mark none). */
export function padColumns(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - stringWidth(s)))
}

/** The width of a column of these texts: the widest that fits `max` (default `NAME_COLUMN_MAX`). */
export function columnWidth(texts: readonly string[], max = NAME_COLUMN_MAX): number {
  return Math.max(0, ...texts.map((t) => stringWidth(t)).filter((w) => w <= max))
}

/** Labels of a section: `name` or `classic → actions`, arrows aligned. */
function labels(findings: readonly Finding[]): string[] {
  const cw = columnWidth(findings.filter((f) => f.classic !== null && f.actions !== null && f.classic !== f.actions).map((f) => displayName(f.classic)))
  return findings.map((f) => {
    if (f.reason !== undefined) return `${displayName(f.actions ?? f.classic)} (${f.reason})`
    if (f.classic === null) return displayName(f.actions)
    if (f.actions === null || f.actions === f.classic) return displayName(f.classic)
    return `${padColumns(displayName(f.classic), cw)} → ${displayName(f.actions)}`
  })
}

function pathLines(paths: readonly PathCount[], indent: string): string[] {
  const shown = paths.slice(0, PATH_LIMIT)
  const pw = columnWidth(shown.map((p) => p.path))
  const cw = Math.max(0, ...shown.map((p) => CHANGE_WORDS[p.change].length))
  const lines = shown.map((p) => `${indent}${padColumns(p.path, pw)}  ${CHANGE_WORDS[p.change].padEnd(cw)}  (${messages(p.count)})`)
  if (paths.length > shown.length) lines.push(`${indent}… ${paths.length - shown.length} more paths (see --format json)`)
  return lines
}

/**
 * Terminal report: header, then one section per finding kind in `FINDING_KINDS` order (what
 * matters first), rows `Viewed Home Page → Viewed Home  (1,204 messages)` aligned; differing
 * paths under properties/revenue rows (at most `PATH_LIMIT`); at most `TABLE_SAME_LIMIT`
 * same-name rows; then the model's assumptions and a one-line verdict. ANSI colours (chalk,
 * basic 16 colours) only when `color` is true. Ends with a newline.
 */
export function renderTable(report: DiffReport, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 })
  const out = [headerLine(report)]
  for (const kind of FINDING_KINDS) {
    const all = report.findings.filter((f) => f.kind === kind)
    if (all.length === 0) continue
    const shown = kind === 'same' ? all.slice(0, TABLE_SAME_LIMIT) : all
    out.push('')
    out.push(kindColor(c, kind)(`${TITLES[kind]} (${messages(report.totals.byKind[kind])})`))
    const ls = labels(shown)
    // `classic → actions` labels: two names and the arrow
    const w = columnWidth(ls, 2 * NAME_COLUMN_MAX + 3)
    shown.forEach((f, i) => {
      out.push(`  ${padColumns(ls[i]!, w)}  (${messages(f.count)})`)
      if (kind === 'duplicated') {
        const via = viaSubscriptions(f)
        if (via !== null) out.push(`      via ${via}`)
      }
      if (f.paths.length > 0) out.push(...pathLines(f.paths, '      '))
    })
    if (all.length > shown.length) out.push(`  … ${all.length - shown.length} more (see --format json)`)
  }
  const assumptions = report.model.assumptions ?? []
  if (assumptions.length > 0) {
    out.push('', c.dim('Assumptions:'))
    for (const a of assumptions) out.push(c.dim(`  - ${a}`))
  }
  out.push('')
  out.push(hasDifferences(report) ? c.bold('Differences found.') : c.bold.green('No differences.'))
  return out.join('\n') + '\n'
}

// ---------------------------------------------------------------------------------------------
// Markdown

/**
 * Inline code for a Markdown table cell (pipes escaped, backticks fenced by a run longer than any
 * inside: CommonMark ends a code span at the next run as long as the opening one).
 */
function mdCode(s: string): string {
  return codeSpan(s.replace(/\|/g, '\\|'))
}

/** Markdown inline code for any text: fenced by a backtick run longer than any inside it. */
export function codeSpan(t: string): string {
  if (!t.includes('`')) return `\`${t}\``
  const fence = '`'.repeat(Math.max(...(t.match(/`+/g) ?? ['']).map((run) => run.length)) + 1)
  return `${fence} ${t} ${fence}`
}

function mdName(name: string | null): string {
  return name === null ? '—' : mdCode(displayName(name))
}

function mdPaths(paths: readonly PathCount[]): string {
  const shown = paths.slice(0, MD_PATH_LIMIT)
  const parts = shown.map((p) => `${mdCode(p.path)} ${CHANGE_WORDS[p.change]} (${formatCount(p.count)})`)
  if (paths.length > shown.length) parts.push(`… ${paths.length - shown.length} more`)
  return parts.join('<br>')
}

/**
 * Markdown for a CI pull-request comment: headline verdict (against `failOn`), a summary line,
 * the assumptions (collapsed), a table of the findings that are not `same` (failing kinds marked ❌), the same-name findings
 * and each finding's examples in collapsible `<details>` blocks (one line of JSON per record).
 * Size stays under `maxChars` (default `MARKDOWN_MAX_CHARS`, below GitHub's 65,536-character
 * comment limit): findings rows stop at half of it, same-name rows at 70 %, and example blocks
 * that would pass it are left out, each cut with a note. Ends with a newline.
 */
export function renderMarkdown(report: DiffReport, opts: { failOn: string[]; maxChars?: number; command?: string }): string {
  const failing = failingKinds(report, opts.failOn)
  const diff = hasDifferences(report)
  let verdict: string
  if (failing.length > 0) verdict = `❌ failed on ${failing.join(', ')}`
  else if (opts.failOn.length > 0) verdict = `✅ passed (--fail-on ${opts.failOn.join(',')})`
  else verdict = diff ? '⚠️ differences found' : '✅ no differences'

  const { totals } = report
  // The heading names the command that produced the report (diff-mappings, migrate --verify).
  const out: string[] = [`### segamp ${opts.command ?? 'diff-mappings'}: ${verdict}`, '']
  out.push(headerLine(report))
  out.push('')
  const kinds = FINDING_KINDS.filter((k) => totals.byKind[k] > 0)
  if (kinds.length > 0) {
    out.push(`Messages per finding kind: ${kinds.map((k) => `${k} ${formatCount(totals.byKind[k])}`).join(' · ')}`)
    out.push('')
  }

  const diffs = report.findings.filter((f) => f.kind !== 'same')
  if (diffs.length > 0) {
    out.push('| | Kind | Classic | Actions | Messages | Details |')
    out.push('|---|---|---|---|---:|---|')
    const budget = Math.floor((opts.maxChars ?? MARKDOWN_MAX_CHARS) * 0.5)
    let size = out.join('\n').length
    for (const [i, f] of diffs.entries()) {
      if (size > budget) {
        out.push(`| | … | ${formatCount(diffs.length - i)} more findings in the JSON report | | | |`)
        break
      }
      const mark = failing.includes(f.kind) ? '❌' : ''
      let details = ''
      if (f.kind === 'duplicated') {
        const via = viaSubscriptions(f)
        details = via === null ? '' : `via ${via.replace(/\|/g, '\\|')}`
      } else if (f.reason !== undefined) details = f.reason.replace(/\|/g, '\\|')
      else if (f.paths.length > 0) details = mdPaths(f.paths)
      const row = `| ${mark} | ${f.kind} | ${mdName(f.classic)} | ${mdName(f.actions)} | ${formatCount(f.count)} | ${details} |`
      out.push(row)
      size += row.length + 1
    }
    out.push('')
  }

  // The verdict and the findings first: the model's assumptions are reference material.
  const assumptions = report.model.assumptions ?? []
  if (assumptions.length > 0) {
    out.push(`<details><summary>Assumptions (${assumptions.length})</summary>`, '')
    for (const a of assumptions) out.push(`- ${a}`)
    out.push('', '</details>', '')
  }
  const same = report.findings.filter((f) => f.kind === 'same')
  if (same.length > 0) {
    out.push(`<details><summary>Same name: ${formatCount(same.length)} ${same.length === 1 ? 'name' : 'names'} (${messages(totals.byKind.same)})</summary>`)
    out.push('')
    out.push('| Classic | Actions | Messages |')
    out.push('|---|---|---:|')
    const budget = Math.floor((opts.maxChars ?? MARKDOWN_MAX_CHARS) * 0.7)
    let size = out.join('\n').length
    for (const [i, f] of same.entries()) {
      if (size > budget) {
        out.push(`| … ${formatCount(same.length - i)} more in the JSON report | | |`)
        break
      }
      const row = `| ${mdName(f.classic)} | ${mdName(f.actions)} | ${formatCount(f.count)} |`
      out.push(row)
      size += row.length + 1
    }
    out.push('')
    out.push('</details>')
    out.push('')
  }

  // Examples: one collapsible block per finding, while the comment stays under maxChars
  const maxChars = opts.maxChars ?? MARKDOWN_MAX_CHARS
  let used = out.join('\n').length
  let omitted = 0
  for (const f of diffs) {
    if (f.examples.length === 0) continue
    const block = exampleBlock(f)
    if (omitted > 0 || used + block.length + 200 > maxChars) {
      omitted++
      continue
    }
    out.push(block)
    used += block.length + 1
  }
  if (omitted > 0) {
    out.push(`_Examples of ${omitted} more ${omitted === 1 ? 'finding' : 'findings'} left out to keep this comment short; see the JSON report (\`--format json\`)._`)
    out.push('')
  }
  return out.join('\n')
}

/** Default size budget of `renderMarkdown` (GitHub comments are limited to 65,536 characters). */
export const MARKDOWN_MAX_CHARS = 60000

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Finding title for a `<summary>` (HTML: Markdown is not rendered there). */
function findingTitle(f: Finding): string {
  const code = (n: string | null): string => `<code>${htmlEscape(displayName(n))}</code>`
  const names = f.classic !== null && f.actions !== null && f.classic !== f.actions ? `${code(f.classic)} → ${code(f.actions)}` : code(f.classic ?? f.actions)
  return `${f.kind}: ${names}`
}

function exampleBlock(f: Finding): string {
  const lines = [`<details><summary>${findingTitle(f)} (${f.examples.length} ${f.examples.length === 1 ? 'example' : 'examples'})</summary>`, '']
  for (const ex of f.examples) {
    // The file name and messageId are data: control characters escaped, as the table shows them.
    lines.push(`${mdCode(visible(`${ex.file}:${ex.line}`))}${ex.messageId === null ? '' : ` messageId ${mdCode(visible(ex.messageId))}`}`)
    lines.push('')
    const body: string[] = []
    for (const c of ex.classic) body.push(`// Classic ${c.endpoint}`, JSON.stringify(c.record))
    for (const a of ex.actions) body.push(`// Actions ${a.subscription} (${a.actionSlug}) ${a.endpoint}`, JSON.stringify(a.record))
    const text = body.join('\n')
    let fence = '```'
    while (text.includes(fence)) fence += '`'
    lines.push(`${fence}jsonc`, text, fence)
    lines.push('')
  }
  lines.push('</details>')
  lines.push('')
  return lines.join('\n')
}

/** The JSON report as written by `--format json`. */
export function renderJson(report: DiffReport): string {
  return JSON.stringify(report, null, 2) + '\n'
}
