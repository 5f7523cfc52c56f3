/**
 * A state directory at `s3://bucket/prefix/` (README, "Beyond one machine"):
 * - `checkpoint.json` is written whole in one PUT, with `If-Match` on the ETag of the checkpoint
 *   this run last wrote (or `If-None-Match: *` when there was none), so a second writer fails;
 * - each append-only file is a folder of part objects (`dead-letter/part-000001.ndjson`, …),
 *   written when a part fills (8 MiB) or at the next checkpoint, before it; the checkpoint counts
 *   the parts it covers, so a resume never counts a line twice and `status` reads exactly those;
 * - `lock` is created with `If-None-Match: *` and holds a lease (default 2 minutes) that the run
 *   renews every third of it with `If-Match` on its own ETag; a lock whose lease expired (a killed
 *   pod), or whose holder is a dead process on this host, is taken over.
 * Stores that ignore conditional writes (s3rver) are detected when the lock is taken: a warning
 * says so once, and exclusivity then comes from the scheduler (README).
 */
import { hostname } from 'node:os'
import type { S3Client } from '@aws-sdk/client-s3'
import { exitCodes, SegampError } from '../../errors.js'
import { checkpointText, type Checkpoint, type CheckpointDraft } from './checkpoint.js'
import type { ReplayReport } from './report.js'
import {
  LOG_NAMES,
  parseCheckpoint,
  S3_CADENCE,
  STATE_FILES,
  StateLockedError,
  StateWriteError,
  type CheckpointCadence,
  type LogName,
  type StateDir,
  type StateFile,
  type StateLock,
  type StateWriter,
} from './state-dir.js'

/** The AWS SDK, loaded only when a state directory is in S3 (it is large). */
const sdk = () => import('@aws-sdk/client-s3')

/** Default lease of the lock: a killed pod's shard can be taken over this long after its last renewal. */
export const DEFAULT_LEASE_MS = 120_000
/** A part object is written once its buffer reaches this size (else at the next checkpoint). */
export const PART_BYTES = 8 * 1024 * 1024

export interface S3StateOptions {
  /** The client for a bucket (signing for its region; the input's S3 settings). */
  client: (bucket: string) => Promise<S3Client>
  leaseMs?: number
  cadence?: CheckpointCadence
  onWarning?: (text: string) => void
}

interface LockBody {
  holder: string
  host: string
  pid: number
  runId?: string
  acquiredAt: string
  leaseUntil: string
}

/**
 * An `s3://` state directory whose key prefix has an empty segment (`s3://bucket//run/`,
 * `s3://bucket/runs//a/`), most often a shell variable that was empty: the keys would hold it (a
 * key that starts with /), which S3 takes and no one means. The problem and the URL written right
 * (`{shard}` and a final `*` kept as typed), or undefined. Pure.
 */
