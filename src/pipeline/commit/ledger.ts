/**
 * The line ledger: input lines in read order, each waiting for the Amplitude records it produced
 * to be acknowledged or dead-lettered.
 * - A line is *settled* when all its records are: its outcome (counts, dead letters, rejection)
 *   is applied at once, in whatever order lines settle.
 * - A line is *committed* when it and every line before it are settled: the checkpoint position
 *   is the last committed line, and the settled lines after it are listed beside it
 *   (`settledAhead`), so a resumed run neither repeats nor loses any line's outcome.
 */
import type { SourceRef } from '../../types.js'

export interface LineEntry<T> {
  ref: SourceRef
  /** Records not yet acknowledged or dead-lettered. */
  pending: number
  /** What to apply when the line settles (counts, dead letters, a rejection…). */
  data: T
  /** Read order (0, 1, 2, …). */
  n: number
}

export interface LedgerHandlers<T> {
  /** The line's records are all settled (called once per line, in any order). */
  settled(entry: LineEntry<T>): void
  /** The line and every line before it are settled (called in read order). */
  committed(entry: LineEntry<T>): void
}

export class LineLedger<T> {
  private queue: Array<LineEntry<T>> = []
  private head = 0
  private added = 0

  constructor(private readonly on: LedgerHandlers<T>) {}

  /** Adds a line whose record count is known (0 for rejected/filtered/no-match lines). */
  add(ref: SourceRef, pending: number, data: T): LineEntry<T> {
    const entry = { ref, pending, data, n: this.added++ }
    this.queue.push(entry)
    if (pending === 0) {
      this.on.settled(entry)
      this.drain()
    }
    return entry
  }

  /** One record of `entry` is settled. */
  settle(entry: LineEntry<T>): void {
    entry.pending--
    if (entry.pending === 0) {
      this.on.settled(entry)
      this.drain()
    }
  }

  /** Lines read but not yet committed. */
  get open(): number {
    return this.queue.length - this.head
  }

  /** Settled lines after the last committed one, in read order. */
  settledAhead(): SourceRef[] {
    const out: SourceRef[] = []
    const q = this.queue
    for (let i = this.head; i < q.length; i++) if (q[i].pending === 0) out.push(q[i].ref)
    return out
  }

  /**
   * The settled lines after the last committed one as ranges per file (what `toRanges` makes of
   * `settledAhead()`), in one pass without a list of refs: a checkpoint after every response calls it.
   */
  settledAheadRanges(): Array<{ file: string; lines: Array<[number, number]> }> {
    const out: Array<{ file: string; lines: Array<[number, number]> }> = []
    const byFile = new Map<string, Array<[number, number]>>()
    let file: string | undefined
    let lines: Array<[number, number]> | undefined
    const q = this.queue
    for (let i = this.head; i < q.length; i++) {
      const e = q[i]
      if (e.pending !== 0) continue
      const ref = e.ref
      if (ref.file !== file) {
        file = ref.file
        lines = byFile.get(file)
        if (!lines) {
          byFile.set(file, (lines = []))
          out.push({ file, lines })
        }
      }
      const last = lines![lines!.length - 1]
      if (last && ref.line === last[1] + 1) last[1] = ref.line
      else lines!.push([ref.line, ref.line])
    }
    return out
  }

  /** Lines read but not committed, in read order. */
  *openEntries(): Generator<LineEntry<T>> {
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i]
  }

  private drain(): void {
    while (this.head < this.queue.length && this.queue[this.head].pending === 0) {
      const entry = this.queue[this.head]
      this.head++
      this.on.committed(entry)
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}
