import { statSync, symlinkSync } from 'node:fs'
import { MAX_LINE_CHARS, splitLines } from '../../src/decode/lines.js'
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { openArchive, type ArchiveItem } from '../../src/decode/reader.js'
import { inspectArchives } from '../../src/inspect/index.js'
import { routedAway, compileFilters } from '../../src/route/filters.js'
import { gzip, ndjson, readNdjson, tempDir, track, writeFile } from '../helpers/files.js'

async function collect(inputs: string[], opts: Parameters<Awaited<ReturnType<typeof openArchive>>['items']>[0] = {}): Promise<ArchiveItem[]> {
  const archive = await openArchive(inputs)
  const items: ArchiveItem[] = []
  for await (const item of archive.items(opts)) items.push(item)
  return items
}

/** What the reader said, without the end-of-file markers (see 'marks the end of every file'). */
const summary = (items: ArchiveItem[]) =>
  items.filter((i) => i.kind !== 'end').map((i) =>
    i.kind === 'message'
      ? `message ${i.ref.file.split('/').pop()}:${i.ref.line} ${i.message.messageId}`
      : i.kind === 'rejected'
        ? `rejected ${i.ref.file.split('/').pop()}:${i.ref.line} ${i.category}`
        : i.kind === 'file'
          ? `file ${i.file.split('/').pop()} ${i.format}`
          : i.kind === 'skipped'
            ? `skipped ${i.path.split('/').pop()}: ${i.reason}`
            : i.kind === 'unreadable'
              ? `unreadable ${i.file.split('/').pop()}: ${i.reason}`
              : 'end',
  )

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

  it('skips what a resume says is done: whole files unopened, single lines unparsed', async () => {
    const dir = tempDir()
    const f1 = writeFile(join(dir, '1.ndjson'), ndjson([a, b]))
    const f2 = writeFile(join(dir, '2.ndjson'), ndjson([c, a, b]))
    const bytes: number[] = []
    const items = await collect([dir], { skipFile: (s) => s.path === f1, skipLine: (file, line) => file === f2 && line !== 2, onBytes: (n) => bytes.push(n) })
    assert.deepEqual(summary(items), ['file 2.ndjson ndjson', 'message 2.ndjson:2 a'])
    // The skipped file's bytes still count as read (progress and ETA cover the whole input).
    assert.equal(bytes.reduce((x, y) => x + y, 0), statSync(f1).size + statSync(f2).size)
  })

  it('marks the end of every file, with its line count, even after a read error', async () => {
    const dir = tempDir()
    writeFile(join(dir, '1.ndjson'), ndjson([a, b]) + '\n\n')
    writeFile(join(dir, '2.ndjson'), '')
    const ends = (await collect([dir])).filter((i) => i.kind === 'end')
    assert.deepEqual(ends.map((e) => [(e as { file: string }).file.split('/').pop(), (e as { lines: number }).lines]), [['1.ndjson', 4], ['2.ndjson', 0]])
  })
})

