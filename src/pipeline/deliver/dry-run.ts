/**
 * The --dry-run "delivery": records are packed into requests exactly as a live run packs them
 * (same assembler, limits and batch size) and every request is written out instead of sent.
 *
 * `createDryRunWriter` is the lean form a dry run uses: records are added synchronously with a
 * tag, and each written request hands its records' tags back at once (nothing waits for an
 * answer, so nothing is kept per record once its request is written). `createDryRunDelivery`
 * wraps it in the live engine's interface.
 */
import { displayUrl, RequestAssembler, type AssembleOptions, type AssembledRequest, type SerializedRecord } from './requests.js'
import type { AmplitudeRecord } from '../../types.js'
import type { Delivery, DeliveryCallbacks, DeliveryItem, DeliveryStats } from './delivery.js'

/** A request, or (with `forOut`) its `--out` line ready to write (as bytes: with its newline). */
export type DryRunWrite = (request: { method: string; url: string; headers: Record<string, string>; body: string } | string | Buffer) => void

export interface DryRunWriter<T> {
  /** Packs one record (`rec` may be left out when `ser` is given); writes the requests it completes. */
  add(rec: AmplitudeRecord | undefined, ser: SerializedRecord | undefined, tag: T): void
  /** Writes the partial requests. */
  end(): void
  stats(): DeliveryStats
}

export function createDryRunWriter<T>(opts: AssembleOptions, write: DryRunWrite, onWritten: (tags: T[]) => void): DryRunWriter<T> {
  const assembler = new RequestAssembler(opts)
  const stats: DeliveryStats = {
    pushed: 0,
    acked: 0,
    deadLettered: 0,
    outstanding: 0,
    inFlightRequests: 0,
    parked: 0,
    requests: 0,
    retries: 0,
    throttles: 0,
    bytesSent: 0,
    ingestedMismatches: 0,
  }
  const emit = (requests: AssembledRequest[]): void => {
    for (const req of requests) {
      // The URL never with a proxy's user:password (--out-include-keys keeps only the API key).
      write(req.line ?? { method: req.method, url: displayUrl(req.url), headers: req.headers, body: req.body })
      stats.requests++
      stats.bytesSent += req.bodyBytes ?? req.body.length
      const tags = (req.tags ?? []) as T[]
      stats.acked += tags.length
      stats.outstanding -= tags.length
      onWritten(tags)
    }
  }
  return {
    add(rec, ser, tag) {
      // The assembler takes the record first: one it cannot serialize leaves no trace here.
      const requests = assembler.add(rec, ser, tag)
      stats.pushed++
      stats.outstanding++
      emit(requests)
    },
    end() {
      emit(assembler.end())
    },
    stats: () => ({ ...stats }),
  }
}

export function createDryRunDelivery(opts: AssembleOptions, cb: Pick<DeliveryCallbacks, 'onAck'>, write: DryRunWrite): Delivery {
  const waiting = new Set<DeliveryItem>()
  const writer = createDryRunWriter<DeliveryItem>(opts, write, (items) => {
    for (const item of items) waiting.delete(item)
    cb.onAck(items, 200)
  })
  return {
    async push(item) {
      waiting.add(item)
      try {
        writer.add(item.record, item.ser, item)
      } catch (error) {
        waiting.delete(item)
        throw error
      }
    },
    async flush() {
      writer.end()
    },
    async abort() {},
    close() {},
    stats: writer.stats,
    pendingItems: () => [...waiting],
  }
}
