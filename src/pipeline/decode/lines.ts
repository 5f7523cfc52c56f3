/**
 * Byte stream → numbered text lines. Gzip is detected by its magic bytes (0x1f 0x8b), never by
 * the file name; multi-member gzip (concatenated .gz files) is read through.
 *
 * Why not `ndjson`/`split2`: they cannot tell the line number of a bad line, which the contract
 * requires for every rejected line (see README, dependencies).
 */
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { StringDecoder } from 'node:string_decoder'
import type { Readable } from 'node:stream'

export interface Line {
  /** 1-based line number within the (decompressed) file. */
  line: number
  text: string
  /** Set (to the line's length) when the line is longer than the cap; `text` is then empty. */
  tooLong?: number
}

export interface OpenOptions {
  /** Called with the number of raw (compressed) bytes consumed, for progress and ETA. */
  onBytes?: (n: number) => void
}

/** Reads the first bytes of a stream to decide on gunzip, then yields decoded string chunks. */
export async function* decodedChunks(raw: Readable, opts: OpenOptions = {}): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  for await (const chunk of inflatedChunks(raw, opts)) yield decoder.write(chunk)
  const rest = decoder.end()
  if (rest) yield rest
}

/** Reads the first bytes of a stream to decide on gunzip, then yields the (decompressed) bytes. */
export async function* inflatedChunks(raw: Readable, opts: OpenOptions = {}): AsyncGenerator<Buffer> {
  const iterator = raw[Symbol.asyncIterator]()
  let first: Buffer | undefined
  // Collect at least two bytes for the magic-number check.
  while (!first || first.length < 2) {
    const next = await iterator.next()
    if (next.done) break
    const chunk = toBuffer(next.value)
    opts.onBytes?.(chunk.length)
    first = first ? Buffer.concat([first, chunk]) : chunk
  }
  if (!first || first.length === 0) return
  const gzipped = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b

  if (!gzipped) {
    yield first
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      const chunk = toBuffer(next.value)
      opts.onBytes?.(chunk.length)
      yield chunk
    }
    return
  }

  // Large output chunks: each one is a hand-off to and from the thread pool (fewer wake-ups, less system time).
  const gunzip = createGunzip({ chunkSize: 256 * 1024 })
  // Feed the raw bytes into gunzip on the side; read decompressed chunks here.
  const pump = (async () => {
    try {
      if (!gunzip.write(first)) await onceDrain(gunzip)
      for (;;) {
        const next = await iterator.next()
        if (next.done) break
        const chunk = toBuffer(next.value)
        opts.onBytes?.(chunk.length)
        if (!gunzip.write(chunk)) await onceDrain(gunzip)
      }
      gunzip.end()
    } catch (error) {
      gunzip.destroy(error as Error)
    }
  })()
  try {
    for await (const chunk of gunzip) yield chunk as Buffer
  } finally {
    await pump
  }
}

function onceDrain(stream: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off?.('drain', done)
      stream.off?.('close', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
  })
}

function toBuffer(chunk: unknown): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)
}

/**
 * Longest line read, in characters (UTF-16 units; about bytes for the ASCII JSON Segment writes).
 * Segment's tracking API takes at most 32 KB per message, so no real archive line comes near it;
 * a longer line is rejected with its file:line without ever being held whole in memory.
 */
export const MAX_LINE_CHARS = 4 * 1024 * 1024

export interface SplitOptions {
  /** Default MAX_LINE_CHARS. */
  maxLineChars?: number
}

/**
 * Splits decoded chunks into lines; strips a trailing CR and a BOM at the start of line 1.
 * Linear in the input: each chunk is searched once, and a line spread over many chunks is joined
 * once, when its newline arrives. A line over the cap comes out as `{ tooLong }` with no text.
 */
export async function* splitLines(chunks: AsyncIterable<string>, opts: SplitOptions = {}): AsyncGenerator<Line> {
  const max = opts.maxLineChars ?? MAX_LINE_CHARS
  /** Pieces of the line being read (none holds a newline), and their total length. */
  let parts: string[] = []
  let length = 0
  let lineNo = 0
  let first = true
  /** The line ends with `tail` (`tailLength` characters; the text is not cut out past the cap). */
  const take = (tail: string, tailLength: number): Line => {
    lineNo++
    const total = length + tailLength
    const pieces = parts
    parts = []
    length = 0
    if (total > max) return { line: lineNo, text: '', tooLong: total }
    let text = pieces.length === 0 ? tail : pieces.join('') + tail
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1)
    return { line: lineNo, text }
  }
  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
      first = false
    }
    let start = 0
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const n = nl - start
      yield take(length + n > max ? '' : chunk.slice(start, nl), n)
      start = nl + 1
    }
    if (start < chunk.length) {
      const rest = chunk.length - start
      // Past the cap only the length is kept: the text is never read whole.
      if (length + rest <= max) parts.push(start === 0 ? chunk : chunk.slice(start))
      else parts = []
      length += rest
    }
  }
  if (length > 0) yield take('', 0)
}

/** Paths that name this process's standard input (a socket there cannot be opened by path). */
const STDIN_PATHS = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0'])

