/**
 * replay() as a library call, over real loopback HTTP to the sandbox. Invariants: every planned
 * record (the dry run's insert_ids) ends either in the sandbox exactly once or in
 * dead-letter.ndjson with a reason; counts in report.json agree; resumes lose and repeat nothing.
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ReplayOptions } from '../../src/replay/engine.js'
import type { ReplayReport } from '../../src/pipeline/commit/report.js'
import { etaSeconds, fingerprint, formatDuration, invocation, keyHash, progressLine, resumeCommand } from '../../src/replay/cli-support.js'
import { renderReplaySummary } from '../../src/replay/render.js'
import { compileSubscriptions, loadMappings } from '../../src/segment/subscriptions/index.js'
import type { Sandbox } from '../../src/amplitude/sandbox/index.js'
import { gzip, readNdjson, tempDir, writeFile } from '../helpers/files.js'
import { device, filesUnder, recordsOfRequest, replayHarness, trackMessage, waitFor, writeArchive } from '../helpers/replay.js'

const KEY = 'replay-test-key-5f1c2a9b7d3e4f60'

const { run, sandbox } = replayHarness(KEY, 'test-run')

interface DryRun {
  report: ReplayReport
  lines: Array<{ method: string; url: string; headers: Record<string, string>; body: string }>
  /** insert_ids in request order. */
  ids: string[]
}

async function dryRun(inputs: string[], o: Partial<ReplayOptions> = {}): Promise<DryRun> {
  const dir = tempDir('segamp-replay-dry-')
  const out = join(dir, 'requests.ndjson')
  const report = await run({ inputs, dryRun: true, out, stateDir: join(dir, 'state'), ...o })
  const lines = readNdjson(out) as DryRun['lines']
  const ids = lines.flatMap((l) => recordsOfRequest(l).map((r) => String(r.insert_id)))
  return { report, lines, ids }
}

/** insert_ids the sandbox holds: events, identifications, group identifications. */
function ingestedIds(sb: Sandbox): string[] {
  return [...sb.events.map((e) => e.event), ...sb.identifications, ...sb.groupIdentifications].map((r) => String(r.insert_id))
}

function deadLetters(stateDir: string): Array<{ event: Record<string, unknown>; reason: string; status: number | null; attempts: number; source: { file: string; line: number } }> {
  return readNdjson(join(stateDir, 'dead-letter.ndjson')) as ReturnType<typeof deadLetters>
}

/** Every planned id is ingested exactly once or dead-lettered exactly once, never both. */
function assertAccounted(planned: string[], sb: Sandbox, stateDir: string, report: ReplayReport): void {
  const ingested = ingestedIds(sb)
  assert.equal(new Set(ingested).size, ingested.length, 'sandbox holds a duplicate insert_id')
  const dead = deadLetters(stateDir).map((d) => String(d.event.insert_id))
  assert.equal(new Set(dead).size, dead.length, 'dead-lettered twice')
  const ing = new Set(ingested)
  for (const id of dead) assert.ok(!ing.has(id), `${id} both ingested and dead-lettered`)
  assert.deepEqual([...ing, ...dead].sort(), [...planned].sort())
  const fromFile = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')) as ReplayReport
  for (const r of [report, fromFile]) {
    assert.equal(r.planned, planned.length)
    assert.equal(r.sent, ingested.length)
    assert.equal(r.deadLettered, dead.length)
  }
}

