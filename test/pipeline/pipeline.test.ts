/**
 * The one read pipeline (src/pipeline/index.ts): every command reads an archive through it, so
 * - inspect, diff-mappings (emulation and --against) and migrate --verify print the same output
 *   for any --workers (threads forced on with tiny batches and no lines planned inline);
 * - replay --dry-run, inspect, diff-mappings and migrate --verify count the messages, rejected
 *   lines and duplicates of one hostile archive alike.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { runCli } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { zipEntries } from '../../src/amplitude/sandbox/export.js'
import { exportTime } from '../../src/amplitude/export-api/format.js'
import { replay } from '../../src/replay/engine.js'
import { inspectArchives } from '../../src/inspect/index.js'
import { compareArchives } from '../../src/diff/service.js'
import { verifyMigration } from '../../src/migrate/verify.js'
import { migrateClassic } from '../../src/migrate/index.js'
import { compileSubscriptions, loadMappings } from '../../src/segment/subscriptions/index.js'

const CLASSIC = 'test/fixtures/classic-settings.json'
// Threads on for small inputs: no lines planned inline, tiny batches, and (--against) ordinal ranges of 7 messages
const THREADS_ON = { ...process.env, NO_COLOR: '1', SEGAMP_WORKER_INLINE_LINES: '0', SEGAMP_WORKER_BATCH_LINES: '7', SEGAMP_AGAINST_CHUNK_MESSAGES: '7' }

/**
 * An archive with everything a reader meets: a BOM and CRLF line ends, bad JSON, a line with no
 * known type, a blank line, a message nested too deeply to map, duplicate messageIds (within a
 * file and across files), a message routed away from Amplitude, a gzip file and a Segment S3 CSV.
 */
function hostileArchive(): { dir: string; expected: { messages: number; rejected: number; duplicates: number } } {
  const dir = tempDir()
  const t = (i: number) => `2024-05-06T10:00:${String(i).padStart(2, '0')}.000Z`
  const deep = '{"a":'.repeat(600) + '1' + '}'.repeat(600)
  const a = [
    JSON.stringify(track('Song Played', { messageId: 'm-1', timestamp: t(1), userId: 'user-1' })),
    '{"type":"track","event":"Broken",',
    JSON.stringify(track('Song Played', { messageId: 'm-1', timestamp: t(2), userId: 'user-1' })),
    '',
    JSON.stringify({ event: 'No type', messageId: 'm-x' }),
    `{"type":"track","event":"Deep","messageId":"m-deep","anonymousId":"anon-12345","timestamp":"${t(3)}","properties":${deep}}`,
    JSON.stringify(track('Routed Away', { messageId: 'm-2', timestamp: t(4), userId: 'user-2', integrations: { Amplitude: false } })),
    JSON.stringify({ type: 'identify', messageId: 'm-3', timestamp: t(5), userId: 'user-3', traits: { plan: 'pro' } }),
  ]
  writeFile(join(dir, 'a.ndjson'), '\ufeff' + a.join('\r\n') + '\r\n')
  writeFile(
    join(dir, 'b.ndjson.gz'),
    gzip(
      ndjson([track('Video Watched', { messageId: 'm-4', timestamp: t(6), userId: 'user-4' }), track('Song Played', { messageId: 'm-1', timestamp: t(7), userId: 'user-1' })]) +
        'not json at all\n',
    ),
  )
  const cell = (v: unknown) => `"${(typeof v === 'string' ? v : JSON.stringify(v)).replace(/"/g, '""')}"`
  const row = (cells: unknown[]) => cells.map(cell).join(',')
  writeFile(
    join(dir, 'c.csv'),
    [
      '"event_name","event_type","user_id","anonymous_id","email","properties","traits","context","timestamp","message_id","integrations"',
      row(['Order Completed', 'track', 'u-5', 'an-5', '', { revenue: 10 }, {}, {}, t(8), 'm-5', {}]),
      row(['', 'page', 'u-6', '', '', '{bad json', {}, {}, t(9), 'm-6', {}]),
      row(['Order Completed', 'track', 'u-5', 'an-5', '', { revenue: 10 }, {}, {}, t(10), 'm-5', {}]),
    ].join('\n'),
  )
  // messages: m-1 ×2, m-2 (filtered), m-3 in a; m-4, m-1 in b; m-5 ×2 in c = 8
  // rejected: broken JSON, no type, too deep (a); not json (b); bad CSV cell (c) = 5
  // duplicates: m-1 twice, m-5 once = 3
  return { dir, expected: { messages: 8, rejected: 5, duplicates: 3 } }
}

/** The JSON a command printed, without what differs from run to run. */
function stable(text: string): unknown {
  return JSON.parse(text, (key, value) => (['durationMs', 'generatedAt', 'elapsedMs', 'startedAt'].includes(key) ? undefined : value))
}

