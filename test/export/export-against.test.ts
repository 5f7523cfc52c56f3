import { strict as assert } from 'node:assert'
import { readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { zipEntries } from '../../src/amplitude/sandbox/export.js'
import { exportTime } from '../../src/amplitude/export-api/format.js'
import { flattenUserProperties } from '../../src/diff/against.js'
import { insertIdCandidates } from '../../src/diff/against-pairing.js'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'

const CLASSIC = 'test/fixtures/classic-settings.json'

function stored(ev: Record<string, unknown>): Record<string, unknown> {
  // a stored event as exports list it: every field, null when empty, Amplitude's own fields
  return {
    $insert_id: null,
    $schema: 12,
    amplitude_id: 1234567,
    app: 187520,
    uuid: 'd0b5b3a6-2e3b-11eb-9a80-0a62134d514d',
    city: 'Berlin',
    country: 'Germany',
    region: null,
    dma: null,
    data: { group_ids: {} },
    device_carrier: null,
    event_properties: {},
    user_properties: { accumulated: 'from an earlier identify' },
    groups: {},
    group_properties: {},
    library: 'segment',
    platform: null,
    session_id: -1,
    ip_address: '198.51.100.7',
    server_upload_time: '2024-05-06 10:00:02.000000',
    ...ev,
  }
}

async function loop(dir: string, mappings: string[]): Promise<{ exportDir: string }> {
  const replay = await runCli(['replay', 'examples/segment-logs', '--sandbox', '--sandbox-dir', join(dir, 'sb'), '--no-progress', ...mappings], { timeoutMs: 120_000 })
  assert.equal(replay.code, 0, replay.stderr)
  const hint = /export it with: \S+ export --sandbox --start (\S+) --end (\S+)/.exec(replay.stdout)
  assert.ok(hint, replay.stdout)
  const exportDir = join(dir, 'export')
  const ex = await runCli(['export', '--sandbox', '--sandbox-dir', join(dir, 'sb'), '--start', hint[1]!, '--end', hint[2]!, '--out', exportDir, '--no-progress'])
  assert.equal(ex.code, 0, ex.stderr)
  return { exportDir }
}

describe('diff-mappings --against EXPORT', () => {
  it('insert ids pair by the messageId they carry (Classic `<id>:<suffix>`, replay `<id>-<hex>`); operations flatten to values', () => {
    assert.deepEqual(insertIdCandidates('ajs-de09:CS4f'), ['ajs-de09:CS4f', 'ajs-de09', 'ajs'])
    const f = flattenUserProperties({ $set: { plan: 'pro' }, $setOnce: { first: 'a' }, $unset: { gone: '-' }, email: 'x@y.z' })
    assert.deepEqual(f.values, { plan: 'pro', first: 'a', email: 'x@y.z' })
    assert.deepEqual([...f.presenceOnly], ['first'])
  })

  it('replay with a Classic-names configuration → sandbox → export → --against with that configuration: no renames, no drops, nothing only on one side', async function () {
    this.timeout(180_000)
    const dir = tempDir()
    const cfg = join(dir, 'classic-names.json')
    const m = await runCli(['migrate', '--classic', CLASSIC, '--out', cfg])
    assert.equal(m.code, 0, m.stderr)
    const { exportDir } = await loop(dir, ['--mappings', cfg])
    const out = join(dir, 'report.json')
    const d = await runCli(
      [
        'diff-mappings',
        'examples/segment-logs',
        '--against',
        exportDir,
        '--mappings',
        cfg,
        '--classic',
        CLASSIC,
        '--format',
        'json',
        '--out',
        out,
        '--fail-on',
        'renamed,dropped,added,duplicated,properties,revenue,only-in-amplitude,only-in-archive',
      ],
      { timeoutMs: 120_000 },
    )
    assert.equal(d.code, 0, d.stderr)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(report.totals.messages, 588)
    assert.equal(report.totals.byKind.renamed, 0)
    assert.equal(report.totals.byKind.dropped, 0)
    assert.equal(report.totals.byKind.properties, 0)
    assert.deepEqual(report.against.byKind, { 'only-in-amplitude': 0, 'only-in-archive': 0, ambiguous: 0, 'outside-archive-span': 0 })
    assert.equal(report.against.export.events, 660)
    assert.equal(report.against.pairing.byInsertId, 660)
    assert.ok(report.model.amplitudeFields.includes('server_upload_time') && report.model.amplitudeFields.includes('amplitude_id'))
    assert.ok(report.model.assumptions.some((a: string) => /\$insert_id/.test(a)))
    assert.match(d.stderr, /588 messages and 660 stored events compared in [\d.]+ s \([\d,]+ messages\/s\)/)

    // the presets against the same export rename exactly what the emulation diff (cloud) renames
    const ap = join(dir, 'presets-against.json')
    const ep = join(dir, 'presets-emulation.json')
    const a = await runCli(['diff-mappings', 'examples/segment-logs', '--against', exportDir, '--classic', CLASSIC, '--format', 'json', '--out', ap], { timeoutMs: 120_000 })
    const e = await runCli(['diff-mappings', 'examples/segment-logs', '--classic', CLASSIC, '--classic-mode', 'cloud', '--format', 'json', '--out', ep], { timeoutMs: 120_000 })
    assert.equal(a.code, 0, a.stderr)
    assert.equal(e.code, 0, e.stderr)
    const renames = (file: string, kinds = ['renamed']) =>
      JSON.parse(readFileSync(file, 'utf8'))
        .findings.filter((f: { kind: string }) => kinds.includes(f.kind))
        .map((f: { kind: string; classic: string; actions: string; count: number }) => `${f.kind}: ${f.classic} → ${f.actions} × ${f.count}`)
        .sort()
    const againstRenames = renames(ap)
    assert.ok(againstRenames.length >= 3, againstRenames.join('\n'))
    assert.deepEqual(againstRenames, renames(ep))
    // and so are the drops (groups: no preset sends them) and additions (unnamed pages: Classic sent none)
    const kinds = ['dropped', 'added', 'duplicated']
    assert.deepEqual(renames(ap, kinds), renames(ep, kinds))
    assert.deepEqual(renames(ap, kinds), ['added: null → Viewed  × 23', 'dropped: [group] [Segment] Group → null × 72'])
  })

  it('a hand-built export: stored events the archive lacks are only-in-amplitude, messages Amplitude lacks only-in-archive; insert id, user+time and ambiguous pairing', async () => {
    const dir = tempDir()
    const t = '2024-05-06T10:00:00.000Z'
    const ms = Date.parse(t)
    const m1 = track('Song Played', { messageId: 'ajs-m1', timestamp: t, userId: 'user-00001', properties: { song: 'a' } })
    const m2 = track('Video Watched', { messageId: 'ajs-m2', timestamp: '2024-05-06T10:00:01.000Z', userId: 'user-00002', properties: { video: 'b' } })
    // before the first stored event: outside what the export covers
    const m3 = track('Signed Up', { messageId: 'ajs-m3', timestamp: '2024-05-06T09:00:02.000Z', userId: 'user-00003', properties: {} })
    const m4 = track('Clicked', { messageId: 'ajs-m4', timestamp: '2024-05-06T10:00:03.000Z', userId: 'user-00004', properties: {} })
    const m5 = track('Clicked', { messageId: 'ajs-m5', timestamp: '2024-05-06T10:00:03.000Z', userId: 'user-00004', properties: {} })
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([m1, m2, m3, m4, m5]))
    const lines = [
      stored({
        $insert_id: 'ajs-m1:CS4fUc2U9U',
        event_type: 'Song Played',
        user_id: 'user-00001',
        device_id: 'anon-1234',
        event_time: exportTime(ms),
        event_properties: { song: 'a' },
      }),
      stored({ event_type: 'Video Watched', user_id: 'user-00002', device_id: 'anon-1234', event_time: exportTime(ms + 1000), event_properties: { video: 'b' } }),
      stored({ event_type: 'Clicked', user_id: 'user-00004', device_id: 'anon-1234', event_time: exportTime(ms + 3000) }),
      // SDK traffic inside the archive's span (09:00:02 to 10:00:03; after it, it would be outside-archive-span)
      stored({ $insert_id: 'f3c1b2a4-sdk', event_type: 'App Opened', user_id: 'user-00009', device_id: 'ios-device-123', event_time: exportTime(ms + 2000) }),
      stored({ $insert_id: 'f3c1b2a5-sdk', event_type: 'App Opened', user_id: 'user-00009', device_id: 'ios-device-123', event_time: exportTime(ms + 2500) }),
    ]
    const zip = await zipEntries([{ name: '187520/187520_2024-05-06_10#0.json.gz', data: gzipSync(ndjson(lines)) }])
    const exp = writeFile(join(dir, 'export', '20240506T10-20240506T10.zip'), zip)
    const out = join(dir, 'r.json')
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--format', 'json', '--out', out, '--fail-on', 'only-in-amplitude'])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /--fail-on: found only-in-amplitude/)
    const rep = JSON.parse(readFileSync(out, 'utf8'))
    assert.deepEqual(rep.against.pairing, { byInsertId: 1, byKey: 1, byWindow: 0, ambiguous: 1, unpaired: 2, duplicateEvents: 0, duplicateMessages: 0, notExportedRecords: 0 })
    assert.deepEqual(rep.against.byKind, { 'only-in-amplitude': 2, 'only-in-archive': 1, ambiguous: 1, 'outside-archive-span': 0 })
    const f = (kind: string) => rep.against.findings.filter((x: { kind: string }) => x.kind === kind).map((x: { name: string; count: number }) => `${x.name} × ${x.count}`)
    assert.deepEqual(f('only-in-amplitude'), ['App Opened × 2'])
    assert.deepEqual(f('only-in-archive'), ['Signed Up × 1'])
    // inside the covered span, Amplitude holding nothing means Classic sent nothing: Actions' records are `added`
    assert.equal(rep.totals.byKind.added, 2)
    assert.deepEqual(f('ambiguous'), ['Clicked × 1'])
    const oa = rep.against.findings.find((x: { kind: string }) => x.kind === 'only-in-amplitude')
    assert.equal(oa.examples[0].file, `${exp}!187520/187520_2024-05-06_10#0.json.gz`)
    assert.equal(oa.examples[0].line, 4)
    const md = await runCli(['diff-mappings', archive, '--against', exp, '--format', 'markdown', '--fail-on', 'only-in-amplitude,renamed', '--no-progress'])
    assert.equal(md.code, 1, md.stderr)
    assert.match(md.stdout, /^### segamp diff-mappings --against: ❌ failed on only-in-amplitude$/m)
    assert.match(md.stdout, /^Only in Amplitude: stored events no archived message explains \(2 events\) {2}$/m)
    assert.match(md.stdout, /^- `App Opened {2}\(2\)`$/m)
    const table = await runCli(['diff-mappings', archive, '--against', exp, '--no-progress'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^Classic \(amplitude export\) vs Actions \(presets\): 5 messages/)
    assert.match(table.stdout, /^Only in the archive: messages Amplitude holds nothing for \(1 messages\)\n {2}Signed Up {2}\(1\)$/m)
    assert.match(table.stdout, /^Emulation agreement: the Classic emulation \(cloud\) matched [\d.]+ % of stored events \(\d+ of 2 paired with an archived message\)$/m)
    assert.match(table.stdout, /Differences found\.\n?$/)
    assert.doesNotMatch(table.stdout, /^ {6}ip /m)
    // the paired events: stored location enrichment and accumulated user properties are not differences
    assert.equal(rep.totals.byKind.same, 2)
    const props = rep.findings.filter((x: { kind: string }) => x.kind === 'properties')
    assert.ok(
      props.every((p: { paths: Array<{ path: string }> }) => p.paths.every((q) => !/^(city|country|user_properties\.accumulated)$/.test(q.path))),
      JSON.stringify(props),
    )
  })

  it('an export given twice (the folder, and a zip inside it) is read once: the same report, not every event stored twice', async () => {
    const dir = tempDir()
    const t = '2024-05-06T10:00:00.000Z'
    const ms = Date.parse(t)
    const m1 = track('Song Played', { messageId: 'ajs-t1', timestamp: t, userId: 'user-00001', properties: { song: 'a' } })
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([m1]))
    const lines = [
      stored({
        $insert_id: 'ajs-t1:CS4fUc2U9U',
        event_type: 'Song Played',
        user_id: 'user-00001',
        device_id: 'anon-1234',
        event_time: exportTime(ms),
        event_properties: { song: 'a' },
      }),
    ]
    const zip = await zipEntries([{ name: '187520/187520_2024-05-06_10#0.json.gz', data: gzipSync(ndjson(lines)) }])
    const exp = writeFile(join(dir, 'export', '20240506T10-20240506T10.zip'), zip)
    const run = (against: string[]) =>
      runCli(['diff-mappings', archive, ...against.flatMap((a) => ['--against', a]), '--format', 'json', '--fail-on', 'dropped,duplicated', '--no-progress'])
    const once = await run([exp])
    const twice = await run([join(dir, 'export'), exp])
    assert.equal(once.code, 0, once.stderr)
    // Each stored event was read twice: the message paired with two copies, and Classic "sent" 2 records.
    assert.equal(twice.code, 0, twice.stderr)
    const [a, b] = [JSON.parse(once.stdout), JSON.parse(twice.stdout)]
    assert.deepEqual(b.totals, a.totals)
    assert.equal(b.totals.classicEvents, 1)
    assert.deepEqual(b.against.pairing, a.against.pairing)
    assert.equal(b.against.export.events, 1)
    assert.deepEqual(b.against.export.problems, [{ file: exp, reason: 'given twice: read once' }])
    assert.match(twice.stderr, /export problem: .*20240506T10-20240506T10\.zip: given twice: read once/)
    // The same file by another path (a link): named.
    symlinkSync(exp, join(dir, 'link.zip'))
    const linked = await run([exp, join(dir, 'link.zip')])
    assert.deepEqual(JSON.parse(linked.stdout).totals, a.totals)
    assert.match(linked.stderr, /link\.zip: the same file as .*20240506T10-20240506T10\.zip: read once/)
  })

  it('bad zips and truncated gzip members are reported by name and the run goes on, and then exits 2: a gate must not pass on part of the export', async () => {
    const dir = tempDir()
    const ms = Date.parse('2024-05-06T10:00:00.000Z')
    const m1 = track('Song Played', { messageId: 'ajs-t1', timestamp: '2024-05-06T10:00:00.000Z', userId: 'user-00001' })
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([m1]))
    const good = gzipSync(ndjson([stored({ $insert_id: 'ajs-t1-0badc0de', event_type: 'Song Played', user_id: 'user-00001', event_time: exportTime(ms) })]))
    const truncated = gzipSync(
      ndjson(Array.from({ length: 200 }, (_, i) => stored({ $insert_id: `x-${i}`, event_type: 'Other', user_id: 'user-00077', event_time: exportTime(ms + i) }))),
    )
    const zip = await zipEntries([
      { name: '187520/187520_2024-05-06_10#0.json.gz', data: truncated.subarray(0, Math.floor(truncated.length / 2)) },
      { name: '187520/187520_2024-05-06_10#1.json.gz', data: good },
    ])
    writeFile(join(dir, 'export', 'a.zip'), zip)
    writeFile(join(dir, 'export', 'b.zip'), Buffer.from('PK\u0003\u0004 this is not really a zip'))
    writeFile(join(dir, 'export', 'c.zip'), zip.subarray(0, zip.length - 30))
    const r = await runCli(['diff-mappings', archive, '--against', join(dir, 'export'), '--format', 'json', '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /error: 3 input file\(s\) could not be read to the end/)
    const rep = JSON.parse(r.stdout)
    assert.deepEqual(
      rep.unreadableFiles.map((f: { file: string }) => f.file.slice(dir.length + 1)),
      ['export/a.zip!187520/187520_2024-05-06_10#0.json.gz', 'export/b.zip', 'export/c.zip'],
    )
    const problems = rep.against.export.problems.map((p: { file: string; reason: string }) => `${p.file.slice(dir.length + 1)}: ${p.reason.split(' (')[0]}`)
    assert.ok(problems.includes('export/a.zip!187520/187520_2024-05-06_10#0.json.gz: truncated gzip'), problems.join('\n'))
    assert.ok(problems.includes('export/b.zip: not a readable zip'), problems.join('\n'))
    assert.ok(problems.includes('export/c.zip: not a readable zip'), problems.join('\n'))
    assert.match(r.stderr, /export problem: .*a\.zip!187520\/187520_2024-05-06_10#0\.json\.gz: truncated gzip/)
    // the good member after the truncated one was read and paired
    assert.equal(rep.against.pairing.byInsertId, 1)
    assert.equal(rep.totals.byKind.same, 1)
  })

  it('an --against path that does not exist (a typo next to a good one) is exit 2, and lines that are not JSON objects are not', async () => {
    const dir = tempDir()
    const ms = Date.parse('2024-05-06T10:00:00.000Z')
    const m1 = track('Song Played', { messageId: 'ajs-t1', timestamp: '2024-05-06T10:00:00.000Z', userId: 'user-00001' })
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([m1]))
    const good = ndjson([stored({ $insert_id: 'ajs-t1-0badc0de', event_type: 'Song Played', user_id: 'user-00001', event_time: exportTime(ms) })])
    const exp = writeFile(join(dir, 'export', 'a.json.gz'), gzipSync(good + 'not json\n'))
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--against', join(dir, 'exprot\u001b[31m'), '--fail-on', 'renamed', '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /exprot\\u001b\[31m: cannot be read \(ENOENT\)/)
    assert.ok(!r.stderr.includes('\u001b'), 'the path is quoted with its control characters escaped')
    assert.ok(!r.stdout.includes('\u001b'), 'the report table quotes it escaped too')
    assert.match(r.stdout, /^Export problem: .*exprot\\u001b\[31m: /m)
    assert.match(r.stderr, /error: 1 input file\(s\) could not be read to the end/)
    // a bad line is a rejected line, as in an archive: noted, not trouble
    const ok = await runCli(['diff-mappings', archive, '--against', exp, '--fail-on', 'renamed', '--no-progress'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stderr, /a\.json\.gz:2: not a JSON object/)
  })
})
