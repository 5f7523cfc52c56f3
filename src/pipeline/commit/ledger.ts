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
  /** Settled, not yet committed lines, by file. */
  private readonly ahead = new Map<string, LineRanges>()

  constructor(private readonly on: LedgerHandlers<T>) {}

  /** Adds a line whose record count is known (0 for rejected/filtered/no-match lines). */
  add(ref: SourceRef, pending: number, data: T): LineEntry<T> {
    const entry = { ref, pending, data, n: this.added++ }
    this.queue.push(entry)
    if (pending === 0) this.settled(entry)
    return entry
  }

  /** One record of `entry` is settled. */
  settle(entry: LineEntry<T>): void {
    entry.pending--
    if (entry.pending === 0) this.settled(entry)
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
   * `settledAhead()`), in read order of the files. Kept up to date as lines settle and commit, so
   * a checkpoint after every response costs the number of ranges, not the number of open lines.
   * The pairs are the ledger's own: read them before the next line settles or commits.
   */
  settledAheadRanges(): Array<{ file: string; lines: Array<[number, number]> }> {
    return [...this.ahead].sort((a, b) => a[1].firstN - b[1].firstN).map(([file, set]) => ({ file, lines: set.ranges() }))
  }

  /** Lines read but not committed, in read order. */
  *openEntries(): Generator<LineEntry<T>> {
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i]
  }

  private settled(entry: LineEntry<T>): void {
    this.on.settled(entry)
    if (entry.n !== this.queue[this.head]?.n) {
      // Settled ahead of the first open line: listed until it commits.
      const file = entry.ref.file
      let set = this.ahead.get(file)
      if (set === undefined) this.ahead.set(file, (set = new LineRanges(entry.n)))
      set.add(entry.ref.line)
    }
    this.drain()
  }

  private drain(): void {
    let first = true
    while (this.head < this.queue.length && this.queue[this.head].pending === 0) {
      const entry = this.queue[this.head]
      this.head++
      // The line that just settled at the head was never listed; the ones after it were.
      if (!first) {
        const set = this.ahead.get(entry.ref.file)!
        set.removeFirst(entry.ref.line)
        if (set.empty) this.ahead.delete(entry.ref.file)
      }
      first = false
      this.on.committed(entry)
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}

/**
 * A file's settled-ahead lines as sorted, disjoint ranges of consecutive line numbers: lines are
 * added in any order (merged with their neighbours) and leave in order, smallest first, as they commit.
 */
class LineRanges {
  private readonly list: Array<[number, number]> = []
  /** Index of the first range still held (the ones before it were committed). */
  private lo = 0

  /** `firstN`: the read-order number of the first line listed (orders the files). */
  constructor(readonly firstN: number) {}

  get empty(): boolean {
    return this.lo >= this.list.length
  }

  add(line: number): void {
    const list = this.list
    // The first range starting after `line`.
    let a = this.lo
    let b = list.length
    while (a < b) {
      const mid = (a + b) >>> 1
      if (list[mid][0] > line) b = mid
      else a = mid + 1
    }
    const prev = a > this.lo ? list[a - 1] : undefined
    if (prev !== undefined && prev[1] >= line) return
    const next = a < list.length ? list[a] : undefined
    const joinsPrev = prev !== undefined && prev[1] === line - 1
    const joinsNext = next !== undefined && next[0] === line + 1
    if (joinsPrev && joinsNext) {
      prev[1] = next[1]
      list.splice(a, 1)
    } else if (joinsPrev) prev[1] = line
    else if (joinsNext) next[0] = line
    else list.splice(a, 0, [line, line])
  }

  /** Removes `line`, the smallest line held (the next to commit). */
  removeFirst(line: number): void {
    const r = this.list[this.lo]
    if (r === undefined || r[0] !== line) throw new Error(`ledger: line ${line} commits out of order`)
    if (r[0] === r[1]) this.lo++
    else r[0]++
    if (this.lo > 1024 && this.lo * 2 > this.list.length) {
      this.list.splice(0, this.lo)
      this.lo = 0
    }
  }

  /**
   * The ranges held, as a new list of the live pairs: read them at once, never change them (a
   * checkpoint serializes them as it is made; copying every pair on every checkpoint was most of
   * what the checkpoint cost the ledger).
   */
  ranges(): Array<[number, number]> {
    return this.list.slice(this.lo)
  }
}
