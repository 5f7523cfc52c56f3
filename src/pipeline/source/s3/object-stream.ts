/**
 * One S3 object as a byte stream that survives transient failures: when the connection is
 * reset, the body stalls or ends early, or the store answers 5xx/throttling, the stream asks
 * again with `Range: bytes=<offset>-` (pinned with If-Match to the ETag of the version it started
 * reading) and carries on
 * from the exact byte it had reached. Bytes are pushed once each, so the decoder downstream
 * sees one uninterrupted stream: no line is lost or read twice.
 */
import { Readable } from 'node:stream'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { describeS3Error, isTransient, S3InputError } from './errors.js'

export interface ObjectRef {
  client: S3Client
  bucket: string
  key: string
  /** ETag from the listing (quotes kept, as S3 sends it). */
  etag?: string
  size?: number
  endpoint?: string
  profile?: string
}

export interface ObjectStreamOptions {
  maxResumes?: number
  resumeBaseMs?: number
  stallMs?: number
  /** Called before each Range retry (progress, tests). */
  onResume?: (info: { key: string; offset: number; attempt: number; cause: string }) => void
}

const HIGH_WATER = 1 << 20

export class S3ObjectStream extends Readable {
  /** Bytes delivered so far: the next request starts here. */
  offset = 0
  /** Range requests made after a failure. */
  resumes = 0
  private body?: Readable
  private generation = 0
  private requesting = false
  private failuresInARow = 0
  private expectedEnd?: number
  private controller?: AbortController
  private timer?: NodeJS.Timeout
  private finished = false
  /** ETag of the version being read (from the first answer), for If-Match on resumes. */
  private versionEtag?: string
  /** The consumer asked for bytes (false while its buffer is full). */
  private wanting = false

  constructor(
    readonly ref: ObjectRef,
    private readonly opts: ObjectStreamOptions = {},
  ) {
    super({ highWaterMark: HIGH_WATER })
    this.expectedEnd = ref.size
  }

  /** Issue the first request now and buffer up to the high-water mark (read-ahead). */
  prefetch(): void {
    if (!this.body && !this.requesting && !this.destroyed) this.read(0)
  }

  override _read(): void {
    if (this.finished) return
    this.wanting = true
    if (this.body) {
      this.body.resume()
      this.armStallTimer()
      return
    }
    if (!this.requesting) void this.request()
  }

  private async request(): Promise<void> {
    if (this.expectedEnd !== undefined && this.offset >= this.expectedEnd && this.offset > 0) {
      this.end()
      return
    }
    this.requesting = true
    const gen = ++this.generation
    this.controller = new AbortController()
    try {
      const res = await this.ref.client.send(
        new GetObjectCommand({
          Bucket: this.ref.bucket,
          Key: this.ref.key,
          // A resumed read is pinned to the version it started on: a replaced object fails (412)
          // instead of splicing two versions. (Not the first request: some S3-compatible stores
          // list ETags in another form than they answer conditionals with.)
          ...(this.offset > 0 ? { Range: `bytes=${this.offset}-`, ...(this.versionEtag ? { IfMatch: this.versionEtag } : {}) } : {}),
        }),
        { abortSignal: this.controller.signal },
      )
      if (gen !== this.generation || this.destroyed) {
        ;(res.Body as Readable | undefined)?.destroy?.()
        return
      }
      const body = res.Body as Readable | undefined
      if (!body) throw new Error('empty response body')
      if (res.ContentLength !== undefined) this.expectedEnd = this.offset + Number(res.ContentLength)
      this.versionEtag ??= res.ETag ?? this.ref.etag
      this.attach(body, gen)
    } catch (error) {
      if (gen === this.generation) this.fail(error)
    } finally {
      if (gen === this.generation) this.requesting = false
    }
  }

  private attach(body: Readable, gen: number): void {
    this.body = body
    body.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return
      this.offset += chunk.length
      this.failuresInARow = 0
      this.armStallTimer()
      if (!this.push(chunk)) {
        this.wanting = false
        body.pause()
        this.clearStallTimer()
      }
    })
    body.on('end', () => {
      if (gen !== this.generation) return
      if (this.expectedEnd !== undefined && this.offset < this.expectedEnd) {
        this.fail(new S3InputError(`the body ended early at byte ${this.offset} of ${this.expectedEnd}`, 'transient', false))
        return
      }
      this.end()
    })
    body.on('error', (error) => {
      if (gen === this.generation) this.fail(error)
    })
    body.on('close', () => {
      if (gen !== this.generation || this.finished) return
      // Closed without 'end' or 'error' (aborted socket on some Node versions).
      if (this.body === body && (this.expectedEnd === undefined || this.offset < this.expectedEnd)) {
        this.fail(new S3InputError(`the connection closed at byte ${this.offset}`, 'transient', false))
      }
    })
    this.armStallTimer()
  }

  private end(): void {
    this.finished = true
    this.clearStallTimer()
    this.generation++
    this.body = undefined
    this.push(null)
  }

  private fail(error: unknown): void {
    if (this.finished || this.destroyed) return
    this.clearStallTimer()
    this.generation++
    const old = this.body
    this.body = undefined
    this.requesting = false
    old?.destroy()
    const ctx = { op: 'get' as const, bucket: this.ref.bucket, key: this.ref.key, endpoint: this.ref.endpoint, profile: this.ref.profile }
    const named = describeS3Error(error, ctx)
    const maxResumes = this.opts.maxResumes ?? 6
    if (named.kind === 'transient' || isTransient(error)) {
      if (!this.wanting) {
        // Read ahead and parked (the consumer's buffer is full); the store dropped the idle
        // connection. Nothing is lost: the next read asks again from this offset.
        return
      }
      this.failuresInARow++
      if (this.failuresInARow <= maxResumes) {
        this.resumes++
        this.opts.onResume?.({ key: this.ref.key, offset: this.offset, attempt: this.failuresInARow, cause: named.message })
        const pause = (this.opts.resumeBaseMs ?? 250) * 2 ** (this.failuresInARow - 1)
        setTimeout(() => {
          if (!this.destroyed && !this.finished) void this.request()
        }, pause)
        return
      }
      this.destroy(
        new S3InputError(
          `gave up after ${this.failuresInARow} attempts at byte ${this.offset}${this.expectedEnd !== undefined ? ` of ${this.expectedEnd}` : ''}: ${named.message}; the lines before that byte were read — rerun to read the rest`,
          'transient',
          false,
        ),
      )
      return
    }
    this.destroy(named)
  }

  /** Waiting for bytes that do not come: drop the connection and resume by Range. */
  private armStallTimer(): void {
    this.clearStallTimer()
    const ms = this.opts.stallMs ?? 60_000
    const gen = this.generation
    this.timer = setTimeout(() => {
      if (gen === this.generation) this.fail(new S3InputError(`no data for ${Math.round(ms / 1000)} s (stalled)`, 'transient', false))
    }, ms)
    this.timer.unref()
  }

  private clearStallTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearStallTimer()
    this.generation++
    this.controller?.abort()
    this.body?.destroy()
    this.body = undefined
    callback(error)
  }
}
