/**
 * `lineBlocks` + `blockLines` (what `--workers` decodes on other threads) against the line splitter
 * the single-thread path uses, `splitLines(decodedChunks(…))`: the same numbered lines for any
 * bytes and any chunking (CRLF, a BOM, multi-byte UTF-8 cut by a chunk boundary, 1-byte chunks, no
 * final newline). And a line over the cap: reported by line number and byte length, its text never
 * in a block, the lines after it numbered as before. Deterministic: fast-check with a fixed seed.
 */
import { strict as assert } from 'node:assert'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { blockLines, decodedChunks, lineBlocks, splitLines, type LineBlock } from '../../../src/pipeline/decode/lines.js'

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** The single-thread path's lines (blank ones included). */
async function referenceLines(chunks: Buffer[]): Promise<Array<{ line: number; text: string }>> {
  const out: Array<{ line: number; text: string }> = []
  for await (const l of splitLines(decodedChunks(Readable.from(chunks)))) {
    assert.equal(l.tooLong, undefined)
    out.push({ line: l.line, text: l.text })
  }
  return out
}

/** The blocks, checked for their shape: contiguous numbering, whole lines, `count` right. */
async function blocksOf(chunks: Buffer[], max?: number): Promise<LineBlock[]> {
  const blocks = await all(lineBlocks(from(chunks), max))
  let next = 1
  blocks.forEach((b, i) => {
    if (b.tooLong !== undefined) {
      assert.equal(b.tooLong.line, next, `tooLong at item ${i} has the next line number`)
      next++
      return
    }
    assert.equal(b.firstLine, next, `block ${i} starts where the one before ended`)
    assert.ok(b.count > 0 && b.bytes.length > 0, `block ${i} is not empty`)
    const newlines = b.bytes.filter((x) => x === 10).length
    const last = i === blocks.length - 1
    // Whole lines: every block ends at a newline, except a file's unterminated last line.
    if (!last || b.bytes[b.bytes.length - 1] === 10) assert.equal(b.bytes[b.bytes.length - 1], 10, `block ${i} ends at a newline`)
    assert.equal(b.count, b.bytes[b.bytes.length - 1] === 10 ? newlines : newlines + 1, `block ${i} counts its lines`)
    // `owned` (its memory may move to a worker thread): a buffer of its own, no chunk's memory.
    if (b.owned) {
      assert.ok(b.bytes.byteOffset === 0 && b.bytes.byteLength === b.bytes.buffer.byteLength, `block ${i} owns its whole buffer`)
      assert.ok(!chunks.some((c) => c.buffer === b.bytes.buffer), `block ${i} shares no chunk's memory`)
    }
    next += b.count
  })
  return blocks
}

function decodeBlocks(blocks: LineBlock[], keepBlank: boolean): Array<{ line: number; text: string }> {
  return blocks.flatMap((b, i) => (b.tooLong !== undefined ? [] : blockLines(b.bytes, b.firstLine, i === 0, keepBlank)))
}

/** Cuts `bytes` at the given offsets (sorted, duplicates give empty chunks). */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = offsets.map((o) => o % (bytes.length + 1)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let at = 0
  for (const p of points) {
    out.push(bytes.subarray(at, p))
    at = p
  }
  out.push(bytes.subarray(at))
  return out
}

const oneByteChunks = (bytes: Buffer): Buffer[] => Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))

/** Pieces lines are made of: ASCII, JSON-ish text, whitespace, a stray CR, 2-, 3- and 4-byte UTF-8, a BOM mid-file. */
const piece = fc.constantFrom('a', 'Z', '{"k":1}', ' ', '\t', '\r', 'é', '€', '😀', '\u2028', '\ufeff', 'xyzxyzxyz')
const lineText = fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 4, arbitrary: fc.array(piece, { maxLength: 12 }).map((p) => p.join('')) })
const file = fc.record({
  bom: fc.boolean(),
  lines: fc.array(fc.record({ text: lineText, crlf: fc.boolean() }), { maxLength: 30 }),
  finalNewline: fc.boolean(),
})
type File = typeof file extends fc.Arbitrary<infer T> ? T : never

function render(f: File): Buffer {
  const parts = f.lines.map((l, i) => l.text + (i < f.lines.length - 1 || f.finalNewline ? (l.crlf ? '\r\n' : '\n') : ''))
  return Buffer.from((f.bom ? '\ufeff' : '') + parts.join(''))
}