describe('one pipeline: --workers gives the same output for any N', function () {
  this.timeout(240_000)

  it('inspect, diff-mappings and migrate --verify print the same for --workers 1, 2 and 3 (threads forced on)', async () => {
    const dir = tempDir()
    const { dir: hostile } = hostileArchive()
    const commands: Array<[string, (n: number) => string[]]> = [
      ['inspect', (n) => ['inspect', 'examples/segment-logs', hostile, '--format', 'json', '--no-progress', '--state-dir', join(dir, `inspect-${n}`), '--workers', String(n)]],
      ['diff-mappings', (n) => ['diff-mappings', 'examples/segment-logs', hostile, '--classic', CLASSIC, '--format', 'json', '--no-progress', '--workers', String(n)]],
      [
        'migrate --verify',
        (n) => ['migrate', '--classic', CLASSIC, '--verify', 'examples/segment-logs', '--report-format', 'json', '--out', join(dir, `config-${n}.json`), '--workers', String(n)],
      ],
    ]
    for (const [name, argv] of commands) {
      const outputs: unknown[] = []
      for (const n of [1, 2, 3]) {
        const r = await runCli(argv(n), { env: THREADS_ON, timeoutMs: 120_000 })
        assert.ok(r.code === 0 || r.code === 3 || r.code === 1, `${name} --workers ${n}: exit ${r.code}\n${r.stderr}`)
        outputs.push({ code: r.code, out: stable(r.stdout), stderr: r.stderr.replaceAll(dir, '<dir>').replace(/(inspect|config)-\d/g, '$1-N') })
      }
      assert.deepEqual(outputs[1], outputs[0], `${name}: --workers 2 differs from --workers 1`)
      assert.deepEqual(outputs[2], outputs[0], `${name}: --workers 3 differs from --workers 1`)
    }
    // the inspect reports read the hostile archive's rejected lines too (the threads decoded them)
    for (const n of [1, 2, 3]) assert.equal(readFileSync(join(dir, `inspect-${n}`, 'rejected.ndjson'), 'utf8'), readFileSync(join(dir, 'inspect-1', 'rejected.ndjson'), 'utf8'))
  })

  it('diff-mappings --against prints the same for --workers 1, 2 and 3', async () => {
    const dir = tempDir()
    const ts = '2024-05-06T10:00:00.000Z'
    const ms = Date.parse(ts)
    const messages = Array.from({ length: 40 }, (_, i) =>
      track(i % 3 === 0 ? 'Video Watched' : 'Song Played', { messageId: `ajs-${i}`, timestamp: new Date(ms + i * 1000).toISOString(), userId: `user-${i % 7}`, properties: { i } }),
    )
    messages.push(messages[5])
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson(messages) + '{oops\n')
    const stored = messages.slice(0, 30).map((m, i) => ({
      $insert_id: null,
      event_type: m.event,
      user_id: m.userId,
      device_id: null,
      event_time: exportTime(ms + i * 1000),
      event_properties: m.properties,
      user_properties: {},
      groups: {},
      group_properties: {},
      data: {},
      library: 'segment',
      amplitude_id: 1,
      app: 187520,
      uuid: `u-${i}`,
    }))
    const zip = await zipEntries([{ name: '187520/187520_2024-05-06_10#0.json.gz', data: gzipSync(ndjson(stored)) }])
    const exp = writeFile(join(dir, 'export', '20240506T10-20240506T10.zip'), zip)
    const outputs: unknown[] = []
    for (const n of [1, 2, 3]) {
      const r = await runCli(['diff-mappings', archive, '--against', exp, '--format', 'json', '--no-progress', '--workers', String(n)], { env: THREADS_ON, timeoutMs: 120_000 })
      assert.ok(r.code === 0 || r.code === 1, r.stderr)
      outputs.push({ code: r.code, out: stable(r.stdout) })
    }
    assert.deepEqual(outputs[1], outputs[0])
    assert.deepEqual(outputs[2], outputs[0])
    const report = (outputs[0] as { out: { against: { pairing: { duplicateMessages: number } } } }).out
    assert.equal(report.against.pairing.duplicateMessages, 1)
  })
})

describe('one pipeline: every command counts a hostile archive alike', function () {
  this.timeout(240_000)

  it('replay --dry-run, inspect, diff-mappings and migrate --verify count the same messages, rejected lines and duplicates', async () => {
    const { dir, expected } = hostileArchive()
    const subs = compileSubscriptions(await loadMappings())
    const classicSettings = JSON.parse(readFileSync(CLASSIC, 'utf8')) as Record<string, unknown>
    for (const workers of [1, 2]) {
      const threads = { workers, batchLines: 2, inlineLines: 0 }
      const dry = await replay({
        inputs: [dir],
        subscriptions: subs,
        mappingsSource: 'presets',
        runId: 'hostile',
        stateDir: join(tempDir(), 'state'),
        dryRun: true,
        workers,
        workerBatchLines: 2,
        workerInlineLines: 0,
      })
      const inspected = await inspectArchives({ inputs: [dir], rejectedPath: join(tempDir(), 'rejected.ndjson'), ...threads })
      const diffed = await compareArchives({ inputs: [dir], classicSettings, classicMode: 'cloud', subscriptions: subs, mappingsSource: 'presets', ...threads })
      const verified = await verifyMigration({ inputs: [dir], classicSettings, migration: migrateClassic(classicSettings, { names: 'classic' }), ...threads })
      const pick = (c: { messages: number; rejected: number; duplicates: number; rejectedByReason: Record<string, number> }) => ({
        messages: c.messages,
        rejected: c.rejected,
        duplicates: c.duplicates,
        rejectedByReason: c.rejectedByReason,
      })
      const counts = {
        'replay --dry-run': pick(dry),
        inspect: pick({ ...inspected.report, rejectedByReason: inspected.report.rejectedByReason }),
        'diff-mappings': pick(diffed.counts),
        'migrate --verify': pick(verified.counts),
      }
      const want = { ...expected, rejectedByReason: dry.rejectedByReason }
      assert.deepEqual(pick(dry), want, `replay --workers ${workers}`)
      assert.deepEqual(Object.keys(dry.rejectedByReason).sort(), ['invalid CSV', 'invalid JSON', 'missing type', 'unprocessable'].sort(), JSON.stringify(dry.rejectedByReason))
      for (const [command, c] of Object.entries(counts)) assert.deepEqual(c, want, `${command} --workers ${workers}: ${JSON.stringify(c)}`)
    }
  })
})