describe('AWS S3 (Actions) CSV', () => {
  const header = '"event_name","event_type","user_id","anonymous_id","email","properties","traits","context","timestamp","message_id","integrations"'
  const cell = (v: unknown) => `"${(typeof v === 'string' ? v : JSON.stringify(v)).replace(/"/g, '""')}"`
  const row = (cells: unknown[]) => cells.map(cell).join(',')

  it('recognises the header and rebuilds messages, JSON cells included', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'segmentdata', 'export_2026-01-02T03-04-05-678Z.csv'),
      [
        header,
        row(['Order Completed', 'track', 'u-1', 'an-1', '', { revenue: 10, products: [{ sku: 'a' }] }, {}, { library: { name: 'analytics.js' } }, '2026-01-02T03:04:05.678Z', 'm-1', { All: true }]),
        row(['', 'identify', 'u-2', '', 'x@example.com', {}, { plan: 'pro' }, {}, '2026-01-02T03:05:00.000Z', 'm-2', {}]),
        row(['', 'page', 'u-3', '', '', '{bad json', {}, {}, '2026-01-02T03:06:00.000Z', 'm-3', {}]),
      ].join('\n'),
    )
    const items = await collect([file])
    assert.deepEqual(summary(items), [
      'file export_2026-01-02T03-04-05-678Z.csv csv',
      'message export_2026-01-02T03-04-05-678Z.csv:2 m-1',
      'message export_2026-01-02T03-04-05-678Z.csv:3 m-2',
      'rejected export_2026-01-02T03-04-05-678Z.csv:4 invalid CSV',
    ])
    assert.deepEqual((items[1] as { message: unknown }).message, {
      event: 'Order Completed',
      type: 'track',
      userId: 'u-1',
      anonymousId: 'an-1',
      properties: { revenue: 10, products: [{ sku: 'a' }] },
      traits: {},
      context: { library: { name: 'analytics.js' } },
      timestamp: '2026-01-02T03:04:05.678Z',
      messageId: 'm-1',
      integrations: { All: true },
    })
    assert.deepEqual((items[2] as { message: { traits: unknown } }).message.traits, { plan: 'pro', email: 'x@example.com' })
  })

  it('a malformed row (stray quote) is one rejected line; the rows after it are read', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'bad.csv'),
      [header, row(['A', 'track', 'u-1', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', 'm-1', {}]), '"B","track","u"x","","","{}","{}","{}","2026-01-02T03:04:05.678Z","m-2","{}"', row(['C', 'track', 'u-3', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', 'm-3', {}])].join('\n'),
    )
    assert.deepEqual(summary(await collect([file])), ['file bad.csv csv', 'message bad.csv:2 m-1', 'rejected bad.csv:3 invalid CSV', 'message bad.csv:4 m-3'])
  })

  it('accepts the other delimiters Segment offers (pipe)', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'x.txt'), [header.replace(/,/g, '|'), row(['Signed Up', 'track', 'u-1', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', 'm-9', {}]).replace(/","/g, '"|"')].join('\n'))
    assert.deepEqual(summary(await collect([file])), ['file x.txt csv', 'message x.txt:2 m-9'])
  })
})

describe('rejected line text', () => {
  it('never keeps a source writeKey', async () => {
    const { redactSecretsInText } = await import('../../src/decode/message.js')
    assert.equal(redactSecretsInText('{"type":"nope","writeKey":"WK_SECRET\\"x","a":1'), '{"type":"nope","writeKey":"<redacted>","a":1')
    assert.equal(redactSecretsInText('plain text'), 'plain text')
  })
})

describe('filters', () => {
  it('honours Segment integrations routing', () => {
    assert.equal(routedAway({ All: false }), true)
    assert.equal(routedAway({ All: false, Amplitude: true }), false)
    assert.equal(routedAway({ All: false, 'Actions Amplitude': { session_id: 1 } }), false)
    assert.equal(routedAway({ Amplitude: false }), true)
    assert.equal(routedAway({ 'Actions Amplitude': false }), true)
    assert.equal(routedAway({ amplitude: false }), true)
    assert.equal(routedAway({ All: true, Mixpanel: false }), false)
    assert.equal(routedAway(undefined), false)
  })

  it('--since is inclusive, --until exclusive, on timestamp then originalTimestamp then receivedAt', () => {
    const f = compileFilters({ since: '2024-05-06T00:00:00Z', until: '1715040000000' })
    assert.equal(f({ type: 'track', timestamp: '2024-05-06T00:00:00.000Z' }), undefined)
    assert.equal(f({ type: 'track', timestamp: '2024-05-05T23:59:59.999Z' }), 'since')
    assert.equal(f({ type: 'track', timestamp: '2024-05-07T00:00:00.000Z' }), 'until')
    assert.equal(f({ type: 'track', originalTimestamp: '2024-05-06T12:00:00.000Z' }), undefined)
    assert.equal(f({ type: 'track', receivedAt: '2024-05-08T12:00:00.000Z' }), 'until')
    assert.equal(f({ type: 'track' }), 'no-timestamp')
  })

  it('rejects a --since that is not a time with a message that says what to use', () => {
    assert.throws(() => compileFilters({ since: 'yesterday' }), /--since "yesterday" is not a time: use ISO 8601 \(2024-05-01 or 2024-05-01T12:00:00Z\) or epoch milliseconds/)
  })
})

