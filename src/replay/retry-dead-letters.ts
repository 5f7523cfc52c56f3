/**
 * `segamp replay --retry-dead-letters`: resends the dead-lettered records of a state directory
 * through the same delivery (same insert_ids, same request packing), with the same accounting.
 *
 * dead-letter.ndjson stays what it is, an append-only history of every dead letter a run wrote
 * (the main run's resume cuts it back to its checkpoint, so it is never rewritten). Each retry's
 * outcomes go to `dead-letter-retries.ndjson`, the retry ledger: one line per resent record,
 * `{"at":<index of its dead letter, its 0-based line in dead-letter.ndjson>,"ok":true}` once Amplitude acknowledged it, or
 * `{"at":…,"reason","status","attempts"}` when it failed again (attempts: all sends so far). The
 * last ledger line of a dead letter is its current state; the dead-letter set is every dead letter
 * whose state is not `ok`.
 *
 * Crash safety: a ledger line is appended as soon as the answer arrives, before the checkpoint's
 * counts are updated. The checkpoint records how many ledger bytes its counts include
 * (`counts.deadLetterRetry.ledgerBytes`); a retry started after a `kill -9` first applies the
 * ledger lines beyond that to the counts, and never resends a record the ledger says was
 * acknowledged. Only the requests in flight at the kill are sent again (insert_id dedups them).
 */
import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { AmplitudeEndpoint, AmplitudeRecord, Region, SourceRef } from '../types.js'
import { isS3State, joinCopiedParts, openStateDir, RETRY_LEDGER_FILE, secureFile, type ReplayCounts, type ReplayReport, type StateDir } from '../pipeline/commit/index.js'
import { createDelivery, displayUrl, FatalDeliveryError, DeliveryAbortedError, type DeliveryOptions, type DeliveryItem } from '../pipeline/deliver/index.js'
import { orderingKey } from '../pipeline/map/index.js'
import { UsageError, exitCodeOf, exitCodes } from '../errors.js'
import { redactText } from '../secrets.js'

export const RETRY_LEDGER = RETRY_LEDGER_FILE
/** Reasons retried when `--reasons` is not given: the ones a later attempt can cure. */
export const DEFAULT_RETRY_REASONS = ['exceeded_daily_quota', 'throttled', 'retries_exhausted', 'not_ingested']

/** What the retries did so far (kept in the checkpoint's counts and the report). */
export interface DeadLetterRetryCounts {
  /** Retry runs started. */
  runs: number
  /** Records resent (every retry counted). */
  resent: number
  /** Of those, acknowledged: they left the dead-letter set. */
  sent: number
  /** Bytes of the retry ledger these counts include. */
  ledgerBytes: number
}

export interface RetryOptions {
  stateDir: string
  /** Reasons to resend (a dead letter's reason equals one, or starts with it and `:` or ` `). */
  reasons?: string[]
  apiKey: string
  region?: Region
  endpointUrl?: string
  useBatchEndpoint?: boolean
  batchSize?: number
  concurrency?: number
  maxEps?: number
  skipUserPropertiesSync?: boolean
  /** Engine knobs (tests). */
  delivery?: Partial<DeliveryOptions>
  signal?: AbortSignal
  /** A line for the user (stderr): e.g. that a copied s3:// state's parts were joined. */
  onNote?: (text: string) => void
}

export interface RetryResult {
  /** Dead letters whose reason was selected and that can be resent. */
  selected: number
  sent: number
  /** Selected, resent, and dead-lettered again. */
  deadLetteredAgain: number
  /** Dead letters of the selected reasons that cannot be resent (no record: Segment validation, unserializable). */
  notRetryable: number
  /** Still dead-lettered, by reason, after this retry. */
  remaining: Record<string, number>
  /** Where this retry sent (no credentials); the report's `endpointUrl` stays the run's. */
  endpointUrl: string | null
}

export type RetryReport = ReplayReport & { retry: RetryResult }

/** One dead letter as read back from dead-letter.ndjson. */
export interface DeadLetter {
  /** Index of its line in dead-letter.ndjson, from 0 (its identity in the ledger; the file is append-only). */
  at: number
  event: Record<string, unknown>
  endpoint?: AmplitudeEndpoint
  options?: Record<string, unknown>
  status: number | null
  reason: string
  attempts: number
  subscription?: string
  source?: SourceRef
}

interface LedgerLine {
  at: number
  ok?: boolean
  reason?: string
  status?: number | null
  attempts?: number
}

/** The lines of dead-letter.ndjson → its dead letters, numbered. Pure. */
export function parseDeadLetters(lines: readonly string[]): DeadLetter[] {
  return lines.map((text, at) => ({ ...(JSON.parse(text) as Omit<DeadLetter, 'at'>), at }))
}

