/**
 * Counts messages whose `messageId` was seen before. Memory stays bounded: ids are kept in two
 * rotating generations, so a duplicate is recognised when its first copy is among the last
 * `window` to `2 × window` distinct ids (Segment's own duplicates sit within ~24 h of each other,
 * i.e. close together in an archive ordered by day).
 */
export class DuplicateCounter {
  private current = new Set<string>()
  private previous = new Set<string>()
  duplicates = 0

  constructor(private readonly window = 200_000) {}

  /** Returns true when `id` was seen before (and counts it). */
  see(id: unknown): boolean {
    if (typeof id !== 'string' || id === '') return false
    if (this.current.has(id) || this.previous.has(id)) {
      this.duplicates++
      return true
    }
    if (this.current.size >= this.window) {
      this.previous = this.current
      this.current = new Set()
    }
    this.current.add(id)
    return false
  }
}
