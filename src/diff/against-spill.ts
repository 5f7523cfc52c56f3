/**
 * On-disk partitions of `diff-mappings --against`: JSON-lines files in a work directory, one per
 * (family, bucket), so that pairing needs only one bucket in memory at a time. Rows are appended
 * in the order they are written (the callers write in archive / export order) and read back in
 * that order. Writes are buffered up to a fixed total and then appended, so memory stays flat
 * whatever the number of buckets. A row is a JSON line (`write`), or a line its caller made
 * (`writeLine`: e.g. a small JSON header, a tab, and JSON text copied through unparsed).
 */
import { appendFileSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { visible } from '../text.js'
import { UsageError } from '../errors.js'

/** FNV-1a (32 bit) of a string: the bucket of a pairing key. */
export function hashKey(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function bucketOf(key: string, buckets: number): number {
  return buckets <= 1 ? 0 : hashKey(key) % buckets
}

/** Buffered bytes (all families together) before the buffers are appended to their files. */
const FLUSH_BYTES = 4 * 1024 * 1024

export class SpillDir {
  readonly dir: string
  private readonly buffers = new Map<string, string[]>()
  /** The same buffers by family, then bucket (a write needs no path). */
  private readonly pending = new Map<string, string[][]>()
  private buffered = 0

  private readonly onExit = (): void => this.remove()

  /**
   * A fresh directory under `parent` (default: the system temp directory), removed at exit
   * whatever happens; or (`existing`) another thread's directory, which this one only writes to
   * and reads from (it writes families no other thread writes).
   */
  constructor(parent?: string, existing?: string) {
    if (existing !== undefined) {
      this.dir = existing
      return
    }
    try {
      this.dir = mkdtempSync(join(parent ?? tmpdir(), 'segamp-against-'))
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new UsageError(`--work-dir ${visible(parent ?? tmpdir())}: cannot create a folder there (${code})`, {
        code: 'work-dir',
        hint: "Give --work-dir an existing folder you can write to, with room for about the export's uncompressed size.",
      })
    }
    process.once('exit', this.onExit)
  }

  /** Another thread's directory (see the constructor). */
  static attach(dir: string): SpillDir {
    return new SpillDir(undefined, dir)
  }

  path(family: string, bucket: number): string {
    return `${this.dir}${sep}${family}-${bucket}.ndjson`
  }

  write(family: string, bucket: number, row: unknown): void {
    this.writeLine(family, bucket, JSON.stringify(row))
  }

  /** Appends one line of text (it must hold no newline; `write` is for rows, this for text made elsewhere). */
  writeLine(family: string, bucket: number, text: string): void {
    // The buffer is found by family and bucket; the file's path is made once, when it is first needed.
    let byBucket = this.pending.get(family)
    if (byBucket === undefined) this.pending.set(family, (byBucket = []))
    let b: string[] | undefined = byBucket[bucket]
    if (b === undefined) {
      const p = this.path(family, bucket)
      const found = this.buffers.get(p) ?? []
      this.buffers.set(p, found)
      b = byBucket[bucket] = found
    }
    // Kept as it is (`text + '\n'` would be a rope the join has to flatten again): joined with newlines at the flush.
    b.push(text)
    this.buffered += text.length + 1
    if (this.buffered >= FLUSH_BYTES) this.flush()
  }

  flush(): void {
    for (const [p, lines] of this.buffers) {
      if (lines.length === 0) continue
      lines.push('') // the last line's newline
      appendFileSync(p, lines.join('\n'))
    }
    this.buffers.clear()
    this.pending.clear()
    this.buffered = 0
  }

  /** Every row of one file, in write order (a whole bucket: callers keep buckets small). */
  readAll<T>(family: string, bucket: number): T[] {
    return this.readLines(family, bucket).map((line) => JSON.parse(line) as T)
  }

  /** Every line of one file, in write order. */
  readLines(family: string, bucket: number): string[] {
    const p = this.path(family, bucket)
    if (!existsSync(p)) return []
    const lines = readFileSync(p, 'utf8').split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return lines
  }

  /** The rows of one file one at a time, in write order. */
  async *stream<T>(family: string, bucket: number): AsyncGenerator<T> {
    for await (const line of this.streamLines(family, bucket)) yield JSON.parse(line) as T
  }

  /** The lines of one file one at a time, in write order. */
  async *streamLines(family: string, bucket: number): AsyncGenerator<string> {
    const p = this.path(family, bucket)
    if (!existsSync(p)) return
    let carry = ''
    for await (const chunk of createReadStream(p, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
      const parts = (carry + (chunk as string)).split('\n')
      carry = parts.pop()!
      for (const line of parts) if (line !== '') yield line
    }
    if (carry !== '') yield carry
  }

  /** Removes one file once it has been used (disk use stays near one copy of the data). */
  drop(family: string, bucket: number): void {
    const p = this.path(family, bucket)
    if (existsSync(p)) unlinkSync(p)
  }

  remove(): void {
    process.off('exit', this.onExit)
    this.buffers.clear()
    this.pending.clear()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
