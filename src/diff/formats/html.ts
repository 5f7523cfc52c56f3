/**
 * `--format html`: one self-contained HTML file a reviewer attaches to a migration sign-off.
 * Inline CSS, inline Chart.js (read from the installed package) and a small script; a
 * Content-Security-Policy that allows no network access and only those two scripts (by hash).
 * Every value from the archive or the settings is escaped: server-side with `esc`, and the chart
 * data travels as a JSON block with `<` written `\u003c`, drawn as canvas text.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { AgainstReport } from '../against.js'
import type { DiffReport } from '../types.js'
import { FINDING_KINDS } from '../types.js'
import { NOT_DIFFERENCES } from '../render.js'
import { HTML_CLIENT_JS } from './html-client.js'
import type { CheckItem } from './items.js'
import { countsByKind, KIND_DESCRIPTIONS } from './items.js'
import { unreadableHeadline, unreadableLine, type UnreadableInput } from './unreadable.js'

/** Event names drawn in the volume chart (the largest); the table below it lists them all. */
export const VOLUME_CHART_NAMES = 40
/** Differing paths listed per finding. */
const PATHS_SHOWN = 50
/** Findings with a drill-down, per kind (the most frequent); the JSON report has them all. */
export const FINDINGS_PER_KIND = 300
/** Characters of examples in one file (well under the 2 MB a report may take; failing kinds get them first). */
export const EXAMPLES_BUDGET = 800_000
/** Rows of the event-name table. */
const VOLUME_ROWS = 1000

let chartJs: string | undefined
/** Chart.js's UMD build (dist/chart.umd.min.js beside the package's main file; a dependency), read once. */
export function chartLibrary(): string {
  // Without its source-map comment (a devtools fetch), and nothing that could end the <script>.
  chartJs ??= readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8')
    .replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n')
    .replace(/<\/(script)/gi, '<\\/$1')
  return chartJs
}

/** HTML text and attribute escaping (the five characters that matter). */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** Element text escaping (quotes need none there): keeps JSON examples compact. */
export function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** JSON for a `<script type="application/json">` block: nothing in it can end the element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

const isAgainst = (r: DiffReport): r is AgainstReport => (r as Partial<AgainstReport>).against !== undefined

export interface Volume {
  name: string
  classic: number
  actions: number
}

/**
 * Messages per event name on each side, from the pairing findings: Classic sent the name in its
 * same, renamed and dropped findings; Actions in its same, renamed and added ones (plus the
 * messages where it sent the name again: duplicated). Largest first.
 */
export function eventVolumes(report: DiffReport): Volume[] {
  const by = new Map<string, Volume>()
  const row = (name: string): Volume => {
    let r = by.get(name)
    if (r === undefined) by.set(name, (r = { name, classic: 0, actions: 0 }))
    return r
  }
  for (const f of report.findings) {
    if (f.classic !== null && (f.kind === 'same' || f.kind === 'renamed' || f.kind === 'dropped')) row(f.classic).classic += f.count
    if (f.actions !== null && (f.kind === 'same' || f.kind === 'renamed' || f.kind === 'added' || f.kind === 'duplicated')) row(f.actions).actions += f.count
  }
  return [...by.values()].sort((a, b) => Math.max(b.classic, b.actions) - Math.max(a.classic, a.actions) || (a.name < b.name ? -1 : 1))
}

const STYLE = `
:root{color-scheme:light;--fg:#0f172a;--muted:#475569;--line:#e2e8f0;--bad:#b91c1c;--ok:#15803d;--warn:#b45309}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}.muted{color:var(--muted)}.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff}
.verdict.failed{background:var(--bad)}.verdict.passed{background:var(--ok)}.verdict.differences{background:var(--warn)}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}.chart{position:relative;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px;margin:8px 0}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}td.n,th.n{text-align:right}
details{background:#fff;border:1px solid var(--line);border-radius:6px;margin:4px 0;padding:4px 8px}summary{cursor:pointer}
details.failing{border-left:4px solid var(--bad)}pre{white-space:pre-wrap;word-break:break-all;background:#f1f5f9;padding:8px;border-radius:4px;font-size:12px;max-height:360px;overflow:auto}
code{font-size:12px;background:#f1f5f9;padding:0 3px;border-radius:3px}.kind{font-weight:600}
`

function sha256(s: string): string {
  return `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`
}

function verdictOf(items: readonly CheckItem[]): { cls: string; text: string } {
  const failing = [...new Set(items.filter((i) => i.failing).map((i) => i.kind))]
  if (failing.length > 0) return { cls: 'failed', text: `failed on ${failing.join(', ')}` }
  return items.some((i) => !NOT_DIFFERENCES.has(i.kind) && i.count > 0) ? { cls: 'differences', text: 'passed, with differences' } : { cls: 'passed', text: 'no differences' }
}

function card(label: string, value: number | string): string {
  return `<div class="card"><span class="muted">${esc(label)}</span><b>${esc(typeof value === 'number' ? value.toLocaleString('en-US') : value)}</b></div>`
}

