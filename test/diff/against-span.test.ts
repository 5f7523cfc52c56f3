/**
 * diff-mappings --against an export that covers more time than the archive (the usual case: an
 * export of whole days, an archive that starts mid-day or ends early). Stored events no archived
 * message could explain, because their time lies outside the archive's span, are counted apart
 * (`outside-archive-span`) and are no difference for --fail-on; inside the span an unexplained
 * event is still only-in-amplitude.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { zipEntries } from '../../src/amplitude/sandbox/export.js'
import { exportTime } from '../../src/amplitude/export-api/format.js'
import { outsideSpan, SpanBuilder } from '../../src/diff/against-pairing.js'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'

const CLASSIC = 'test/fixtures/classic-settings.json'
const T = Date.parse('2024-05-06T10:00:00.000Z')
const MIN = 60_000
const HOUR = 60 * MIN

let uuid = 0
function stored(ev: Record<string, unknown>): Record<string, unknown> {
  uuid++
  return {
    $insert_id: null,
    $schema: 12,
    amplitude_id: 1234567,
    app: 187520,
    uuid: `d0b5b3a6-2e3b-11eb-9a80-${String(uuid).padStart(12, '0')}`,
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

/** An archive from 10:00 to 11:00 (three track calls) and the events Classic stored for them. */
function archiveHour(dir: string): { archive: string; paired: Array<Record<string, unknown>> } {
  const times = [T, T + 30 * MIN, T + HOUR]
  const messages = times.map((t, i) =>
    track('Song Played', { messageId: `ajs-m${i}`, timestamp: new Date(t).toISOString(), userId: `user-0000${i}`, anonymousId: `anon-0000${i}`, properties: { song: i } }),
  )
  const paired = times.map((t, i) =>
    stored({ event_type: 'Song Played', user_id: `user-0000${i}`, device_id: `anon-0000${i}`, event_time: exportTime(t), event_properties: { song: i } }),
  )
  return { archive: writeFile(join(dir, 'archive', 'day.ndjson'), ndjson(messages)), paired }
}

/** Events of users the archive never mentions (SDK traffic, or messages of another day), at these times. */
function others(times: number[]): Array<Record<string, unknown>> {
  return times.map((t, i) => stored({ event_type: 'App Opened', user_id: `sdk-user-${i}`, event_time: exportTime(t) }))
}

async function exportZip(dir: string, events: Array<Record<string, unknown>>): Promise<string> {
  return writeFile(join(dir, 'export', '20240506T09-20240506T12.zip'), await zipEntries([{ name: '187520/187520_2024-05-06_9#0.json.gz', data: gzipSync(ndjson(events)) }]))
}

async function against(archive: string, exp: string, extra: string[] = []): Promise<{ code: number | null; rep: any; stderr: string }> {
  const out = join(tempDir(), 'r.json')
  const r = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'json', '--out', out, '--no-progress', ...extra])
  return { code: r.code, rep: r.code === 0 || r.code === 1 ? JSON.parse(readFileSync(out, 'utf8')) : undefined, stderr: r.stderr }
}

