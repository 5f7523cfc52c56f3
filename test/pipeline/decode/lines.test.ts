/** Bytes → text chunks (gzip by its magic bytes) → numbered lines: `decodedChunks` and `splitLines` alone. */
import { strict as assert } from 'node:assert'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { decodedChunks, MAX_LINE_CHARS, splitLines, type Line } from '../../../src/pipeline/decode/lines.js'

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
    assert.deepEqual(lines, [
      { line: 1, text: `{"a":${'1'.repeat(1000)}}` },
      { line: 2, text: '' },
      { line: 3, text: 'last' },
    ])
    const capped: unknown[] = []
    for await (const l of splitLines(chunks(), { maxLineChars: 100 })) capped.push(l)
    assert.deepEqual(capped[0], { line: 1, text: '', tooLong: 1007 })
  })

  it('numbers every line, blank ones too, and keeps a last line without a newline', async () => {
    assert.deepEqual(await lines(['a\n\n', 'b\nc']), [
      { line: 1, text: 'a' },
      { line: 2, text: '' },
      { line: 3, text: 'b' },
      { line: 4, text: 'c' },
    ])
    assert.deepEqual(await lines([]), [])
    assert.deepEqual(await lines(['', '']), [])
    assert.deepEqual(await lines(['\n']), [{ line: 1, text: '' }])
  })

  it('strips one trailing CR and only the BOM that starts the input', async () => {
    assert.deepEqual(await lines(['x\r\r\n', 'in\rside\n', '\ufeffsecond-bom\n']), [
      { line: 1, text: 'x\r' },
      { line: 2, text: 'in\rside' },
      { line: 3, text: '\ufeffsecond-bom' },
    ])
    // A BOM arriving in a first chunk after empty ones is still the start of the input.
    assert.deepEqual(await lines(['', '\ufeffa\n']), [{ line: 1, text: 'a' }])
  })

  it('a line of exactly the cap is kept; one character more is tooLong, with its length and no text', async () => {
    assert.deepEqual(await lines(['12345\n123456\n', '12', '34', '567\nok'], 5), [
      { line: 1, text: '12345' },
      { line: 2, text: '', tooLong: 6 },
      { line: 3, text: '', tooLong: 7 },
      { line: 4, text: 'ok' },
    ])
    // A last line over the cap, without a newline.
    assert.deepEqual(await lines(['abcdefg'], 5), [{ line: 1, text: '', tooLong: 7 }])
    assert.equal(MAX_LINE_CHARS, 4_194_304)
  })
})

describe('decodedChunks', () => {
  const text = '{"type":"track","event":"Caf\u00e9"}\n{"type":"page"}\n'

  it('passes plain bytes through, decoding a UTF-8 character split across chunks, counting every byte', async () => {
    const raw = Buffer.from(text)
    const cut = raw.indexOf(0xc3) + 1
    const got = await decode([raw.subarray(0, cut), raw.subarray(cut)])
    assert.equal(got.text, text)
    assert.deepEqual(got.bytes, [cut, raw.length - cut])
  })

  it('gunzips by magic bytes, even when they arrive one per chunk, and counts compressed bytes', async () => {
    const gz = gzipSync(text)
    const got = await decode([gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2)])
    assert.equal(got.text, text)
    assert.equal(
      got.bytes.reduce((a, b) => a + b, 0),
      gz.length,
    )
  })

  it('reads every member of a multi-member gzip stream', async () => {
    const got = await decode([Buffer.concat([gzipSync('a\n'), gzipSync('b\n'), gzipSync('c')])])
    assert.equal(got.text, 'a\nb\nc')
  })

  it('an empty stream is no text; a single byte is plain text', async () => {
    assert.deepEqual(await decode([]), { text: '', bytes: [] })
    assert.deepEqual(await decode([Buffer.from([0x1f])]), { text: '\u001f', bytes: [1] })
  })

  it('a truncated gzip stream fails after yielding what it could decompress', async () => {
    const gz = gzipSync(Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n'))
    let text = ''
    await assert.rejects(
      (async () => {
        for await (const chunk of decodedChunks(Readable.from([gz.subarray(0, gz.length - 20)]))) text += chunk
      })(),
      (error: NodeJS.ErrnoException) => error.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(error.message),
    )
    assert.ok(text.startsWith('line 0\nline 1\n'), text.slice(0, 20))
  })
})
