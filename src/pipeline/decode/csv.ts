/**
 * Segment's "AWS S3 (Actions)" CSV export (docs/segment-archives.md 1.2): a header row, every cell
 * quoted, objects JSON-stringified inside cells, delimiter one of `, | tab ; :`.
 * Recognised by its header; each row becomes a Segment message again. What the format lost
 * (page `name`/`category`, `receivedAt`, `groupId`, `previousId`, …) stays missing.
 */
import type { SegmentMessage } from '../../types.js'
import { checkMessage, type ParsedLine } from './message.js'

const DELIMITERS = [',', '|', '\t', ';', ':']

/** Column → message field. JSON columns are parsed back into objects. */
const COLUMN_FIELDS: Record<string, { field: string; json?: boolean }> = {
  event_name: { field: 'event' },
  event_type: { field: 'type' },
  user_id: { field: 'userId' },
  anonymous_id: { field: 'anonymousId' },
  message_id: { field: 'messageId' },
  timestamp: { field: 'timestamp' },
  properties: { field: 'properties', json: true },
  traits: { field: 'traits', json: true },
  context: { field: 'context', json: true },
  integrations: { field: 'integrations', json: true },
}

/** Fields Segment's CSV export does not carry, so they are missing from every CSV message. */
export const CSV_LOST_FIELDS = ['name', 'category', 'receivedAt', 'sentAt', 'originalTimestamp', 'groupId', 'previousId']

export interface CsvHeader {
  delimiter: string
  columns: string[]
}

/** Is this first line the header of a Segment AWS S3 (Actions) CSV file? */
export function detectCsvHeader(firstLine: string): CsvHeader | undefined {
  const text = firstLine.trimStart()
  if (text.startsWith('{') || text.startsWith('[')) return undefined
  for (const delimiter of DELIMITERS) {
    const columns = text.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
    if (columns.length < 2) continue
    if (columns.includes('event_type') && (columns.includes('message_id') || columns.includes('event_name'))) {
      return { delimiter, columns }
    }
  }
  return undefined
}

export interface CsvRow {
  /** 1-based line number where the record starts. */
  line: number
  result: ParsedLine
  /** The row as it appeared, for rejected.ndjson. */
  text: string
}

/** Longest CSV record, in characters: as long as an NDJSON line may be (MAX_LINE_CHARS). */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024

type Parsed = { record: Record<string, string>; info: { lines: number }; raw: string }

/**
 * Parses a whole CSV stream (including its header) into messages, row by row. `chunks` are whole
 * lines, each ending with its newline (as the reader's `rejoin` gives them), the first one the header.
 *
 * A record is capped at `maxRecordChars` (csv-parse's `max_record_size`), as an NDJSON line is. A
 * record over it is almost always a stray quote that opened a field no later quote closes, which
 * would otherwise swallow the rest of the file: its first line is reported as lost, and parsing
 * starts again at the next line with a new parser (the lines since that record began are kept
 * for it, at most the cap). That is as far as CSV allows resynchronising: a line break inside a
 * quoted field cannot be told from a record's end except by parsing from a record's start.
 */
export async function* readCsv(chunks: AsyncIterable<string>, header: CsvHeader, maxRecordChars = MAX_RECORD_CHARS): AsyncGenerator<CsvRow> {
  // csv-parse is loaded by the first CSV input.
  const { parse } = await import('csv-parse')
  const source = chunks[Symbol.asyncIterator]()
  /** Lines to parse again after a restart, before reading on. */
  let again: string[] = []
  /** Line number of the first line the current parser was given, less one. */
  let base = 0
  let first = true
  for (;;) {
    const out: CsvRow[] = []
    const state = { runaway: false }
    const parser = newParser(parse, header, first, maxRecordChars, base, out, state)
    /** Lines given to this parser after its last whole record (where a runaway record began), numbered. */
    let open: Array<{ line: number; text: string }> = []
    let fed = 0
    let restart = false
    const feed = (text: string): void => {
      parser.write(text)
      fed++
      open.push({ line: base + fed, text })
      for (let item = parser.read() as Parsed | null; item !== null; item = parser.read() as Parsed | null) {
        const end = base + item.info.lines
        pushRow(out, item, base)
        open = open.filter((l) => l.line > end)
      }
    }
    for (;;) {
      let text: string | undefined
      if (again.length > 0) text = again.shift()
      else {
        const next = await source.next()
        if (next.done) break
        text = next.value
      }
      feed(text!)
      const error = parser.errored as Error | null
      if (error) throw error
      if (state.runaway) {
        parser.destroy()
        // The record began at the first open line that is not blank; the lines after it are read again.
        while (open.length > 1 && open[0].text.trim() === '') open.shift()
        const startLine = open[0].line
        out.push({
          line: startLine,
          text: clipRecord(open[0].text.replace(/\r?\n$/, '')),
          result: {
            ok: false,
            category: 'invalid CSV',
            reason: `invalid CSV: a record from line ${startLine} runs over ${maxRecordChars} characters (an unclosed quote?); line ${startLine} is lost, reading resumed at line ${startLine + 1}`,
          },
        })
        again = [...open.slice(1).map((l) => l.text), ...again]
        base = startLine
        restart = true
        break
      }
      yield* flush(out)
    }
    first = false
    if (restart) {
      yield* flush(out)
      continue
    }
    parser.end()
    for await (const item of parser as AsyncIterable<Parsed>) pushRow(out, item, base)
    yield* flush(out)
    return
  }
}