/** A local dead-letter.ndjson, whole (tests, tools). */
export function readDeadLetters(path: string): DeadLetter[] {
  if (!existsSync(path)) return []
  return parseDeadLetters(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0),
  )
}

/** True when `reason` is one of `selected` (`retries_exhausted` selects `retries_exhausted:<why>`). */
export function reasonSelected(reason: string, selected: readonly string[]): boolean {
  return selected.some((s) => s === 'all' || reason === s || reason.startsWith(`${s}:`) || reason.startsWith(`${s} `))
}

/** A dead letter that holds a whole Amplitude record (not a Segment message, not a stand-in). */
export function retryable(d: DeadLetter): boolean {
  // Segment validation failures hold the message, unserializable records only their insert_id.
  const reason = String(d.reason)
  return (
    d.endpoint !== undefined &&
    d.event !== null &&
    typeof d.event === 'object' &&
    !('note' in d.event) &&
    !reason.startsWith('segment validation') &&
    !reason.startsWith('unprocessable')
  )
}

/** Reads the ledger; cuts a torn last line (a kill mid-write) so appends start on a line of their own. */
function readLedger(path: string): Array<{ line: LedgerLine; end: number }> {
  if (!existsSync(path)) return []
  const buf = readFileSync(path)
  const out: Array<{ line: LedgerLine; end: number }> = []
  let at = 0
  while (at < buf.length) {
    const end = buf.indexOf(10, at)
    if (end < 0) {
      truncateSync(path, at)
      break
    }
    out.push({ line: JSON.parse(buf.subarray(at, end).toString('utf8')) as LedgerLine, end: end + 1 })
    at = end + 1
  }
  return out
}

/** The counts' side of one ledger line: a dead letter acknowledged, or dead-lettered again. Pure. */
export function applyLedgerLine(counts: ReplayCounts, dead: DeadLetter, current: { reason: string }, line: LedgerLine): void {
  const r = counts.deadLetterRetry!
  r.resent++
  const drop = (reason: string): void => {
    const n = (counts.deadLetterReasons[reason] ?? 0) - 1
    if (n > 0) counts.deadLetterReasons[reason] = n
    else delete counts.deadLetterReasons[reason]
  }
  drop(current.reason)
  if (line.ok) {
    r.sent++
    counts.sent++
    counts.deadLettered--
    const sub = counts.subscriptions.find((s) => s.name === dead.subscription)
    const e = sub && dead.endpoint ? (sub.byEndpoint[dead.endpoint] ??= { sent: 0, deadLettered: 0 }) : undefined
    if (e) {
      e.sent++
      e.deadLettered--
    }
    return
  }
  counts.deadLetterReasons[line.reason!] = (counts.deadLetterReasons[line.reason!] ?? 0) + 1
}

/** Resends the selected dead letters of `o.stateDir`; see the file comment. */
export async function retryDeadLetters(o: RetryOptions): Promise<RetryReport> {
  const started = Date.now()
  const dir = o.stateDir
  if (isS3State(dir))
    throw new UsageError(`--retry-dead-letters: ${dir} is in S3; the retry ledger is kept in a local state directory only (for now)`, {
      code: 'usage',
      hint: 'Copy the state directory to a local one (aws s3 sync s3://bucket/prefix/ DIR) and retry from there with --state-dir DIR: segamp joins the part objects it finds there.',
    })
  if (!existsSync(dir))
    throw new UsageError(`${dir} does not exist: there are no dead letters to retry there`, {
      code: 'no-state-dir',
      hint: "Give --state-dir the state directory of the replay that dead-lettered them, or that replay's ARCHIVE and flags unchanged (its state directory, .segamp/<run-id>, is derived from them).",
    })
  const joined = joinCopiedParts(dir)
  if (joined.length > 0) o.onNote?.(`${dir} is a copy of an s3:// state directory: joined its part objects into ${joined.map((f) => basename(f)).join(', ')}`)
  const state = openStateDir(dir)
  const found = await state.readCheckpoint<ReplayCounts>()
  if (!found) {
    throw new UsageError(`${dir} holds no replay checkpoint: there are no dead letters to retry there`, {
      code: 'no-checkpoint',
      hint: 'Run --retry-dead-letters with the arguments of the replay that dead-lettered them (or its --state-dir).',
    })
  }
  const lock = await state.lock({ runId: found.runId })
  try {
    return await retryLocked(o, state, started)
  } finally {
    await lock.release()
    state.close()
  }
}

