/** The route stage's duplicate counter alone: counted, never dropped, with bounded memory. */
import { strict as assert } from 'node:assert'
import { DuplicateCounter, IdSet } from '../../../src/pipeline/route/duplicates.js'

describe('DuplicateCounter', () => {
  it('a messageId seen before is a duplicate, every time it comes again', () => {
    const d = new DuplicateCounter()
    assert.deepEqual(
      ['a', 'b', 'a', 'c', 'a', 'b'].map((id) => d.see(id)),
      [false, false, true, false, true, true],
    )
    assert.equal(d.duplicates, 3)
  })

  it('a message without a usable messageId is never a duplicate', () => {
    const d = new DuplicateCounter()
    assert.deepEqual(
      [undefined, undefined, '', '', 7, 7, null, null].map((id) => d.see(id)),
      [false, false, false, false, false, false, false, false],
    )
    assert.equal(d.duplicates, 0)
  })

  it('remembers between window and 2 × window distinct ids, then forgets the oldest generation', () => {
    const d = new DuplicateCounter(3)
    for (const id of ['1', '2', '3']) assert.equal(d.see(id), false)
    // '4' starts a new generation; 1–3 are still remembered in the previous one.
    assert.equal(d.see('4'), false)
    assert.equal(d.see('1'), true)
    for (const id of ['5', '6']) assert.equal(d.see(id), false)
    // '7' rotates again: 1–3 are forgotten, 4–6 remembered.
    assert.equal(d.see('7'), false)
    assert.equal(d.see('2'), false)
    assert.equal(d.see('4'), true)
    assert.equal(d.duplicates, 2)
  })

  // Ids of Segment's shapes are kept as bits, the rest as text: the verdicts must be those of plain
  // string sets, for ids that differ from a packable one by one character (case, a dash, a prefix).
  it('gives the verdicts of a plain Set of strings, for ids of every shape and near misses, across growth and rotation', () => {
    // mulberry32: every bit of the draw varies (an LCG's low bits repeat with a short period).
    let seed = 11
    const rnd = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)
    }
    const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[rnd(16)]).join('')
    const uuid = (): string => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`
    const variants = (id: string): string[] => {
      const i = rnd(id.length)
      return [id, id.toUpperCase(), id.slice(0, i) + 'g' + id.slice(i + 1), id.slice(0, i) + '-' + id.slice(i + 1), id.replace(/-/g, ''), `ajs-next-${id}`, `${id}é`, id.slice(1)]
    }
    const pool: string[] = []
    for (let k = 0; k < 3000; k++) {
      const kind = rnd(4)
      const base = kind === 0 ? uuid() : kind === 1 ? `ajs-next-${hex(32)}` : kind === 2 ? hex(32) : `msg-${rnd(100000)}`
      pool.push(...variants(base))
    }
    const window = 2500
    const d = new DuplicateCounter(window)
    // The reference: the same two generations as plain Sets of strings.
    let current = new Set<string>()
    let previous = new Set<string>()
    let expected = 0
    for (let k = 0; k < 60000; k++) {
      const id = pool[rnd(pool.length)]
      const dup = current.has(id) || previous.has(id)
      if (dup) expected++
      else {
        if (current.size >= window) {
          previous = current
          current = new Set()
        }
        current.add(id)
      }
      assert.equal(d.see(id), dup, `${k}: ${id}`)
    }
    assert.equal(d.duplicates, expected)
    assert.ok(expected > 1000, `enough duplicates to mean something (${expected})`)
  })

  it('an IdSet holds what was added, whatever its shape, and nothing else', () => {
    const s = new IdSet()
    const ids = ['0f8fad5b-d9cb-469f-a165-70867728950e', 'ajs-next-0f8fad5bd9cb469fa16570867728950e', '0f8fad5bd9cb469fa16570867728950e', 'x']
    for (const id of ids) s.add(id)
    for (const id of ids) assert.equal(s.has(id), true, id)
    for (const id of [
      '0F8FAD5B-D9CB-469F-A165-70867728950E',
      'ajs-next-0f8fad5b-d9cb-469f-a165-70867728950e',
      '0f8fad5bd9cb469fa16570867728950f',
      'ajs-prev-0f8fad5bd9cb469fa16570867728950e',
      'X',
    ])
      assert.equal(s.has(id), false, id)
    assert.equal(s.size, 4)
    for (let i = 0; i < 5000; i++) s.add(`${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`)
    assert.equal(s.size, 5004)
    for (let i = 0; i < 5000; i += 499) assert.equal(s.has(`${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`), true)
    assert.equal(s.has('00001389-0000-4000-8000-000000000000'), false)
  })
})