describe('inspectArchives', () => {
  it('profiles messages and writes every rejected line with file, line, reason and text', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'day.gz'),
      gzip(
        [
          JSON.stringify(track('Order Completed', { messageId: 'm1', timestamp: '2024-05-06T01:00:00.000Z' })),
          JSON.stringify(track('Order Completed', { messageId: 'm1', timestamp: '2024-05-06T01:00:00.000Z' })),
          JSON.stringify({ type: 'page', name: 'Home', messageId: 'm2', anonymousId: 'abc', timestamp: '2024-05-06T02:00:00.000Z' }),
          JSON.stringify({ type: 'identify', messageId: 'm3', userId: 'u1', context: { device: { id: 'device-1' } }, timestamp: '2024-05-05T02:00:00.000Z' }),
          JSON.stringify(track('Hidden', { messageId: 'm4', integrations: { All: false } })),
          'not json',
          '{"type":"nope"}',
        ].join('\n'),
      ),
    )
    const state = tempDir()
    const { report, rejectedFile } = await inspectArchives({ inputs: [file], rejectedPath: join(state, 'rejected.ndjson') })
    assert.deepEqual(report, {
      files: 1,
      messages: 5,
      kept: 4,
      byType: { track: 2, identify: 1, page: 1 },
      byEvent: { 'Order Completed': 2 },
      rejected: 2,
      rejectedByReason: { 'invalid JSON': 1, 'unknown type': 1 },
      duplicates: 1,
      filtered: { integrations: 1 },
      timeRange: { from: '2024-05-05T02:00:00.000Z', to: '2024-05-06T02:00:00.000Z' },
      ids: {
        userId: 3,
        anonymousId: 3,
        deviceId: 1,
        userIdShare: 0.75,
        anonymousIdShare: 0.75,
        deviceIdShare: 0.25,
        shortUserId: 1,
        shortAnonymousId: 1,
        shortDeviceId: 0,
        noId: 0,
      },
      unreadableFiles: [],
      subscriptions: {},
    })
    assert.equal(rejectedFile, join(state, 'rejected.ndjson'))
    const rejected = readNdjson(rejectedFile!) as Array<Record<string, unknown>>
    assert.equal(rejected.length, 2)
    assert.deepEqual(rejected[1], { file, line: 7, reason: 'unknown type: "nope" is not one of track, page, screen, identify, group, alias', text: '{"type":"nope"}' })
    assert.equal(rejected[0].line, 6)
    assert.equal(rejected[0].text, 'not json')
    assert.match(rejected[0].reason as string, /^invalid JSON: Unexpected token/)
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
    assert.deepEqual(
      skipped.map((s) => [s.path.slice(root.length + 1), s.reason.replace(root, '<root>')]).sort(),
      [
        ['src/1714953600000/up-0', 'link loop: leads back to <root>/src; not followed'],
        ['src/1714953600000/up-1', 'link loop: leads back to <root>/src; not followed'],
        ['src/1714953600000/up-2', 'link loop: leads back to <root>/src; not followed'],
        ['src/1714953600000/up-3', 'link loop: leads back to <root>/src; not followed'],
        ['src/1714953600000/up-4', 'link loop: leads back to <root>/src; not followed'],
        ['src/1714953600000/up-5', 'link loop: leads back to <root>/src; not followed'],
        ['src/a-again.ndjson', 'same file as <root>/src/1714953600000/a.ndjson (a link); read once'],
        ['src/latest', 'same folder as <root>/src/1714953600000 (a link); read once'],
      ],
    )
    // A link to itself cannot be read at all: one problem, said once.
    const unreadable = items.filter((i) => i.kind === 'unreadable') as Array<{ file: string; reason: string }>
    assert.deepEqual(unreadable.map((u) => [u.file.slice(root.length + 1), u.reason]), [['self', 'too many levels of symbolic links (a link that points to itself)']])
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
    assert.equal(rejected.reason, `line too long: ${huge.length.toLocaleString('en-US')} characters, over the 4,194,304-character limit (Segment messages are at most 32 KB); not read`)
  })

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
