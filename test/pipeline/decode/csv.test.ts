/** Segment's AWS S3 (Actions) CSV export: recognised by its header, rows rebuilt into messages. */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { detectCsvHeader, rowToMessage } from '../../../src/pipeline/decode/csv.js'
import { collect, summary } from '../../helpers/archive.js'
import { tempDir, writeFile } from '../../helpers/files.js'

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
        row([
          'Order Completed',
          'track',
          'u-1',
          'an-1',
          '',
          { revenue: 10, products: [{ sku: 'a' }] },
          {},
          { library: { name: 'analytics.js' } },
          '2026-01-02T03:04:05.678Z',
          'm-1',
          { All: true },
        ]),
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

  it('a line of spaces or tabs is blank, as in NDJSON: no row, no rejected line, the line numbers kept', async () => {
    const dir = tempDir()
    const m = (id: string) => row(['Clicked', 'track', 'u-1', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', id, {}])
    const file = writeFile(join(dir, 'spaces.csv'), [header, m('m-1'), '  \t', m('m-2'), '', '   ', ''].join('\r\n'))
    assert.deepEqual(summary(await collect([file])), ['file spaces.csv csv', 'message spaces.csv:2 m-1', 'message spaces.csv:4 m-2'])
    const only = writeFile(join(dir, 'header-and-spaces.csv'), header + '\n  \n')
    const items = await collect([only])
    assert.deepEqual(summary(items), ['file header-and-spaces.csv csv'])
    assert.deepEqual(items.at(-1), { kind: 'end', file: only, lines: 0, headerOnly: true })
  })

  it('a malformed row (stray quote) is one rejected line; the rows after it are read', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'bad.csv'),
      [
        header,
        row(['A', 'track', 'u-1', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', 'm-1', {}]),
        '"B","track","u"x","","","{}","{}","{}","2026-01-02T03:04:05.678Z","m-2","{}"',
        row(['C', 'track', 'u-3', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', 'm-3', {}]),
      ].join('\n'),
    )
    assert.deepEqual(summary(await collect([file])), ['file bad.csv csv', 'message bad.csv:2 m-1', 'rejected bad.csv:3 invalid CSV', 'message bad.csv:4 m-3'])
  })

  it('accepts the other delimiters Segment offers (pipe)', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'x.txt'),
      [header.replace(/,/g, '|'), row(['Signed Up', 'track', 'u-1', '', '', {}, {}, {}, '2026-01-02T03:04:05.678Z', 'm-9', {}]).replace(/","/g, '"|"')].join('\n'),
    )
    assert.deepEqual(summary(await collect([file])), ['file x.txt csv', 'message x.txt:2 m-9'])
  })
})

describe('CSV detection and rows (alone)', () => {
  const COLUMNS = ['event_name', 'event_type', 'user_id', 'anonymous_id', 'email', 'properties', 'traits', 'context', 'timestamp', 'message_id', 'integrations']

  it('detects the header with each delimiter Segment offers, quoted or not', () => {
    for (const delimiter of [',', '|', '\t', ';', ':']) {
      assert.deepEqual(detectCsvHeader(COLUMNS.map((c) => `"${c}"`).join(delimiter)), { delimiter, columns: COLUMNS }, `delimiter ${JSON.stringify(delimiter)}`)
    }
    assert.deepEqual(detectCsvHeader('  event_type,message_id'), { delimiter: ',', columns: ['event_type', 'message_id'] })
    assert.deepEqual(detectCsvHeader('event_name;event_type'), { delimiter: ';', columns: ['event_name', 'event_type'] })
  })

  it('does not take JSON or other CSV for the header', () => {
    assert.equal(detectCsvHeader('{"type":"track","event_type":"x","message_id":"m"}'), undefined)
    assert.equal(detectCsvHeader('["event_type","message_id"]'), undefined)
    assert.equal(detectCsvHeader('name,email,plan'), undefined)
    // event_type alone is not enough: it needs message_id or event_name beside it.
    assert.equal(detectCsvHeader('event_type,user_id'), undefined)
    assert.equal(detectCsvHeader('event_type'), undefined)
    assert.equal(detectCsvHeader(''), undefined)
  })

  it('rebuilds a message from a row: empty cells left out, unknown columns ignored, email kept for identify/group only', () => {
    const row = (extra: Record<string, string>) => ({
      event_name: '',
      user_id: 'u-1',
      anonymous_id: '',
      email: 'x@example.com',
      properties: '{}',
      traits: '',
      context: '',
      timestamp: '2026-01-02T03:04:05.678Z',
      message_id: 'm-1',
      integrations: '',
      extra_column: 'zzz',
      ...extra,
    })
    assert.deepEqual(rowToMessage(row({ event_type: 'identify', traits: '{"plan":"pro"}' })), {
      ok: true,
      message: { type: 'identify', userId: 'u-1', properties: {}, traits: { plan: 'pro', email: 'x@example.com' }, timestamp: '2026-01-02T03:04:05.678Z', messageId: 'm-1' },
    })
    assert.deepEqual(rowToMessage(row({ event_type: 'group' })), {
      ok: true,
      message: { type: 'group', userId: 'u-1', properties: {}, traits: { email: 'x@example.com' }, timestamp: '2026-01-02T03:04:05.678Z', messageId: 'm-1' },
    })
    // traits.email already there wins over the folded column.
    assert.deepEqual((rowToMessage(row({ event_type: 'identify', traits: '{"email":"t@example.com"}' })) as { message: { traits: unknown } }).message.traits, {
      email: 't@example.com',
    })
    assert.deepEqual(rowToMessage(row({ event_type: 'track', event_name: 'Signed Up' })), {
      ok: true,
      message: { event: 'Signed Up', type: 'track', userId: 'u-1', properties: {}, timestamp: '2026-01-02T03:04:05.678Z', messageId: 'm-1' },
    })
  })

  it('a JSON column that is not JSON, or a row without a type, is a rejection with the reason', () => {
    let jsonError = ''
    try {
      JSON.parse('{bad')
    } catch (error) {
      jsonError = (error as Error).message
    }
    assert.deepEqual(rowToMessage({ event_type: 'track', context: '{bad' }), {
      ok: false,
      category: 'invalid CSV',
      reason: `invalid CSV: column "context" is not JSON (${jsonError})`,
    })
    assert.deepEqual(rowToMessage({ event_name: 'X', message_id: 'm' }), { ok: false, category: 'missing type', reason: 'missing type: the message has no "type" field' })
    assert.deepEqual(rowToMessage({ event_type: 'purchase' }), {
      ok: false,
      category: 'unknown type',
      reason: 'unknown type: "purchase" is not one of track, page, screen, identify, group, alias',
    })
  })
})
