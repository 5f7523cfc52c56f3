/**
 * Byte stream → numbered text lines. Gzip is detected by its magic bytes (0x1f 0x8b), never by
 * the file name; multi-member gzip (concatenated .gz files) is read through.
 *
 * Why not `ndjson`/`split2`: they cannot tell the line number of a bad line, which the contract
 * requires for every rejected line (see README, dependencies).
 */
import { createReadStream } from 'node:fs'
import { createInflateRaw } from 'node:zlib'
import { crc32 } from '../../crc32.js'
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
  // Collect the first bytes for the magic-number checks (gzip: 2; the formats refused: up to 6).
  while (!first || first.length < 6) {
    const next = await iterator.next()
    if (next.done) break
    const chunk = toBuffer(next.value)
    opts.onBytes?.(chunk.length)
    first = first ? Buffer.concat([first, chunk]) : chunk
  }
  if (!first || first.length === 0) return
  const gzipped = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b

  if (!gzipped) {
    const other = otherFormat(first)
    if (other) throw new NotAnArchive(other.format, other.advice)
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

  yield* gunzipMembers(async () => {
    const next = await iterator.next()
    if (next.done) return undefined
    const chunk = toBuffer(next.value)
    opts.onBytes?.(chunk.length)
    return chunk
  }, first)
}

/** Compressed or archive formats a file may be in by mistake (magic bytes → name, what to do). */
const OTHER_FORMATS: ReadonlyArray<{ magic: number[]; format: string; advice: string }> = [
  { magic: [0x50, 0x4b, 0x03, 0x04], format: 'a zip file', advice: 'unzip it first (an Amplitude export is read by diff-mappings --against)' },
  { magic: [0x50, 0x4b, 0x05, 0x06], format: 'a zip file', advice: 'unzip it first (an Amplitude export is read by diff-mappings --against)' },
  { magic: [0x42, 0x5a, 0x68], format: 'a bzip2 file', advice: 'decompress it first (bunzip2)' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], format: 'an xz file', advice: 'decompress it first (unxz)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], format: 'a zstd file', advice: 'decompress it first (unzstd)' },
]

function otherFormat(first: Buffer): { format: string; advice: string } | undefined {
  return OTHER_FORMATS.find((f) => first.length >= f.magic.length && f.magic.every((b, i) => first[i] === b))
}

/**
 * A file in a compressed or archive format segamp does not read (zip, bzip2, xz, zstd): reported
 * unreadable by name and format instead of split into lines of binary, each "invalid JSON".
 */
export class NotAnArchive extends Error {
  readonly code = 'NOT_AN_ARCHIVE'
  constructor(
    readonly format: string,
    readonly advice: string,
  ) {
    super(`${format}: segamp reads gzip, NDJSON and CSV; ${advice}`)
  }
}

/**
 * Bytes after a gzip member that are neither another member nor zero padding (`gzip -dc` says
 * "trailing garbage ignored"). Everything before `offset` was decompressed and yielded.
 */
export class GzipTrailingGarbage extends Error {
  readonly code = 'GZIP_TRAILING_GARBAGE'
  constructor(
    readonly offset: number,
    readonly lostBytes: number,
  ) {
    super(`not gzip data after byte ${offset}: ${lostBytes} byte(s) not read`)
  }
}

const zlibError = (message: string, code: 'Z_BUF_ERROR' | 'Z_DATA_ERROR'): Error => Object.assign(new Error(message), { code })

/**
 * The length of the gzip member header at the start of `b` (RFC 1952: 10 bytes, then the optional
 * extra field, name, comment and header CRC); 0 when more bytes are needed; -1 when `b` does not
 * start a gzip member.
 */
export function gzipHeaderLength(b: Buffer): number {
  if (b.length >= 1 && b[0] !== 0x1f) return -1
  if (b.length >= 2 && b[1] !== 0x8b) return -1
  if (b.length >= 3 && b[2] !== 8) return -1
  if (b.length < 10) return 0
  const flags = b[3]
  let at = 10
  if (flags & 4) {
    if (b.length < at + 2) return 0
    at += 2 + b.readUInt16LE(at)
  }
  for (const bit of [8, 16]) {
    if (flags & bit) {
      const end = b.indexOf(0, at)
      if (end === -1) return 0
      at = end + 1
    }
  }
  if (flags & 2) at += 2
  return b.length < at ? 0 : at
}

/**
 * Gunzip, member by member (multi-member files are read through). Each member's deflate data goes
 * through native zlib (raw inflate, large output chunks: fewer hand-offs to the thread pool); the
 * headers, trailers (CRC-32 and size checked) and what follows the last member are handled here.
 * Node's own Gunzip fails on bytes after the last member and drops the output it had not handed
 * over yet, which lost every line of a small file; here all output before such bytes is yielded
 * first, then `GzipTrailingGarbage` says where they start and how many there were.
 */