export function stateUrlProblem(location: string): { problem: string; written: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(location)
  if (!m || !/^\/|\/\//.test(m[2])) return undefined
  const parts = m[2].split('/').filter(Boolean)
  return {
    problem: `the key prefix has an empty segment (//); the state's keys would be ${JSON.stringify(m[2].replace(/\/?$/, '/') + 'checkpoint.json')}`,
    written: `s3://${m[1]}/${parts.join('/')}${parts.length > 0 && !/\*$/.test(parts[parts.length - 1]!) ? '/' : ''}`,
  }
}

/** The usage error for `stateUrlProblem`, naming where the URL was given (`--state-dir`, an argument of `status`). */
export function stateUrlError(location: string, where = '--state-dir'): SegampError | undefined {
  const p = stateUrlProblem(location)
  if (!p) return undefined
  return new SegampError(`${where} ${location}: ${p.problem}`, {
    exitCode: exitCodes.USAGE,
    code: 'usage',
    hint: `Write it with one / between the parts: ${p.written}; if the path is built from a shell variable, check that the variable is set.`,
  })
}

/** `s3://bucket/prefix` → bucket and a prefix that ends in `/` (or is empty). */
export function parseStateUrl(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(location)
  if (!m || !m[1]) throw new SegampError(`${location}: no bucket; use --state-dir s3://bucket/prefix/`, { exitCode: exitCodes.USAGE, code: 'usage' })
  // Checked as typed by the commands (their errors name the flag or argument); here for library calls.
  const bad = stateUrlError(location, 'state directory')
  if (bad) throw bad
  const prefix = m[2] && !m[2].endsWith('/') ? `${m[2]}/` : m[2]
  return { bucket: m[1], prefix }
}

/** Part object `n` of an append-only file, relative to the prefix. Pure. */
export function partName(name: LogName, n: number): string {
  return `${STATE_FILES[name].replace(/\.ndjson$/, '')}/part-${String(n).padStart(6, '0')}.ndjson`
}

export class S3StateDir implements StateDir {
  readonly remote = true
  readonly cadence: CheckpointCadence
  readonly bucket: string
  readonly prefix: string
  /** ETag of checkpoint.json as last read or written by this process. */
  private checkpointEtag: string | undefined
  private client?: Promise<S3Client>
  /** Set once the store showed that it ignores conditional writes. */
  conditionalWrites: boolean | undefined

  constructor(
    readonly location: string,
    private readonly o: S3StateOptions,
  ) {
    ;({ bucket: this.bucket, prefix: this.prefix } = parseStateUrl(location))
    this.cadence = o.cadence ?? S3_CADENCE
  }

  private s3(): Promise<S3Client> {
    return (this.client ??= this.o.client(this.bucket))
  }

  private key(rel: string): string {
    return this.prefix + rel
  }

  where(file: StateFile): string {
    const rel = file === 'deadLetter' || file === 'rejected' || file === 'completed' ? partName(file, 1).replace('000001', '*') : STATE_FILES[file]
    return `s3://${this.bucket}/${this.key(rel)}`
  }

  private url(rel: string): string {
    return `s3://${this.bucket}/${this.key(rel)}`
  }

  /** GETs an object's text and ETag; undefined when there is none. */
  private async get(rel: string): Promise<{ text: string; etag?: string } | undefined> {
    const c = await this.s3()
    const { GetObjectCommand } = await sdk()
    try {
      const out = await c.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }))
      return { text: await out.Body!.transformToString('utf8'), etag: out.ETag }
    } catch (error) {
      // A 404 is a missing object, unless the bucket itself is missing (a typo in its name).
      if ((status(error) === 404 && name(error) !== 'NoSuchBucket') || name(error) === 'NoSuchKey') return undefined
      throw stateError('read', this.url(rel), error)
    }
  }

  /** PUTs an object; `cond` adds If-None-Match / If-Match. Returns the new ETag, or 'conflict' on 412/409. */
  private async put(rel: string, body: string, cond: { ifNoneMatch?: '*'; ifMatch?: string } = {}): Promise<string | undefined | 'conflict'> {
    const c = await this.s3()
    const { PutObjectCommand } = await sdk()
    try {
      const out = await c.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(rel),
          Body: body,
          ContentType: rel.endsWith('.json') ? 'application/json' : 'application/x-ndjson',
          IfNoneMatch: cond.ifNoneMatch,
          IfMatch: cond.ifMatch,
        }),
      )
      return out.ETag
    } catch (error) {
      const st = status(error)
      if (st === 412 || st === 409 || name(error) === 'PreconditionFailed' || name(error) === 'ConditionalRequestConflict') return 'conflict'
      if (st === 501 && (cond.ifMatch !== undefined || cond.ifNoneMatch !== undefined)) {
        // A store that refuses the headers outright (501 NotImplemented): as one that ignores them.
        this.noConditionalWrites()
        return this.put(rel, body)
      }
      throw stateError('write', this.url(rel), error)
    }
  }

  /** The store does not honour conditional writes: said once, then the writes go without them. */
  private noConditionalWrites(): void {
    if (this.conditionalWrites === false) return
    this.conditionalWrites = false
    this.o.onWarning?.(
      `the store at ${this.url('')} ignores conditional writes (If-None-Match / If-Match): the lock cannot keep a second run out; exclusivity must come from the scheduler (Kubernetes podReplacementPolicy: Failed, AWS Batch attempts), see README "Beyond one machine"`,
    )
  }

  async lock(o: { runId?: string } = {}): Promise<StateLock> {
    const leaseMs = this.o.leaseMs ?? DEFAULT_LEASE_MS
    const me = { host: hostname(), pid: process.pid }
    const body = (): string =>
      JSON.stringify({ holder: `${me.host} pid ${me.pid}`, ...me, runId: o.runId, acquiredAt, leaseUntil: new Date(Date.now() + leaseMs).toISOString() } satisfies LockBody) + '\n'
    const acquiredAt = new Date().toISOString()
    const existing = await this.get(STATE_FILES.lock)
    let stale: string | undefined
    let etag: string | undefined | 'conflict'
    if (existing) {
      const held = parseLock(existing.text)
      if (held && isLive(held, me)) throw this.lockedError(held)
      stale = held ? `${held.holder}, lease ended ${held.leaseUntil}` : 'an unreadable lock'
      etag = await this.put(STATE_FILES.lock, body(), { ifMatch: existing.etag })
    } else etag = await this.put(STATE_FILES.lock, body(), { ifNoneMatch: '*' })
    if (etag === 'conflict') {
      // Another run took it between our read and our write.
      const now = await this.get(STATE_FILES.lock)
      const held = now ? parseLock(now.text) : undefined
      throw this.lockedError(held)
    }
    // Does the store honour conditional writes? A PUT with an If-Match that cannot match must fail.
    const probe = await this.put(STATE_FILES.lock, body(), { ifMatch: '"segamp-probe-never-matches"' })
    if (probe === 'conflict') this.conditionalWrites ??= true
    else {
      this.noConditionalWrites()
      etag = probe
    }
    let lockEtag = etag
    let released = false
    let renewal: Promise<unknown> = Promise.resolve()
    const timer = setInterval(
      () => {
        renewal = renewal.then(async () => {
          if (released) return
          const next = await this.put(STATE_FILES.lock, body(), this.conditionalWrites ? { ifMatch: lockEtag } : {}).catch((error: Error) => {
            this.o.onWarning?.(`could not renew the lease of ${this.url(STATE_FILES.lock)}: ${error.message}`)
            return undefined
          })
          if (next === 'conflict') {
            released = true
            this.lost = new StateWriteError(
              `${this.url(STATE_FILES.lock)} was taken over by another run while this one held it (its lease of ${Math.round(leaseMs / 1000)}s had expired?)`,
              { lost: true },
            )
            this.onLost?.(this.lost)
          } else if (next) lockEtag = next
        })
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    )
    timer.unref()
    return {
      stale,
      release: async () => {
        clearInterval(timer)
        await renewal
        // A lock another run took over is theirs: never deleted from under them.
        if (released || this.lost) return
        released = true
        const c = await this.s3()
        const { DeleteObjectCommand } = await sdk()
        await c.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(STATE_FILES.lock) })).catch(() => undefined)
      },
    }
  }

  /** Set when the lock was taken over: the run stops. */
  lost?: StateWriteError
  onLost?: (error: StateWriteError) => void

  private lockedError(held: LockBody | undefined): StateLockedError {
    if (!held) return new StateLockedError(`${this.url(STATE_FILES.lock)} is held by another run`)
    const left = Math.max(0, Math.round((Date.parse(held.leaseUntil) - Date.now()) / 1000))
    return new StateLockedError(
      `${this.url(STATE_FILES.lock)} is held by ${held.holder}${held.runId ? ` (run ${held.runId})` : ''} since ${held.acquiredAt}; its lease runs until ${held.leaseUntil} (${left}s from now)`,
      `Two runs must not share a state directory. If that run is still going, let it finish (\`segamp status ${this.location}\`); if it was killed, run this again after the lease ends (exit code 75 tells a scheduler to retry later).`,
    )
  }

  async readCheckpoint<C>(o: { anyVersion?: boolean } = {}): Promise<Checkpoint<C> | undefined> {
    const got = await this.get(STATE_FILES.checkpoint)
    if (!got) return undefined
    this.checkpointEtag = got.etag
    return parseCheckpoint<C>(got.text, this.url(STATE_FILES.checkpoint), o)
  }

  async readLog(log: LogName, cp?: Pick<Checkpoint, 'files' | 'parts'>): Promise<string[]> {
    const count = cp ? (cp.parts?.[log] ?? 0) : await this.countParts(log)
    const out: string[] = []
    for (let n = 1; n <= count; n++) {
      const got = await this.get(partName(log, n))
      if (!got)
        throw new SegampError(`${this.url(partName(log, n))} is missing, yet the checkpoint counts it`, {
          code: 'state-part-missing',
          hint: 'Restore the object, or run with --fresh to start over.',
        })
      for (const line of got.text.split('\n')) if (line) out.push(line)
    }
    return out
  }

  /** Parts 1..n present in a row (without a checkpoint to count them). */
  private async countParts(log: LogName): Promise<number> {
    const c = await this.s3()
    const { ListObjectsV2Command } = await sdk()
    const folder = this.key(partName(log, 1).replace(/part-.*$/, ''))
    const seen = new Set<string>()
    let token: string | undefined
    do {
      const out = await c.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folder, ContinuationToken: token })).catch((error) => {
        throw stateError('list', `s3://${this.bucket}/${folder}`, error)
      })
      for (const o of out.Contents ?? []) if (o.Key) seen.add(o.Key.slice(this.prefix.length))
      token = out.IsTruncated ? out.NextContinuationToken : undefined
    } while (token)
    let n = 0
    while (seen.has(partName(log, n + 1))) n++
    return n
  }

  async openWriter(previous?: Pick<Checkpoint, 'files' | 'parts'>, o: { onError?: (error: Error) => void } = {}): Promise<StateWriter> {
    if (this.checkpointEtag === undefined) {
      const c = await this.s3()
      const { HeadObjectCommand } = await sdk()
      try {
        this.checkpointEtag = (await c.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(STATE_FILES.checkpoint) }))).ETag
      } catch (error) {
        if (status(error) !== 404 && name(error) !== 'NotFound') throw stateError('read', this.url(STATE_FILES.checkpoint), error)
      }
    }
    this.onLost = (e) => o.onError?.(e)
    return new S3Writer(this, previous, o.onError)
  }

  /** Writes checkpoint.json in one PUT, conditional on the ETag this run saw last. */
  async putCheckpoint(text: string): Promise<void> {
    if (this.lost) throw this.lost
    const cond = this.conditionalWrites === false ? {} : this.checkpointEtag ? { ifMatch: this.checkpointEtag } : { ifNoneMatch: '*' as const }
    const etag = await this.put(STATE_FILES.checkpoint, text, cond)
    if (etag === 'conflict') throw (this.lost = new StateWriteError(`${this.url(STATE_FILES.checkpoint)} was written by another run since this one last wrote it`, { lost: true }))
    this.checkpointEtag = etag
  }

  async putPart(log: LogName, n: number, text: string): Promise<void> {
    const etag = await this.put(partName(log, n), text)
    if (etag === 'conflict') throw new StateWriteError(`${this.url(partName(log, n))} could not be written (conflict)`)
  }

  async readReport(): Promise<ReplayReport | undefined> {
    const got = await this.get(STATE_FILES.report)
    return got ? (JSON.parse(got.text) as ReplayReport) : undefined
  }

  async writeReport(report: ReplayReport): Promise<void> {
    await this.put(STATE_FILES.report, JSON.stringify(report, null, 2) + '\n')
  }

  close(): void {
    void this.client?.then((c) => c.destroy()).catch(() => undefined)
  }
}