export function openSource(path: string, stdin: Readable = process.stdin): Readable {
  return STDIN_PATHS.has(path) ? stdin : createReadStream(path, { highWaterMark: 256 * 1024 })
}

/**
 * A run of whole lines as bytes (`--workers` decodes them on another thread), or a line over the
 * cap, which is never held: only its length in bytes is known.
 */
export type LineBlock =
  | { firstLine: number; count: number; bytes: Buffer; tooLong?: undefined }
  | { tooLong: { line: number; bytes: number } }

/**
 * Cuts decompressed bytes into blocks of whole lines, each block ending at a newline (so no
 * UTF-8 sequence is ever split) except a file's unterminated last line. Linear: each chunk is
 * searched once; only the partial line at a chunk's end is carried over (and copied once). A line
 * longer than `maxLineBytes` is skipped as it streams by and reported as `tooLong`.
 */
export async function* lineBlocks(chunks: AsyncIterable<Buffer>, maxLineBytes = MAX_LINE_CHARS): AsyncGenerator<LineBlock> {
  let lineNo = 0
  let carry: Buffer[] = []
  let carryLength = 0
  /** Bytes of a too-long line seen so far (-1: not in one). */
  let skipping = -1
  for await (const chunk of chunks) {
    let start = 0
    if (skipping >= 0) {
      const nl = chunk.indexOf(10)
      if (nl === -1) {
        skipping += chunk.length
        continue
      }
      lineNo++
      yield { tooLong: { line: lineNo, bytes: skipping + nl } }
      skipping = -1
      start = nl + 1
    }
    const first = chunk.indexOf(10, start)
    if (first === -1) {
      const rest = chunk.length - start
      if (carryLength + rest > maxLineBytes) {
        skipping = carryLength + rest
        carry = []
        carryLength = 0
      } else if (rest > 0) {
        carry.push(start === 0 ? chunk : chunk.subarray(start))
        carryLength += rest
      }
      continue
    }
    if (carryLength + (first - start) > maxLineBytes) {
      // The carried line ends here, over the cap.
      lineNo++
      yield { tooLong: { line: lineNo, bytes: carryLength + (first - start) } }
      carry = []
      carryLength = 0
      start = first + 1
    }
    const last = chunk.lastIndexOf(10)
    if (last >= start) {
      const head = chunk.subarray(start, last + 1)
      const bytes = carryLength > 0 ? Buffer.concat([...carry, head], carryLength + head.length) : head
      if (bytes.length > maxLineBytes) {
        // A chunk longer than the cap may hold a whole line over it, between two of its newlines.
        for (const b of capLines(bytes, lineNo + 1, maxLineBytes)) {
          yield b
          lineNo += b.tooLong !== undefined ? 1 : b.count
        }
      } else {
        let count = 0
        for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++
        yield { firstLine: lineNo + 1, count, bytes }
        lineNo += count
      }
      carry = []
      carryLength = 0
      start = last + 1
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start))
      carryLength += chunk.length - start
    }
  }
  if (skipping >= 0) yield { tooLong: { line: lineNo + 1, bytes: skipping } }
  else if (carryLength > maxLineBytes) yield { tooLong: { line: lineNo + 1, bytes: carryLength } }
  else if (carryLength > 0) {
    const bytes = Buffer.concat(carry, carryLength)
    // A file that is only a byte order mark has no line (as splitLines sees it).
    if (!(lineNo === 0 && bytes.equals(BOM))) yield { firstLine: lineNo + 1, count: 1, bytes }
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** Whole lines (`bytes` ends with a newline) → blocks, with each line over the cap reported on its own. */
function* capLines(bytes: Buffer, firstLine: number, maxLineBytes: number): Generator<LineBlock> {
  let runStart = 0
  let runFirst = firstLine
  let line = firstLine
  let lineStart = 0
  for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, lineStart)) {
    if (nl - lineStart > maxLineBytes) {
      if (lineStart > runStart) yield { firstLine: runFirst, count: line - runFirst, bytes: bytes.subarray(runStart, lineStart) }
      yield { tooLong: { line, bytes: nl - lineStart } }
      runStart = nl + 1
      runFirst = line + 1
    }
    line++
    lineStart = nl + 1
  }
  if (lineStart > runStart) yield { firstLine: runFirst, count: line - runFirst, bytes: bytes.subarray(runStart, lineStart) }
}

/**
 * The lines of a block as text, numbered; a trailing CR is dropped, and a BOM at the very start of
 * a file (`fileStart`). Blank lines are left out (they are no input, and never rejected), unless kept.
 */
export function blockLines(bytes: Uint8Array, firstLine: number, fileStart: boolean, keepBlank = false): Array<{ line: number; text: string }> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  const out: Array<{ line: number; text: string }> = []
  let start = 0
  let line = firstLine
  if (fileStart && text.charCodeAt(0) === 0xfeff) start = 1
  while (start < text.length) {
    let nl = text.indexOf('\n', start)
    if (nl === -1) nl = text.length
    let end = nl
    if (end > start && text.charCodeAt(end - 1) === 13) end--
    if (end > start || keepBlank) {
      const t = text.slice(start, end)
      if (keepBlank || t.trim() !== '') out.push({ line, text: t })
    }
    line++
    start = nl + 1
  }
  return out
}
