/**
 * diff-mappings --against with what real Amplitude exports hold besides the clean case: the same
 * events in two overlapping exports, events of another project, event times in another format.
 * Each must be a named, counted finding or a clear error, never a silent mis-pairing.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { zipEntries } from '../../src/amplitude/sandbox/export.js'
import { exportTime } from '../../src/amplitude/export-api/format.js'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'

const CLASSIC = 'test/fixtures/classic-settings.json'
const T = Date.parse('2024-05-06T10:00:00.000Z')

function stored(n: number, ev: Record<string, unknown>): Record<string, unknown> {
  // as exports list an event: every field (null when empty), Amplitude's own fields, a uuid of its own
  return {
    $insert_id: null,
    $schema: 12,
    amplitude_id: 1234567,
    app: 187520,
    uuid: `d0b5b3a6-2e3b-11eb-9a80-0a62134d51${String(n).padStart(2, '0')}`,
    data: { group_ids: {} },
    event_properties: {},
    user_properties: {},
    groups: {},
    group_properties: {},
    library: 'segment',
    platform: null,
    session_id: -1,
    server_upload_time: exportTime(T + 2000),
    ...ev,
  }
}

/** Two track messages and the two events Classic stored for them. */
function twoMessages(dir: string): { archive: string; events: Array<Record<string, unknown>> } {
  const m1 = track('Song Played', { messageId: 'ajs-m1', timestamp: new Date(T).toISOString(), userId: 'user-00001', properties: { song: 'a' } })
  const m2 = track('Video Watched', { messageId: 'ajs-m2', timestamp: new Date(T + 1000).toISOString(), userId: 'user-00002', properties: { video: 'b' } })
  const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([m1, m2]))
  const events = [
    stored(1, { event_type: 'Song Played', user_id: 'user-00001', event_time: exportTime(T), event_properties: { song: 'a' } }),
    stored(2, { event_type: 'Video Watched', user_id: 'user-00002', event_time: exportTime(T + 1000), event_properties: { video: 'b' } }),
  ]
  return { archive, events }
}

async function zipOf(path: string, project: number, events: Array<Record<string, unknown>>): Promise<string> {
  return writeFile(path, await zipEntries([{ name: `${project}/${project}_2024-05-06_10#0.json.gz`, data: gzipSync(ndjson(events)) }]))
}