/**
 * Appends go to memory; a buffer becomes part object n+1 when it fills or at the next checkpoint.
 * Writes run one after another in the order they were made: parts first, then the checkpoint
 * that counts them (a checkpoint overtaken by a newer one before its turn is skipped).
 */
class S3Writer implements StateWriter {
  private readonly buffers = {} as Record<LogName, string[]>
  private readonly buffered = {} as Record<LogName, number>
  private readonly parts = {} as Record<LogName, number>
  private readonly bytes = {} as Record<LogName, number>
  private tail: Promise<void> = Promise.resolve()
  private error: Error | undefined
  private latest = 0
  /** PUTs made (parts and checkpoints), for the README's request count. */
  puts = 0

  constructor(
    private readonly dir: S3StateDir,
    previous: Pick<Checkpoint, 'files' | 'parts'> | undefined,
    private readonly onError?: (error: Error) => void,
  ) {
    for (const n of LOG_NAMES) {
      this.buffers[n] = []
      this.buffered[n] = 0
      this.parts[n] = previous?.parts?.[n] ?? 0
      this.bytes[n] = previous?.parts ? previous.files[n] : 0
    }
  }

  append(name: LogName, text: string): void {
    this.buffers[name].push(text)
    const n = Buffer.byteLength(text)
    this.buffered[name] += n
    this.bytes[name] += n
    if (this.buffered[name] >= PART_BYTES) this.cut(name)
  }

