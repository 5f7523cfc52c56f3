/**
 * `diff-mappings --against` on a held-out-style export: built field for field from what a
 * configuration sends (the sandbox's export stamping, docs/amplitude-export.md), where — as on a
 * live Classic destination — identifications carry their upload time (receivedAt + 0.2–3 s) and no
 * $insert_id, Amplitude refused what it refuses, and the project holds SDK traffic no message
 * explains.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildExportLines, exportEntries, zipEntries } from '../../src/amplitude/sandbox/export.js'
import type { IngestedEvent, IngestedIdentification } from '../../src/amplitude/sandbox/core.js'
import { createRng } from '../../src/amplitude/sandbox/rng.js'
import { loadSubscriptionsForCli } from '../../src/cli/common.js'
import { openArchive } from '../../src/pipeline/decode/reader.js'
import { readMessages } from '../../src/pipeline/index.js'
import { actionsRecordsOf } from '../../src/diff/service.js'
import { refusal } from '../../src/diff/refused.js'
import { compareAgainstExport } from '../../src/diff/against-service.js'
import { changedKeys, decideOwner as decide, KeyRows, parseWindow, propSource, type MessageRow } from '../../src/diff/against-pairing.js'
import { renderJson } from '../../src/diff/render.js'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, writeFile } from '../helpers/files.js'

const CLASSIC = 'test/fixtures/classic-settings.json'
const T0 = Date.parse('2024-05-06T10:00:00.000Z')

/** Messages Amplitude refuses whatever the configuration: no ids at all, and 3-character ids. */
function refusedMessages(): Array<Record<string, unknown>> {
  const at = (s: number) => new Date(T0 + s * 1000).toISOString()
  return [
    { type: 'track', event: 'Song Played', messageId: 'refused-1', timestamp: at(1), receivedAt: at(1), properties: { song: 'a' } },
    { type: 'track', event: 'Song Played', messageId: 'refused-2', userId: 'abc', timestamp: at(2), receivedAt: at(2), properties: { song: 'b' } },
    { type: 'identify', messageId: 'refused-3', userId: 'xyz', timestamp: at(3), receivedAt: at(3), traits: { plan: 'pro' } },
  ]
}

interface Built {
  zip: Buffer
  identifications: number
  ghosts: number
}

