/**
 * Where a replay's records go: live delivery (acknowledged by Amplitude, or dead-lettered), or,
 * for --dry-run, a writer that packs the same requests and writes them to `--out`. Either way
 * each record travels with its ticket, and what happens to it is told to the line outcomes
 * (commit/): the engine only hands records in.
 *
 * A dry run has no acknowledgements to wait for: its records are packed synchronously and settle
 * per written request, and nothing is kept of a record once its request is out.
 */
import { writeSync } from 'node:fs'
import type { AmplitudeRecord, SourceRef } from '../types.js'
import {
  createDelivery,
  createDryRunWriter,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STALLED_AFTER_MS,
  DEFAULT_UNREACHABLE_AFTER_MS,
  DeliveryAbortedError,
  REFUSED_AFTER_MS,
  ROOM,
  FatalDeliveryError,
  type Delivery,
  type DeliveryItem,
  type DeliveryStats,
  type SerializedRecord,
} from '../pipeline/deliver/index.js'
import { countDeliveryEvents, jsonLine, type LineOutcomes, type Ticket, type Ticketed } from '../pipeline/commit/index.js'
import type { ReplayCounts } from '../pipeline/commit/index.js'
import { recordOf, unprocessable, type SerializedPlannedRecord } from '../pipeline/plan.js'
import type { DeliverySettings } from './settings.js'
import { SegampError, writeFailureText } from '../errors.js'

export interface Sink {
  /** Sends a line's records (their tickets settle them later); a promise only when it must wait for room. */
  send(records: Array<Ticketed<SerializedPlannedRecord>>, ref: SourceRef): Promise<void> | void
  /** Sends everything queued and resolves once every record is settled. */
  flush(): Promise<void>
  abort(): Promise<void>
  close(): void
  stats(): DeliveryStats
}

/**
 * A record in live delivery: its ticket and what delivery reads, in one object. The record itself
 * is parsed back from its JSON only if something asks for it (a dead letter, a throttled id).
 */
class LiveItem implements DeliveryItem, Ticket {
  readonly entry: Ticket['entry']
  readonly sub: number
  readonly endpoint: string
  readonly index: number
  readonly key: string
  readonly ser: SerializedRecord
  private view?: AmplitudeRecord

  constructor(
    readonly seq: number,
    readonly ref: SourceRef,
    t: Ticketed<SerializedPlannedRecord>,
    private readonly skipSync: boolean,
  ) {
    this.entry = t.entry
    this.sub = t.sub
    this.endpoint = t.endpoint
    this.index = t.index
    this.key = t.record.key
    this.ser = t.record.ser
  }

  // From the JSON alone (a replay's plans keep no record object): the planned record is not kept.
  get record(): AmplitudeRecord {
    return (this.view ??= recordOf({ sub: this.sub, key: this.key, ser: this.ser }, this.skipSync))
  }
}

/** The dry run's `--out` being where to write, as the user gave it, with its descriptor. */
export interface OutFile {
  fd: number
  path: string
}

export function openSink(s: DeliverySettings, lines: LineOutcomes, counts: ReplayCounts, out: OutFile | undefined, warn?: (text: string) => void): Sink {
  return s.dryRun ? dryRunSink(s, lines, counts, out) : liveSink(s, lines, counts, warn)
}

const secs = (ms: number): string => `${Math.round(ms / 1000)} s`

/** The first retry, then at most one notice per this long while retries go on. */
export const RETRY_NOTICE_EVERY_MS = 30_000

/**
 * Retries said as they happen, at most one notice per `RETRY_NOTICE_EVERY_MS`: an endpoint that
 * stops answering, or answers 5xx, used to show only in the progress line, so with --no-progress
 * (CI, a pod's log) a run waited up to its unreachable budget without a word.
 */
export function retryNotices(
  warn: (text: string) => void,
  o: { unreachableAfterMs: number; stalledAfterMs: number; requestTimeoutMs?: number; now?: () => number },
): (info: { status: number | null; reason: string; attempt: number; delayMs: number; events: number }) => void {
  const now = o.now ?? Date.now
  let last = -Infinity
  let since = 0
  return (info) => {
    since++
    const t = now()
    if (t - last < RETRY_NOTICE_EVERY_MS) return
    // A request past its deadline says which deadline: the one --request-timeout sets.
    const what =
      info.status !== null
        ? `HTTP ${info.status} (${info.reason})`
        : info.reason === 'timeout' && o.requestTimeoutMs !== undefined
          ? `no answer within ${o.requestTimeoutMs / 1000} s (timeout, --request-timeout)`
          : `no answer (${info.reason})`
    const more = since > 1 ? `; ${since - 1} more retried request(s) since the last notice` : ''
    const stop =
      info.status === null
        ? `once nothing has answered for ${secs(o.unreachableAfterMs)} (${secs(REFUSED_AFTER_MS)} while every connection is refused and nothing has answered yet)`
        : `once nothing has been accepted for ${secs(o.stalledAfterMs)}`
    warn(
      `delivery: ${what} for ${info.events} record(s), send ${info.attempt}; retrying in ${(info.delayMs / 1000).toFixed(1)} s${more}. The run stops (exit 75) ${stop}; the same command then resumes.`,
    )
    last = t
    since = 0
  }
}