  private cut(name: LogName): void {
    if (this.buffers[name].length === 0) return
    const n = ++this.parts[name]
    const text = this.buffers[name].join('')
    this.buffers[name] = []
    this.buffered[name] = 0
    this.enqueue(() => this.dir.putPart(name, n, text))
  }

  checkpoint<C>(cp: CheckpointDraft<C>): void {
    for (const n of LOG_NAMES) this.cut(n)
    const text = checkpointText({ ...cp, files: { ...this.bytes }, parts: { ...this.parts } })
    const seq = ++this.latest
    this.enqueue(async () => {
      if (seq !== this.latest) return
      await this.dir.putCheckpoint(text)
    })
  }

  private enqueue(task: () => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      if (this.error) return
      try {
        this.puts++
        await task()
      } catch (error) {
        this.error = error as Error
        this.onError?.(this.error)
      }
    })
  }

  async flush(): Promise<void> {
    await this.tail
    if (this.error) throw this.error
  }

  async close(): Promise<void> {
    await this.flush()
  }
}

function parseLock(text: string): LockBody | undefined {
  try {
    const v = JSON.parse(text) as LockBody
    return typeof v.leaseUntil === 'string' && typeof v.holder === 'string' ? v : undefined
  } catch {
    return undefined
  }
}

