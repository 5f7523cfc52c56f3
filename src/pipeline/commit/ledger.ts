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
import { LinesJson } from './checkpoint.js'

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
   */
  settledAheadRanges(): Array<{ file: string; lines: Array<[number, number]> }> {
    return this.aheadInOrder().map(([file, set]) => ({ file, lines: set.ranges() }))
  }

  /** `settledAheadRanges()` with each file's lines as their JSON text already (what a checkpoint writes). */
  settledAheadJson(): Array<{ file: string; lines: LinesJson }> {
    return this.aheadInOrder().map(([file, set]) => ({ file, lines: new LinesJson(set.json()) }))
  }

  private aheadInOrder(): Array<[string, LineRanges]> {
    return [...this.ahead].sort((a, b) => a[1].firstN - b[1].firstN)
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
  /**
   * The ranges as flat pairs `[from0, to0, from1, to1, …]` in one packed array of small integers:
   * a checkpoint after every response walks all of them, and one array is far quicker to walk and
   * to write out than thousands of two-element arrays scattered over the heap.
   */
  private readonly flat: number[] = []
  /** Index (in `flat`) of the first range still held (the ones before it were committed). */
  private lo = 0
  /** `json()` as last made, until a line is added or removed (a file no response touched is not written again). */
  private text: string | undefined

  /** `firstN`: the read-order number of the first line listed (orders the files). */
  constructor(readonly firstN: number) {}

  get empty(): boolean {
    return this.lo >= this.flat.length
  }

  add(line: number): void {
    this.text = undefined
    const f = this.flat
    // The first range starting after `line` (a: its index in pairs from the start of `flat`).
    let a = this.lo >>> 1
    let b = f.length >>> 1
    while (a < b) {
      const mid = (a + b) >>> 1
      if (f[2 * mid] > line) b = mid
      else a = mid + 1
    }
    const at = 2 * a
    const hasPrev = at > this.lo
    if (hasPrev && f[at - 1] >= line) return
    const joinsPrev = hasPrev && f[at - 1] === line - 1
    const joinsNext = at < f.length && f[at] === line + 1
    if (joinsPrev && joinsNext) {
      f[at - 1] = f[at + 1]
      f.splice(at, 2)
    } else if (joinsPrev) f[at - 1] = line
    else if (joinsNext) f[at] = line
    else f.splice(at, 0, line, line)
  }

  /** Removes `line`, the smallest line held (the next to commit). */
  removeFirst(line: number): void {
    this.text = undefined
    const f = this.flat
    if (this.lo >= f.length || f[this.lo] !== line) throw new Error(`ledger: line ${line} commits out of order`)
    if (f[this.lo] === f[this.lo + 1]) this.lo += 2
    else f[this.lo]++
    if (this.lo > 2048 && this.lo > f.length - this.lo) {
      f.splice(0, this.lo)
      this.lo = 0
    }
  }

  /** The ranges held, as new pairs. */
  ranges(): Array<[number, number]> {
    const f = this.flat
    const out: Array<[number, number]> = []
    for (let i = this.lo; i < f.length; i += 2) out.push([f[i], f[i + 1]])
    return out
  }

  /**
   * The ranges as the JSON text of `ranges()` (`[[from,to],…]`), written straight from the flat
   * list as ASCII bytes into a scratch buffer, then taken as one flat string: a live run writes
   * thousands of ranges after every response, and building them as small strings cost 2.5× more.
   */
  json(): string {
    if (this.text !== undefined) return this.text
    const f = this.flat
    // Ranges are sorted: the last number is the longest.
    const need = ((f.length - this.lo) / 2) * (4 + 2 * String(f[f.length - 1] ?? 0).length) + 2
    if (scratch.length < need) scratch = Buffer.allocUnsafe(need * 2)
    const b = scratch
    let p = 0
    b[p++] = 0x5b // [
    for (let i = this.lo; i < f.length; i += 2) {
      if (i !== this.lo) b[p++] = 0x2c // ,
      b[p++] = 0x5b
      p = writeDigits(b, p, f[i])
      b[p++] = 0x2c
      p = writeDigits(b, p, f[i + 1])
      b[p++] = 0x5d // ]
    }
    b[p++] = 0x5d
    return (this.text = b.toString('latin1', 0, p))
  }
}

/** Shared by every `LineRanges.json()` (each copies its text out before returning). */
let scratch = Buffer.allocUnsafe(1 << 16)

/** Writes a line number (a positive integer) in decimal at `p`; returns the end. */
function writeDigits(b: Buffer, p: number, n: number): number {
  let len = 1
  for (let t = n; t >= 10; t = Math.floor(t / 10)) len++
  const end = p + len
  for (let t = n, q = end; q > p; t = Math.floor(t / 10)) b[--q] = 0x30 + (t % 10)
  return end
}