async function retryLocked(o: RetryOptions, state: StateDir, started: number): Promise<RetryReport> {
  const dir = o.stateDir
  // Read again under the lock: the run that held it may have written another checkpoint.
  const cp = (await state.readCheckpoint<ReplayCounts>())!
  const counts = cp.counts
  const r = (counts.deadLetterRetry ??= { runs: 0, resent: 0, sent: 0, ledgerBytes: 0 })
  const deadLetters = parseDeadLetters(await state.readLog('deadLetter', cp))
  const byAt = new Map(deadLetters.map((d) => [d.at, d]))
  const current = new Map<number, LedgerLine>()
  const ledgerPath = join(dir, RETRY_LEDGER)
  // Roll forward: outcomes a killed retry wrote to the ledger but not yet to the checkpoint.
  for (const { line, end } of readLedger(ledgerPath)) {
    const dead = byAt.get(line.at)
    if (!dead) continue
    if (end > r.ledgerBytes) applyLedgerLine(counts, dead, { reason: current.get(line.at)?.reason ?? dead.reason }, line)
    current.set(line.at, line)
  }
  r.ledgerBytes = existsSync(ledgerPath) ? statSync(ledgerPath).size : 0
  r.runs++
  const reasons = o.reasons ?? DEFAULT_RETRY_REASONS
  const endpointUrl = o.endpointUrl ? displayUrl(o.endpointUrl) : null
  const result: RetryResult = { selected: 0, sent: 0, deadLetteredAgain: 0, notRetryable: 0, remaining: {}, endpointUrl }
  const todo: DeadLetter[] = []
  for (const d of deadLetters) {
    const state = current.get(d.at)
    if (state?.ok) continue
    const reason = state?.reason ?? d.reason
    if (!reasonSelected(reason, reasons)) continue
    if (retryable(d)) todo.push(d)
    else result.notRetryable++
  }
  result.selected = todo.length
  // The append-only files stay as the checkpoint has them; only its counts change.
  const writer = await state.openWriter(cp)
  const { files: _files, parts: _parts, ...rest } = cp
  const save = (): void => writer.checkpoint<ReplayCounts>({ ...rest, counts, updatedAt: new Date().toISOString() })
  let fatal: Error | undefined
  try {
    save()
    fatal = await resend(o, todo, ledgerPath, current, counts, result, save)
    save()
    await writer.flush()
  } finally {
    await writer.close()
  }
  for (const d of deadLetters) {
    const state = current.get(d.at)
    if (state?.ok) continue
    const reason = state?.reason ?? d.reason
    result.remaining[reason] = (result.remaining[reason] ?? 0) + 1
  }
  const interrupted = o.signal?.aborted === true
  const partial = counts.rejected > 0 || counts.deadLettered > 0 || counts.unreadableFiles.length > 0
  // The report's endpoint names the run's destination (its run id holds that host): a retry through
  // a proxy that moved must not make the next retry look like another project's.
  const previous = await state.readReport().catch(() => undefined)
  const report: RetryReport = {
    ...counts,
    runId: cp.runId,
    dryRun: false,
    stateDir: dir,
    mappings: '(dead letters)',
    region: o.region ?? 'us',
    endpointUrl: previous && previous.endpointUrl !== undefined ? previous.endpointUrl : endpointUrl,
    resumed: true,
    alreadyDone: false,
    interrupted,
    error: fatal ? redactText(fatal.message) : null,
    ...(fatal instanceof FatalDeliveryError && fatal.check ? { errorHint: fatal.check } : {}),
    durationMs: Date.now() - started,
    exitCode: fatal ? exitCodeOf(fatal) : interrupted ? exitCodes.INTERRUPTED : partial ? exitCodes.PARTIAL : exitCodes.OK,
    sentThisRun: result.sent,
    leftForResume: 0,
    workers: 1,
    wouldSend: 0,
    throttledWallMs: counts.throttledWallMs ?? 0,
    ...(cp.shard ? { shard: cp.shard } : {}),
    retry: result,
  }
  await state.writeReport(report)
  return report
}

