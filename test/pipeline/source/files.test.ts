/**
 * The source stage on local inputs: folder trees walked in sorted order, links and loops, stdin,
 * missing paths, and the identity a resumed run checks. The first block reads through the decode
 * stage's reader (what a user sees); `listSources` and `sourceIdentity` are then tested alone.
 */
import { strict as assert } from 'node:assert'
import { readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { describeFsError, listSources, sourceIdentity } from '../../../src/pipeline/source/index.js'
import { collect, summary } from '../../helpers/archive.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../../helpers/files.js'

describe('source: local trees and stdin, as the reader sees them', () => {
  const a = track('A', { messageId: 'a' })
  const b = track('B', { messageId: 'b' })
  const c = track('C', { messageId: 'c' })

  it('walks a Segment S3 export tree recursively in sorted path order', async () => {
    const dir = tempDir()
    const root = join(dir, 'segment-logs', 'SRC123')
    writeFile(join(root, '1715040000000', '2.b.gz'), gzip(ndjson([c])))
    writeFile(join(root, '1714953600000', '1.a.gz'), gzip(ndjson([a])))
    writeFile(join(root, '1715040000000', '1.a.gz'), gzip(ndjson([b])))
    const items = await collect([join(dir, 'segment-logs')])
    assert.deepEqual(
      items.filter((i) => i.kind === 'message').map((i) => (i as { ref: { file: string } }).ref.file.slice(root.length + 1)),
      ['1714953600000/1.a.gz', '1715040000000/1.a.gz', '1715040000000/2.b.gz'],
    )
  })

  it('reads stdin when the input is -', async () => {
    const stdin = Readable.from([Buffer.from(ndjson([a, b]))])
    assert.deepEqual(summary(await collect(['-'], { stdin })), ['file - ndjson', 'message -:1 a', 'message -:2 b'])
  })

  it('reads gzipped stdin', async () => {
    const stdin = Readable.from([gzip(ndjson([a]))])
    assert.deepEqual(summary(await collect(['-'], { stdin })), ['file - ndjson', 'message -:1 a'])
  })

  it('reports a path that does not exist and reads the others', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'ok.ndjson'), ndjson([a]))
    assert.deepEqual(summary(await collect([join(dir, 'missing.gz'), file])), [
      'unreadable missing.gz: no such file or directory',
      'file ok.ndjson ndjson',
      'message ok.ndjson:1 a',
    ])
  })
})

describe('links and loops in an archive tree', () => {
  it('reads every real file once, reports each extra path once, and does not walk loops', async function () {
    this.timeout(20_000)
    const root = tempDir()
    const day = join(root, 'src', '1714953600000')
    writeFile(join(day, 'a.ndjson'), ndjson([track('A', { messageId: 'l-a' })]))
    writeFile(join(day, 'b.ndjson'), ndjson([track('B', { messageId: 'l-b' })]))
    symlinkSync(day, join(root, 'src', 'latest'))
    symlinkSync(join(day, 'a.ndjson'), join(root, 'src', 'a-again.ndjson'))
    // Loops through '..' next to a second link to the same folder: exponential for a naive walk.
    for (let i = 0; i < 6; i++) symlinkSync('..', join(day, `up-${i}`))
    symlinkSync('self', join(root, 'self'))
    const t0 = Date.now()
    const items = await collect([root])
    assert.ok(Date.now() - t0 < 5000)
    const messages = items.filter((i) => i.kind === 'message').map((i) => (i as { message: { messageId: string } }).message.messageId)
    assert.deepEqual(messages.sort(), ['l-a', 'l-b'])
    const skipped = items.filter((i) => i.kind === 'skipped') as Array<{ path: string; reason: string }>
    assert.deepEqual(skipped.map((s) => [s.path.slice(root.length + 1), s.reason.replace(root, '<root>')]).sort(), [
      ['src/1714953600000/up-0', 'link loop: leads back to <root>/src; not followed'],
      ['src/1714953600000/up-1', 'link loop: leads back to <root>/src; not followed'],
      ['src/1714953600000/up-2', 'link loop: leads back to <root>/src; not followed'],
      ['src/1714953600000/up-3', 'link loop: leads back to <root>/src; not followed'],
      ['src/1714953600000/up-4', 'link loop: leads back to <root>/src; not followed'],
      ['src/1714953600000/up-5', 'link loop: leads back to <root>/src; not followed'],
      ['src/a-again.ndjson', 'same file as <root>/src/1714953600000/a.ndjson (a link); read once'],
      ['src/latest', 'same folder as <root>/src/1714953600000 (a link); read once'],
    ])
    // A link to itself cannot be read at all: one problem, said once.
    const unreadable = items.filter((i) => i.kind === 'unreadable') as Array<{ file: string; reason: string }>
    assert.deepEqual(
      unreadable.map((u) => [u.file.slice(root.length + 1), u.reason]),
      [['self', 'too many levels of symbolic links (a link that points to itself)']],
    )
  })
})

