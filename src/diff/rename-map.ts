/** `--rename-map FILE.csv`: expected renames, Classic name → Actions name. */
import { parse } from 'csv-parse/sync'
import { UsageError } from '../errors.js'
import { visible } from '../text.js'

/** Every problem of a rename map, each as `file:line: message`. */
export class RenameMapError extends UsageError {
  readonly errors: string[]
  constructor(errors: string[]) {
    super(errors.join('\n'), { code: 'rename-map', hint: 'A rename map is a CSV with the header classic,actions and one rename per line.' })
    this.name = 'RenameMapError'
    this.errors = errors
  }
}

/**
 * Parses a rename map CSV. The header row is required and must name the columns `classic`
 * and `actions` (any order, case-insensitive; further columns such as notes are ignored).
 * Cells are taken verbatim (no trimming: `Viewed ` with its trailing space is a valid name).
 * Blank lines are skipped; a UTF-8 BOM and CRLF are fine; a header with no comma but a `;` or a
 * tab sets that delimiter (a spreadsheet's semicolon "CSV", TSV). A Classic name listed twice with the
 * same Actions name is accepted; with different names it is an error. Throws a
 * `RenameMapError` listing every problem as `file:line: message`. A chain (A→B and B→C) is
 * read as written, A expected as B, and `onWarning` is told: a team adding B→C after A→B may
 * mean A→C.
 */
export function parseRenameMap(csvText: string, file: string, onWarning?: (warning: string) => void): Map<string, string> {
  let rows: { record: string[]; info: { lines: number } }[]
  try {
    rows = parse(csvText, {
      bom: true,
      delimiter: delimiterOf(csvText),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (err) {
    const e = err as { lines?: number; message?: string }
    throw new RenameMapError([`${file}:${e.lines ?? 1}: ${e.message ?? String(err)}`])
  }
  if (rows.length === 0) throw new RenameMapError([`${file}:1: empty file; expected a header row "classic,actions"`])

  const header = rows[0]!
  const cells = header.record.map((c) => c.trim().toLowerCase())
  const ci = cells.indexOf('classic')
  const ai = cells.indexOf('actions')
  if (ci < 0 || ai < 0) {
    throw new RenameMapError([`${file}:${header.info.lines}: header row must name the columns "classic" and "actions" (found: ${visible(header.record.join(','))})`])
  }
  const errors: string[] = []
  if (cells.lastIndexOf('classic') !== ci || cells.lastIndexOf('actions') !== ai) {
    errors.push(`${file}:${header.info.lines}: column "${cells.lastIndexOf('classic') !== ci ? 'classic' : 'actions'}" appears twice in the header`)
  }
  const map = new Map<string, string>()
  const firstLine = new Map<string, number>()
  for (let i = 1; i < rows.length; i++) {
    const { record, info } = rows[i]!
    const where = `${file}:${info.lines}`
    const classic = record[ci]
    const actions = record[ai]
    if (classic === undefined || actions === undefined) {
      errors.push(`${where}: expected ${Math.max(ci, ai) + 1} columns, found ${record.length}`)
      continue
    }
    if (classic === '') errors.push(`${where}: empty Classic name`)
    if (actions === '') errors.push(`${where}: empty Actions name`)
    if (classic === '' || actions === '') continue
    const prev = map.get(classic)
    if (prev !== undefined && prev !== actions) {
      errors.push(`${where}: ${JSON.stringify(classic)} is already renamed to ${JSON.stringify(prev)} at line ${firstLine.get(classic)}`)
      continue
    }
    if (prev === undefined) {
      map.set(classic, actions)
      firstLine.set(classic, info.lines)
    }
  }
  if (errors.length > 0) throw new RenameMapError(errors)
  if (onWarning) for (const w of chainWarnings(map, firstLine, file)) onWarning(w)
  return map
}

/**
 * The field delimiter, told by the header line: `,`, or `;` / a tab when the header has no comma
 * but one of those (what spreadsheets save as "CSV" in locales with a decimal comma, and TSV).
 */
function delimiterOf(csvText: string): string {
  const header = csvText.replace(/^\ufeff/, '').split(/\r\n|\n|\r/, 1)[0] ?? ''
  if (header.includes(',')) return ','
  if (header.includes(';')) return ';'
  if (header.includes('\t')) return '\t'
  return ','
}

function chainWarnings(map: ReadonlyMap<string, string>, lineOf: ReadonlyMap<string, number>, file: string): string[] {
  const out: string[] = []
  const q = (s: string): string => visible(JSON.stringify(s))
  for (const [classic, actions] of map) {
    const next = map.get(actions)
    if (actions === classic || next === undefined || next === actions) continue
    out.push(
      `${file}:${lineOf.get(actions)}: ${q(actions)} → ${q(next)} follows ${q(classic)} → ${q(actions)} (line ${lineOf.get(classic)}): renames are not chained, so ${q(classic)} is expected as ${q(actions)}; if Actions sends ${q(next)} for it, write ${q(classic)} → ${q(next)} on line ${lineOf.get(classic)}`,
    )
  }
  return out
}