describe('diff-mappings --against: an export wider than the archive', () => {
  it('stored events up to an hour before and after the archive are outside its span: counted apart, no difference for --fail-on', async () => {
    const dir = tempDir()
    const { archive, paired } = archiveHour(dir)
    // one hour wider on each side: 3 events before 10:00, 2 after 11:00 (1 ms after the last message)
    const outside = others([T - HOUR, T - 30 * MIN, T - 1, T + HOUR + 1, T + 2 * HOUR])
    const exp = await exportZip(dir, [...outside, ...paired])
    const r = await against(archive, exp, ['--fail-on', 'dropped,duplicated,only-in-amplitude,only-in-archive'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.rep.against.byKind, { 'only-in-amplitude': 0, 'only-in-archive': 0, ambiguous: 0, 'outside-archive-span': 5 })
    assert.deepEqual(r.rep.against.archiveSpan, {
      from: '2024-05-06T10:00:00.000Z',
      to: '2024-05-06T11:00:00.000Z',
      identifyRowsFrom: '2024-05-06T10:05:00.000Z',
      fromAt: `${archive}:1`,
      toAt: `${archive}:3`,
    })
    // unpaired still counts every stored event without an owner, so the pairing counts add up to the events read
    assert.equal(r.rep.against.pairing.byKey, 3)
    assert.equal(r.rep.against.pairing.unpaired, 5)
    assert.deepEqual(
      r.rep.against.findings.map((f: { kind: string }) => f.kind),
      [],
    )
    const table = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--no-progress'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(
      table.stdout,
      /^Outside the archive's span \(2024-05-06T10:00:00\.000Z to 2024-05-06T11:00:00\.000Z\): 5 stored events no archived message could explain, not compared and not a difference$/m,
    )
    assert.doesNotMatch(table.stdout, /Only in Amplitude/)
    assert.match(table.stdout, /unpaired 5 \(5 outside the archive's span\)$/m)
    assert.match(
      table.stdout,
      /^Archive span: 2024-05-06T10:00:00\.000Z to 2024-05-06T11:00:00\.000Z \(the compared messages' times, the earliest at .*day\.ndjson:1, the latest at .*day\.ndjson:3; \$identify rows from 2024-05-06T10:05:00\.000Z, --identify-window after its start\)$/m,
    )
    assert.match(table.stdout, /^No differences\.$/m)
    const md = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'markdown', '--fail-on', 'only-in-amplitude', '--no-progress'])
    assert.equal(md.code, 0, md.stderr)
    assert.match(md.stdout, /^### segamp diff-mappings --against: ✅ passed \(--fail-on only-in-amplitude\)$/m)
    assert.match(md.stdout, /^Outside the archive's span \(2024-05-06T10:00:00\.000Z to 2024-05-06T11:00:00\.000Z\): 5 stored events .*not a difference {2}$/m)
    const html = join(dir, 'r.html')
    assert.equal((await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'html', '--out', html, '--no-progress'])).code, 0)
    assert.match(
      readFileSync(html, 'utf8'),
      /<th>Of those, outside the archive's span \(2024-05-06T10:00:00\.000Z to 2024-05-06T11:00:00\.000Z; not a difference\)<\/th><td class="n">5<\/td>/,
    )
  })

  it('an event exactly at the first or last message time is inside the span: only-in-amplitude, and --fail-on fails on it', async () => {
    const dir = tempDir()
    const { archive, paired } = archiveHour(dir)
    const exp = await exportZip(dir, [...others([T - 1, T, T + HOUR, T + HOUR + 1]), ...paired])
    const r = await against(archive, exp, ['--fail-on', 'only-in-amplitude'])
    assert.equal(r.code, 1, r.stderr)
    assert.equal(r.rep.against.byKind['only-in-amplitude'], 2)
    assert.equal(r.rep.against.byKind['outside-archive-span'], 2)
    assert.deepEqual(
      r.rep.against.findings.flatMap((f: { examples: Array<{ line: number }> }) => f.examples.map((e) => e.line)),
      [2, 3],
    )
  })

  it('a $identify row (stamped with its upload time) is outside unless every call it could follow lies in the span', async () => {
    const dir = tempDir()
    const { archive, paired } = archiveHour(dir)
    // rows of users the archive never identifies: 4 min after the start (its call may have been received before 10:00),
    // 5 min after it (every call within --identify-window before it is inside), and 1 ms after the end
    const rows = [T + 4 * MIN, T + 5 * MIN, T + HOUR + 1].map((t, i) => stored({ event_type: '$identify', user_id: `sdk-user-${i}`, event_time: exportTime(t) }))
    const exp = await exportZip(dir, [...rows, ...paired])
    const r = await against(archive, exp)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.rep.against.byKind['only-in-amplitude'], 1)
    assert.equal(r.rep.against.byKind['outside-archive-span'], 2)
    assert.equal(r.rep.against.findings[0].examples[0].line, 2)
    // a wider window moves the first identify row inside with it
    const wide = await against(archive, exp, ['--identify-window', '3m'])
    assert.equal(wide.rep.against.byKind['only-in-amplitude'], 2)
    assert.equal(wide.rep.against.archiveSpan.identifyRowsFrom, '2024-05-06T10:03:00.000Z')
  })

  it('--since narrows the span to the messages it keeps', async () => {
    const dir = tempDir()
    const { archive, paired } = archiveHour(dir)
    // 10:15 lies in the archive, but before the first message --since keeps (10:30)
    const exp = await exportZip(dir, [...others([T + 15 * MIN, T + 45 * MIN]), ...paired])
    const r = await against(archive, exp, ['--since', '2024-05-06T10:10:00Z', '--fail-on', 'only-in-amplitude'])
    assert.equal(r.code, 1, r.stderr)
    assert.equal(r.rep.against.archiveSpan.from, '2024-05-06T10:30:00.000Z')
    // 10:45 is unexplained inside the span; 10:15 and the event of the 10:00 message (filtered out) are outside it
    assert.equal(r.rep.against.byKind['only-in-amplitude'], 1)
    assert.equal(r.rep.against.byKind['outside-archive-span'], 2)
  })

  it('an archive with no timed message bounds nothing: every unexplained stored event is only-in-amplitude, and the text says why', async () => {
    const dir = tempDir()
    const untimed = track('Song Played', { messageId: 'ajs-untimed', userId: 'user-00000' })
    delete untimed.timestamp
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([untimed]))
    const exp = await exportZip(dir, others([T - HOUR, T + HOUR]))
    const r = await against(archive, exp)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.rep.against.archiveSpan, { from: null, to: null, identifyRowsFrom: null, fromAt: null, toAt: null })
    assert.equal(r.rep.against.byKind['only-in-amplitude'], 2)
    assert.equal(r.rep.against.byKind['outside-archive-span'], 0)
    const table = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--no-progress'])
    assert.match(table.stdout, /^Archive span: unknown \(no compared message has a time\): every stored event no message explains is only-in-amplitude$/m)
  })

  it('one message with a skewed clock widens the span: the report names the message at each bound (file:line), to be found', async () => {
    const dir = tempDir()
    const { paired } = archiveHour(dir)
    const times = [T, T + 30 * MIN, T + HOUR]
    const messages = times.map((t, i) =>
      track('Song Played', { messageId: `ajs-m${i}`, timestamp: new Date(t).toISOString(), userId: `user-0000${i}`, anonymousId: `anon-0000${i}`, properties: { song: i } }),
    )
    // a device whose clock runs five years ahead
    messages.push(track('Song Played', { messageId: 'ajs-skewed', timestamp: '2029-05-06T10:00:00.000Z', userId: 'user-skewed', properties: { song: 9 } }))
    const archive = writeFile(join(dir, 'skewed', 'day.ndjson'), ndjson(messages))
    const exp = await exportZip(dir, [...others([T + 2 * HOUR]), ...paired])
    const r = await against(archive, exp)
    assert.equal(r.code, 0, r.stderr)
    // the event two hours after the archive's real end is inside the widened span
    assert.equal(r.rep.against.byKind['only-in-amplitude'], 1)
    assert.equal(r.rep.against.archiveSpan.to, '2029-05-06T10:00:00.000Z')
    assert.equal(r.rep.against.archiveSpan.fromAt, `${archive}:1`)
    assert.equal(r.rep.against.archiveSpan.toAt, `${archive}:4`)
    const table = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--no-progress'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(
      table.stdout,
      new RegExp(
        `^Archive span: 2024-05-06T10:00:00\\.000Z to 2029-05-06T10:00:00\\.000Z \\(the compared messages' times, the earliest at ${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1, the latest at .*day\\.ndjson:4; \\$identify rows from 2024-05-06T10:05:00\\.000Z, --identify-window after its start\\)$`,
        'm',
      ),
    )
  })

  it("the bounds' file names are data: control characters escaped, and code (not markup) in Markdown", async () => {
    const dir = tempDir()
    const { paired } = archiveHour(dir)
    const messages = [T, T + HOUR].map((t, i) =>
      track('Song Played', { messageId: `ajs-m${i}`, timestamp: new Date(t).toISOString(), userId: `user-0000${i}`, anonymousId: `anon-0000${i}`, properties: { song: i } }),
    )
    const archive = writeFile(join(dir, 'archive', 'a*b*_c_\x1b[31m.ndjson'), ndjson(messages))
    const exp = await exportZip(dir, paired)
    const text = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--no-progress'])
    assert.equal(text.code, 0, text.stderr)
    assert.doesNotMatch(text.stdout, /\x1b/)
    assert.match(text.stdout, /the earliest at .*a\*b\*_c_\\u001b\[31m\.ndjson:1, the latest at /)
    const md = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--format', 'markdown', '--no-progress'])
    assert.equal(md.code, 0, md.stderr)
    assert.doesNotMatch(md.stdout.split('\n').find((l) => l.startsWith('Archive span:')) ?? '', /\x1b/)
    assert.match(md.stdout, /the earliest at `[^`]*a\*b\*_c_\\u001b\[31m\.ndjson:1`, the latest at `[^`]*\.ndjson:2`;/)
  })

  it('an export that shares no time with the archive (another day exported): every stored event outside, and the text says they do not overlap', async () => {
    const dir = tempDir()
    const { archive } = archiveHour(dir)
    const exp = await exportZip(dir, others([T + 24 * HOUR, T + 25 * HOUR]))
    const r = await against(archive, exp, ['--fail-on', 'only-in-archive'])
    assert.equal(r.code, 1, r.stderr)
    assert.equal(r.rep.against.byKind['outside-archive-span'], 2)
    assert.equal(r.rep.against.byKind['only-in-archive'], 3)
    const table = await runCli(['diff-mappings', archive, '--against', exp, '--classic', CLASSIC, '--no-progress'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(
      table.stdout,
      /^No stored event lies in the archive's span and none was paired: the export and the archive do not overlap in time \(check the export's range, --start\/--end, against the archive's dates\)$/m,
    )
    // an export that overlaps says nothing of the kind
    const { paired } = archiveHour(dir)
    const overlapping = await exportZip(tempDir(), [...others([T + 24 * HOUR]), ...paired])
    const ok = await runCli(['diff-mappings', archive, '--against', overlapping, '--classic', CLASSIC, '--no-progress'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.doesNotMatch(ok.stdout, /do not overlap/)
  })

  it('with --workers 2 the report is the same', async () => {
    const dir = tempDir()
    const { archive, paired } = archiveHour(dir)
    const exp = await exportZip(dir, [...others([T - HOUR, T - 1, T, T + 20 * MIN, T + HOUR + 1, T + 2 * HOUR]), ...paired])
    const one = await against(archive, exp)
    const two = await against(archive, exp, ['--workers', '2'])
    assert.equal(one.rep.against.byKind['outside-archive-span'], 4)
    assert.deepEqual(two.rep.against, one.rep.against)
  })
})

describe('the archive span (pure)', () => {
  it("is the kept messages' times, and the receipt of identify and group calls; none without a timed message", () => {
    const b = new SpanBuilder()
    assert.equal(b.span(), undefined)
    b.add({ type: 'track' }, undefined)
    assert.equal(b.span(), undefined)
    b.add({ type: 'track' }, T)
    b.add({ type: 'identify', receivedAt: new Date(T + HOUR).toISOString() }, T - MIN)
    // a track's receivedAt is no pairing time
    b.add({ type: 'track', receivedAt: new Date(T + 2 * HOUR).toISOString() }, T + 30 * MIN)
    assert.deepEqual(b.span(), { from: T - MIN, to: T + HOUR })
  })

  it('bounds are inclusive; a $identify row is inside from the window after the start; no span or no time: inside', () => {
    const span = { from: T, to: T + HOUR }
    const W = 5 * MIN
    assert.deepEqual(
      [T - 1, T, T + HOUR, T + HOUR + 1].map((t) => outsideSpan(span, '/httpapi', t, W)),
      [true, false, false, true],
    )
    assert.deepEqual(
      [T, T + W - 1, T + W, T + HOUR, T + HOUR + 1].map((t) => outsideSpan(span, '/identify', t, W)),
      [true, true, false, false, true],
    )
    assert.equal(outsideSpan(undefined, '/httpapi', T - HOUR, W), false)
    assert.equal(outsideSpan(span, '/httpapi', undefined, W), false)
  })
})
