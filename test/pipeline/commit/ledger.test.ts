/** The commit stage's line ledger alone: lines settle in any order, commit in read order. */
import { strict as assert } from 'node:assert'
import { LineLedger, type LineEntry } from '../../../src/pipeline/commit/ledger.js'
import type { SourceRef } from '../../../src/types.js'
import { checkpointText } from '../../../src/pipeline/commit/checkpoint.js'

function ledger() {
  const settled: string[] = []
  const committed: string[] = []
  const name = (e: LineEntry<string>) => e.data
  const l = new LineLedger<string>({ settled: (e) => settled.push(name(e)), committed: (e) => committed.push(name(e)) })
  return { l, settled, committed }
}
const ref = (line: number, file = 'a.ndjson'): SourceRef => ({ file, line })
const refs = (list: SourceRef[]) => list.map((r) => `${r.file}:${r.line}`)

describe('LineLedger', () => {
  it('settles lines in the order their records finish; commits them in read order', () => {
    const { l, settled, committed } = ledger()
    const e1 = l.add(ref(1), 2, 'L1')
    const e2 = l.add(ref(2), 1, 'L2')
    const e3 = l.add(ref(3), 1, 'L3')
    assert.deepEqual([settled, committed, l.open], [[], [], 3])
    l.settle(e3)
    l.settle(e1)
    assert.deepEqual([settled, committed], [['L3'], []])
    assert.deepEqual(refs(l.settledAhead()), ['a.ndjson:3'])
    l.settle(e2)
    assert.deepEqual([settled, committed], [['L3', 'L2'], []])
    assert.deepEqual(refs(l.settledAhead()), ['a.ndjson:2', 'a.ndjson:3'])
    // Line 1's second record: it settles, and lines 1–3 commit at once, in order.
    l.settle(e1)
    assert.deepEqual([settled, committed, l.open], [['L3', 'L2', 'L1'], ['L1', 'L2', 'L3'], 0])
    assert.deepEqual(l.settledAhead(), [])
  })

  it('a line without records (rejected, filtered, no match) settles when added, and commits once the lines before it have', () => {
    const { l, settled, committed } = ledger()
    l.add(ref(1), 0, 'rejected')
    assert.deepEqual([settled, committed], [['rejected'], ['rejected']])
    const e2 = l.add(ref(2), 1, 'event')
    l.add(ref(3), 0, 'filtered')
    assert.deepEqual([settled, committed], [['rejected', 'filtered'], ['rejected']])
    assert.deepEqual(refs(l.settledAhead()), ['a.ndjson:3'])
    l.settle(e2)
    assert.deepEqual(committed, ['rejected', 'event', 'filtered'])
  })

  it('settledAhead and openEntries list what is read but not committed, across files, in read order', () => {
    const { l } = ledger()
    const a1 = l.add(ref(1), 1, 'a1')
    const a2 = l.add(ref(2), 1, 'a2')
    const b1 = l.add(ref(1, 'b.ndjson'), 1, 'b1')
    l.add(ref(2, 'b.ndjson'), 1, 'b2')
    l.settle(b1)
    l.settle(a2)
    assert.deepEqual(refs(l.settledAhead()), ['a.ndjson:2', 'b.ndjson:1'])
    assert.deepEqual(
      [...l.openEntries()].map((e) => [e.data, e.pending]),
      [
        ['a1', 1],
        ['a2', 0],
        ['b1', 0],
        ['b2', 1],
      ],
    )
    l.settle(a1)
    assert.deepEqual(l.settledAhead(), [])
    assert.deepEqual(
      [...l.openEntries()].map((e) => e.data),
      ['b2'],
    )
    assert.equal(l.open, 1)
  })

  it('keeps its order over many lines, settled from the last to the first (its queue is compacted as it goes)', () => {
    const { l, settled, committed } = ledger()
    const n = 10_000
    const first = Array.from({ length: n }, (_, i) => l.add(ref(i + 1), 1, String(i + 1)))
    for (let i = n - 1; i > 0; i--) l.settle(first[i])
    assert.equal(committed.length, 0)
    assert.equal(l.settledAhead().length, n - 1)
    l.settle(first[0])
    assert.equal(committed.length, n)
    assert.ok(committed.every((c, i) => c === String(i + 1)))
    assert.equal(settled[0], String(n))
    // After compaction, new lines still commit in order.
    const more = [l.add(ref(n + 1), 1, 'x'), l.add(ref(n + 2), 1, 'y')]
    l.settle(more[1])
    assert.deepEqual(refs(l.settledAhead()), [`a.ndjson:${n + 2}`])
    l.settle(more[0])
    assert.deepEqual(committed.slice(n), ['x', 'y'])
    assert.equal(l.open, 0)
  })

  it('lines still open when the committed ones are dropped from its queue keep their place', () => {
    const { l, committed } = ledger()
    const entries = Array.from({ length: 6000 }, (_, i) => l.add(ref(i + 1), 1, String(i + 1)))
    for (let i = 0; i < 5000; i++) l.settle(entries[i])
    l.settle(entries[5999])
    assert.equal(committed.length, 5000)
    assert.equal(committed[4999], '5000')
    assert.equal(l.open, 1000)
    assert.deepEqual(refs(l.settledAhead()), ['a.ndjson:6000'])
    const open = [...l.openEntries()]
    assert.deepEqual([open[0].data, open.at(-1)!.data, open.length], ['5001', '6000', 1000])
    for (let i = 5000; i < 5999; i++) l.settle(entries[i])
    assert.equal(committed.length, 6000)
    assert.deepEqual(committed.slice(4999, 5002), ['5000', '5001', '5002'])
    assert.equal(committed[5999], '6000')
    assert.equal(l.open, 0)
  })
})

