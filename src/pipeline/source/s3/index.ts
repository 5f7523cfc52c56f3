/**
 * # pipeline/source/s3: `s3://bucket/prefix` inputs
 *
 * Owns object-store inputs as archive sources: listed up front (so progress and ETA cover the
 * whole listing), read in key order through the same decode stage as local files, with a few
 * objects requested ahead of the one being decoded (bounded parallelism, deterministic order);
 * ranged reads that resume a stalled stream; the SDK client per endpoint and profile.
 *
 * It must never decode what it reads, never load the AWS SDK for a run without `s3://` (it is
 * imported lazily), and never show credentials or a URL's userinfo in an error.
 */
import type { Readable } from 'node:stream'
import type { Source } from '../sources.js'
import { S3Clients, type S3Settings } from './client.js'
import { describeS3Error, S3InputError } from './errors.js'
import { listObjects, nearestPrefix, type ListingProgress } from './list.js'
import { S3ObjectStream, type ObjectRef, type ObjectStreamOptions } from './object-stream.js'
import { objectUrl, parseS3Input } from './url.js'

export { isS3Input } from './url.js'
export { S3InputError } from './errors.js'
export { S3Clients, type S3Settings } from './client.js'

export interface S3ListOptions {
  settings?: S3Settings
  sinceMs?: number
  /** Totals over every s3:// input listed so far. */
  onListing?: (p: ListingProgress & { input: string }) => void
  onResume?: ObjectStreamOptions['onResume']
}

export interface S3Listing {
  /** Sources of each s3:// input, in key order. */
  byInput: Map<string, Source[]>
  /** For an input that listed no object: the nearest prefix that has objects, if one is close. */
  nearest: Map<string, string>
  /**
   * Destroys objects read ahead and not consumed. The clients stay usable (the sources can be
   * read again); their idle keep-alive sockets do not hold the process open.
   */
  close(): void
}

/**
 * Lists each `s3://` input (in the order given) into sources. A listing failure (no such bucket,
 * access denied, credentials) is fatal: it throws an S3InputError.
 */
export async function listS3(inputs: string[], opts: S3ListOptions = {}): Promise<S3Listing> {
  const settings = opts.settings ?? {}
  const clients = new S3Clients(settings)
  const ahead = new ReadAhead(Math.max(0, (settings.readAhead ?? 4) - 1), {
    maxResumes: settings.maxResumes,
    resumeBaseMs: settings.resumeBaseMs,
    stallMs: settings.stallMs,
    onResume: opts.onResume,
  })
  const byInput = new Map<string, Source[]>()
  const nearest = new Map<string, string>()
  const close = () => ahead.close()
  const total = { objects: 0, bytes: 0, prunedFolders: 0, dayObjects: 0 }
  try {
    for (const input of inputs) {
      if (byInput.has(input)) continue
      const loc = parseS3Input(input)
      if (!loc) throw new S3InputError(`${input}: not an S3 URL; use s3://bucket or s3://bucket/prefix`, 'other', true)
      const ctx = { op: 'list' as const, bucket: loc.bucket, key: loc.prefix, endpoint: settings.endpoint, profile: settings.profile }
      try {
        const client = await clients.forBucket(loc.bucket)
        const before = { ...total }
        const listed = await listObjects(client, loc, {
          sinceMs: opts.sinceMs,
          onProgress: (p) => {
            total.objects = before.objects + p.objects
            total.bytes = before.bytes + p.bytes
            total.prunedFolders = before.prunedFolders + p.prunedFolders
            total.dayObjects = before.dayObjects + p.dayObjects
            opts.onListing?.({ ...total, input })
          },
        })
        const entries = listed.objects.map((o) => ({
          path: objectUrl(loc.bucket, o.key),
          ref: { client, bucket: loc.bucket, key: o.key, etag: o.etag, size: o.size, endpoint: settings.endpoint, profile: settings.profile } satisfies ObjectRef,
        }))
        if (entries.length === 0) {
          const near = await nearestPrefix(client, loc)
          if (near !== undefined) nearest.set(input, objectUrl(loc.bucket, near))
        }
        ahead.append(entries)
        byInput.set(
          input,
          entries.map(({ path, ref }): Source => ({ path, size: ref.size, etag: ref.etag, open: () => ahead.open(path, ref) })),
        )
      } catch (error) {
        throw describeS3Error(error, ctx)
      }
    }
  } catch (error) {
    clients.destroy()
    throw error
  }
  return { byInput, nearest, close }
}

/**
 * Keeps up to `depth` objects after the one being read already requested and buffering
 * (each up to its stream's high-water mark). Objects are still consumed one at a time in
 * listing order, so output order does not depend on which object answers first.
 */
class ReadAhead {
  private readonly order: Array<{ path: string; ref: ObjectRef }> = []
  private readonly index = new Map<string, number>()
  private readonly started = new Map<string, S3ObjectStream>()

  constructor(
    private readonly depth: number,
    private readonly streamOptions: ObjectStreamOptions,
  ) {}

  append(entries: Array<{ path: string; ref: ObjectRef }>): void {
    for (const e of entries) {
      if (this.index.has(e.path)) continue
      this.index.set(e.path, this.order.length)
      this.order.push(e)
    }
  }

  open(path: string, ref: ObjectRef): Readable {
    let stream = this.started.get(path)
    this.started.delete(path)
    if (!stream || stream.destroyed) stream = new S3ObjectStream(ref, this.streamOptions)
    // The object needed now is asked for first.
    stream.prefetch()
    // Objects before this one will not be read now: drop what was fetched for them.
    const at = this.index.get(path)
    if (at !== undefined) {
      for (const [p, s] of this.started) {
        const i = this.index.get(p)!
        if (i < at || i > at + this.depth) {
          s.destroy()
          this.started.delete(p)
        }
      }
      for (let i = at + 1; i <= at + this.depth && i < this.order.length; i++) {
        const next = this.order[i]
        if (this.started.has(next.path)) continue
        const s = new S3ObjectStream(next.ref, this.streamOptions)
        // A failure while nobody reads it yet: the object is asked for again when its turn comes.
        s.on('error', () => undefined)
        s.prefetch()
        this.started.set(next.path, s)
      }
    }
    return stream
  }

  close(): void {
    for (const s of this.started.values()) s.destroy()
    this.started.clear()
  }
}
