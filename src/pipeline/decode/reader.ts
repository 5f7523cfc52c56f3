/**
 * The archive reader: sources → numbered lines (NDJSON) or rows (CSV) → messages or rejections.
 * Streaming throughout; a bad line or an unreadable file is reported and the run goes on.
 */
import type { Readable } from 'node:stream'
import type { SegmentMessage, SourceRef } from '../../types.js'
import {
  blockLines,
  decodedChunks,
  GzipTrailingGarbage,
  inflatedChunks,
  NotAnArchive,
  lineBlocks,
  MAX_LINE_CHARS,
  openSource,
  splitLines,
  type Line,
  type LineBlock,
} from './lines.js'
import { clipText, parseMessageLine, tooLongLine, type RejectCategory } from './message.js'
import { parseTime } from '../../time.js'
import { detectCsvHeader, readCsv } from './csv.js'
import { describeFsError, listSources, type ListSourcesOptions, type Source, type UnmatchedInput } from '../source/index.js'
import { exitCodes, UsageError } from '../../errors.js'

export type ArchiveItem =
  | { kind: 'message'; message: SegmentMessage; ref: SourceRef }
  /**
   * NDJSON lines not decoded yet (`blocks`): whole lines as bytes, from line `ref.line` on, for the
   * caller to decode (maybe on another thread). Lines for which `skip` is true are not to be used.
   * `owned`: `bytes` has its memory to itself, which may move to a worker thread (then it is empty here).
   */
  | { kind: 'block'; ref: SourceRef; count: number; bytes: Buffer; fileStart: boolean; skip?: (line: number) => boolean; owned?: boolean }
  | { kind: 'rejected'; ref: SourceRef; category: RejectCategory; reason: string; text: string }
  /** `retryable`: the read failed in a way that may pass (a store failing past its retries): the same command later may read it. */
  | { kind: 'unreadable'; file: string; reason: string; retryable?: boolean }
  /** A path not read because its file or folder was reached already (links, loops). */
  | { kind: 'skipped'; path: string; reason: string }
  | { kind: 'file'; file: string; format: 'ndjson' | 'csv'; index: number }
  /**
   * The file's last item: read to its end, or as far as it could be read. `lines` counts its
   * lines; `blank`: it had lines, but not one with data (whitespace only). `headerOnly`: a CSV
   * file with its header row and no data row (blank lines aside); `lines` is 0 then, as for an
   * empty file (nothing was read from it).
   */
  | { kind: 'end'; file: string; lines: number; blank?: true; headerOnly?: true }

export interface ReadOptions {
  /** Sources not to open at all (a resumed run's completed files); their bytes count as read. */
  skipFile?: (source: Source) => boolean
  /** Lines not to parse or yield (a resumed run's settled lines). */
  skipLine?: (file: string, line: number) => boolean
  /** Raw bytes consumed so far (compressed), for progress and ETA. */
  onBytes?: (n: number) => void
  stdin?: Readable
  /** Yield NDJSON lines as undecoded `block` items instead of parsing them here. CSV rows still come parsed. */
  blocks?: boolean
}

export interface Archive {
  sources: Source[]
  /** Total bytes on disk of all file sources (stdin unknown). */
  totalBytes: number
  /** Paths that could not even be listed. */
  problems: Array<{ file: string; reason: string }>
  /** Paths left out because they lead to what is read already. */
  skipped: Array<{ path: string; reason: string }>
  items(opts?: ReadOptions): AsyncGenerator<ArchiveItem>
}

export interface ArchiveOptions extends Omit<ListSourcesOptions, 'sinceMs'> {
  /** --since as given: with `s3.pruneByReceived`, lets S3 listings skip old day folders. */
  since?: string
  /** A source is about to be read (0-based index into `sources`), for progress. */
  onSourceStart?: (index: number, source: Source, total: number) => void
}