describe('commit: settledAheadRanges', () => {
  it('gives exactly toRanges(settledAhead()), across files and gaps, as lines settle in any order', async () => {
    const { LineLedger } = await import('../../../src/pipeline/commit/ledger.js')
    const { toRanges } = await import('../../../src/pipeline/commit/checkpoint.js')
    const ledger = new LineLedger<null>({ settled: () => undefined, committed: () => undefined })
    const entries = []
    for (const [file, lines] of [
      ['a', [1, 2, 3, 5, 6, 9]],
      ['b', [1, 2, 4]],
      ['a', [10, 11]],
    ] as const) {
      for (const line of lines) entries.push(ledger.add({ file, line }, 1, null))
    }
    // Settle in a scrambled order, comparing after each step (the first line stays open).
    let seed = 7
    const order = entries
      .slice(1)
      .map((e) => ({ e, k: (seed = (seed * 48271) % 2147483647) }))
      .sort((x, y) => x.k - y.k)
    for (const { e } of order) {
      ledger.settle(e)
      assert.deepEqual(ledger.settledAheadRanges(), toRanges(ledger.settledAhead()))
    }
    assert.deepEqual(ledger.settledAheadRanges(), [
      {
        file: 'a',
        lines: [
          [2, 3],
          [5, 6],
          [9, 11],
        ],
      },
      {
        file: 'b',
        lines: [
          [1, 2],
          [4, 4],
        ],
      },
    ])
  })

  // The ranges are kept as lines settle and commit (a checkpoint after every response must not
  // walk every open line): they must always be what the open lines say, whatever the order.
  it('settledAheadRanges always equals the ranges of settledAhead(), for lines settling in any order across files', () => {
    // mulberry32: every bit of the draw varies (an LCG's low bits repeat with a short period).
    let seed = 5
    const rnd = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)
    }
    const reference = (list: SourceRef[]) => {
      const out: Array<{ file: string; lines: Array<[number, number]> }> = []
      for (const r of list) {
        let f = out.find((x) => x.file === r.file)
        if (!f) out.push((f = { file: r.file, lines: [] }))
        const last = f.lines[f.lines.length - 1]
        if (last && r.line === last[1] + 1) last[1] = r.line
        else f.lines.push([r.line, r.line])
      }
      return out
    }
    // The last round is long: its files hold thousands of ranges, so the lists compact as they commit.
    for (let round = 0; round < 9; round++) {
      const l = new LineLedger<null>({ settled: () => undefined, committed: () => undefined })
      const open: Array<LineEntry<null>> = []
      let file = 0
      let line = 0
      for (let step = 0; step < (round === 8 ? 40_000 : 3000); step++) {
        if (rnd(4) > 0 || open.length === 0) {
          // A line read: a new file now and then, lines skipped (blank) now and then, 0–2 records.
          if (rnd(round === 8 ? 20_000 : 200) === 0) {
            file++
            line = 0
          }
          line += rnd(10) === 0 ? 2 : 1
          const e = l.add(ref(line, `f${file}`), rnd(3), null)
          if (e.pending > 0) open.push(e)
        } else {
          const i = rnd(open.length)
          const e = open[i]
          l.settle(e)
          if (e.pending === 0) open.splice(i, 1)
        }
        if (step % 37 === 0) {
          assert.deepEqual(l.settledAheadRanges(), reference(l.settledAhead()), `round ${round} step ${step}`)
          // What a checkpoint writes from the ledger's flat lists is the text of those ranges.
          assert.equal(checkpointText({ ahead: l.settledAheadJson() }), checkpointText({ ahead: reference(l.settledAhead()) }), `round ${round} step ${step}`)
          assert.equal(checkpointText({ ahead: l.settledAheadJson() }), `{\n  "ahead": ${JSON.stringify(reference(l.settledAhead()))}\n}\n`)
        }
      }
      while (open.length > 0) {
        const e = open.splice(rnd(open.length), 1)[0]
        while (e.pending > 0) l.settle(e)
        if (open.length % 97 === 0) {
          assert.deepEqual(l.settledAheadRanges(), reference(l.settledAhead()))
          assert.equal(checkpointText({ ahead: l.settledAheadJson() }), checkpointText({ ahead: reference(l.settledAhead()) }))
        }
      }
      assert.deepEqual(l.settledAheadRanges(), [])
    }
  })

  it('the settled-ahead text holds line numbers of any length, one digit to eleven', () => {
    const { l } = ledger()
    l.add(ref(1), 1, 'head')
    const lines = [9, 10, 11, 99, 100, 12345, 99999999, 100000000, 4294967296, 12345678901]
    for (const n of lines) l.add(ref(n), 0, String(n))
    const expected = [
      [9, 11],
      [99, 100],
      [12345, 12345],
      [99999999, 100000000],
      [4294967296, 4294967296],
      [12345678901, 12345678901],
    ]
    assert.equal(l.settledAheadJson()[0]!.lines.text, JSON.stringify(expected))
  })
})
