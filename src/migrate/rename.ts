/**
 * Rename map for `--names actions`: Classic event name → the name the generated (Quick Setup
 * named) Actions configuration sends. Rows that follow from the settings alone are generated
 * here; rows for named pages/screens need the names seen in data (`renameRowsFromMessages`).
 */
import type { ClassicSettings } from '../segment/classic/settings.js'

export interface RenameRow {
  classic: string
  actions: string
}

function truthyString(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '' || v === false || v === 0) return undefined
  return String(v)
}

/**
 * What Classic cloud (2017 integration, docs/classic-amplitude.md §4.2) named a page/screen call:
 * `Viewed [{category} ]{name} Page|Screen`, `Loaded a Page|Screen`, or null when it sent nothing.
 */
export function classicPageEventName(
  message: { type?: unknown; name?: unknown; category?: unknown },
  settings: Pick<ClassicSettings, 'trackAllPages' | 'trackNamedPages' | 'trackCategorizedPages'>,
): string | null {
  if (message.type !== 'page' && message.type !== 'screen') return null
  const Title = message.type === 'page' ? 'Page' : 'Screen'
  const name = truthyString(message.name)
  const category = truthyString(message.category)
  const send = settings.trackAllPages || (settings.trackCategorizedPages && category !== undefined) || (settings.trackNamedPages && name !== undefined)
  if (!send) return null
  if (name === undefined) return `Loaded a ${Title}`
  return category === undefined ? `Viewed ${name} ${Title}` : `Viewed ${category} ${name} ${Title}`
}

/** What the Quick Setup Page/Screen Calls template (`Viewed {{name}}`) renders. */
export function quickSetupPageEventName(message: { name?: unknown }): string {
  const n = message.name
  return `Viewed ${n === undefined || n === null ? '' : String(n)}`
}

/** Rows known from the settings alone (unnamed calls Classic sent as `Loaded a Page|Screen`). */
export function settingsRenameRows(settings: Pick<ClassicSettings, 'trackAllPages' | 'trackCategorizedPages'>): RenameRow[] {
  if (!settings.trackAllPages && !settings.trackCategorizedPages) return []
  return [
    { classic: 'Loaded a Page', actions: 'Viewed ' },
    { classic: 'Loaded a Screen', actions: 'Viewed ' },
  ]
}

/**
 * Data-driven rows: for each page/screen message Classic would have sent, the Classic name and
 * the Quick Setup name when they differ. Deduplicated, in first-seen order.
 */
export function renameRowsFromMessages(
  messages: Iterable<{ type?: unknown; name?: unknown; category?: unknown }>,
  settings: Pick<ClassicSettings, 'trackAllPages' | 'trackNamedPages' | 'trackCategorizedPages'>,
): RenameRow[] {
  const seen = new Map<string, string>()
  for (const m of messages) {
    const classic = classicPageEventName(m, settings)
    if (classic === null || seen.has(classic)) continue
    const actions = quickSetupPageEventName(m)
    if (actions !== classic) seen.set(classic, actions)
  }
  return [...seen].map(([classic, actions]) => ({ classic, actions }))
}

/** Merges rows; later rows win for the same Classic name, first-seen order is kept. */
export function mergeRenameRows(...lists: Iterable<RenameRow>[]): RenameRow[] {
  const out = new Map<string, string>()
  for (const list of lists) for (const r of list) out.set(r.classic, r.actions)
  return [...out].map(([classic, actions]) => ({ classic, actions }))
}

function csvField(v: string): string {
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

/**
 * CSV with header `classic,actions`, one row a line, `\n` line ends. Fields containing a comma,
 * quote or line break, or with leading/trailing whitespace (e.g. `Viewed `), are double-quoted.
 */
export function renderRenameMapCsv(rows: readonly RenameRow[]): string {
  return ['classic,actions', ...rows.map((r) => `${csvField(r.classic)},${csvField(r.actions)}`)].join('\n') + '\n'
}