export async function openArchive(inputs: string[], opts: ArchiveOptions = {}): Promise<Archive> {
  // Day folders are skipped only when asked (--prune-by-received): reading everything is the default.
  const sinceMs = opts.since !== undefined && opts.s3?.pruneByReceived && inputs.some((i) => /^s3:\/\//i.test(i)) ? parseTime('--since', opts.since) : undefined
  const { sources, problems, skipped, unmatched, close } = await listSources(inputs, { s3: opts.s3, sinceMs, onListing: opts.onListing, exclude: opts.exclude })
  if (sources.length === 0) {
    close?.()
    throw nothingMatched(problems, skipped, unmatched)
  }
  const totalBytes = sources.reduce((sum, s) => sum + (s.size ?? 0), 0)
  return {
    sources,
    problems,
    skipped,
    totalBytes,
    items: (readOpts = {}) => readSources(sources, problems, skipped, { ...readOpts, onSourceStart: opts.onSourceStart }, close),
  }
}

async function* readSources(
  sources: Source[],
  problems: Array<{ file: string; reason: string }>,
  skipped: Array<{ path: string; reason: string }>,
  opts: ReadOptions & Pick<ArchiveOptions, 'onSourceStart'>,
  close?: () => void,
): AsyncGenerator<ArchiveItem> {
  try {
    yield* readAll(sources, problems, skipped, opts)
  } finally {
    close?.()
  }
}

async function* readAll(
  sources: Source[],
  problems: Array<{ file: string; reason: string }>,
  skipped: Array<{ path: string; reason: string }>,
  opts: ReadOptions & Pick<ArchiveOptions, 'onSourceStart'>,
): AsyncGenerator<ArchiveItem> {
  for (const problem of problems) yield { kind: 'unreadable', file: problem.file, reason: problem.reason }
  for (const s of skipped) yield { kind: 'skipped', path: s.path, reason: s.reason }
  for (let index = 0; index < sources.length; index++) {
    const source = sources[index]
    if (opts.skipFile?.(source)) {
      opts.onBytes?.(source.size ?? 0)
      continue
    }
    opts.onSourceStart?.(index, source, sources.length)
    yield* readOne(source, index, opts)
  }
}

async function* readOne(source: Source, index: number, opts: ReadOptions): AsyncGenerator<ArchiveItem> {
  const file = source.path
  const skip = opts.skipLine ? (line: number) => opts.skipLine!(file, line) : () => false
  const raw = source.open ? source.open() : openSource(file, opts.stdin)
  let failed: unknown
  raw.on('error', (error) => {
    failed = error
  })
  const at: ReadPosition = { lastLine: 0, data: false }
  try {
    let lines: AsyncGenerator<Line> | undefined
    if (opts.blocks) {
      const blocks = lineBlocks(inflatedChunks(raw, { onBytes: opts.onBytes }))
      const head = await blocks.next()
      if (!head.done && head.value.tooLong === undefined && !detectCsvHeader(firstLineOf(head.value.bytes))) {
        yield* ndjsonBlocks(file, index, head.value, blocks, skip, opts.skipLine !== undefined, at)
      } else lines = blockLinesOf(head, blocks)
    } else lines = splitLines(decodedChunks(raw, { onBytes: opts.onBytes }))
    if (lines) yield* lineItems(file, index, lines, skip, at)
  } catch (error) {
    // Credentials, permissions, a missing bucket: every other object would fail the same way.
    if ((failed as { fatal?: boolean } | undefined)?.fatal || (error as { fatal?: boolean } | undefined)?.fatal) throw failed ?? error
    const cause = failed ?? error
    // A read that failed transiently (exit 75: an s3:// object the store kept failing) may succeed later.
    const retryable = (cause as { exitCode?: unknown } | undefined)?.exitCode === exitCodes.TEMPFAIL
    yield { kind: 'unreadable', file, reason: describeReadError(cause, at.lastLine), ...(retryable ? { retryable: true } : {}) }
  } finally {
    if (raw !== (opts.stdin ?? process.stdin)) raw.destroy()
  }
  const headerOnly = at.csv === 'header' && !at.data
  yield { kind: 'end', file, lines: at.lastLine, ...(at.lastLine > 0 && !at.data ? { blank: true as const } : {}), ...(headerOnly ? { headerOnly: true as const } : {}) }
}

/**
 * How far a file was read: its last line, and whether any line held more than whitespace. `csv`:
 * a CSV file's header was read ('header'), and then a line over the cap ('line'), which is no
 * data row but is a line read.
 */
interface ReadPosition {
  lastLine: number
  data: boolean
  csv?: 'header' | 'line'
}

/**
 * Whether a block holds a line with data, by the rule that decodes it (`blockLines` leaves out
 * lines that are blank once trimmed, and the BOM at a file's start). A printable ASCII byte
 * settles it at once (the first byte of any real file); a BOM, a form feed or a non-ASCII space
 * before it is decided by decoding the block as a worker would.
 */
function hasData(block: { bytes: Uint8Array; firstLine: number }, fileStart: boolean): boolean {
  const bytes = block.bytes
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue
    if (b > 0x20 && b < 0x7f) return true
    return blockLines(bytes, block.firstLine, fileStart).length > 0
  }
  return false
}

