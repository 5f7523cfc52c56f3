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

  const decoder = new StringDecoder('utf8')
  if (!gzipped) {
    yield decoder.write(first)
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      const chunk = toBuffer(next.value)
      opts.onBytes?.(chunk.length)
      yield decoder.write(chunk)
    }
    const rest = decoder.end()
    if (rest) yield rest
    return
  }

  const gunzip = createGunzip()
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
    for await (const chunk of gunzip) yield decoder.write(chunk as Buffer)
    const rest = decoder.end()
    if (rest) yield rest
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

export function openSource(path: string, stdin: Readable = process.stdin): Readable {
  return path === '-' ? stdin : createReadStream(path, { highWaterMark: 64 * 1024 })
}
