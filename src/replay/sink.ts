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
import type { SourceRef } from '../types.js'
import { createDelivery, createDryRunWriter, DeliveryAbortedError, FatalDeliveryError, type Delivery, type DeliveryItem, type DeliveryStats } from '../pipeline/deliver/index.js'
import { countDeliveryEvents, jsonLine, type LineOutcomes, type Ticket } from '../pipeline/commit/index.js'
import type { ReplayCounts } from '../pipeline/commit/index.js'
import { recordOf, unprocessable, type PlannedRecord } from '../pipeline/plan.js'
import type { DeliverySettings } from './settings.js'
import { SegampError, writeFailureText } from '../errors.js'

export interface Sink {
  /** Sends a line's records (their tickets settle them later). */
  send(records: Array<{ record: PlannedRecord; ticket: Ticket }>, ref: SourceRef): Promise<void> | void
  /** Sends everything queued and resolves once every record is settled. */
  flush(): Promise<void>
  abort(): Promise<void>
  close(): void
  stats(): DeliveryStats
}

type TicketedItem = DeliveryItem & { ticket: Ticket }

/** The dry run's `--out` being where to write, as the user gave it, with its descriptor. */
export interface OutFile {
  fd: number
  path: string
}

export function openSink(s: DeliverySettings, lines: LineOutcomes, counts: ReplayCounts, out: OutFile | undefined): Sink {
  return s.dryRun ? dryRunSink(s, lines, counts, out) : liveSink(s, lines, counts)
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

function liveSink(s: DeliverySettings, lines: LineOutcomes, counts: ReplayCounts): Sink {
  const events = countDeliveryEvents(counts)
  const delivery: Delivery = createDelivery(
    { ...s.packing, concurrency: s.concurrency, maxEps: s.maxEps, ...s.delivery },
    {
      onAck: (items) => lines.acked((items as TicketedItem[]).map((i) => i.ticket)),
      onDeadLetter: (item, d) => lines.dead((item as TicketedItem).ticket, { ...d, record: item.record.record, options: item.record.options }),
      onRetry: events.onRetry,
      onThrottle: events.onThrottle,
    },
  )
  let seq = 0
  return {
    async send(records, ref) {
      for (const { record: it, ticket } of records) {
        const item: TicketedItem = { seq: ++seq, record: recordOf(it, s.packing.skipUserPropertiesSync), ref, key: it.key, ser: it.ser, ticket }
        try {
          await delivery.push(item)
        } catch (error) {
          if (error instanceof FatalDeliveryError || error instanceof DeliveryAbortedError) throw error
          // The record cannot even be serialized (absurd nesting): it is dead-lettered, the run goes on.
          lines.dead(ticket, { status: null, reason: unprocessable(error), attempts: 0, record: { insert_id: recordOf(it).record.insert_id ?? null } })
        }
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
      for (const { record: it, ticket } of records) {
        try {
          writer.add(it.record, it.ser, ticket)
        } catch (error) {
          if (error instanceof OutWriteError) throw error
          lines.dead(ticket, { status: null, reason: unprocessable(error), attempts: 0, record: { insert_id: recordOf(it).record.insert_id ?? null } })
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