/**
 * `--out` could not be written (a full disk, a quota): the run stops there, naming the file. It is
 * not the records' failure: they are not dead letters, and the request being written is not settled.
 */
export class OutWriteError extends SegampError {
  constructor(path: string, error: unknown) {
    super(`--out ${path}: cannot be written: ${writeFailureText(error)}`, {
      code: 'out-write',
      hint: 'Free space there, or give --out a file on another disk, then run the same command again (a dry run writes --out from the start).',
      cause: error,
    })
  }
}

function writeOut(out: OutFile, data: string | Buffer): void {
  try {
    if (typeof data === 'string') writeSync(out.fd, data)
    else writeSync(out.fd, data)
  } catch (error) {
    throw new OutWriteError(out.path, error)
  }
}

function liveSink(s: DeliverySettings, lines: LineOutcomes, counts: ReplayCounts, warn?: (text: string) => void): Sink {
  const events = countDeliveryEvents(counts)
  const notice = warn
    ? retryNotices(warn, {
        unreachableAfterMs: s.delivery?.unreachableAfterMs ?? DEFAULT_UNREACHABLE_AFTER_MS,
        stalledAfterMs: s.delivery?.stalledAfterMs ?? DEFAULT_STALLED_AFTER_MS,
        requestTimeoutMs: s.delivery?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      })
    : undefined
  const delivery: Delivery = createDelivery(
    { ...s.packing, concurrency: s.concurrency, maxEps: s.maxEps, ...s.delivery },
    {
      onAck: (items) => lines.acked(items as LiveItem[]),
      onDeadLetter: (item, d) => lines.dead(item as LiveItem, { ...d, record: item.record.record, options: item.record.options }),
      onRetry: (info) => {
        events.onRetry()
        notice?.(info)
      },
      onThrottle: events.onThrottle,
    },
  )
  let seq = 0
  const skipSync = s.packing.skipUserPropertiesSync === true
  /** Pushes one record; a promise only when it must wait for room (or failed: a fatal answer, an abort). */
  const pushOne = (t: Ticketed<SerializedPlannedRecord>, ref: SourceRef): Promise<void> | undefined => {
    const item = new LiveItem(++seq, ref, t, skipSync)
    let pushed: Promise<void>
    try {
      pushed = delivery.push(item)
    } catch (error) {
      // The record cannot even be serialized (absurd nesting): it is dead-lettered, the run goes on.
      lines.dead(item, { status: null, reason: unprocessable(error), attempts: 0, record: { insert_id: recordOf(t.record).record.insert_id ?? null } })
      return undefined
    }
    return pushed === ROOM ? undefined : pushed
  }
  // Waits for room, then pushes the line's remaining records (waiting again whenever it must).
  const sendRest = async (waiting: Promise<void>, records: Array<Ticketed<SerializedPlannedRecord>>, from: number, ref: SourceRef): Promise<void> => {
    await waiting
    for (let i = from; i < records.length; i++) {
      const next = pushOne(records[i], ref)
      if (next) await next
    }
  }
  return {
    send(records, ref) {
      // Synchronous while there is room: no turn of the microtask queue per record.
      for (let i = 0; i < records.length; i++) {
        const waiting = pushOne(records[i], ref)
        if (waiting) return sendRest(waiting, records, i + 1, ref)
      }
    },
    flush: () => delivery.flush(),
    abort: () => delivery.abort(),
    close: () => delivery.close(),
    stats: () => delivery.stats(),
  }
}

function dryRunSink(s: DeliverySettings, lines: LineOutcomes, counts: ReplayCounts, out: OutFile | undefined): Sink {
  const writer = createDryRunWriter<Ticket>(
    { ...s.packing, redact: !s.outIncludeKeys, limits: s.delivery?.limits, forOut: out !== undefined },
    (req) => {
      counts.requests++
      if (out === undefined) return
      if (typeof req === 'string') writeOut(out, req + '\n')
      else if (Buffer.isBuffer(req)) writeOut(out, req)
      else writeOut(out, jsonLine(req))
    },
    (tickets) => lines.acked(tickets),
  )
  return {
    send(records) {
      for (const t of records) {
        try {
          writer.add(t.record.record, t.record.ser, t)
        } catch (error) {
          if (error instanceof OutWriteError) throw error
          lines.dead(t, { status: null, reason: unprocessable(error), attempts: 0, record: { insert_id: recordOf(t.record).record.insert_id ?? null } })
        }
      }
    },
    async flush() {
      writer.end()
    },
    async abort() {},
    close() {},
    stats: () => writer.stats(),
  }
}
