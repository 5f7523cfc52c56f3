/**
 * Sliding-window counters keyed by an id: how many units each key recorded within the
 * last `windowMs` milliseconds. Buckets are pruned lazily; counts are O(pruned buckets).
 */
interface Series {
  times: number[]
  counts: number[]
  head: number
  sum: number
}

export class WindowCounter {
  private readonly series = new Map<string, Series>()

  constructor(private readonly windowMs: number) {}

  /** Units recorded for `key` within the window ending at `now` (exclusive of older buckets). */
  count(key: string, now: number): number {
    const s = this.series.get(key)
    if (!s) return 0
    const cutoff = now - this.windowMs
    while (s.head < s.times.length && s.times[s.head]! <= cutoff) {
      s.sum -= s.counts[s.head]!
      s.head++
    }
    if (s.head === s.times.length) {
      this.series.delete(key)
      return 0
    }
    if (s.head > 1024 && s.head * 2 > s.times.length) {
      s.times = s.times.slice(s.head)
      s.counts = s.counts.slice(s.head)
      s.head = 0
    }
    return s.sum
  }

  add(key: string, n: number, now: number): void {
    if (n <= 0) return
    let s = this.series.get(key)
    if (!s) {
      s = { times: [], counts: [], head: 0, sum: 0 }
      this.series.set(key, s)
    }
    const last = s.times.length - 1
    if (last >= s.head && s.times[last] === now) s.counts[last]! += n
    else {
      s.times.push(now)
      s.counts.push(n)
    }
    s.sum += n
  }
}