describe('decode: lineBlocks + blockLines', () => {
  it('give the same numbered lines as splitLines(decodedChunks(…)) for any bytes cut anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), async (f, offsets, bytewise) => {
        const bytes = render(f)
        const chunks = bytewise ? oneByteChunks(bytes) : cut(bytes, offsets)
        const reference = await referenceLines(chunks)
        const blocks = await blocksOf(chunks)
        assert.deepEqual(decodeBlocks(blocks, true), reference, 'every line, blank ones kept')
        assert.deepEqual(
          decodeBlocks(blocks, false),
          reference.filter((l) => l.text.trim() !== ''),
          'blank lines dropped',
        )
      }),
      { numRuns: 400, seed: 1207 },
    )
  })

  it('a few fixed cases: a UTF-8 character and a CRLF cut by chunk boundaries, a BOM split over 1-byte chunks, no final newline', async () => {
    const text = Buffer.from('\ufeff{"a":"é€😀"}\r\n\r\n  \n{"b":2}')
    for (const chunks of [[text], oneByteChunks(text), cut(text, [5, 9, 10, 11, 16, 17])]) {
      const blocks = await blocksOf(chunks)
      assert.deepEqual(decodeBlocks(blocks, false), [
        { line: 1, text: '{"a":"é€😀"}' },
        { line: 4, text: '{"b":2}' },
      ])
      assert.deepEqual(decodeBlocks(blocks, true), await referenceLines(chunks))
    }
    assert.deepEqual(await all(lineBlocks(from([]))), [])
    assert.deepEqual(await all(lineBlocks(from([Buffer.alloc(0), Buffer.alloc(0)]))), [])
    // Only a BOM: no line, as splitLines says (a reader's end-of-file line count depends on it).
    assert.deepEqual(await all(lineBlocks(from([Buffer.from('\ufeff')]))), [])
    assert.deepEqual(await referenceLines([Buffer.from('\ufeff')]), [])
  })

  /** Lines as bytes (no BOM handling here: the BOM's 3 bytes count towards line 1's length). */
  function expectedWithCap(bytes: Buffer, max: number): { tooLong: Array<{ line: number; bytes: number }>; kept: Array<{ line: number; text: string }> } {
    const raw: Buffer[] = []
    let at = 0
    for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, at)) {
      raw.push(bytes.subarray(at, nl))
      at = nl + 1
    }
    // A file that is only a BOM has no line at all (with a cap under its 3 bytes, it is one too long).
    if (at < bytes.length && !(at === 0 && max >= 3 && bytes.toString('utf8') === '\ufeff')) raw.push(bytes.subarray(at))
    const tooLong: Array<{ line: number; bytes: number }> = []
    const kept: Array<{ line: number; text: string }> = []
    raw.forEach((b, i) => {
      if (b.length > max) tooLong.push({ line: i + 1, bytes: b.length })
      else {
        let text = b.toString('utf8')
        if (i === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
        if (text.endsWith('\r')) text = text.slice(0, -1)
        kept.push({ line: i + 1, text })
      }
    })
    return { tooLong, kept }
  }

  it('lines over the cap: tooLong with line number and byte length, never their text; later lines keep their numbers', async () => {
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom('cut', 'bytes', 'whole'),
        async (f, max, offsets, chunking) => {
          const bytes = render(f)
          const chunks = chunking === 'bytes' ? oneByteChunks(bytes) : chunking === 'whole' ? [bytes] : cut(bytes, offsets)
          const blocks = await blocksOf(chunks, max)
          const expected = expectedWithCap(bytes, max)
          assert.deepEqual(
            blocks.flatMap((b) => (b.tooLong !== undefined ? [b.tooLong] : [])),
            expected.tooLong,
          )
          assert.deepEqual(decodeBlocks(blocks, true), expected.kept)
          // No block holds a line longer than the cap.
          for (const b of blocks) {
            if (b.tooLong !== undefined) continue
            for (const l of b.bytes.toString('latin1').split('\n')) assert.ok(l.length <= max, `a block holds a ${l.length}-byte line (cap ${max})`)
          }
        },
      ),
      { numRuns: 400, seed: 4242 },
    )
  })

  it('a block put together across chunks (large enough not to come from the shared pool) is owned; views into a chunk are not', async () => {
    // Lines longer than Node's shared pool (a Buffer under half of it, 4 KiB on Node 20 and
    // 32 KiB on Node 26, would be a slice of the pool).
    const size = Buffer.poolSize
    const line = (c: string): string => `{"x":"${c.repeat(size)}"}\n`
    const text = Buffer.from(line('a') + line('b') + line('c') + line('d') + line('e').slice(0, -1))
    // Chunks cut inside the second and fourth lines: line 1 is a view into the first chunk; lines
    // 2–3 and line 4 are copies (carried part + head), so is the unterminated last line.
    const n = line('a').length
    const blocks = await blocksOf(cut(text, [n + 2000, 3 * n + 2000]))
    assert.deepEqual(
      blocks.map((b) => (b.tooLong === undefined ? [b.firstLine, b.count, b.owned === true] : [])),
      [
        [1, 1, false],
        [2, 2, true],
        [4, 1, true],
        [5, 1, true],
      ],
    )
  })

  it('a long line in the middle of one big chunk, and one at the end with no newline, are reported, not yielded', async () => {
    const text = Buffer.from(`ok1\n${'x'.repeat(50)}\nok3\nok4\n${'y'.repeat(30)}`)
    for (const chunks of [[text], cut(text, [2]), oneByteChunks(text)]) {
      const blocks = await blocksOf(chunks, 10)
      assert.deepEqual(
        blocks.flatMap((b) => (b.tooLong !== undefined ? [b.tooLong] : [])),
        [
          { line: 2, bytes: 50 },
          { line: 5, bytes: 30 },
        ],
      )
      assert.deepEqual(decodeBlocks(blocks, false), [
        { line: 1, text: 'ok1' },
        { line: 3, text: 'ok3' },
        { line: 4, text: 'ok4' },
      ])
    }
  })
})