/** What the configuration sends for every kept message, stamped as Amplitude stores it. */
async function heldOutExport(archive: string[], mappings: string, seed: number): Promise<Built> {
  const subs = await loadSubscriptionsForCli(mappings, () => {})
  const rng = createRng(seed)
  type Upload = { kind: 'event'; at: number; rec: Record<string, unknown> } | { kind: 'identify'; at: number; rec: Record<string, unknown> }
  const uploads: Upload[] = []
  // what Segment routes to the destination (integrations flags), as the diff reads it (a group
  // identify's missing time: the message's own)
  for await (const one of readMessages({ archive: await openArchive(archive), subscriptions: subs })) {
    const { message, duplicate } = one
    if (duplicate) continue
    const received = Date.parse(String(message.receivedAt ?? message.timestamp))
    for (const r of actionsRecordsOf(subs, one)) {
      if (refusal(r.endpoint, r.record, r.options) !== undefined) continue // Amplitude answered 400: nothing stored
      const ep = r.endpoint.replace(/^\//, '')
      if (ep === 'identify') {
        // the Identify API takes no time: stamped on arrival, after a delivery delay; Classic sent no insert id
        const { insert_id: _, time: __, ...rec } = r.record
        uploads.push({ kind: 'identify', at: received + 200 + Math.floor(rng() * 2800), rec })
      } else if (ep === 'httpapi' || ep === 'batch') uploads.push({ kind: 'event', at: received + 100, rec: r.record })
    }
  }
  // SDK traffic that bypassed Segment: nothing in the archive explains it
  const ghosts = [0, 1, 2].map((i) => ({
    kind: 'event' as const,
    at: T0 + 600_000 + i * 1000,
    rec: { event_type: 'App Opened', device_id: 'ios-device-0001', insert_id: `sdk-${i}`, time: T0 + 600_000 + i * 1000, platform: 'iOS' },
  }))
  uploads.push(...ghosts)
  uploads.sort((a, b) => a.at - b.at)
  const events: IngestedEvent[] = []
  const identifyLog: IngestedIdentification[] = []
  uploads.forEach((u, requestSeq) => {
    if (u.kind === 'event') events.push({ endpoint: 'httpapi', event: u.rec, receivedAt: u.at, requestSeq })
    else identifyLog.push({ identification: u.rec, receivedAt: u.at, requestSeq })
  })
  const built = exportEntries(buildExportLines({ events, identifyLog }, 187520, 0, Number.MAX_SAFE_INTEGER), 187520, 500)
  return { zip: await zipEntries(built.entries), identifications: identifyLog.length, ghosts: ghosts.length }
}

describe('diff-mappings --against a held-out-style export ($identify rows at upload time, refused records, ghosts)', function () {
  this.timeout(240_000)
  let dir: string
  let cfg: string
  let archive: string[]
  let exportZip: string
  let built: Built

  before(async () => {
    dir = tempDir()
    cfg = join(dir, 'classic-names.json')
    const m = await runCli(['migrate', '--classic', CLASSIC, '--out', cfg])
    assert.equal(m.code, 0, m.stderr)
    archive = ['examples/segment-logs', writeFile(join(dir, 'refused', 'refused.ndjson'), ndjson(refusedMessages()))]
    built = await heldOutExport(archive, cfg, 24)
    exportZip = writeFile(join(dir, 'export', '20240506T00-20240508T23.zip'), built.zip)
  })

  it('pairs every identify and group association by the window: 0 renamed, dropped, added, duplicated; ghosts only in Amplitude; refused not added', async () => {
    const out = join(dir, 'report.json')
    const d = await runCli(
      [
        'diff-mappings',
        ...archive,
        '--against',
        exportZip,
        '--mappings',
        cfg,
        '--classic',
        CLASSIC,
        '--format',
        'json',
        '--out',
        out,
        '--fail-on',
        'renamed,dropped,added,duplicated,only-in-archive',
      ],
      { timeoutMs: 180_000 },
    )
    const r = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(d.code, 0, d.stderr)
    const { byKind } = r.totals
    assert.deepEqual(
      [byKind.renamed, byKind.dropped, byKind.added, byKind.duplicated],
      [0, 0, 0, 0],
      JSON.stringify(r.findings.filter((f: { kind: string }) => f.kind !== 'same').map((f: { kind: string; classic: string; actions: string }) => [f.kind, f.classic, f.actions])),
    )
    // paired with the right call: its records and the row agree on every property (a wrong identify would differ)
    assert.deepEqual([byKind.properties, byKind.revenue], [0, 0])
    assert.ok(built.identifications > 150, `${built.identifications} identifications`)
    // every $identify row is paired with its identify or group message, none ambiguous
    assert.equal(r.against.pairing.byWindow, built.identifications)
    assert.equal(r.against.pairing.ambiguous, 0)
    assert.equal(r.against.pairing.unpaired, built.ghosts)
    assert.deepEqual(r.against.byKind, { 'only-in-amplitude': built.ghosts, 'only-in-archive': 0, ambiguous: 0, 'outside-archive-span': 0 })
    assert.deepEqual(
      r.against.findings.filter((f: { kind: string }) => f.kind === 'only-in-amplitude').map((f: { name: string; count: number }) => `${f.name} × ${f.count}`),
      ['App Opened × 3'],
    )
    const refused = r.findings
      .filter((f: { kind: string }) => f.kind === 'refused-by-amplitude')
      .map((f: { actions: string; reason: string; count: number }) => `${f.actions} (${f.reason}) × ${f.count}`)
    assert.deepEqual(refused.sort(), [
      'Song Played (no user_id or device_id) × 1',
      'Song Played (user_id shorter than 5 characters) × 1',
      '[identify] (user_id shorter than 5 characters) × 1',
    ])
    assert.equal(byKind['refused-by-amplitude'], 3)

    // the emulation diff (no --against) states the same fact for the same records
    const e = await runCli(['diff-mappings', ...archive, '--mappings', cfg, '--classic', CLASSIC, '--format', 'json'], { timeoutMs: 120_000 })
    assert.equal(e.code, 0, e.stderr)
    const em = JSON.parse(e.stdout)
    const emRefused = em.findings
      .filter((f: { kind: string }) => f.kind === 'refused-by-amplitude')
      .map((f: { actions: string; reason: string; count: number }) => `${f.actions} (${f.reason}) × ${f.count}`)
    assert.deepEqual(emRefused.sort(), refused.sort())

    // not a finding by default; nameable in --fail-on
    const f = await runCli(
      ['diff-mappings', ...archive, '--against', exportZip, '--mappings', cfg, '--classic', CLASSIC, '--format', 'markdown', '--fail-on', 'refused-by-amplitude', '--no-progress'],
      { timeoutMs: 180_000 },
    )
    assert.equal(f.code, 1, f.stderr)
    assert.match(f.stderr, /--fail-on: found refused-by-amplitude/)
    assert.match(f.stdout, /^\| ❌ \| refused-by-amplitude \| — \| `Song Played` \| 1 \| no user_id or device_id \|$/m)
  })

  it('a window shorter than the delivery delay leaves identifications unpaired (--identify-window)', async () => {
    const d = await runCli(['diff-mappings', ...archive, '--against', exportZip, '--mappings', cfg, '--classic', CLASSIC, '--format', 'json', '--identify-window', '150ms'], {
      timeoutMs: 180_000,
    })
    assert.equal(d.code, 0, d.stderr)
    const r = JSON.parse(d.stdout)
    assert.equal(r.against.pairing.byWindow, 0)
    assert.equal(r.against.pairing.unpaired, built.ghosts + built.identifications)
    const bad = await runCli(['diff-mappings', ...archive, '--against', exportZip, '--identify-window', 'soon'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--identify-window soon: not a duration/)
    const alone = await runCli(['diff-mappings', ...archive, '--identify-window', '5m'])
    assert.equal(alone.code, 2)
    assert.match(alone.stderr, /--identify-window: only with --against EXPORT/)
    const nowhere = await runCli(['diff-mappings', ...archive, '--against', exportZip, '--work-dir', join(dir, 'missing', 'dir')])
    assert.equal(nowhere.code, 2)
    assert.match(nowhere.stderr, /--work-dir .*missing\/dir: cannot create a folder there \(ENOENT\)/)
  })

  it('the report is the same whether the pairing spans 1 bucket (all in memory) or many', async () => {
    const subs = await loadSubscriptionsForCli(cfg, () => {})
    const classicSettings = JSON.parse(readFileSync(CLASSIC, 'utf8'))
    const base = { inputs: archive, exportInputs: [exportZip], classicSettings, classicMode: 'cloud' as const, subscriptions: subs, mappingsSource: cfg, examples: 2 }
    const one = await compareAgainstExport({ ...base, buckets: 1 })
    const many = await compareAgainstExport({ ...base, buckets: 61, workDir: dir })
    assert.equal(renderJson(many.report), renderJson(one.report))
    assert.equal(one.report.against.pairing.byWindow, built.identifications)
  })

  it('the report is the same for --workers 1, 2 and 3, and for any size of the ordinal ranges the threads compare', async () => {
    const subs = await loadSubscriptionsForCli(cfg, () => {})
    const classicSettings = JSON.parse(readFileSync(CLASSIC, 'utf8'))
    const base = { inputs: archive, exportInputs: [exportZip], classicSettings, classicMode: 'cloud' as const, subscriptions: subs, mappingsSource: cfg, examples: 2 }
    // one range and one thread: nothing is merged
    const whole = await compareAgainstExport({ ...base, chunkOrdinals: 1_000_000, workers: 1 })
    const text = renderJson(whole.report)
    assert.equal(whole.report.against.pairing.byWindow, built.identifications)
    assert.equal(whole.report.against.byKind['only-in-amplitude'], built.ghosts)
    assert.equal(whole.report.totals.byKind['refused-by-amplitude'], 3)
    for (const workers of [1, 2, 3]) {
      // ranges of 7 messages: many jobs, merged in order (examples: the first 2 by archive order)
      const r = await compareAgainstExport({ ...base, chunkOrdinals: 7, buckets: 13, workers })
      assert.equal(renderJson(r.report), text, `--workers ${workers}`)
      assert.deepEqual(r.counts, whole.counts, `--workers ${workers}: counts`)
    }
  })
})

describe('$identify pairing by window (pure)', () => {
  const row = (o: number, type: string, rt: number, sets: MessageRow['sets'] = []): MessageRow => ({ k: 'u:user-00001', o, t: rt - 50, rt, type, sets })
  const shape = (time: number, up: Record<string, unknown>, groups?: Record<string, unknown>) => ({
    endpoint: '/identify' as const,
    record: { user_id: 'user-00001', time, user_properties: up, ...(groups ? { groups } : {}) },
  })
  const W = 300_000
  const decideOwner = (sh: Parameters<typeof decide>[0], ins: number | undefined, rows: MessageRow[], prev: Record<string, unknown> | undefined, w: number) =>
    decide(sh, ins, new KeyRows('u:user-00001', rows), changedKeys(sh.record, prev), w)

  it('one identify or group call received before the row within the window owns it; outside the window or before the message: none', () => {
    assert.deepEqual(decideOwner(shape(T0 + 1200, { plan: 'pro' }), undefined, [row(7, 'identify', T0)], undefined, W), { kind: 'owned', ordinal: 7, via: 'window' })
    assert.deepEqual(decideOwner(shape(T0 + W + 1, { plan: 'pro' }), undefined, [row(7, 'identify', T0)], undefined, W), { kind: 'none' })
    assert.deepEqual(decideOwner(shape(T0 - 1, { plan: 'pro' }), undefined, [row(7, 'identify', T0)], undefined, W), { kind: 'none' })
    // a track call is never a $identify row's owner
    assert.deepEqual(decideOwner(shape(T0 + 1200, {}), undefined, [row(7, 'track', T0)], undefined, W), { kind: 'none' })
  })

  it('several candidates: the user properties the row changed decide; still several: ambiguous, never a guess', () => {
    const identify = row(1, 'identify', T0, [propSource([{ endpoint: '/identify', record: { user_properties: { plan: 'pro', name: 'Ada' } } }])])
    const group = row(2, 'group', T0 + 10, [propSource([{ endpoint: '/identify', record: { user_properties: { company: 'acme' }, groups: { company: 'acme' } } }])])
    const before = { user_id: 'user-00001', user_properties: { plan: 'free' } }
    // the identify's row: plan and name changed, the group is not on the user yet
    assert.deepEqual(decideOwner(shape(T0 + 900, { plan: 'pro', name: 'Ada' }), undefined, [identify, group], before, W), { kind: 'owned', ordinal: 1, via: 'window' })
    // the group's row (after the identify's): only company changed
    const afterIdentify = { user_id: 'user-00001', user_properties: { plan: 'pro', name: 'Ada' } }
    assert.deepEqual(decideOwner(shape(T0 + 1500, { plan: 'pro', name: 'Ada', company: 'acme' }, { company: ['acme'] }), undefined, [identify, group], afterIdentify, W), {
      kind: 'owned',
      ordinal: 2,
      via: 'window',
    })
    // two identical identify calls: ambiguous
    const twin = { ...identify, o: 3, rt: T0 + 5 }
    assert.deepEqual(decideOwner(shape(T0 + 900, { plan: 'pro', name: 'Ada' }), undefined, [identify, twin], before, W), { kind: 'ambiguous', candidates: 2 })
  })

  it('--identify-window values', () => {
    assert.deepEqual(['90s', '5m', '1500ms', '2', '1h', 'soon', '-1s'].map(parseWindow), [90_000, 300_000, 1500, 2000, 3_600_000, undefined, undefined])
  })
})
