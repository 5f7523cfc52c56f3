/**
 * The decode stage's reader over real files: gzip by magic bytes (multi-member too), line
 * numbering, CRLF/BOM, the rejection categories with file:line, truncated gzip, the line cap, and
 * the resume hooks (skipFile/skipLine). Walking trees and stdin are the source stage's (test/pipeline/source).
 */
import { statSync } from 'node:fs'
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { MAX_LINE_CHARS } from '../../../src/pipeline/decode/lines.js'
import { collect, summary } from '../../helpers/archive.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../../helpers/files.js'

describe('archive reader', () => {
  const a = track('A', { messageId: 'a' })
  const b = track('B', { messageId: 'b' })
  const c = track('C', { messageId: 'c' })

  it('reads plain NDJSON with line numbers, skipping blank lines', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'plain.json'), `${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n`)
    assert.deepEqual(summary(await collect([file])), ['file plain.json ndjson', 'message plain.json:1 a', 'message plain.json:3 b'])
  })

  it('sniffs gzip by magic bytes, whatever the extension (none, .json, .gz)', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'no-extension'), gzip(ndjson([a])))
    writeFile(join(dir, 'named.json'), gzip(ndjson([b])))
    writeFile(join(dir, 'plain-but.gz'), ndjson([c]))
    assert.deepEqual(summary(await collect([dir])), [
      'file named.json ndjson',
      'message named.json:1 b',
      'file no-extension ndjson',
      'message no-extension:1 a',
      'file plain-but.gz ndjson',
      'message plain-but.gz:1 c',
    ])
  })

  it('reads every member of a multi-member gzip file, numbering lines across members', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'multi.gz'), Buffer.concat([gzip(ndjson([a, b])), gzip(ndjson([c]))]))
    assert.deepEqual(summary(await collect([file])), ['file multi.gz ndjson', 'message multi.gz:1 a', 'message multi.gz:2 b', 'message multi.gz:3 c'])
  })

  it('tolerates CRLF line ends and a UTF-8 BOM on the first line', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'crlf.ndjson'), `\uFEFF${JSON.stringify(a)}\r\n${JSON.stringify(b)}\r\n`)
    const items = await collect([file])
    assert.deepEqual(summary(items), ['file crlf.ndjson ndjson', 'message crlf.ndjson:1 a', 'message crlf.ndjson:2 b'])
  })

  it('rejects bad JSON, non-object lines, missing and unknown types, and keeps going', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'bad.ndjson'),
      [JSON.stringify(a), '{"type":"track",', '[1,2]', '"text"', '{"event":"x"}', '{"type":"purchase"}', JSON.stringify(b)].join('\n'),
    )
    assert.deepEqual(summary(await collect([file])), [
      'file bad.ndjson ndjson',
      'message bad.ndjson:1 a',
      'rejected bad.ndjson:2 invalid JSON',
      'rejected bad.ndjson:3 not a JSON object',
      'rejected bad.ndjson:4 not a JSON object',
      'rejected bad.ndjson:5 missing type',
      'rejected bad.ndjson:6 unknown type',
      'message bad.ndjson:7 b',
    ])
  })

  it('reports a truncated gzip with its path, keeps the lines before it, and goes on with the next file', async () => {
    const dir = tempDir()
    const lines = Array.from({ length: 2000 }, (_, i) => track('T', { messageId: `t${i}`, properties: { pad: 'x'.repeat(50 + (i % 7)) } }))
    const full = gzip(ndjson(lines))
    writeFile(join(dir, '1-truncated.gz'), full.subarray(0, Math.floor(full.length / 2)))
    writeFile(join(dir, '2-next.gz'), gzip(ndjson([a])))
    const items = await collect([dir])
    const unreadable = items.filter((i) => i.kind === 'unreadable')
    assert.equal(unreadable.length, 1)
    assert.match((unreadable[0] as { reason: string }).reason, /^truncated gzip: the compressed data ends early \(after line \d+\); lines before it were read$/)
    const messages = items.filter((i) => i.kind === 'message')
    assert.ok(messages.length > 100 && messages.length < 2000, `read ${messages.length} complete lines before the cut`)
    assert.deepEqual((messages.at(-1) as { message: { messageId: string } }).message.messageId, 'a')
  })

  it('reads an empty file as no messages', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'empty.gz'), '')
    assert.deepEqual(summary(await collect([file])), ['file empty.gz ndjson'])
  })

  it('skips what a resume says is done: whole files unopened, single lines unparsed', async () => {
    const dir = tempDir()
    const f1 = writeFile(join(dir, '1.ndjson'), ndjson([a, b]))
    const f2 = writeFile(join(dir, '2.ndjson'), ndjson([c, a, b]))
    const bytes: number[] = []
    const items = await collect([dir], { skipFile: (s) => s.path === f1, skipLine: (file, line) => file === f2 && line !== 2, onBytes: (n) => bytes.push(n) })
    assert.deepEqual(summary(items), ['file 2.ndjson ndjson', 'message 2.ndjson:2 a'])
    // The skipped file's bytes still count as read (progress and ETA cover the whole input).
    assert.equal(
      bytes.reduce((x, y) => x + y, 0),
      statSync(f1).size + statSync(f2).size,
    )
  })

  it('marks the end of every file, with its line count, even after a read error', async () => {
    const dir = tempDir()
    writeFile(join(dir, '1.ndjson'), ndjson([a, b]) + '\n\n')
    writeFile(join(dir, '2.ndjson'), '')
    const ends = (await collect([dir])).filter((i) => i.kind === 'end')
    assert.deepEqual(
      ends.map((e) => [(e as { file: string }).file.split('/').pop(), (e as { lines: number }).lines]),
      [
        ['1.ndjson', 4],
        ['2.ndjson', 0],
      ],
    )
  })

  it('marks a CSV file with its header row and no data row as header-only (in both reading modes); one with a row, or a line over the cap, is not', async () => {
    const dir = tempDir()
    const header = '"event_name","event_type","user_id","anonymous_id","timestamp","message_id"'
    writeFile(join(dir, 'header.csv'), header + '\n')
    writeFile(join(dir, 'header-blank.csv.gz'), gzip(header + '\r\n\r\n\n'))
    writeFile(join(dir, 'row.csv'), header + '\n"X","track","user-12345","","2024-05-06T10:00:00Z","m1"\n')
    writeFile(join(dir, 'huge.csv'), header + '\n"' + 'x'.repeat(MAX_LINE_CHARS + 10) + '"\n')
    writeFile(join(dir, 'zero.ndjson'), '')
    for (const blocks of [false, true]) {
      const ends = (await collect([dir], { blocks })).flatMap((i) => (i.kind === 'end' ? [[i.file.split('/').pop(), i.lines, i.headerOnly === true]] : []))
      assert.deepEqual(
        ends,
        [
          ['header-blank.csv.gz', 0, true],
          ['header.csv', 0, true],
          ['huge.csv', 0, false],
          ['row.csv', 2, false],
          ['zero.ndjson', 0, false],
        ],
        `blocks: ${blocks}`,
      )
    }
  })
})

