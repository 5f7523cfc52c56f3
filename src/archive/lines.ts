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

/** Splits decoded chunks into lines; strips a trailing CR and a BOM at the start of line 1. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  let carry = ''
  let lineNo = 0
  let first = true
  for await (const chunk of chunks) {
    let text = carry + chunk
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
    }
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl === -1) break
      lineNo++
      let end = nl
      if (end > start && text.charCodeAt(end - 1) === 13) end--
      yield { line: lineNo, text: text.slice(start, end) }
      start = nl + 1
    }
    carry = start === 0 ? text : text.slice(start)
  }
  if (carry.length > 0) {
    lineNo++
    const end = carry.charCodeAt(carry.length - 1) === 13 ? carry.length - 1 : carry.length
    yield { line: lineNo, text: carry.slice(0, end) }
  }
}

export function openSource(path: string, stdin: Readable = process.stdin): Readable {
  return path === '-' ? stdin : createReadStream(path, { highWaterMark: 64 * 1024 })
}
