/** Bytes → text chunks (gzip by its magic bytes) → numbered lines: `decodedChunks` and `splitLines` alone. */
import { strict as assert } from 'node:assert'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { decodedChunks, MAX_LINE_CHARS, splitLines, type Line } from '../../src/decode/lines.js'

async function lines(chunks: string[], maxLineChars?: number): Promise<Line[]> {
  const out: Line[] = []
  for await (const l of splitLines(Readable.from(chunks, { objectMode: true }), { maxLineChars })) out.push(l)
  return out
}

async function decode(buffers: Buffer[]): Promise<{ text: string; bytes: number[] }> {
  const bytes: number[] = []
  let text = ''
  for await (const chunk of decodedChunks(Readable.from(buffers), { onBytes: (n) => bytes.push(n) })) text += chunk
  return { text, bytes }
}

describe('splitLines', () => {
  it('splitLines joins a line spread over many chunks exactly, CR and BOM handled', async () => {
    async function* chunks(): AsyncGenerator<string> {
      yield '\ufeff{"a":'
      for (let i = 0; i < 1000; i++) yield '1'
      yield '}\r'
      yield '\n\nlast\r\n'
    }
    const lines: Array<{ line: number; text: string }> = []
    for await (const l of splitLines(chunks())) lines.push(l)
    assert.deepEqual(lines, [{ line: 1, text: `{"a":${'1'.repeat(1000)}}` }, { line: 2, text: '' }, { line: 3, text: 'last' }])
    const capped: unknown[] = []
    for await (const l of splitLines(chunks(), { maxLineChars: 100 })) capped.push(l)
    assert.deepEqual(capped[0], { line: 1, text: '', tooLong: 1007 })
  })
})
