/** Appends JSON objects as lines to a file, honouring backpressure; opened lazily. */
import { createWriteStream, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { makeDirs } from './dirs.js'
import { SegampError, writeFailureText } from './errors.js'
import { visible } from './text.js'

/**
 * The file cannot be written (a full disk, a quota): named, with what to do. Without it a failed
 * write was an unhandled stream 'error' event: a Node stack trace and exit 1.
 */
function writeError(path: string, error: unknown): SegampError {
  return new SegampError(`${visible(path)}: cannot be written: ${writeFailureText(error)}`, {
    code: 'write-failed',
    hint: 'Free space there, or give --state-dir a folder on another disk; then run the same command again.',
    cause: error,
  })
}

export class NdjsonWriter {
  private stream?: WriteStream
  private failed?: SegampError
  count = 0

  constructor(
    readonly path: string,
    private readonly flags: 'a' | 'w' = 'a',
  ) {}

  async write(value: unknown): Promise<void> {
    if (this.failed) throw this.failed
    if (!this.stream) {
      makeDirs(dirname(this.path))
      // 0600: what is written here is users' data (rejected lines hold their text).
      const stream = createWriteStream(this.path, { flags: this.flags, mode: 0o600 })
      stream.on('error', (error) => (this.failed ??= writeError(this.path, error)))
      this.stream = stream
    }
    this.count++
    const stream = this.stream
    if (!stream.write(JSON.stringify(value) + '\n')) {
      // A failed write emits 'error', never 'drain'.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done)
          stream.off('error', done)
          resolve()
        }
        stream.once('drain', done)
        stream.once('error', done)
      })
    }
    if (this.failed) throw this.failed
  }

  async close(): Promise<void> {
    const stream = this.stream
    if (!stream) {
      if (this.failed) throw this.failed
      return
    }
    this.stream = undefined
    if (!stream.destroyed) await new Promise<void>((resolve) => stream.end(() => resolve()))
    if (this.failed) throw this.failed
  }
}