function newParser(
  parse: typeof import('csv-parse').parse,
  header: CsvHeader,
  withHeader: boolean,
  maxRecordChars: number,
  base: number,
  out: CsvRow[],
  state: { runaway: boolean },
) {
  const parser = parse({
    delimiter: header.delimiter,
    // The first parser reads the header row; one started again mid-file is given its columns.
    columns: withHeader ? true : header.columns,
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxRecordChars,
    // A malformed row (e.g. a stray quote) becomes one rejected line; parsing goes on.
    skip_records_with_error: true,
  })
  parser.on('skip', (error: Error & { lines?: number; raw?: string; code?: string }) => {
    // Over the cap, csv-parse skips byte after byte and stays in the field: the caller starts over.
    if (error.code === 'CSV_MAX_RECORD_SIZE') {
      state.runaway = true
      return
    }
    out.push({ line: base + (error.lines ?? 0), text: error.raw ?? '', result: { ok: false, category: 'invalid CSV', reason: `invalid CSV: ${error.message}` } })
  })
  // Read from parser.errored by the caller.
  parser.on('error', () => undefined)
  return parser
}

const clipRecord = (text: string): string => (text.length > 1000 ? text.slice(0, 1000) + '…' : text)

/**
 * A parsed record as a row, unless it is a line of spaces or tabs only (csv-parse skips only empty
 * lines): blank, as in NDJSON, not a row without `type`. Segment quotes every cell, so a real row
 * is never whitespace only.
 */
function pushRow(out: CsvRow[], item: Parsed, base: number): void {
  if (item.raw.trim() === '') return
  out.push(toRow(item, base))
}

function toRow(item: Parsed, base: number): CsvRow {
  const text = item.raw.replace(/\r?\n$/, '')
  return { line: base + item.info.lines - (text.match(/\n/g)?.length ?? 0), text, result: rowToMessage(item.record) }
}

/** Rows in line order (a skipped record's report may come after the record that followed it). */
function* flush(out: CsvRow[]): Generator<CsvRow> {
  if (out.length === 0) return
  out.sort((a, b) => a.line - b.line)
  yield* out.splice(0, out.length)
}

export function rowToMessage(row: Record<string, string>): ParsedLine {
  const message: Record<string, unknown> = {}
  for (const [column, value] of Object.entries(row)) {
    const spec = COLUMN_FIELDS[column]
    if (!spec) continue
    if (value === '' || value === undefined) continue
    if (spec.json) {
      try {
        message[spec.field] = JSON.parse(value)
      } catch (error) {
        return { ok: false, category: 'invalid CSV', reason: `invalid CSV: column "${column}" is not JSON (${(error as Error).message})` }
      }
    } else {
      message[spec.field] = value
    }
  }
  if (row.email && !(message.traits as Record<string, unknown> | undefined)?.email) {
    // The export folds traits.email/context.traits.email into one column; keep it reachable.
    if (message.type === 'identify' || message.type === 'group') {
      message.traits = { ...((message.traits as object) ?? {}), email: row.email }
    }
  }
  return checkMessage(message as SegmentMessage)
}