/** A file's lines (NDJSON or CSV) → items; `at` follows the lines read. */
async function* lineItems(file: string, index: number, lines: AsyncGenerator<Line>, skip: (line: number) => boolean, at: ReadPosition): AsyncGenerator<ArchiveItem> {
  const first = await lines.next()
  if (first.done) {
    yield { kind: 'file', file, format: 'ndjson', index }
    return
  }
  const header = detectCsvHeader(first.value.text)
  if (header) {
    yield { kind: 'file', file, format: 'csv', index }
    at.csv = 'header'
    const tooLong: Line[] = []
    const overCap = function* (before: number): Generator<ArchiveItem> {
      while (tooLong.length > 0 && tooLong[0].line < before) {
        const l = tooLong.shift()!
        at.csv = 'line'
        if (skip(l.line)) continue
        const r = tooLongLine(l.tooLong!, MAX_LINE_CHARS)
        yield { kind: 'rejected', ref: { file, line: l.line }, category: r.category, reason: r.reason, text: '' }
      }
    }
    for await (const row of readCsv(rejoin(first.value.text, lines, tooLong), header)) {
      at.lastLine = row.line
      at.data = true
      yield* overCap(row.line)
      if (skip(row.line)) continue
      const ref = { file, line: row.line }
      if (row.result.ok) yield { kind: 'message', message: row.result.message, ref }
      else yield { kind: 'rejected', ref, category: row.result.category, reason: row.result.reason, text: clipText(row.text) }
    }
    yield* overCap(Infinity)
    return
  }
  yield { kind: 'file', file, format: 'ndjson', index }
  let current = first.value
  for (;;) {
    at.lastLine = current.line
    const data = current.tooLong !== undefined || current.text.trim() !== ''
    if (data) at.data = true
    if (data && !skip(current.line)) {
      const parsed = current.tooLong !== undefined ? tooLongLine(current.tooLong, MAX_LINE_CHARS) : parseMessageLine(current.text)
      const ref = { file, line: current.line }
      if (parsed.ok) yield { kind: 'message', message: parsed.message, ref }
      else yield { kind: 'rejected', ref, category: parsed.category, reason: parsed.reason, text: clipText(current.text) }
    }
    const next = await lines.next()
    if (next.done) break
    current = next.value
  }
}

/** An NDJSON file as blocks of undecoded lines (lines over the cap are rejected here, by their length). */
async function* ndjsonBlocks(
  file: string,
  index: number,
  head: LineBlock,
  blocks: AsyncGenerator<LineBlock>,
  skip: (line: number) => boolean,
  skipping: boolean,
  at: ReadPosition,
): AsyncGenerator<ArchiveItem> {
  yield { kind: 'file', file, format: 'ndjson', index }
  let fileStart = true
  for (let b: IteratorResult<LineBlock> = { done: false, value: head }; !b.done; b = await blocks.next()) {
    const block = b.value
    if (block.tooLong !== undefined) {
      at.lastLine = block.tooLong.line
      at.data = true
      if (!skip(at.lastLine)) {
        const r = tooLongLine(block.tooLong.bytes, MAX_LINE_CHARS)
        yield { kind: 'rejected', ref: { file, line: at.lastLine }, category: r.category, reason: r.reason, text: '' }
      }
    } else {
      at.lastLine = block.firstLine + block.count - 1
      if (!at.data) at.data = hasData(block, fileStart)
      let all = skipping
      for (let l = block.firstLine; all && l <= at.lastLine; l++) all = skip(l)
      // A resumed run's settled lines: a block wholly settled is not decoded at all.
      if (!all)
        yield {
          kind: 'block',
          ref: { file, line: block.firstLine },
          count: block.count,
          bytes: block.bytes,
          fileStart,
          ...(skipping ? { skip } : {}),
          ...(block.owned ? { owned: true } : {}),
        }
    }
    fileStart = false
  }
}

