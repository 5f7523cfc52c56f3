/**
 * CLI glue for s3:// inputs: turns the S3 flags into reader settings (a bad --s3-endpoint is a
 * usage error) and keeps the numbers the progress line shows: objects and bytes listed, objects read.
 */
import { UsageError } from '../errors.js'
import type { ArchiveOptions } from '../pipeline/decode/index.js'
import type { S3Settings } from '../pipeline/source/index.js'
import { isS3Input, parseS3Input } from '../pipeline/source/index.js'
import { formatBytes, formatCount, type ProgressHandle } from './progress.js'
import { httpUrlProblem } from './common.js'

export interface S3FlagValues {
  profile?: string
  's3-endpoint'?: string
  's3-path-style'?: boolean
  'prune-by-received'?: boolean
  since?: string
}

/**
 * S3 settings from the flags; a malformed --s3-endpoint or s3:// input is a usage error. With
 * `warn`, a --prune-by-received that can skip nothing (no --since, no s3:// input) is said so.
 */
export function s3Settings(flags: S3FlagValues, inputs: string[] = [], warn?: (text: string) => void): S3Settings {
  const unused = warn ? pruneByReceivedUnused(flags, inputs) : undefined
  if (unused) warn!(unused)
  for (const input of inputs) {
    if (isS3Input(input) && !parseS3Input(input)) throw new UsageError(`${input}: no bucket; use s3://bucket or s3://bucket/prefix`)
  }
  const endpoint = flags['s3-endpoint']
  if (endpoint !== undefined) {
    const problem = httpUrlProblem(endpoint)
    if (problem) throw new UsageError(`--s3-endpoint ${JSON.stringify(endpoint)} ${problem} (e.g. https://<account-id>.r2.cloudflarestorage.com or http://127.0.0.1:9000)`)
  }
  return { profile: flags.profile, endpoint, pathStyle: flags['s3-path-style'], ...(flags['prune-by-received'] ? { pruneByReceived: true } : {}) }
}

/** Why --prune-by-received can skip nothing in this run (it changes nothing then), or undefined. Pure. */
export function pruneByReceivedUnused(flags: S3FlagValues, inputs: readonly string[]): string | undefined {
  if (!flags['prune-by-received']) return undefined
  if (!inputs.some((i) => isS3Input(i)))
    return '--prune-by-received: no input is in S3 (s3://bucket/prefix): it skips day folders of a bucket listing only, so every file is read as without it'
  if (flags.since === undefined) return '--prune-by-received: without --since no day folder is before it, so every object is read; give --since to skip the older day folders'
  return undefined
}

/** Listing and object counts for the progress line; empty text when no input is in S3. */
export class InputProgress {
  private listedObjects = 0
  private listedBytes = 0
  private pruned = 0
  private started = -1
  private total = 0
  private listing = false
  private handle?: ProgressHandle
  private dayObjects = 0
  private warned = false

  /** `since` and `warn`: a --prune-by-received listing that found no Segment day folder is said so, once. */
  constructor(
    private readonly inputs: string[],
    private readonly o: { since?: string; warn?: (text: string) => void } = {},
  ) {}

  get s3(): boolean {
    return this.inputs.some((i) => /^s3:\/\//i.test(i))
  }

  /** Archive options carrying the S3 settings and the progress hooks. */
  options(settings: S3Settings): ArchiveOptions {
    return {
      s3: settings,
      onListing: (p) => {
        this.listing = true
        this.listedObjects = p.objects
        this.listedBytes = p.bytes
        this.pruned = p.prunedFolders
        this.dayObjects = p.dayObjects
        this.handle?.update(
          `listing ${p.input}: ${formatCount(p.objects)} objects, ${formatBytes(p.bytes)}${p.prunedFolders ? ` (days before --since skipped in ${formatCount(p.prunedFolders)} source folder(s))` : ''}`,
        )
      },
      onSourceStart: (index, _source, total) => {
        this.started = index
        this.total = total
        if (!this.warned && settings.pruneByReceived && this.o.since !== undefined && this.listing && this.listedObjects > 0 && this.dayObjects === 0) {
          this.warned = true
          this.o.warn?.(
            `--prune-by-received: no object under ${this.inputs.filter((i) => /^s3:\/\//i.test(i)).join(', ')} is in a folder named as Segment names its received-day folders (segment-logs/<source-id>/<epoch milliseconds of a UTC midnight>/, e.g. 1715040000000/), so no day folder could be skipped and every object is read`,
          )
        }
      },
    }
  }

  attach(handle: ProgressHandle): void {
    this.handle = handle
  }

  /** "file 3 of 120 · 118 objects listed (2.1 GB) · " once S3 objects were listed, else "". */
  prefix(): string {
    if (!this.listing) return ''
    const at = this.started >= 0 ? `file ${formatCount(this.started + 1)} of ${formatCount(this.total)} · ` : ''
    return `${at}${formatCount(this.listedObjects)} objects listed (${formatBytes(this.listedBytes)}${this.pruned ? `; days before --since skipped in ${formatCount(this.pruned)} source folder(s)` : ''}) · `
  }
}
