/**
 * The reader's `blocks` mode (what `replay` reads, so `--workers` can decode on other threads)
 * against its default mode, over real files: decoding the blocks with `blockLines` and parsing
 * each line gives the same messages and rejections at the same file:line; CSV rows still come
 * parsed; a resume's `skipLine` drops exactly the settled lines (a block wholly settled is not
 * read out at all); and every file's `end` counts the same lines.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { blockLines, MAX_LINE_CHARS } from '../../../src/pipeline/decode/lines.js'
import { clipText, parseMessageLine } from '../../../src/pipeline/decode/message.js'
import type { ArchiveItem } from '../../../src/pipeline/decode/reader.js'
import { collect } from '../../helpers/archive.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../../helpers/files.js'

type Skip = (file: string, line: number) => boolean

/**
 * Items as comparable text; blocks decoded and parsed here the way a worker does, lines a block's
 * `skip` names left out. Returns the blocks too, to check their shape.
 */
function flatten(items: ArchiveItem[]): { out: string[]; blocks: Array<Extract<ArchiveItem, { kind: 'block' }>> } {
  const out: string[] = []
  const blocks: Array<Extract<ArchiveItem, { kind: 'block' }>> = []
  const name = (f: string) => f.split('/').pop()
  for (const i of items) {
    if (i.kind === 'block') {
      blocks.push(i)
      for (const { line, text } of blockLines(i.bytes, i.ref.line, i.fileStart)) {
        if (i.skip?.(line)) continue
        const parsed = parseMessageLine(text)
        const at = `${name(i.ref.file)}:${line}`
        out.push(parsed.ok ? `message ${at} ${JSON.stringify(parsed.message)}` : `rejected ${at} ${parsed.category} | ${parsed.reason} | ${clipText(text)}`)
      }
    } else if (i.kind === 'message') out.push(`message ${name(i.ref.file)}:${i.ref.line} ${JSON.stringify(i.message)}`)
    else if (i.kind === 'rejected') out.push(`rejected ${name(i.ref.file)}:${i.ref.line} ${i.category} | ${i.reason} | ${i.text}`)
    else if (i.kind === 'file') out.push(`file ${name(i.file)} ${i.format}`)
    else if (i.kind === 'end') out.push(`end ${name(i.file)} ${i.lines}`)
    else if (i.kind === 'unreadable') out.push(`unreadable ${name(i.file)}: ${i.reason}`)
    else out.push(`skipped ${name(i.path)}: ${i.reason}`)
  }
  return { out, blocks }
}

async function bothModes(inputs: string[], skipLine?: Skip): Promise<{ lines: string[]; blocks: string[]; blockItems: ReturnType<typeof flatten>['blocks'] }> {
  const lines = flatten(await collect(inputs, { skipLine }))
  assert.equal(lines.blocks.length, 0, 'the default mode yields no blocks')
  const blocks = flatten(await collect(inputs, { skipLine, blocks: true }))
  return { lines: lines.out, blocks: blocks.out, blockItems: blocks.blocks }
}

