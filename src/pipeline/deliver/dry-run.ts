/**
 * The --dry-run "delivery": records are packed into requests exactly as a live run packs them
 * (same assembler, limits and batch size) and every request is written out instead of sent.
 * It has the live engine's interface, so the replay engine's bookkeeping is the same for both.
 */
import { displayUrl, RequestAssembler, type AssembleOptions, type AssembledRequest } from './requests.js'
import type { Delivery, DeliveryCallbacks, DeliveryItem, DeliveryStats } from './delivery.js'

export function createDryRunDelivery(
  opts: AssembleOptions,
  cb: Pick<DeliveryCallbacks, 'onAck'>,
  /** A request, or (with `forOut`) its `--out` line ready to write (as bytes: with its newline). */
  write: (request: { method: string; url: string; headers: Record<string, string>; body: string } | string | Buffer) => void,
): Delivery {
  const assembler = new RequestAssembler(opts)
  /** Items by the assembler's running record index. */
  const waiting = new Map<number, DeliveryItem>()
  let index = 0
  const stats: DeliveryStats = { pushed: 0, acked: 0, deadLettered: 0, outstanding: 0, inFlightRequests: 0, parked: 0, requests: 0, retries: 0, throttles: 0, bytesSent: 0, ingestedMismatches: 0 }
  const emit = (requests: AssembledRequest[]): void => {
    for (const req of requests) {
      // The URL never with a proxy's user:password (--out-include-keys keeps only the API key).
      write(req.line ?? { method: req.method, url: displayUrl(req.url), headers: req.headers, body: req.body })
      stats.requests++
      stats.bytesSent += req.bodyBytes ?? req.body.length
      const items: DeliveryItem[] = []
      for (const i of req.indexes) {
        items.push(waiting.get(i)!)
        waiting.delete(i)
      }
      stats.acked += items.length
      stats.outstanding -= items.length
      cb.onAck(items, 200)
    }
  }
  return {
    async push(item) {
      // The assembler takes the record first: one it cannot serialize leaves no trace here.
      waiting.set(index, item)
      let requests: AssembledRequest[]
      try {
        requests = assembler.add(item.record, item.ser)
      } catch (error) {
        waiting.delete(index)
        throw error
      }
      index++
      stats.pushed++
      stats.outstanding++
      emit(requests)
    },
    async flush() {
      emit(assembler.end())
    },
    async abort() {},
    close() {},
    stats: () => ({ ...stats }),
    pendingItems: () => [...waiting.values()],
  }
}