function findingDetails(item: CheckItem, withExamples: boolean): string {
  const at = item.location ? ` · <code>${esc(`${item.location.file}:${item.location.line}`)}</code>` : ''
  const paths =
    item.paths.length > 0
      ? `<p>Paths: ${item.paths
          .slice(0, PATHS_SHOWN)
          .map((p) => `<code>${esc(p)}</code>`)
          .join(' ')}${item.paths.length > PATHS_SHOWN ? ` … ${item.paths.length - PATHS_SHOWN} more (JSON report)` : ''}</p>`
      : ''
  let examples = item.examples.map((e) => `<pre>${escText(e)}</pre>`).join('')
  if (!withExamples) examples = '<p class="muted">Examples left out to keep this file small: see the JSON report.</p>'
  else if (examples === '') examples = '<p class="muted">No example kept (--examples 0).</p>'
  return `<details class="finding${item.failing ? ' failing' : ''}" data-kind="${esc(item.kind)}"><summary><span class="kind">${esc(item.kind)}</span> <span class="name">${esc(item.label)}</span> — ${item.count.toLocaleString('en-US')}${at}</summary><p>${esc(item.message)}</p>${paths}${examples}</details>`
}

/**
 * One section per kind, a drill-down per finding. The file stays small whatever the archive: at
 * most FINDINGS_PER_KIND findings per kind (the most frequent), and examples only while they fit
 * EXAMPLES_BUDGET characters (failing kinds first); what is left out is said.
 */
function findingsSection(items: readonly CheckItem[]): string {
  const out = ['<h2 id="findings">Findings by kind</h2><p class="muted">Open a finding for its examples (records as each side sent them, secrets redacted).</p>']
  const kinds = [...FINDING_KINDS, 'only-in-amplitude', 'only-in-archive', 'ambiguous'].filter((k) => items.some((i) => i.kind === k))
  const ordered = [...kinds.filter((k) => items.some((i) => i.kind === k && i.failing)), ...kinds.filter((k) => !items.some((i) => i.kind === k && i.failing))]
  let budget = EXAMPLES_BUDGET
  const sections = new Map<string, string>()
  for (const kind of ordered) {
    const list = items.filter((i) => i.kind === kind).sort((a, b) => b.count - a.count)
    const shown = list.slice(0, FINDINGS_PER_KIND)
    const rows = shown.map((i) => {
      const size = i.examples.reduce((n, e) => n + e.length, 0)
      const fits = size <= budget
      if (fits) budget -= size
      return findingDetails(i, fits)
    })
    if (list.length > shown.length) rows.push(`<p class="muted">… ${list.length - shown.length} more ${esc(kind)} findings in the JSON report.</p>`)
    sections.set(kind, `<h3>${esc(kind)}: ${esc(KIND_DESCRIPTIONS[kind] ?? '')} (${list.length})</h3>\n${rows.join('\n')}`)
  }
  for (const kind of kinds) out.push(sections.get(kind)!)
  return out.join('\n')
}

function volumeTable(volumes: readonly Volume[]): string {
  const rows = volumes
    .slice(0, VOLUME_ROWS)
    .map(
      (v) =>
        `<tr><td>${esc(v.name === '' ? '(empty name)' : v.name)}</td><td class="n">${v.classic.toLocaleString('en-US')}</td><td class="n">${v.actions.toLocaleString('en-US')}</td></tr>`,
    )
  return `<details><summary>All ${volumes.length} event names as a table</summary><table><thead><tr><th>Event</th><th class="n">Classic</th><th class="n">Actions</th></tr></thead><tbody>${rows.join('')}</tbody></table>${volumes.length > VOLUME_ROWS ? `<p class="muted">… ${volumes.length - VOLUME_ROWS} more event names in the JSON report.</p>` : ''}</details>`
}

function againstSection(report: AgainstReport): string {
  const a = report.against
  const e = a.emulation
  return `<h2 id="against">Against the Amplitude export</h2>
<div class="cards">${card('stored events', a.export.events)}${card('export files', a.export.files)}${card('emulation agreement', e.storedEvents === 0 ? 'not measured' : `${e.percent} %`)}</div>
<p>${e.storedEvents === 0 ? "The Classic emulation's agreement was not measured: no stored event was paired with an archived message." : `The Classic emulation (${esc(e.classicMode)}) matched <b>${e.percent} %</b> of stored events (${e.matched.toLocaleString('en-US')} of ${e.storedEvents.toLocaleString('en-US')} paired with an archived message).`}</p>
<div class="chart" style="height:240px"><canvas id="chart-pairing" role="img" aria-label="Pairing of stored events"></canvas></div>
<table><tbody><tr><th>Paired by $insert_id</th><td class="n">${a.pairing.byInsertId}</td></tr><tr><th>Paired by user/device + time</th><td class="n">${a.pairing.byKey}</td></tr><tr><th>Ambiguous</th><td class="n">${a.pairing.ambiguous}</td></tr><tr><th>Unpaired</th><td class="n">${a.pairing.unpaired}</td></tr><tr><th>Of those, outside the archive's span (${a.archiveSpan.from === null ? 'unknown: no compared message has a time' : `${esc(a.archiveSpan.from)} to ${esc(a.archiveSpan.to ?? '')}`}; not a difference)</th><td class="n">${a.byKind['outside-archive-span'] ?? 0}</td></tr><tr><th>Stored events read twice (same uuid and content; counted once)</th><td class="n">${a.pairing.duplicateEvents}</td></tr><tr><th>Archived messages with a repeated messageId (skipped)</th><td class="n">${a.pairing.duplicateMessages}</td></tr></tbody></table>
${
  a.export.problems.length > 0
    ? `<h3>Export problems</h3><ul>${a.export.problems
        .slice(0, 50)
        .map((p) => `<li><code>${esc(p.file)}</code>: ${esc(p.reason)}</li>`)
        .join('')}</ul>`
    : ''
}`
}