describe('source: listSources and sourceIdentity (alone)', () => {
  it('lists a local tree in sorted path order with size and mtime, leaving out hidden entries and Thumbs.db, reading nothing', async () => {
    const root = tempDir()
    const gz = writeFile(join(root, 'day-2', 'b.gz'), gzip(ndjson([track('B')])))
    const plain = writeFile(join(root, 'day-1', 'a.ndjson'), '{"type":"track"}\n')
    const later = writeFile(join(root, 'day-10', 'c.csv'), 'x\n')
    writeFile(join(root, 'day-1', '.DS_Store'), 'junk')
    writeFile(join(root, '.complete'), '')
    writeFile(join(root, 'day-1', 'Thumbs.db'), 'junk')
    writeFile(join(root, '.hidden', 'z.ndjson'), '{"type":"track"}\n')
    const list = await listSources([root])
    // Names sort as strings: day-10 before day-2.
    assert.deepEqual(
      list.sources.map((s) => ({ ...s })),
      [plain, later, gz].map((p) => ({ path: p, size: statSync(p).size, mtimeMs: statSync(p).mtimeMs })),
    )
    assert.equal(list.sources[0].size, 17)
    // The gzip file's size is its compressed size: a source never decompresses.
    assert.notEqual(list.sources[2].size, gunzipSync(readFileSync(gz)).length)
    assert.equal(
      list.sources.some((s) => s.open !== undefined),
      false,
    )
    assert.deepEqual(list.problems, [])
    assert.deepEqual(list.skipped, [])
    assert.equal(list.close, undefined)
  })

  it('keeps the inputs in the order given; - is stdin, with no size', async () => {
    const dir = tempDir()
    const z = writeFile(join(dir, 'z.ndjson'), 'z\n')
    const a = writeFile(join(dir, 'a.ndjson'), 'a\n')
    const list = await listSources([z, '-', a])
    assert.deepEqual(
      list.sources.map((s) => [s.path, s.size]),
      [
        [z, 2],
        ['-', undefined],
        [a, 2],
      ],
    )
  })

  it('a missing path is a problem, not an error; a file reached again through a link is skipped once', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'real.ndjson'), 'x\n')
    symlinkSync(file, join(dir, 'zz-link.ndjson'))
    const missing = join(dir, 'nope')
    const list = await listSources([missing, dir])
    assert.deepEqual(
      list.sources.map((s) => s.path),
      [file],
    )
    assert.deepEqual(list.problems, [{ file: missing, reason: 'no such file or directory' }])
    assert.deepEqual(list.skipped, [{ path: join(dir, 'zz-link.ndjson'), reason: `same file as ${file} (a link); read once` }])
  })

  it('identity is size and mtime for a file: unchanged when listed again, changed when the file is', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'day.ndjson'), '{"type":"track"}\n')
    utimesSync(file, 1_700_000_000, 1_700_000_000)
    const id = async () => sourceIdentity((await listSources([file])).sources[0])
    const first = await id()
    assert.equal(first, 'size:17,mtime:1700000000000')
    assert.equal(await id(), first)
    // Same size, new content and time: a rewritten file.
    writeFileSync(file, '{"type":"page"}\n\n')
    utimesSync(file, 1_700_000_100, 1_700_000_100)
    assert.equal(await id(), 'size:17,mtime:1700000100000')
    // Appended to, with its time put back: the size still tells.
    writeFileSync(file, '{"type":"page"}\n\n{"type":"track"}\n')
    utimesSync(file, 1_700_000_100, 1_700_000_100)
    assert.equal(await id(), 'size:34,mtime:1700000100000')
  })

  it('identity of stdin and of an object store entry', () => {
    assert.equal(sourceIdentity({ path: '-' }), 'stdin')
    assert.equal(sourceIdentity({ path: 's3://b/k.gz', size: 10, etag: '"abc"' }), 'etag:"abc"')
    assert.equal(sourceIdentity({ path: 'x' }), 'size:?,mtime:?')
  })

  it('file system errors are said in words', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code })
    assert.equal(describeFsError(err('ENOENT')), 'no such file or directory')
    assert.equal(describeFsError(err('EACCES')), 'permission denied')
    assert.equal(describeFsError(err('EPERM')), 'permission denied')
    assert.equal(describeFsError(err('EISDIR')), 'is a directory')
    assert.equal(describeFsError(err('ELOOP')), 'too many levels of symbolic links (a link that points to itself)')
    assert.equal(describeFsError(err('EIO')), 'EIO: raw')
  })
})