/** The first line of a block, as text (for the CSV header check). */
function firstLineOf(bytes: Buffer): string {
  const nl = bytes.indexOf(10)
  let text = bytes.subarray(0, nl === -1 ? bytes.length : nl).toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return text.endsWith('\r') ? text.slice(0, -1) : text
}

/** Blocks back to numbered lines (blank ones included), for the CSV reader and empty files. */
async function* blockLinesOf(head: IteratorResult<LineBlock>, blocks: AsyncGenerator<LineBlock>): AsyncGenerator<Line> {
  let fileStart = true
  for (let b = head; !b.done; b = await blocks.next()) {
    const block = b.value
    if (block.tooLong !== undefined) yield { line: block.tooLong.line, text: '', tooLong: block.tooLong.bytes }
    else for (const l of blockLines(block.bytes, block.firstLine, fileStart, true)) yield l
    fileStart = false
  }
}

/**
 * Gives the CSV parser the text again, line by line, with the newlines the splitter removed. A
 * line over the cap goes to `tooLong` (rejected by the caller) and reaches the parser as an empty
 * line, which keeps its line numbers.
 */
async function* rejoin(firstLine: string, rest: AsyncGenerator<Line>, tooLong: Line[]): AsyncGenerator<string> {
  yield firstLine + '\n'
  for await (const line of rest) {
    if (line.tooLong !== undefined) tooLong.push(line)
    yield line.text + '\n'
  }
}

/**
 * Not one file or object matched the inputs: a mistyped path or prefix, or a sync that brought
 * nothing. Never a successful run of nothing (exit 2, the same for every command).
 */
/** A path as it may be placed in a message: control characters (a newline in a file name) escaped. */
// eslint-disable-next-line no-control-regex
const visible = (text: string): string => text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (m) => `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`)

function nothingMatched(problems: Array<{ file: string; reason: string }>, skipped: Array<{ path: string; reason: string }>, unmatched: UnmatchedInput[]): UsageError {
  const parts = [
    ...problems.map((p) => `${visible(p.file)}: ${visible(p.reason)}`),
    ...unmatched.map((u) => `${visible(u.input)}: ${u.reason}${u.nearest ? ` (did you mean ${visible(u.nearest)}?)` : ''}`),
  ]
  const skippedNote =
    skipped.length > 0
      ? `; skipped: ${skipped
          .slice(0, 3)
          .map((s) => `${visible(s.path)} (${visible(s.reason)})`)
          .join(', ')}${skipped.length > 3 ? ', …' : ''}`
      : ''
  const nearest = unmatched.find((u) => u.nearest)?.nearest
  return new UsageError(`nothing to read: ${parts.join('; ')}${skippedNote}`, {
    code: 'nothing-matched',
    hint: nearest
      ? `Check the prefix: ${visible(nearest)} has objects. A prefix names a folder: s3://bucket/segment-logs reads segment-logs/…`
      : "Check the paths: give archive files or folders that hold them (Segment's S3 layout: segment-logs/<source-id>/<day>/*.gz), s3://bucket/prefix, or - for stdin.",
  })
}

function describeReadError(error: unknown, lastLine: number): string {
  if (error instanceof NotAnArchive) return error.message
  if (error instanceof GzipTrailingGarbage) {
    return `not gzip data after byte ${error.offset} (the end of the last gzip member, after line ${lastLine}): ${error.lostBytes} byte(s) not read; lines before it were read`
  }
  const err = error as NodeJS.ErrnoException
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err?.message ?? '')) {
    return `truncated gzip: the compressed data ends early (after line ${lastLine}); lines before it were read`
  }
  if (err?.code === 'Z_DATA_ERROR') return `corrupt gzip data after line ${lastLine}: ${err.message}`
  if (err?.code) return describeFsError(err)
  return err?.message ?? String(error)
}