describe('replay (library, sandbox over loopback)', function () {
  this.timeout(30_000)

  describe('dry run', () => {
    it('writes {method,url,headers,body} lines with the key redacted; insert_ids = planned, identical across runs', async () => {
      const a = writeArchive(tempDir(), { messages: 120, devices: 6, identifyEvery: 10 })
      const one = await dryRun([a.dir])
      const two = await dryRun([a.dir])
      assert.ok(one.lines.length > 0)
      for (const l of one.lines) {
        assert.deepEqual(Object.keys(l).sort(), ['body', 'headers', 'method', 'url'])
        assert.equal(l.method, 'POST')
        assert.match(l.url, /^https:\/\/api2\.amplitude\.com\/(2\/httpapi|identify)$/)
        assert.ok(!JSON.stringify(l).includes(KEY), 'key in dry-run output')
        assert.ok(l.body.includes('<redacted>'))
      }
      assert.equal(one.report.exitCode, 0)
      assert.equal(one.report.dryRun, true)
      assert.equal(one.ids.length, one.report.planned)
      assert.equal(one.report.planned, 120, '108 tracks + 12 identifies, one record each')
      assert.equal(new Set(one.ids).size, one.ids.length, 'insert_ids unique')
      assert.deepEqual(two.ids, one.ids, 'insert_ids deterministic across runs')
      // A dry run sends nothing: it says so, and counts what a live run would send.
      assert.equal(one.report.sent, 0)
      assert.equal(one.report.wouldSend, one.report.planned)
      // --out-include-keys keeps the key in bodies, never in headers.
      const keyed = await dryRun([a.dir], { outIncludeKeys: true })
      assert.ok(keyed.lines.every((l) => l.body.includes(KEY) && !JSON.stringify(l.headers).includes(KEY)))
      assert.deepEqual(keyed.ids, one.ids)
    })

    it("refuses a state dir that holds a sending run's checkpoint (it would truncate its dead letters)", async () => {
      const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
      const sb = await sandbox()
      const stateDir = tempDir()
      await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      await assert.rejects(run({ inputs: [a.dir], dryRun: true, stateDir }), /holds the checkpoint/)
    })
  })

  describe('against a faulty sandbox', () => {
    it('every planned event is ingested exactly once or dead-lettered with its reason; exit 3', async () => {
      const a = writeArchive(tempDir(), { messages: 300, devices: 12, shortIdEvery: 37, identifyEvery: 11, garbageEvery: 97 })
      const planned = (await dryRun([a.dir])).ids
      const sb = await sandbox({ faults: { error5xxRate: 0.25, resetRate: 0.1, throttle: { deviceOrUser: [device(3)], times: 1 }, seed: 11 } })
      const stateDir = tempDir()
      const report = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir, batchSize: 20, delivery: { maxAttempts: 30 } })
      assert.equal(report.error, null)
      assert.equal(report.exitCode, 3)
      assertAccounted(planned, sb, stateDir, report)
      const dead = deadLetters(stateDir)
      assert.equal(dead.length, a.shortIds)
      for (const d of dead) {
        assert.equal(d.event.user_id, 'abc')
        assert.equal(d.status, 400)
        assert.match(d.reason, /invalid_id_length/)
        assert.ok(d.source.file.endsWith('.ndjson') && d.source.line > 0)
      }
      assert.equal(report.rejected, 3)
      assert.equal(readNdjson(join(stateDir, 'rejected.ndjson')).length, 3)
      assert.ok(report.retries > 0, 'faults caused retries')
      assert.ok(report.throttles >= 1)
      assert.equal(report.messages, 300)
      assert.equal(report.files, 2)
      const stats = sb.stats()
      assert.ok((stats.byStatus['500'] ?? 0) + (stats.byStatus['502'] ?? 0) + (stats.byStatus['503'] ?? 0) > 0)
      assert.ok((stats.byStatus.reset ?? 0) > 0)
      assert.equal(report.requests, stats.requests, 'report counts every request sent, retries included')
      const cp = JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8'))
      assert.equal(cp.done, true)
    })

    it('a clean archive against a clean sandbox exits 0', async () => {
      const a = writeArchive(tempDir(), { messages: 80, devices: 5, identifyEvery: 7 })
      const planned = (await dryRun([a.dir])).ids
      const sb = await sandbox()
      const stateDir = tempDir()
      const report = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      assert.equal(report.exitCode, 0)
      assertAccounted(planned, sb, stateDir, report)
      // /batch carries the same records (identifies as $identify events): same insert_ids.
      const sbBatch = await sandbox()
      const batchPlanned = (await dryRun([a.dir], { useBatchEndpoint: true })).ids
      assert.deepEqual([...batchPlanned].sort(), [...planned].sort())
      const viaBatch = await run({ inputs: [a.dir], endpointUrl: sbBatch.url, useBatchEndpoint: true })
      assert.equal(viaBatch.exitCode, 0)
      assert.ok(sbBatch.events.length > 0 && sbBatch.events.every((e) => e.endpoint === 'batch'))
      assert.deepEqual(ingestedIds(sbBatch).sort(), [...planned].sort())
      // The same command again: the checkpoint says done, nothing is sent twice.
      const again = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      assert.equal(again.alreadyDone, true)
      assert.equal(again.exitCode, 0)
      assert.equal(sb.stats().duplicatesDiscarded, 0)
    })

    it('an invalid API key aborts with exit 1 and a message without the key', async () => {
      const a = writeArchive(tempDir(), { messages: 20, devices: 2 })
      const sb = await sandbox({ apiKeys: ['good'] })
      const stateDir = tempDir()
      const report = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      assert.equal(report.exitCode, 1)
      assert.match(report.error ?? '', /invalid API key/i)
      assert.ok(!report.error!.includes(KEY))
      assert.equal(sb.events.length, 0)
      assert.ok(!filesUnder(stateDir).some((f) => f.text.includes(KEY)))
    })

    it('an unreachable endpoint aborts with exit 75 (EX_TEMPFAIL: retry later) after retries; the checkpoint is not done', async () => {
      const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
      const closed = await sandbox()
      await closed.close()
      const stateDir = tempDir()
      const report = await run({ inputs: [a.dir], endpointUrl: closed.url, stateDir, delivery: { maxAttempts: 3 } })
      assert.equal(report.exitCode, 75)
      assert.match(report.error ?? '', /unreachable/)
      assert.equal(JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8')).done, false)
    })

    it('a checkpoint of another run (other inputs/mappings/key) is not resumed', async () => {
      const a = writeArchive(tempDir(), { messages: 5, devices: 1 })
      const sb = await sandbox()
      const stateDir = tempDir()
      await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      await assert.rejects(run({ inputs: [a.dir], endpointUrl: sb.url, stateDir, runId: 'other-run' }), /belongs to another run.*--fresh/)
      const fresh = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir, runId: 'other-run', fresh: true })
      assert.equal(fresh.exitCode, 0)
      assert.equal(fresh.resumed, false)
      assert.equal(fresh.sent, 5)
    })
  })

  describe('throttling', () => {
    it('a throttled device does not stall the others and keeps its own order', async () => {
      const X = device(0)
      const messages: unknown[] = []
      for (let i = 0; i < 6; i++) messages.push(trackMessage(i, X))
      for (let i = 6; i < 66; i++) messages.push(trackMessage(i, device(1 + (i % 8))))
      const dir = tempDir()
      const file = writeFile(join(dir, 'a.ndjson'), messages.map((m) => JSON.stringify(m)).join('\n') + '\n')
      const sb = await sandbox({ faults: { throttle: { deviceOrUser: [X], times: 1 } } })
      const stateDir = tempDir()
      const report = await run({ inputs: [file], endpointUrl: sb.url, stateDir, delivery: { throttlePauseMs: { httpapi: 300, batch: 300 } } })
      assert.equal(report.exitCode, 0)
      assert.equal(report.throttles, 1)
      assert.equal(sb.events.length, 66)
      const order = sb.events.map((e) => String(e.event.device_id))
      const firstX = order.indexOf(X)
      assert.equal(firstX, 60, `X's retried events come after all 60 events of other devices (got index ${firstX})`)
      const xs = sb.events.filter((e) => e.event.device_id === X).map((e) => Number((e.event.event_properties as { i: number }).i))
      assert.deepEqual(xs, [0, 1, 2, 3, 4, 5])
      // The first request was the throttled one: it held X's events and ingested nothing.
      assert.equal(sb.requests[0]!.status, 429)
    })
  })

  describe('resume', () => {
    it('an interrupted run (AbortSignal) resumes: union = planned, counts not repeated, dead letters not duplicated', async () => {
      const a = writeArchive(tempDir(), { messages: 200, devices: 8, shortIdEvery: 13, garbageEvery: 41 })
      const dry = await dryRun([a.dir])
      const sb = await sandbox({ faults: { latencyMs: 15 } })
      const stateDir = tempDir()
      const ac = new AbortController()
      const first = run({ inputs: [a.dir], endpointUrl: sb.url, stateDir, batchSize: 5, concurrency: 1, signal: ac.signal })
      const cpPath = join(stateDir, 'checkpoint.json')
      await waitFor('checkpoint progress', () => existsSync(cpPath) && JSON.parse(readFileSync(cpPath, 'utf8')).position?.line > 20)
      ac.abort()
      const r1 = await first
      assert.equal(r1.exitCode, 130)
      assert.equal(r1.interrupted, true)
      assert.ok(ingestedIds(sb).length < dry.ids.length, 'interrupted before the end')
      const cp = JSON.parse(readFileSync(cpPath, 'utf8'))
      assert.equal(cp.done, false)
      sb.setFaults({})
      const r2 = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      assert.equal(r2.resumed, true)
      assert.equal(r2.exitCode, 3)
      assertAccounted(dry.ids, sb, stateDir, r2)
      assert.equal(r2.messages, 200)
      assert.equal(r2.rejected, 4)
      assert.equal(r2.files, 2)
      assert.equal(readNdjson(join(stateDir, 'rejected.ndjson')).length, 4)
      const dead = readFileSync(join(stateDir, 'dead-letter.ndjson'), 'utf8').split('\n').filter(Boolean)
      assert.equal(new Set(dead).size, dead.length)
      assert.equal(dead.length, a.shortIds)
    })

    it('Ctrl-C while draining a throttled device stops promptly and resumes', async () => {
      const X = device(0)
      const file = writeFile(join(tempDir(), 'a.ndjson'), [0, 1, 2, 3].map((i) => JSON.stringify(trackMessage(i, X))).join('\n') + '\n')
      const sb = await sandbox({ faults: { throttle: { deviceOrUser: [X], times: 1 } } })
      const stateDir = tempDir()
      const ac = new AbortController()
      // A 60 s pause: the run only ends in time if the abort cuts the drain short.
      const first = run({ inputs: [file], endpointUrl: sb.url, stateDir, signal: ac.signal, delivery: { throttlePauseMs: { httpapi: 60_000, batch: 60_000 } } })
      await waitFor('the 429', () => sb.requests.some((r) => r.status === 429))
      ac.abort()
      const r1 = await first
      assert.equal(r1.exitCode, 130)
      assert.equal(sb.events.length, 0)
      const r2 = await run({ inputs: [file], endpointUrl: sb.url, stateDir })
      assert.equal(r2.exitCode, 0)
      assert.equal(sb.events.length, 4)
      assert.equal(r2.planned, 4)
      assert.equal(r2.sent, 4)
    })

    it('an unreadable (truncated gzip) file is reported once across a resume; exit 3', async () => {
      const dir = tempDir()
      const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify(trackMessage(1000 + i, device(i % 3)))).join('\n') + '\n'
      const gz = gzip(lines)
      writeFile(join(dir, 'in', 'a-truncated.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)))
      writeFile(join(dir, 'in', 'b.ndjson'), Array.from({ length: 60 }, (_, i) => JSON.stringify(trackMessage(2000 + i, device(i % 4)))).join('\n') + '\n')
      const inputs = [join(dir, 'in')]
      const dry = await dryRun(inputs)
      assert.equal(dry.report.unreadableFiles.length, 1)
      const sb = await sandbox({ faults: { latencyMs: 10 } })
      const stateDir = tempDir()
      const ac = new AbortController()
      const first = run({ inputs, endpointUrl: sb.url, stateDir, batchSize: 2, concurrency: 1, signal: ac.signal })
      const cpPath = join(stateDir, 'checkpoint.json')
      await waitFor('position in b.ndjson', () => existsSync(cpPath) && String(JSON.parse(readFileSync(cpPath, 'utf8')).position?.file).endsWith('b.ndjson'))
      ac.abort()
      assert.equal((await first).exitCode, 130)
      sb.setFaults({})
      const r = await run({ inputs, endpointUrl: sb.url, stateDir })
      assert.equal(r.exitCode, 3)
      assert.equal(r.unreadableFiles.length, 1)
      assert.match(r.unreadableFiles[0]!.reason, /truncated gzip/)
      assert.equal(r.files, 2)
      assertAccounted(dry.ids, sb, stateDir, r)
    })

    it("refuses to resume when the checkpoint's file is no longer among the inputs", async () => {
      const a = writeArchive(tempDir(), { messages: 40, devices: 2 })
      const sb = await sandbox({ faults: { latencyMs: 10 } })
      const stateDir = tempDir()
      const ac = new AbortController()
      const first = run({ inputs: [a.dir], endpointUrl: sb.url, stateDir, batchSize: 2, concurrency: 1, signal: ac.signal })
      await waitFor(
        'checkpoint progress',
        () => existsSync(join(stateDir, 'checkpoint.json')) && JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8')).position !== null,
      )
      ac.abort()
      assert.equal((await first).exitCode, 130)
      rmSync(join(a.dir, 'part-1.ndjson'))
      await assert.rejects(
        run({ inputs: [a.dir], endpointUrl: sb.url, stateDir }),
        /inputs changed since the checkpoint \(0 file\(s\) added, 0 changed, 1 half-read file\(s\) gone\): \S+part-1\.ndjson \(no longer among the inputs\)\. .*--fresh/,
      )
    })
  })

  describe('lock', () => {
    it('a state dir locked by a live process fails clearly; a stale lock is taken over', async () => {
      const a = writeArchive(tempDir(), { messages: 5, devices: 1 })
      const stateDir = tempDir()
      writeFileSync(join(stateDir, 'lock'), JSON.stringify({ pid: process.ppid }))
      await assert.rejects(run({ inputs: [a.dir], dryRun: true, stateDir }), new RegExp(`another segamp run \\(pid ${process.ppid}\\) is using`))
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!
      writeFileSync(join(stateDir, 'lock'), JSON.stringify({ pid: dead }))
      const warnings: string[] = []
      const r = await run({ inputs: [a.dir], dryRun: true, stateDir, onWarning: (w) => warnings.push(w) })
      assert.equal(r.exitCode, 0)
      assert.ok(warnings.some((w) => w.includes(`pid ${dead}`)))
      assert.ok(!existsSync(join(stateDir, 'lock')), 'lock released')
    })

    it('two replays in one process on one state dir: the second is refused', async () => {
      const a = writeArchive(tempDir(), { messages: 20, devices: 2 })
      const sb = await sandbox({ faults: { latencyMs: 50 } })
      const stateDir = tempDir()
      const first = run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      await assert.rejects(run({ inputs: [a.dir], endpointUrl: sb.url, stateDir }), /another replay in this process is using/)
      assert.equal((await first).exitCode, 0)
      assert.equal(sb.events.length, 20)
      // Released: the directory can be used again.
      assert.equal((await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })).alreadyDone, true)
    })
  })

  describe('secrets', () => {
    it("no state file carries the API key (nor a message's writeKey)", async () => {
      const a = writeArchive(tempDir(), { messages: 40, devices: 3, shortIdEvery: 9, garbageEvery: 13 })
      const sb = await sandbox({ faults: { error5xxRate: 0.2, seed: 3 } })
      const stateDir = tempDir()
      const r = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir })
      assert.equal(r.exitCode, 3)
      const files = filesUnder(stateDir)
      assert.deepEqual(files.map((f) => f.path.slice(stateDir.length + 1)).sort(), ['checkpoint.json', 'completed.ndjson', 'dead-letter.ndjson', 'rejected.ndjson', 'report.json'])
      for (const f of files) assert.ok(!f.text.includes(KEY), `${f.path} holds the key`)
    })
  })

  describe('Segment validation', () => {
    it("a group message whose mapping lacks group_type is dead-lettered with Segment's reason and counted invalid", async () => {
      const dir = tempDir()
      const mappings = writeFile(
        join(dir, 'mappings.json'),
        JSON.stringify({
          subscriptions: [
            {
              name: 'Group Calls',
              actionSlug: 'groupIdentifyUser',
              trigger: 'type = "group"',
              enabled: true,
              settings: { group_value: { '@path': '$.groupId' }, group_properties: { '@path': '$.traits' } },
            },
            {
              name: 'Track Calls',
              actionSlug: 'logEventV2',
              trigger: 'type = "track"',
              enabled: true,
              settings: { event_type: { '@path': '$.event' }, user_id: { '@path': '$.userId' }, device_id: { '@path': '$.anonymousId' } },
            },
          ],
        }),
      )
      const subs = compileSubscriptions(await loadMappings(mappings))
      const group = {
        type: 'group',
        groupId: 'org-1',
        userId: 'user-12345',
        anonymousId: 'anon-12345',
        messageId: 'grp-1',
        traits: { name: 'Org', writeKey: 'x' },
        writeKey: 'source-write-key-123',
      }
      const file = writeFile(join(dir, 'a.ndjson'), [group, trackMessage(1, device(1))].map((m) => JSON.stringify(m)).join('\n') + '\n')
      const sb = await sandbox()
      const stateDir = tempDir()
      const r = await run({ inputs: [file], endpointUrl: sb.url, stateDir, subscriptions: subs, mappingsSource: mappings })
      assert.equal(r.exitCode, 3)
      assert.equal(r.sent, 1)
      assert.equal(r.planned, 1)
      assert.equal(r.deadLettered, 1)
      const g = r.subscriptions.find((s) => s.name === 'Group Calls')!
      assert.equal(g.messages, 1)
      assert.equal(g.invalid, 1)
      const dead = deadLetters(stateDir)
      assert.equal(dead.length, 1)
      assert.equal(dead[0]!.reason, "segment validation: The root value is missing the required field 'group_type'.")
      assert.equal(dead[0]!.status, null)
      assert.deepEqual(dead[0]!.source, { file, line: 1 })
      assert.equal((dead[0]!.event as { messageId: string }).messageId, 'grp-1')
      assert.ok(!readFileSync(join(stateDir, 'dead-letter.ndjson'), 'utf8').includes('source-write-key-123'))
      assert.equal(sb.groupIdentifications.length, 0)
    })
  })
})