describe('diff-mappings --against: odd real exports', () => {
  it('two overlapping exports (the same events, same uuids, twice) pair each event once and say how many were read twice', async () => {
    const dir = tempDir()
    const { archive, events } = twoMessages(dir)
    // a day's export, then a re-export of a few of its hours into another folder
    const day = await zipOf(join(dir, 'export-day', '20240506T00-20240506T23.zip'), 187520, events)
    const again = await zipOf(join(dir, 'export-again', '20240506T10-20240506T10.zip'), 187520, events)
    const out = join(dir, 'r.json')
    const r = await runCli([
      'diff-mappings',
      archive,
      '--against',
      day,
      '--against',
      again,
      '--classic',
      CLASSIC,
      '--format',
      'json',
      '--out',
      out,
      '--fail-on',
      'dropped,duplicated,only-in-amplitude',
    ])
    assert.equal(r.code, 0, r.stderr)
    const rep = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(rep.against.export.events, 4)
    assert.deepEqual(rep.against.pairing, { byInsertId: 0, byKey: 2, byWindow: 0, ambiguous: 0, unpaired: 0, duplicateEvents: 2, duplicateMessages: 0, notExportedRecords: 0 })
    assert.equal(rep.totals.byKind.dropped, 0)
    assert.equal(rep.totals.byKind.duplicated, 0)
    assert.equal(rep.totals.classicEvents, 2)
    assert.deepEqual(rep.against.byKind, { 'only-in-amplitude': 0, 'only-in-archive': 0, ambiguous: 0, 'outside-archive-span': 0 })
    assert.equal(rep.against.emulation.storedEvents, 2)
    const table = await runCli(['diff-mappings', archive, '--against', day, '--against', again, '--classic', CLASSIC, '--no-progress'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^Export: 2 stored event\(s\) read twice \(the same uuid and content, e\.g\. in overlapping exports\): counted once$/m)
  })

  it('events of two Amplitude projects (another `app`) are refused with the projects named, not paired twice', async () => {
    const dir = tempDir()
    const { archive, events } = twoMessages(dir)
    const prod = await zipOf(join(dir, 'export', 'prod.zip'), 187520, events)
    const staging = await zipOf(
      join(dir, 'export', 'staging.zip'),
      187999,
      events.map((e, i) => ({ ...e, app: 187999, uuid: `f00dfeed-0000-0000-0000-00000000000${i}` })),
    )
    const r = await runCli(['diff-mappings', archive, '--against', join(dir, 'export'), '--classic', CLASSIC, '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(
      r.stderr,
      /^Error: --against: the export holds events of 2 Amplitude projects: app 187520 \(2 events, first in .*prod\.zip!187520\/187520_2024-05-06_10#0\.json\.gz:1\), app 187999 \(2 events, first in .*staging\.zip!187999\/187999_2024-05-06_10#0\.json\.gz:1\)/m,
    )
    assert.match(r.stderr, /^Hint: .*one project/m)
    assert.ok(prod && staging)
  })

  it('event times in another format pair alike in any time zone; one that is no time is named, with its file and line', async () => {
    const dir = tempDir()
    const { archive, events } = twoMessages(dir)
    const zoned = [
      // nanoseconds (a warehouse's copy of the export), and an explicit offset
      { ...events[0], event_time: '2024-05-06 10:00:00.000000000' },
      { ...events[1], event_time: '2024-05-06T12:00:01+02:00' },
      stored(3, { event_type: 'Song Played', user_id: 'user-00001', event_time: 'yesterday at ten' }),
    ]
    const exp = await zipOf(join(dir, 'export', '20240506T10-20240506T10.zip'), 187520, zoned)
    const out = join(dir, 'r.json')
    // Away from UTC, a time without a zone read by Date.parse is local time: off by hours, unpaired.
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'json', '--out', out, '--no-progress'], {
      env: { TZ: 'America/New_York' },
    })
    assert.equal(r.code, 0, r.stderr)
    const rep = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(rep.against.pairing.byKey, 2)
    assert.equal(rep.against.pairing.unpaired, 1)
    const entry = `${exp}!187520/187520_2024-05-06_10#0.json.gz`
    assert.deepEqual(rep.against.export.problems, [
      {
        file: `${entry}:3`,
        reason: 'event_time "yesterday at ten" is not a time (expected 2024-05-06 10:00:00.123000, as exports write it, or ISO 8601): the event pairs by $insert_id only',
      },
    ])
    const table = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--no-progress'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^Export problem: .*#0\.json\.gz:3: event_time "yesterday at ten" is not a time/m)
  })

  it('a zip of zips: the inner zip is named as a zip inside a zip, with what to do, and the run exits 2', async () => {
    const dir = tempDir()
    const { archive, events } = twoMessages(dir)
    const inner = await zipEntries([{ name: '187520/187520_2024-05-06_10#0.json.gz', data: gzipSync(ndjson(events)) }])
    const outer = writeFile(join(dir, 'export.zip'), await zipEntries([{ name: 'export/20240506T10-20240506T10.zip', data: inner }]))
    const r = await runCli(['diff-mappings', archive, '--against', outer, '--classic', CLASSIC, '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    const line = r.stderr.split('\n').find((l) => l.includes('20240506T10-20240506T10.zip:') || l.includes('20240506T10-20240506T10.zip: '))
    assert.equal(
      line,
      `export problem: ${outer}!export/20240506T10-20240506T10.zip: a zip inside a zip: not read; unzip ${outer} into a folder and give --against that folder (the zips in it are read)`,
    )
    assert.doesNotMatch(r.stderr, /is read by diff-mappings --against/)
  })

  it("the markdown report shows an export problem's file and reason as code: a file name is not markup in a pull-request comment", async () => {
    const dir = tempDir()
    const { archive, events } = twoMessages(dir)
    const name = '187520/<img src=x onerror=alert(1)> **b** | `t`.json.gz'
    const good = gzipSync(ndjson(events))
    const exp = writeFile(join(dir, 'export', 'x.zip'), await zipEntries([{ name, data: good.subarray(0, good.length - 12) }]))
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'markdown', '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    const line = r.stdout.split('\n').find((l) => l.startsWith('Export problem: '))
    assert.equal(line, `Export problem: \`\` ${exp}!${name}: truncated gzip (unexpected end of file) after 1 line(s); the lines before it were read \`\`  `)
  })

  it('a message time without a zone is UTC on a machine in any time zone, as the mappings and the Classic emulation read it', async () => {
    const dir = tempDir()
    const { events } = twoMessages(dir)
    // as some server libraries and hand-made archives write it: no Z, no offset
    const m1 = track('Song Played', {
      messageId: 'ajs-m1',
      timestamp: '2024-05-06T10:00:00.000',
      receivedAt: '2024-05-06 10:00:00.120',
      userId: 'user-00001',
      properties: { song: 'a' },
    })
    const m2 = track('Video Watched', { messageId: 'ajs-m2', timestamp: '2024-05-06T10:00:01', userId: 'user-00002', properties: { video: 'b' } })
    const archive = writeFile(join(dir, 'zoneless', 'day.ndjson'), ndjson([m1, m2]))
    const exp = await zipOf(join(dir, 'export', '20240506T10-20240506T10.zip'), 187520, events)
    const out = join(dir, 'r.json')
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'json', '--out', out, '--no-progress'], {
      env: { TZ: 'America/New_York' },
    })
    assert.equal(r.code, 0, r.stderr)
    const rep = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(rep.against.pairing.byKey, 2)
    assert.deepEqual(rep.against.byKind, { 'only-in-amplitude': 0, 'only-in-archive': 0, ambiguous: 0, 'outside-archive-span': 0 })
  })

  it('an archive given as the export (Segment messages, not stored events) is refused naming a line, not compared as 600 nameless events', async () => {
    const dir = tempDir()
    const { archive } = twoMessages(dir)
    const r = await runCli(['diff-mappings', archive, '--against', archive, '--classic', CLASSIC, '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`export problem: ${archive}:1: a Segment message (type, messageId), not an Amplitude export event: it has no event_type`), r.stderr)
    assert.match(r.stderr, /^Error: nothing to compare against: no stored event was read from /m)
    // and when stored events are read but none pairs, the agreement is not a 100 % of nothing
    const { events } = twoMessages(dir)
    const other = await zipOf(join(dir, 'export', 'other.zip'), 187520, [{ ...events[0]!, user_id: 'someone-else', device_id: null }])
    const t = await runCli(['diff-mappings', archive, '--against', other, '--classic', CLASSIC, '--no-progress'])
    assert.equal(t.code, 0, t.stderr)
    assert.match(t.stdout, /^Emulation agreement: not measured \(no stored event was paired with an archived message\)$/m)
    const html = join(dir, 'r.html')
    const h = await runCli(['diff-mappings', archive, '--against', other, '--classic', CLASSIC, '--format', 'html', '--out', html, '--no-progress'])
    assert.equal(h.code, 0, h.stderr)
    assert.match(readFileSync(html, 'utf8'), /agreement was not measured: no stored event was paired/)
  })

  it('an export line without event_type among real events is named and left out, the rest compared', async () => {
    const dir = tempDir()
    const { archive, events } = twoMessages(dir)
    const { event_type: _, ...nameless } = events[1]!
    const exp = await zipOf(join(dir, 'export', 'x.zip'), 187520, [events[0]!, nameless])
    const out = join(dir, 'r.json')
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'json', '--out', out, '--no-progress'])
    assert.equal(r.code, 0, r.stderr)
    const rep = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(rep.against.export.events, 1)
    assert.deepEqual(rep.against.export.problems, [{ file: `${exp}!187520/187520_2024-05-06_10#0.json.gz:2`, reason: 'not an Amplitude export event: it has no event_type' }])
  })

  it('the export given as the archive: the error counts the rejected lines and says where an export goes', async () => {
    const dir = tempDir()
    const { events } = twoMessages(dir)
    const exp = writeFile(join(dir, 'export', '187520_2024-05-06_10#0.json.gz'), gzipSync(ndjson(events)))
    const r = await runCli(['diff-mappings', join(dir, 'export'), '--classic', CLASSIC, '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(
      r.stderr.includes(
        `Error: nothing to compare: no message was read from ${join(dir, 'export')} (0 parsed, 2 rejected line(s): missing type 2, 0 unreadable file(s), 0 filtered)`,
      ),
      r.stderr,
    )
    assert.match(r.stderr, /Hint: .*an Amplitude export goes to --against, and the argument is the Segment archive\./)
    assert.ok(exp)
  })
})
