/**
 * Counts messages whose `messageId` was seen before. Memory stays bounded: ids are kept in two
 * rotating generations, so a duplicate is recognised when its first copy is among the last
 * `window` to `2 × window` distinct ids (Segment's own duplicates sit within ~24 h of each other,
 * i.e. close together in an archive ordered by day).
 *
 * The ids Segment's libraries write (a UUID, `ajs-next-` and 32 hex digits, 32 hex digits) are
 * kept as their 128 bits in typed arrays (17 bytes an id instead of ~80 for a string in a Set);
 * every other id is kept as its text. Both are exact: each of the three shapes maps one to one
 * onto its 128 bits (lowercase hex only), so two ids are equal exactly when their shape and bits are.
 */
export class DuplicateCounter {
  private current = new IdSet()
  private previous = new IdSet()
  duplicates = 0

  constructor(private readonly window = 200_000) {}

  /** Returns true when `id` was seen before (and counts it). */
  see(id: unknown): boolean {
    if (typeof id !== 'string' || id === '') return false
    const shape = pack(id)
    if (this.current.hasPacked(id, shape) || this.previous.hasPacked(id, shape)) {
      this.duplicates++
      return true
    }
    if (this.current.size >= this.window) {
      this.previous = this.current
      this.current = new IdSet()
    }
    this.current.addPacked(id, shape)
    return false
  }
}

const HEX = (() => {
  const t = new Int8Array(128).fill(-1)
  for (let i = 0; i < 16; i++) t['0123456789abcdef'.charCodeAt(i)] = i
  return t
})()
const DASH = 45
const AJS_PREFIX = 'ajs-next-'
/** pack's output: the last packed id's bits. */
const key = new Int32Array(4)

/** The id's shape (1–3) with its 128 bits left in `key`, or 0 when it has none of the three shapes. */
function pack(s: string): number {
  const n = s.length
  let shape: number
  let from: number
  if (n === 36) {
    if (s.charCodeAt(8) !== DASH || s.charCodeAt(13) !== DASH || s.charCodeAt(18) !== DASH || s.charCodeAt(23) !== DASH) return 0
    shape = 1
    from = 0
  } else if (n === 41 && s.startsWith(AJS_PREFIX)) {
    shape = 2
    from = AJS_PREFIX.length
  } else if (n === 32) {
    shape = 3
    from = 0
  } else return 0
  let word = 0
  let digits = 0
  let j = 0
  for (let i = from; i < n; i++) {
    if (shape === 1 && (i === 8 || i === 13 || i === 18 || i === 23)) continue
    const c = s.charCodeAt(i)
    const h = c < 128 ? HEX[c] : -1
    if (h < 0) return 0
    word = (word << 4) | h
    if (++digits === 8) {
      key[j++] = word
      word = 0
      digits = 0
    }
  }
  return shape
}

/** A set of ids: the packable ones as (shape, 128 bits) in an open-addressing table, the rest as strings. */
export class IdSet {
  private cap = 1024
  private count = 0
  /** Four 32-bit words an entry. */
  private words = new Int32Array(this.cap * 4)
  /** The entry's shape (1–3); 0 is an empty slot. */
  private shapes = new Uint8Array(this.cap)
  private readonly others = new Set<string>()

  get size(): number {
    return this.count + this.others.size
  }

  has(id: string): boolean {
    return this.hasPacked(id, pack(id))
  }

  add(id: string): void {
    this.addPacked(id, pack(id))
  }

  /** `has` of an id packed already (`shape` = pack(id), its bits still in `key`). */
  hasPacked(id: string, shape: number): boolean {
    if (shape === 0) return this.others.has(id)
    return this.slot(this.words, this.shapes, this.cap, key, shape) < 0
  }

  addPacked(id: string, shape: number): void {
    if (shape === 0) {
      this.others.add(id)
      return
    }
    const at = this.slot(this.words, this.shapes, this.cap, key, shape)
    if (at < 0) return
    this.words.set(key, at * 4)
    this.shapes[at] = shape
    if (++this.count * 5 > this.cap * 4) this.grow()
  }

  /** The slot holding (shape, key) as `~slot` (negative), or the empty slot where it would go. The hash is of the bits alone: ids of two shapes with the same bits meet in one chain and the shape tells them apart. */
  private slot(words: Int32Array, shapes: Uint8Array, cap: number, key: Int32Array, shape: number): number {
    const mask = cap - 1
    let h = Math.imul(key[0] ^ Math.imul(key[1], 0x9e3779b1) ^ Math.imul(key[2], 0x85ebca6b) ^ Math.imul(key[3], 0xc2b2ae35), 0x27d4eb2d)
    h = (h ^ (h >>> 15)) & mask
    while (shapes[h] !== 0) {
      const w = h * 4
      if (shapes[h] === shape && words[w] === key[0] && words[w + 1] === key[1] && words[w + 2] === key[2] && words[w + 3] === key[3]) return ~h
      h = (h + 1) & mask
    }
    return h
  }

  private grow(): void {
    const oldWords = this.words
    const oldShapes = this.shapes
    const oldCap = this.cap
    this.cap = oldCap * 2
    this.words = new Int32Array(this.cap * 4)
    this.shapes = new Uint8Array(this.cap)
    const moved = new Int32Array(4)
    for (let i = 0; i < oldCap; i++) {
      if (oldShapes[i] === 0) continue
      moved.set(oldWords.subarray(i * 4, i * 4 + 4))
      const at = this.slot(this.words, this.shapes, this.cap, moved, oldShapes[i])
      this.words.set(moved, at * 4)
      this.shapes[at] = oldShapes[i]
    }
  }
}