describe('replay CLI helpers', () => {
  const figures = {
    phase: 'draining' as const,
    bytes: 1000,
    totalBytes: 1000,
    messages: 50_000,
    sent: 4_399,
    sentThisRun: 4_399,
    outstanding: 45_601,
    parked: 40_000,
    deadLettered: 0,
    elapsedMs: 10_000,
  }

  it('the ETA counts the events still pending, not only the bytes left to read', () => {
    // 45,601 pending at 440 events/s: about 104 s, never "0s".
    assert.equal(Math.round(etaSeconds(figures)!), 104)
    assert.match(
      progressLine(figures, { dryRun: false }),
      /^50,000 messages read \(1\.0 KB of 1\.0 KB\) · 4,399 sent · 45,601 pending \(40,000 retrying\/throttled\) · 0 dead-lettered · 440 ev\/s · ETA 1m 44s$/,
    )
    // Nothing sent yet: unknown, said so.
    assert.equal(etaSeconds({ ...figures, sent: 0, sentThisRun: 0 }), undefined)
    assert.match(progressLine({ ...figures, sent: 0, sentThisRun: 0 }, { dryRun: false }), / · ETA \?$/)
    // While reading, the records the unread half will add count too.
    assert.equal(Math.round(etaSeconds({ ...figures, phase: 'reading', bytes: 500, outstanding: 0, sentThisRun: 1000 })!), 10)
    assert.equal(formatDuration(3725), '1h 02m')
  })

  it("the summary says what pause time is summed, and a resumed run's rate is its own", () => {
    const r = {
      runId: 'r',
      dryRun: false,
      stateDir: '/s',
      mappings: 'presets',
      region: 'us',
      endpointUrl: null,
      resumed: true,
      alreadyDone: false,
      interrupted: false,
      error: null,
      durationMs: 39_000,
      exitCode: 3,
      files: 1,
      messages: 100,
      rejected: 0,
      rejectedByReason: {},
      duplicates: 0,
      filtered: {},
      unreadableFiles: [],
      skippedPaths: [],
      planned: 90,
      sent: 80,
      deadLettered: 10,
      deadLetterReasons: { 'segment validation: x': 4, throttled: 6 },
      requests: 9,
      retries: 2,
      throttles: 55,
      throttledMs: 930_000,
      throttledWallMs: 35_200,
      sentThisRun: 39,
      leftForResume: 0,
      subscriptions: [{ name: 'Track Calls', actionSlug: 'logEventV2', messages: 100, invalid: 4, byEndpoint: { httpapi: { sent: 80, deadLettered: 6 } } }],
    }
    const text = renderReplaySummary(r, { color: false })
    assert.match(text, /throttled \(429\) pauses +55 {2}\(ids paused 35\.2 s of the run; 930\.0 s summed over the paused ids\)/)
    assert.match(text, /duration +39\.0 s {2}\(1 events\/s, 39 sent by this run\)/)
    // The dead column adds up to "dead-lettered": invalid records are dead letters too.
    assert.match(text, /Track Calls +logEventV2 +100 +4 +\/httpapi +80 +10\n/)
    assert.match(text, /Dead-letter reasons \(records in \/s\/dead-letter\.ndjson\)/)
  })

  it('the resume hint names the command the way it was run', () => {
    assert.equal(invocation('segamp', '/work/app/bin/run.js', '/work/app'), './bin/run.js')
    assert.equal(invocation('segamp', '/usr/local/bin/segamp', '/tmp'), 'segamp')
    assert.equal(invocation('segamp', '/opt/segamp/bin/run.js', '/tmp'), '/opt/segamp/bin/run.js')
  })

  it('resumeCommand keeps the arguments, drops --fresh and replaces secrets by their variables', () => {
    const argv = ['s3 export/', '--api-key', KEY, '--secret-key=s3cr3t-value', '--fresh', '--state-dir', '/tmp/x', '--where', 'event = "A"', '-y']
    const cmd = resumeCommand('segamp', argv)
    assert.equal(cmd, `segamp replay 's3 export/' --api-key="$AMPLITUDE_API_KEY" --secret-key="$AMPLITUDE_SECRET_KEY" --state-dir /tmp/x --where 'event = "A"' -y`)
    assert.ok(!cmd.includes(KEY) && !cmd.includes('s3cr3t'))
    assert.equal(resumeCommand('segamp', ['a', `--api-key=${KEY}`]), 'segamp replay a --api-key="$AMPLITUDE_API_KEY"')
    assert.equal(resumeCommand('segamp', ["it's"]), `segamp replay 'it'\\''s'`)
  })

  it('fingerprint never shows a short key whole; keyHash is stable and not the key', () => {
    assert.equal(fingerprint('good'), 'g…(4 chars)')
    assert.equal(fingerprint('abc'), '…(3 chars)')
    assert.equal(fingerprint(KEY), `${KEY.slice(0, 4)}…(${KEY.length} chars)`)
    assert.equal(keyHash(KEY), keyHash(KEY))
    assert.notEqual(keyHash(KEY), keyHash('other'))
    assert.ok(!keyHash(KEY).includes(KEY.slice(0, 8)))
    assert.equal(keyHash(undefined), '')
  })
})
