/**
 * The line ledger: input lines in read order, each waiting for the Amplitude records it produced
 * to be acknowledged or dead-lettered. A line is *committed* only when it and every line before
 * it are settled; the checkpoint position is the last committed line. Dead letters, rejected
 * lines and counts are applied at commit, so a resumed run neither loses nor repeats them.
 */
import type { SourceRef } from '../types.js'

export interface LineEntry<T> {
  ref: SourceRef
  /** Records not yet acknowledged or dead-lettered. */
  pending: number
  /** What to apply when the line commits (counts, dead letters, a rejection…). */
  data: T
}

export class LineLedger<T> {
  private queue: Array<LineEntry<T>> = []
  private head = 0

  constructor(private readonly onCommit: (entry: LineEntry<T>) => void) {}

  /** Adds a line whose record count is known (0 for rejected/filtered/no-match lines). */
  add(ref: SourceRef, pending: number, data: T): LineEntry<T> {
    const entry = { ref, pending, data }
    this.queue.push(entry)
    if (pending === 0) this.drain()
    return entry
  }

  /** One record of `entry` is settled. */
  settle(entry: LineEntry<T>): void {
    entry.pending--
    if (entry.pending === 0) this.drain()
  }

  /** Lines read but not yet committed. */
  get open(): number {
    return this.queue.length - this.head
  }

  private drain(): void {
    while (this.head < this.queue.length && this.queue[this.head].pending === 0) {
      const entry = this.queue[this.head]
      this.head++
      this.onCommit(entry)
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}
