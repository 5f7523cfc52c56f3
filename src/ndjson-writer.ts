/** Appends JSON objects as lines to a file, honouring backpressure; opened lazily. */
import { createWriteStream, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { makeDirs } from './dirs.js'

export class NdjsonWriter {
  private stream?: WriteStream
  count = 0

  constructor(
    readonly path: string,
    private readonly flags: 'a' | 'w' = 'a',
  ) {}

  async write(value: unknown): Promise<void> {
    if (!this.stream) {
      makeDirs(dirname(this.path))
      this.stream = createWriteStream(this.path, { flags: this.flags })
    }
    this.count++
    if (!this.stream.write(JSON.stringify(value) + '\n')) {
      await new Promise<void>((resolve) => this.stream!.once('drain', resolve))
    }
  }

  async close(): Promise<void> {
    const stream = this.stream
    if (!stream) return
    this.stream = undefined
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())))
  }
}