async function* gunzipMembers(next: () => Promise<Buffer | undefined>, first: Buffer): AsyncGenerator<Buffer> {
  /** Bytes read and not yet decompressed, and the file offset of their first byte. */
  let pending = first
  let offset = 0
  const more = async (): Promise<boolean> => {
    const chunk = await next()
    if (!chunk) return false
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
    return true
  }
  for (;;) {
    if (pending.length === 0 && !(await more())) return
    let header = gzipHeaderLength(pending)
    while (header === 0 && (await more())) header = gzipHeaderLength(pending)
    if (header === 0) throw zlibError('unexpected end of file', 'Z_BUF_ERROR')
    if (header < 0) {
      // Zero padding (tape blocks, some uploaders) is no data; anything else is garbage.
      let lost = pending.length
      let zeros = !pending.some((x) => x !== 0)
      for (let c = await next(); c; c = await next()) {
        lost += c.length
        if (zeros) zeros = !c.some((x) => x !== 0)
      }
      if (zeros) return
      throw new GzipTrailingGarbage(offset, lost)
    }
    offset += header
    pending = pending.subarray(header)
    const member = { crc: 0, size: 0 }
    const rest = yield* inflateMember(pending, next, member)
    offset += rest.consumed
    pending = rest.leftover
    while (pending.length < 8 && (await more()));
    if (pending.length < 8) throw zlibError('unexpected end of file', 'Z_BUF_ERROR')
    if (pending.readUInt32LE(0) !== member.crc >>> 0 || pending.readUInt32LE(4) !== member.size % 2 ** 32)
      throw zlibError('incorrect data check (CRC-32 or length of a gzip member)', 'Z_DATA_ERROR')
    offset += 8
    pending = pending.subarray(8)
  }
}

/**
 * One member's deflate data, from `start` on and then from `next()`: yields the output; returns
 * how many input bytes the deflate data took and the bytes read past its end.
 */
async function* inflateMember(
  start: Buffer,
  next: () => Promise<Buffer | undefined>,
  member: { crc: number; size: number },
): AsyncGenerator<Buffer, { consumed: number; leftover: Buffer }> {
  const inflate = createInflateRaw({ chunkSize: 256 * 1024 })
  /** Input handed to zlib and maybe not consumed yet (zlib stops at the member's end), by offset. */
  const written: Array<{ at: number; bytes: Buffer }> = []
  let total = 0
  let ended = false
  let held: Buffer | undefined
  inflate.once('end', () => {
    ended = true
  })
  const pump = (async () => {
    try {
      for (let chunk: Buffer | undefined = start; ; chunk = await next()) {
        if (!chunk) {
          if (!ended) inflate.end()
          return
        }
        if (ended || inflate.destroyed) {
          held = chunk
          return
        }
        written.push({ at: total, bytes: chunk })
        total += chunk.length
        while (written.length > 1 && written[0].at + written[0].bytes.length <= inflate.bytesWritten) written.shift()
        if (!inflate.write(chunk)) await onceDrain(inflate)
      }
    } catch (error) {
      inflate.destroy(error as Error)
    }
  })()
  try {
    for await (const out of inflate) {
      member.crc = crc32(out as Buffer, member.crc)
      member.size += (out as Buffer).length
      yield out as Buffer
    }
  } finally {
    if (!ended) inflate.destroy()
    await pump
  }
  const consumed = inflate.bytesWritten
  const after = written.filter((w) => w.at + w.bytes.length > consumed).map((w) => (w.at < consumed ? w.bytes.subarray(consumed - w.at) : w.bytes))
  if (held) after.push(held)
  return { consumed, leftover: after.length === 1 ? after[0] : Buffer.concat(after) }
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
export type LineBlock = { firstLine: number; count: number; bytes: Buffer; owned?: boolean; tooLong?: undefined } | { tooLong: { line: number; bytes: number } }

/**
 * True when `bytes` is a copy made for its block alone (not a view into a chunk something else
 * still reads, nor a slice of Node's shared pool): its memory may move to a worker thread.
 */
function ownBuffer(bytes: Buffer): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
}

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
        yield { firstLine: lineNo + 1, count, bytes, ...(carryLength > 0 && ownBuffer(bytes) ? { owned: true } : {}) }
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
    if (!(lineNo === 0 && bytes.equals(BOM))) yield { firstLine: lineNo + 1, count: 1, bytes, ...(ownBuffer(bytes) ? { owned: true } : {}) }
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
