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

/** Parses a whole CSV stream (including its header) into messages, row by row. */
export async function* readCsv(chunks: AsyncIterable<string>, header: CsvHeader): AsyncGenerator<CsvRow> {
  // csv-parse is loaded by the first CSV input.
  const { parse } = await import('csv-parse')
  const parser = parse({
    delimiter: header.delimiter,
    columns: true,
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    // A malformed row (e.g. a stray quote) becomes one rejected line; parsing goes on.
    skip_records_with_error: true,
  })
  const skipped: CsvRow[] = []
  parser.on('skip', (error: Error & { lines?: number; raw?: string }) => {
    skipped.push({ line: error.lines ?? 0, text: error.raw ?? '', result: { ok: false, category: 'invalid CSV', reason: `invalid CSV: ${error.message}` } })
  })
  const feeding = (async () => {
    try {
      for await (const chunk of chunks) {
        if (!parser.write(chunk)) await waitForDrain(parser)
      }
      parser.end()
    } catch (error) {
      parser.destroy(error as Error)
    }
  })()
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number }; raw: string }>) {
      const text = item.raw.replace(/\r?\n$/, '')
      const line = item.info.lines - (text.match(/\n/g)?.length ?? 0)
      while (skipped.length > 0 && skipped[0].line < line) yield skipped.shift()!
      yield { line, text, result: rowToMessage(item.record) }
    }
    while (skipped.length > 0) yield skipped.shift()!
  } finally {
    if (!parser.writableEnded) parser.destroy()
    await feeding
  }
}

/** Resolves on 'drain', or when the parser errors or closes (it will never drain then). */
function waitForDrain(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('error', done)
      stream.off('close', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('error', done)
    stream.once('close', done)
  })
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