describe('very long lines', () => {
  it('are split in linear time; a line over the cap is rejected with its file:line, the rest read', async function () {
    this.timeout(30_000)
    const dir = tempDir()
    const big = JSON.stringify(track('Big', { messageId: 'big', properties: { blob: 'x'.repeat(3_000_000) } }))
    const huge = JSON.stringify(track('Huge', { messageId: 'huge', properties: { blob: 'y'.repeat(MAX_LINE_CHARS + 10) } }))
    const file = writeFile(join(dir, 'a.ndjson'), `${big}\n${huge}\n${JSON.stringify(track('After', { messageId: 'after' }))}\n`)
    const t0 = Date.now()
    const items = await collect([dir])
    // The quadratic splitter took over 15 s on a 20 MB line; linear splitting of 7 MB takes well under one.
    assert.ok(Date.now() - t0 < 4000, `${Date.now() - t0} ms`)
    assert.deepEqual(summary(items), ['file a.ndjson ndjson', 'message a.ndjson:1 big', 'rejected a.ndjson:2 line too long', 'message a.ndjson:3 after'])
    const rejected = items.find((i) => i.kind === 'rejected') as { reason: string; text: string; ref: { file: string } }
    assert.equal(rejected.ref.file, file)
    assert.equal(rejected.text, '')
    assert.equal(
      rejected.reason,
      `line too long: ${huge.length.toLocaleString('en-US')} characters, over the 4,194,304-character limit (Segment messages are at most 32 KB); not read`,
    )
  })
})