/** Held by a run that is still going: its lease has not ended, unless it was a process of this host that is gone. */
function isLive(held: LockBody, me: { host: string; pid: number }): boolean {
  if (Date.parse(held.leaseUntil) <= Date.now()) return false
  if (held.host === me.host && held.pid !== me.pid) {
    try {
      process.kill(held.pid, 0)
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
  return true
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode
}

function name(error: unknown): string {
  const e = error as { name?: string; Code?: string }
  return e?.Code ?? e?.name ?? ''
}

/** An S3 failure on the state, naming the object: 5xx, throttling and network errors are retryable (75). */
export function stateError(op: 'read' | 'write' | 'list', url: string, error: unknown): SegampError {
  const st = status(error)
  const n = name(error)
  const transient = st === undefined ? !/Credentials|InvalidAccessKeyId|SignatureDoesNotMatch/i.test(n) : st >= 500 || st === 429 || /SlowDown|Throttl/i.test(n)
  const what = `could not ${op} ${url}: ${n || 'error'}${st ? ` (HTTP ${st})` : ''}${(error as Error)?.message && (error as Error).message !== n ? `: ${(error as Error).message}` : ''}`
  return new SegampError(what, {
    exitCode: transient ? exitCodes.TEMPFAIL : exitCodes.ABORTED,
    code: transient ? 'state-s3-transient' : 'state-s3',
    hint: transient
      ? 'Run the same command again later: the store or the network failed for now (a replay resumes from the last checkpoint stored).'
      : 'Check the bucket, the credentials (--profile, AWS_* variables) and that they may read and write under this prefix; --s3-endpoint and --s3-path-style apply to the state directory too.',
    cause: error,
  })
}
