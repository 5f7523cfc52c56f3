/**
 * Bytes after a gzip member that are not another member (issue #21 item 7): every line before the
 * corruption is kept, as `gzip -dc` keeps it; the file is reported unreadable with the byte offset
 * where the garbage starts and the size of the tail that was not read. Zero padding is no garbage.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { collect } from '../../helpers/archive.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../../helpers/files.js'
import { decodedChunks } from '../../../src/pipeline/decode/lines.js'
import { Readable } from 'node:stream'

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => track('T', { messageId: `${tag}${i}`, properties: { pad: 'x'.repeat(40 + (i % 11)) } }))

describe('gzip with trailing garbage', () => {
  for (const blocks of [false, true]) {
    it(`keeps all 1,000 lines of a small file with bytes appended, and reports the garbage's offset and size (${blocks ? 'blocks' : 'lines'})`, async () => {
      const dir = tempDir()
      const body = gzip(ndjson(lines(1000, 'g')))
      const garbage = Buffer.from('this is not gzip data, it was appended by a broken upload\n')
      const file = writeFile(join(dir, 'appended.gz'), Buffer.concat([body, garbage]))
      writeFile(join(dir, 'next.gz'), gzip(ndjson([track('N', { messageId: 'next' })])))
      const items = await collect([dir], { blocks })
      const read = blocks
        ? items.filter((i) => i.kind === 'block').reduce((n, i) => n + (i as { count: number }).count, 0)
        : items.filter((i) => i.kind === 'message' && (i as { ref: { file: string } }).ref.file === file).length
      assert.equal(read, blocks ? 1001 : 1000)
      const unreadable = items.filter((i) => i.kind === 'unreadable') as Array<{ file: string; reason: string }>
      assert.deepEqual(
        unreadable.map((u) => u.file),
        [file],
      )
      assert.equal(
        unreadable[0].reason,
        `not gzip data after byte ${body.length} (the end of the last gzip member, after line 1000): ${garbage.length} byte(s) not read; lines before it were read`,
      )
    })
  }

  it('a large multi-member file with garbage after the second member keeps every line of both members', async () => {
    const first = gzip(ndjson(lines(3000, 'a')))
    const second = gzip(ndjson(lines(3000, 'b')))
    const chunks: Buffer[] = []
    const all = Buffer.concat([first, second, Buffer.from([0x1f, 0x8b, 0x99, 0, 1, 2, 3])])
    for (let i = 0; i < all.length; i += 1000) chunks.push(all.subarray(i, i + 1000))
    let text = ''
    await assert.rejects(async () => {
      for await (const t of decodedChunks(Readable.from(chunks))) text += t
    }, /not gzip data after byte \d+/)
    assert.equal(text.split('\n').filter(Boolean).length, 6000)
  })

  it('zero padding after the last member is not garbage', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'padded.gz'), Buffer.concat([gzip(ndjson(lines(10, 'p'))), Buffer.alloc(512)]))
    const items = await collect([file])
    assert.equal(items.filter((i) => i.kind === 'message').length, 10)
    assert.equal(items.filter((i) => i.kind === 'unreadable').length, 0)
  })
})