/** Sends `todo` and writes each outcome to the ledger, then to the counts. Returns a fatal error, if one stopped it. */
async function resend(
  o: RetryOptions,
  todo: DeadLetter[],
  ledgerPath: string,
  current: Map<number, LedgerLine>,
  counts: ReplayCounts,
  result: RetryResult,
  save: () => void,
): Promise<Error | undefined> {
  if (todo.length === 0) return undefined
  const fd = openSync(ledgerPath, 'a', 0o600)
  secureFile(ledgerPath)
  const r = counts.deadLetterRetry!
  const bySeq = new Map(todo.map((d, i) => [i + 1, d]))
  let saveQueued = false
  const record = (d: DeadLetter, line: LedgerLine): void => {
    const text = JSON.stringify(line) + '\n'
    writeSync(fd, text)
    applyLedgerLine(counts, d, { reason: current.get(d.at)?.reason ?? d.reason }, line)
    current.set(d.at, line)
    r.ledgerBytes += Buffer.byteLength(text)
    if (!saveQueued) {
      saveQueued = true
      queueMicrotask(() => {
        saveQueued = false
        save()
      })
    }
  }
  const delivery = createDelivery(
    {
      apiKey: o.apiKey,
      region: o.region ?? 'us',
      endpointUrl: o.endpointUrl,
      useBatchEndpoint: o.useBatchEndpoint,
      batchSize: o.batchSize,
      skipUserPropertiesSync: o.skipUserPropertiesSync,
      concurrency: o.concurrency,
      maxEps: o.maxEps,
      ...o.delivery,
    },
    {
      onAck(items: DeliveryItem[]) {
        for (const item of items) {
          const d = bySeq.get(item.seq)!
          record(d, { at: d.at, ok: true })
          result.sent++
        }
      },
      onDeadLetter(item, info) {
        const d = bySeq.get(item.seq)!
        const before = current.get(d.at)?.attempts ?? d.attempts
        record(d, { at: d.at, reason: info.reason, status: info.status, attempts: before + info.attempts })
        result.deadLetteredAgain++
      },
      onRetry() {
        counts.retries++
      },
      onThrottle(info) {
        counts.throttles++
        counts.throttledMs += info.pauseMs
      },
    },
  )
  const onAbort = (): void => void delivery.abort().catch(() => undefined)
  o.signal?.addEventListener('abort', onAbort, { once: true })
  const requestsBefore = counts.requests
  let fatal: Error | undefined
  try {
    for (const [seq, d] of bySeq) {
      if (o.signal?.aborted) break
      const rec: AmplitudeRecord = { endpoint: d.endpoint!, record: d.event, ...(d.options ? { options: d.options } : {}) }
      await delivery.push({ seq, record: rec, ref: d.source ?? { file: 'dead-letter.ndjson', line: 0 }, key: orderingKey(rec) })
    }
    if (!o.signal?.aborted) await delivery.flush()
  } catch (error) {
    if (error instanceof FatalDeliveryError) fatal = error
    else if (!(error instanceof DeliveryAbortedError)) throw error
  } finally {
    o.signal?.removeEventListener('abort', onAbort)
    if (fatal || o.signal?.aborted) await delivery.abort().catch(() => undefined)
    counts.requests = requestsBefore + delivery.stats().requests
    delivery.close()
    closeSync(fd)
  }
  return fatal
}

/** `--reasons a,b` → the list; refuses an empty one. */
export function parseReasons(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (list.length === 0)
    throw new UsageError('--reasons needs at least one reason, e.g. exceeded_daily_quota,retries_exhausted', {
      hint: `The reasons are those of dead-letter.ndjson (default: ${DEFAULT_RETRY_REASONS.join(',')}; "all" retries every resendable record).`,
    })
  return list
}

/** When the retry resent nothing: the warning that says why (no dead letter, or none of the reasons asked). Pure. */
export function nothingToRetryWarning(r: RetryReport, reasons: readonly string[] | undefined): string | undefined {
  const t = r.retry
  if (t.selected > 0) return undefined
  const left = Object.entries(t.remaining)
  const total = left.reduce((sum, [, v]) => sum + v, 0)
  if (total === 0) return `nothing to retry: ${r.stateDir} holds no dead letters`
  const asked = (reasons ?? DEFAULT_RETRY_REASONS).join(',')
  return `nothing to retry: ${r.stateDir} holds ${total.toLocaleString('en-US')} dead letter(s) (${left.map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}), none of them a record to resend of --reasons ${asked}${asked === 'all' ? '' : ' (--reasons all selects every reason)'}`
}

/** The lines `replay --retry-dead-letters` prints above the usual summary. Pure. */
export function renderRetryResult(r: RetryReport): string {
  const n = (v: number): string => v.toLocaleString('en-US')
  const t = r.retry
  const lines = [
    `Dead letters retried from ${r.stateDir}: ${n(t.selected)} resent, ${n(t.sent)} sent (they left the dead-letter set), ${n(t.deadLetteredAgain)} dead-lettered again`,
  ]
  // Ctrl-C or a fatal answer: the records still queued were never sent (the counts add up to the selected).
  const unsent = t.selected - t.sent - t.deadLetteredAgain
  if (unsent > 0)
    lines.push(`  ${n(unsent)} not sent: the retry was ${r.interrupted ? 'interrupted' : 'stopped'} before them; they stay dead-lettered, and the same command resends them`)
  if (t.notRetryable > 0) lines.push(`  ${n(t.notRetryable)} of the selected reasons hold no record to resend (Segment validation, unserializable): left as they are`)
  const left = Object.entries(t.remaining)
  if (left.length > 0) lines.push(`  still dead-lettered: ${left.map(([k, v]) => `${k} ${n(v)}`).join(', ')} (the last outcome of each is in ${RETRY_LEDGER})`)
  return lines.join('\n')
}