function modelSection(report: DiffReport): string {
  const m = report.model
  const assumptions = (m.assumptions ?? []).map((a) => `<li>${esc(a)}</li>`).join('')
  return `<h2 id="model">The model</h2><p>Classic mode <code>${esc(m.classicMode)}</code>; Actions mappings: <code>${esc(m.mappingsSource)}</code>.</p>
<h3>Assumptions</h3>${assumptions ? `<ul>${assumptions}</ul>` : '<p class="muted">None stated.</p>'}
<details><summary>Classic settings used (secrets redacted)</summary><pre>${esc(JSON.stringify(m.settings, null, 2))}</pre></details>`
}

export interface HtmlOptions {
  command: string
  version: string
  /** When the report was made (ISO), shown in the footer. */
  generatedAt: string
  /** Input files not read to the end (the command exits 2): said under the verdict. */
  unreadable?: readonly UnreadableInput[]
}

function unreadableSection(files: readonly UnreadableInput[] | undefined): string {
  if (!files?.length) return ''
  return `<p><span class="verdict failed">${esc(unreadableHeadline(files))}</span></p><ul>${files.map((f) => `<li><code>${esc(unreadableLine(f))}</code></li>`).join('')}</ul>`
}

/** The report as one HTML document. */
export function renderHtml(report: DiffReport | AgainstReport, items: readonly CheckItem[], opts: HtmlOptions): string {
  const volumes = eventVolumes(report)
  const counts = countsByKind(report)
  const data = {
    volumes: volumes.slice(0, VOLUME_CHART_NAMES),
    kinds: Object.entries(counts)
      .filter(([k, n]) => n > 0 && k !== 'ambiguous')
      .map(([kind, count]) => ({ kind, count })),
    pairing: isAgainst(report)
      ? [
          { label: 'by $insert_id', count: report.against.pairing.byInsertId },
          { label: 'by user/device + time', count: report.against.pairing.byKey },
          { label: 'ambiguous', count: report.against.pairing.ambiguous },
          { label: 'unpaired', count: report.against.pairing.unpaired },
        ]
      : null,
  }
  const lib = chartLibrary()
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src ${sha256(lib)} ${sha256(HTML_CLIENT_JS)}; connect-src 'none'; form-action 'none'; base-uri 'none'`
  const verdict = verdictOf(items)
  const t = report.totals
  const volumeHeight = Math.max(160, Math.min(volumes.length, VOLUME_CHART_NAMES) * 26 + 60)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>segamp ${esc(opts.command)}: Classic vs Actions</title>
<style>${STYLE}</style></head>
<body><main>
<h1>segamp ${esc(opts.command)}: Classic vs Actions</h1>
<p><span class="verdict ${verdict.cls}">${esc(verdict.text)}</span> <span class="muted">Classic (${esc(report.model.classicMode)}) vs Actions (${esc(report.model.mappingsSource)})</span></p>
${unreadableSection(opts.unreadable)}
<div class="cards">${card('messages compared', t.messages)}${card('Classic records', t.classicEvents)}${card('Actions records', t.actionsEvents)}${card('findings (not same)', items.filter((i) => i.kind !== 'same').length)}</div>
<p id="chart-status" class="muted">Charts need JavaScript.</p>
<h2 id="volume">Volume per event: Classic vs Actions</h2>
<p class="muted">Messages in which each side sent the event (from the pairing: Classic = same + renamed + dropped, Actions = same + renamed + added + duplicated)${volumes.length > VOLUME_CHART_NAMES ? `; the ${VOLUME_CHART_NAMES} largest of ${volumes.length} are drawn` : ''}.</p>
<div class="chart" style="height:${volumeHeight}px"><canvas id="chart-volume" role="img" aria-label="Messages per event, Classic vs Actions"></canvas></div>
${volumeTable(volumes)}
<h2 id="kinds">Messages per finding kind</h2>
<div class="chart" style="height:260px"><canvas id="chart-kinds" role="img" aria-label="Messages per finding kind"></canvas></div>
${findingsSection(items)}
${isAgainst(report) ? againstSection(report) : ''}
${modelSection(report)}
<p class="muted">Generated by segamp ${esc(opts.version)} at ${esc(opts.generatedAt)}. Self-contained: no network access.</p>
</main>
<script type="application/json" id="segamp-data">${scriptJson(data)}</script>
<script>${lib}</script>
<script>${HTML_CLIENT_JS}</script>
</body></html>
`
}
