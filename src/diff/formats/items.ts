/**
 * A diff report as a flat list of checks, the shape that annotations, JUnit and SARIF share: one
 * item per finding (kind + names), failing when its kind is a --fail-on kind, with the line of
 * the mappings or Terraform file that produces it and its examples as text. Pure.
 */
import type { AgainstReport } from '../against.js'
import { AGAINST_KINDS } from '../against.js'
import type { DiffReport, Finding } from '../types.js'
import type { Locator, SourceLocation } from './locate.js'

export interface CheckItem {
  /** Finding kind: dropped, renamed, …, same, or with --against only-in-amplitude, only-in-archive, ambiguous. */
  kind: string
  /** `Viewed Home Page → Viewed Home`, `Order Completed`, … (names as data: escape when rendering). */
  label: string
  classic: string | null
  actions: string | null
  /** Messages (stored events for only-in-amplitude/ambiguous) with this finding. */
  count: number
  failing: boolean
  /** What produces it: the subscriptions of its first example, in order. */
  subscriptions: string[]
  /** The mapping field that produces it (event_type for renames, the top-level field of the most frequent path). */
  field?: string
  /** Differing paths, most frequent first (properties/revenue). */
  paths: string[]
  location?: SourceLocation
  /** Examples as text: `file:line messageId …` then one JSON line per record. */
  examples: string[]
  /** One sentence saying what the finding is, names quoted. */
  message: string
}

export const KIND_DESCRIPTIONS: Record<string, string> = {
  dropped: 'Classic sent it, Actions sends nothing',
  duplicated: 'Actions sends it more than once',
  renamed: 'Actions sends another name',
  revenue: 'revenue fields placed differently',
  properties: 'keys on one side only, or changed values',
  added: 'Actions sends it, Classic did not',
  'refused-by-amplitude': 'Amplitude refuses it (400) and stores nothing',
  same: 'same name on both sides',
  'only-in-amplitude': 'stored in Amplitude, no archived message explains it',
  'only-in-archive': 'archived message Amplitude holds nothing for',
  ambiguous: 'stored event that fits several messages (not paired)',
}

const q = (s: string | null): string => (s === null ? '—' : JSON.stringify(s))

export function findingLabel(f: { classic: string | null; actions: string | null }): string {
  if (f.classic === null) return f.actions ?? ''
  if (f.actions === null || f.actions === f.classic) return f.classic
  return `${f.classic} → ${f.actions}`
}

/** `event_properties.plan` → `event_properties`; `user_properties["[Segment] Group"]` → `user_properties`. */
export function topField(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path
}

function fieldOf(f: Finding): string | undefined {
  if (f.kind === 'renamed') return 'event_type'
  if ((f.kind === 'properties' || f.kind === 'revenue') && f.paths.length > 0) return topField(f.paths[0]!.path)
  return undefined
}

function subscriptionsOf(f: Finding): string[] {
  const out: string[] = []
  for (const ex of f.examples) for (const a of ex.actions) if (!out.includes(a.subscription)) out.push(a.subscription)
  return out
}

function messageOf(f: Finding, subs: string[], field: string | undefined): string {
  const n = `${f.count} ${f.count === 1 ? 'message' : 'messages'}`
  const via = subs.length > 0 ? ` (subscription ${subs.map((s) => JSON.stringify(s)).join(' + ')}${field ? `, field ${field}` : ''})` : ''
  const paths =
    f.paths.length > 0
      ? `; paths: ${f.paths
          .slice(0, 5)
          .map((p) => `${p.path} ${p.change}`)
          .join(', ')}${f.paths.length > 5 ? `, … ${f.paths.length - 5} more` : ''}`
      : ''
  switch (f.kind) {
    case 'dropped':
      return `Classic sent ${q(f.classic)}, Actions sends nothing in ${n}${paths}`
    case 'renamed':
      return `Classic sent ${q(f.classic)}, Actions sends ${q(f.actions)} in ${n}${via}`
    case 'added':
      return `Actions sends ${q(f.actions)}, Classic sent nothing, in ${n}${via}`
    case 'duplicated':
      return `Actions sends ${q(f.actions)} more than once in ${n}${via}`
    case 'refused-by-amplitude':
      return `Amplitude refuses ${q(f.actions ?? f.classic)} in ${n}${f.reason ? `: ${f.reason}` : ''}${via}`
    default:
      return `${f.kind} of ${q(f.classic ?? f.actions)} in ${n}${via}${paths}`
  }
}

function exampleTexts(f: Finding): string[] {
  return f.examples.map((ex) => {
    const lines = [`${ex.file}:${ex.line}${ex.messageId === null ? '' : ` messageId ${ex.messageId}`}`]
    for (const c of ex.classic) lines.push(`Classic ${c.endpoint}: ${JSON.stringify(c.record)}`)
    for (const a of ex.actions) lines.push(`Actions ${a.subscription} (${a.actionSlug}) ${a.endpoint}: ${JSON.stringify(a.record)}`)
    return lines.join('\n')
  })
}

function locate(locator: Locator | undefined, subs: string[], field: string | undefined, kind: string): SourceLocation | undefined {
  if (locator === undefined) return undefined
  // A duplicate is made by the subscription that sends it again: the last one of the example.
  const ordered = kind === 'duplicated' ? [...subs].reverse() : subs
  for (const s of ordered) {
    const at = locator.subscription(s, field) ?? locator.subscription(s)
    if (at) return at
  }
  return locator.list()
}

const isAgainst = (r: DiffReport): r is AgainstReport => (r as Partial<AgainstReport>).against !== undefined

/** The report's findings as check items, in report order (same-name findings included, never failing). */
export function checkItems(report: DiffReport | AgainstReport, failOn: readonly string[], locator?: Locator): CheckItem[] {
  const items: CheckItem[] = report.findings.map((f) => {
    const subscriptions = subscriptionsOf(f)
    const field = fieldOf(f)
    return {
      kind: f.kind,
      label: findingLabel(f),
      classic: f.classic,
      actions: f.actions,
      count: f.count,
      failing: f.kind !== 'same' && failOn.includes(f.kind) && f.count > 0,
      subscriptions,
      field,
      paths: f.paths.map((p) => p.path),
      location: f.kind === 'same' ? undefined : locate(locator, subscriptions, field, f.kind),
      examples: exampleTexts(f),
      message: messageOf(f, subscriptions, field),
    }
  })
  if (isAgainst(report)) {
    for (const f of report.against.findings) {
      const unit = f.kind === 'only-in-archive' ? 'messages' : 'stored events'
      items.push({
        kind: f.kind,
        label: f.name,
        classic: null,
        actions: null,
        count: f.count,
        failing: (AGAINST_KINDS as readonly string[]).includes(f.kind) && failOn.includes(f.kind) && f.count > 0,
        subscriptions: [],
        paths: [],
        location: locator?.list(),
        examples: f.examples.map((ex) =>
          [`${ex.file}:${ex.line}${ex.messageId === null ? '' : ` messageId ${ex.messageId}`}`, ...ex.records.map((r) => `${r.endpoint}: ${JSON.stringify(r.record)}`)].join('\n'),
        ),
        message: `${q(f.name)}: ${KIND_DESCRIPTIONS[f.kind]} (${f.count} ${unit})`,
      })
    }
  }
  return items
}

/** Messages per finding kind (with --against also its kinds), as the JSON report counts them. */
export function countsByKind(report: DiffReport | AgainstReport): Record<string, number> {
  const out: Record<string, number> = { ...report.totals.byKind }
  if (isAgainst(report)) Object.assign(out, report.against.byKind)
  return out
}