describe('decode: the reader in blocks mode', () => {
  const a = track('A', { messageId: 'a', properties: { text: 'é€😀' } })
  const b = track('B', { messageId: 'b' })
  const c = track('C', { messageId: 'c' })

  it('the same messages and rejections at the same file:line as the default mode, file by file', async function () {
    this.timeout(30_000)
    const dir = tempDir()
    const bad = ['{"type":"track",', '[1,2]', '"text"', '{"event":"x"}', '{"type":"purchase"}']
    writeFile(join(dir, '01-plain.ndjson'), `${JSON.stringify(a)}\n\n  \n${bad.join('\n')}\n${JSON.stringify(b)}\n`)
    writeFile(join(dir, '02-gzip.json'), gzip(ndjson([a, b, c])))
    writeFile(join(dir, '03-multi.gz'), Buffer.concat([gzip(ndjson([a, b])), gzip(`\n${JSON.stringify(c)}\n`), gzip(bad[0])]))
    writeFile(join(dir, '04-crlf.ndjson'), `${JSON.stringify(a)}\r\n\r\n${JSON.stringify(b)}\r\n${bad[1]}\r\n`)
    writeFile(join(dir, '05-bom.ndjson'), `\uFEFF${JSON.stringify(a)}\n${JSON.stringify(b)}`)
    const huge = JSON.stringify(track('Huge', { messageId: 'huge', properties: { blob: 'y'.repeat(MAX_LINE_CHARS + 10) } }))
    writeFile(join(dir, '06-too-long.ndjson'), `${JSON.stringify(a)}\n${huge}\n${JSON.stringify(c)}\n${huge}`)
    writeFile(
      join(dir, '07-rows.csv'),
      [
        '"event_name","event_type","user_id","anonymous_id","timestamp","message_id"',
        '"Signed Up","track","u1","a1","2024-05-06T10:00:00.000Z","csv-1"',
        '"X","bogus","u1","a1","2024-05-06T10:00:01.000Z","csv-2"',
        '',
        '"Paid","track","u2","a2","2024-05-06T10:00:02.000Z","csv-3"',
      ].join('\r\n') + '\r\n',
    )
    writeFile(join(dir, '08-empty.ndjson'), '')
    writeFile(join(dir, '09-only-bom.ndjson'), '\uFEFF')
    const many = Array.from({ length: 3000 }, (_, i) => track('T', { messageId: `t${i}`, properties: { pad: 'x'.repeat(40 + (i % 13)) } }))
    const full = gzip(ndjson(many))
    writeFile(join(dir, '10-truncated.gz'), full.subarray(0, Math.floor(full.length * 0.6)))
    writeFile(join(dir, '11-last.ndjson'), ndjson([c]))

    const { lines, blocks, blockItems } = await bothModes([dir])
    assert.deepEqual(blocks, lines)
    // The comparison is not vacuous: every kind of item is there.
    const kinds = (p: string) => lines.filter((l) => l.startsWith(p)).length
    assert.ok(
      kinds('message ') > 100 && kinds('rejected ') >= 10 && kinds('unreadable ') === 1 && kinds('file ') === 11 && kinds('end ') === 11,
      lines.filter((l) => !l.startsWith('message')).join('\n'),
    )
    assert.ok(
      lines.includes(
        'rejected 06-too-long.ndjson:2 line too long | ' +
          `line too long: ${huge.length.toLocaleString('en-US')} characters, over the 4,194,304-character limit (Segment messages are at most 32 KB); not read | `,
      ),
    )
    assert.ok(
      lines.includes(
        'rejected 06-too-long.ndjson:4 line too long | ' +
          `line too long: ${huge.length.toLocaleString('en-US')} characters, over the 4,194,304-character limit (Segment messages are at most 32 KB); not read | `,
      ),
    )
    assert.ok(lines.includes('end 09-only-bom.ndjson 0') && lines.includes('end 08-empty.ndjson 0') && lines.includes('end 06-too-long.ndjson 4'))
    assert.ok(lines.some((l) => /^unreadable 10-truncated\.gz: truncated gzip: the compressed data ends early \(after line \d+\)/.test(l)))
    // CSV rows come parsed in both modes: no block of the CSV file.
    assert.ok(lines.includes('file 07-rows.csv csv'))
    assert.equal(blockItems.filter((i) => i.ref.file.endsWith('.csv')).length, 0)
    // Only a file's first block starts the file (where a BOM is stripped).
    for (const i of blockItems) assert.equal(i.fileStart, i.ref.line === 1, `${i.ref.file}:${i.ref.line}`)
    assert.ok(
      blockItems.every((i) => i.skip === undefined),
      'no skip without skipLine',
    )
  })

  it('skipLine: a block wholly settled is not yielded, a block partly settled carries skip, and exactly the settled lines are dropped', async function () {
    this.timeout(30_000)
    const dir = tempDir()
    // About 1 MB: several blocks (one per chunk read), plus a small file left whole.
    const many = Array.from({ length: 5000 }, (_, i) => track('T', { messageId: `t${i}`, properties: { pad: 'x'.repeat(100 + (i % 17)) } }))
    const big = writeFile(join(dir, 'big.ndjson'), ndjson(many).replace(/\n(?=[^\n]*"t3002")/, '\n\nnot json\n'))
    const small = writeFile(join(dir, 'small.ndjson.gz'), gzip(ndjson([a, b, c])))

    const whole = (await bothModes([dir])).blockItems.filter((i) => i.ref.file === big)
    assert.ok(whole.length >= 3, `${whole.length} blocks`)
    const [first, second] = whole
    // Settled: all of the first block, the second's first 10 lines and every 7th line after; line 2 of the small file.
    const settled: Skip = (file, line) => (file === big && (line < second.ref.line + 10 || line % 7 === 0)) || (file === small && line === 2)

    const { lines, blocks, blockItems } = await bothModes([dir], settled)
    assert.deepEqual(blocks, lines)
    const bigBlocks = blockItems.filter((i) => i.ref.file === big)
    assert.ok(!bigBlocks.some((i) => i.ref.line === first.ref.line), 'the settled first block is not yielded')
    assert.equal(bigBlocks[0].ref.line, second.ref.line)
    assert.ok(
      blockItems.every((i) => typeof i.skip === 'function'),
      'with skipLine, every yielded block carries skip',
    )
    // Exactly the settled lines are gone, against the same run without skipLine.
    const all = (await bothModes([dir])).lines
    const lineOf = (l: string) => {
      const m = /^(?:message|rejected) ([^ ]+):(\d+) /.exec(l)
      return m ? { file: m[1], line: Number(m[2]) } : undefined
    }
    const settledHere = (l: string) => {
      const at = lineOf(l)
      return at !== undefined && settled(join(dir, at.file), at.line)
    }
    assert.deepEqual(
      lines,
      all.filter((l) => !settledHere(l)),
    )
    assert.ok(all.length - lines.length > second.ref.line, `${all.length - lines.length} lines dropped`)
    // The bad line (after a blank one) is rejected with its own line number.
    assert.deepEqual(
      lines.filter((l) => l.startsWith('rejected big.ndjson:')).map((l) => l.replace(/ \|.*\| /, ' | ')),
      ['rejected big.ndjson:3004 invalid JSON | not json'],
    )
    // The end counts every line of the file, settled or not.
    assert.ok(lines.includes('end big.ndjson 5002') && lines.includes('end small.ndjson.gz 3'), lines.filter((l) => l.startsWith('end')).join('\n'))
  })

  it('a file is blank exactly when no line is left once blank lines are dropped: a BOM, form feeds, NBSP and ideographic spaces are blank too, in both modes', async () => {
    const dir = tempDir()
    const files: Record<string, string | Buffer> = {
      'bom.ndjson': '\ufeff\n\n',
      'bom-only.ndjson': '\ufeff',
      'ff.ndjson': '\f\n\v\r\n',
      'nbsp.ndjson': '\u00a0\n \u3000\n\u2028\n',
      'spaces.ndjson.gz': gzip(' \n\t\r\n'),
      'data-after-nbsp.ndjson': '\u00a0\n' + ndjson([a]),
      'data-after-bom.ndjson': '\ufeff\n' + ndjson([b]),
    }
    for (const [name, text] of Object.entries(files)) writeFile(join(dir, name), text)
    // What the commands name as empty: an end with no line, or with blank lines only.
    const blankOf = (items: ArchiveItem[]) => Object.fromEntries(items.flatMap((i) => (i.kind === 'end' ? [[i.file.split('/').pop(), i.lines === 0 || i.blank === true]] : [])))
    const expected = {
      'bom-only.ndjson': true,
      'bom.ndjson': true,
      'data-after-bom.ndjson': false,
      'data-after-nbsp.ndjson': false,
      'ff.ndjson': true,
      'nbsp.ndjson': true,
      'spaces.ndjson.gz': true,
    }
    assert.deepEqual(blankOf(await collect([dir], { blocks: true })), expected, 'blocks mode')
    assert.deepEqual(blankOf(await collect([dir])), expected, 'default mode')
  })
})
