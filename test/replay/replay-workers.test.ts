/**
 * `--workers N` (issue #12): decode, route and map on worker threads, without changing what is
 * sent. Over real files: the requests of a dry run are the same, byte for byte and in the same
 * order, for 1 and 4 workers; one key's events keep archive order; bad lines keep their
 * file:line; and kill -9 of a run with several workers, then a rerun, loses nothing and resends
 * only what was in flight.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ReplayReport } from '../../src/pipeline/commit/report.js'
import { compileTrigger } from '../../src/segment/fql/index.js'
import { NO_THROTTLE } from '../../src/amplitude/sandbox/limits.js'
import { gzip, readNdjson, tempDir, writeFile } from '../helpers/files.js'
import { BIN, ROOT } from '../helpers/cli.js'
import { device, recordsOfRequest, replayHarness, trackMessage, waitFor, writeArchive, assertResendsWithinFlight } from '../helpers/replay.js'

const KEY = 'workers-test-key-5e6f7a8b9c0d1e2f'
const { run, sandbox } = replayHarness(KEY, 'workers-test')

/** An archive with a bit of everything a worker must plan: tracks, identifies, bad lines, a CSV file, gzip, absurd nesting. */
function mixedArchive(): { dir: string; lines: number } {
  const a = writeArchive(tempDir(), { messages: 2400, devices: 7, identifyEvery: 4, garbageEvery: 97, shortIdEvery: 13 })
  const gz = Array.from({ length: 300 }, (_, k) =>
    JSON.stringify(trackMessage(5000 + k, device(k % 7), { event: k % 2 ? 'Order Completed' : 'Viewed Home', properties: { revenue: k, i: 5000 + k } })),
  )
  const deep = '{"d":'.repeat(10_000) + '1' + '}'.repeat(10_000)
  gz.splice(150, 0, JSON.stringify(trackMessage(4999, device(3), { properties: { deep: 'DEEP' } })).replace('"DEEP"', deep))
  writeFile(join(a.dir, 'part-3.ndjson.gz'), gzip(gz.join('\n') + '\n'))
  const csv = [
    '"event_name","event_type","user_id","anonymous_id","timestamp","message_id"',
    ...Array.from({ length: 40 }, (_, k) => `"CSV ${k % 3}","track","user-${device(k % 7)}","${device(k % 7)}","2024-05-06T10:00:${String(k).padStart(2, '0')}.000Z","csv-${k}"`),
  ]
  writeFile(join(a.dir, 'part-4.csv'), csv.join('\n') + '\n')
  return { dir: a.dir, lines: a.lines + gz.length + 40 }
}

/** The report without what may differ between two runs of the same input. */
function comparable(r: ReplayReport): Record<string, unknown> {
  const { durationMs: _d, workers: _w, stateDir: _s, ...rest } = r
  return rest
}

describe('replay --workers', () => {
  it('1 and 4 workers: the same requests, byte for byte and in the same order; the same counts and rejected lines', async function () {
    this.timeout(60_000)
    const a = mixedArchive()
    const outs: string[] = []
    const reports: ReplayReport[] = []
    const rejected: unknown[][] = []
    for (const workers of [1, 4]) {
      const stateDir = tempDir()
      const out = join(stateDir, 'requests.ndjson')
      // Tiny batches and no inline start: many batches, finishing in any order across threads.
      const report = await run({ inputs: [a.dir], dryRun: true, out, stateDir, workers, workerBatchLines: 7, workerInlineLines: 0 })
      assert.equal(report.workers, workers)
      outs.push(readFileSync(out, 'utf8'))
      reports.push(report)
      rejected.push(readNdjson(join(stateDir, 'rejected.ndjson')))
    }
    assert.ok(outs[0].length > 100_000, 'the dry run wrote requests')
    // Compared as a whole; on a difference, the first request that differs is what is shown.
    if (outs[1] !== outs[0]) {
      const [a1, a4] = outs.map((o) => o.split('\n'))
      const i = a1.findIndex((l, k) => l !== a4[k])
      assert.fail(`request ${i + 1} differs between 1 and 4 workers:\n${a1[i]?.slice(0, 600)}\n${a4[i]?.slice(0, 600)}`)
    }
    assert.deepEqual(comparable(reports[1]), comparable(reports[0]))
    assert.deepEqual(rejected[1], rejected[0])
    // The bad lines are there, with their file:line: garbage lines and the absurdly nested message.
    const reasons = (rejected[0] as Array<{ file: string; line: number; reason: string }>).map((r) => `${r.file.split('/').pop()}:${r.line} ${r.reason.split(':')[0]}`)
    assert.ok(reasons.includes('part-3.ndjson.gz:151 unprocessable'), reasons.join('\n'))
    assert.equal(reasons.filter((r) => r.endsWith('invalid JSON')).length, 24)
    assert.equal(reports[0].messages + reports[0].rejected, a.lines)
    assert.ok(outs[0].includes('CSV 2'), 'the CSV rows were planned too')
  })

  it('a live run delivers the same events and identifications with 1 and 3 workers (records cross threads as their JSON)', async function () {
    this.timeout(60_000)
    // Identifies, bad lines, short ids (refused: dead letters); no throttling, so every record goes through once.
    const a = writeArchive(tempDir(), { messages: 400, devices: 5, identifyEvery: 4, shortIdEvery: 13, garbageEvery: 50 })
    const got: Array<{ events: string[]; identifications: string[]; dead: string[]; sent: number }> = []
    for (const workers of [1, 3]) {
      const sb = await sandbox({ limits: NO_THROTTLE })
      const stateDir = tempDir()
      const report = await run({ inputs: [a.dir], endpointUrl: sb.url, stateDir, workers, workerBatchLines: 7, workerInlineLines: 0, concurrency: 1 })
      assert.equal(report.workers, workers)
      const dead = readNdjson(join(stateDir, 'dead-letter.ndjson')).map((d) => JSON.stringify((d as { event?: unknown }).event ?? d))
      got.push({
        events: sb.events.map((e) => JSON.stringify(e.event)).sort(),
        identifications: sb.identifications.map((i) => JSON.stringify(i)).sort(),
        dead: dead.sort(),
        sent: report.sent,
      })
    }
    assert.ok(got[0].events.length > 250 && got[0].identifications.length > 50, `${got[0].events.length} events, ${got[0].identifications.length} identifications`)
    // The short ids are refused by the server: their records are dead-lettered, read back from their JSON.
    assert.ok(got[0].dead.length > 20, `${got[0].dead.length} dead letters`)
    assert.deepEqual(got[1], got[0])
  })

  it("one key's events are sent in archive order whatever the worker count", async function () {
    this.timeout(60_000)
    const a = writeArchive(tempDir(), { messages: 3000, devices: 11 })
    const stateDir = tempDir()
    const out = join(stateDir, 'requests.ndjson')
    await run({ inputs: [a.dir], dryRun: true, out, stateDir, workers: 3, workerBatchLines: 5, workerInlineLines: 0, batchSize: 64 })
    const byDevice = new Map<string, number[]>()
    for (const req of readNdjson(out) as Array<{ url: string; body: string }>) {
      for (const r of recordsOfRequest(req)) {
        const list = byDevice.get(String(r.device_id)) ?? []
        list.push(Number((r.event_properties as { i: number }).i))
        byDevice.set(String(r.device_id), list)
      }
    }
    assert.equal(byDevice.size, 11)
    let total = 0
    for (const [dev, list] of byDevice) {
      total += list.length
      assert.deepEqual(
        list,
        [...list].sort((x, y) => x - y),
        `${dev} out of order`,
      )
    }
    assert.equal(total, 3000)
  })

  it('filters (--where, --types), a shard and a clock cross to the threads: the same as one thread', async function () {
    this.timeout(60_000)
    const a = mixedArchive()
    const results: string[] = []
    for (const workers of [1, 2]) {
      const stateDir = tempDir()
      const out = join(stateDir, 'requests.ndjson')
      const report = await run({
        inputs: [a.dir],
        dryRun: true,
        out,
        stateDir,
        workers,
        workerBatchLines: 11,
        workerInlineLines: 0,
        filters: { where: compileTrigger('event != "Event 3"'), types: ['track', 'identify'] },
        shard: { index: 1, count: 3, group: 'g' },
        now: () => Date.UTC(2024, 4, 6),
      })
      assert.equal(report.workers, workers)
      assert.ok((report.filtered.where ?? 0) > 0 && (report.filtered['other-shard'] ?? 0) > 0, JSON.stringify(report.filtered))
      results.push(JSON.stringify(comparable(report)) + readFileSync(out, 'utf8'))
    }
    assert.equal(results[1], results[0])
  })

  it('a --where given as a plain function stays on one thread, and says so', async () => {
    const a = writeArchive(tempDir(), { messages: 20, devices: 2 })
    const warnings: string[] = []
    const report = await run({ inputs: [a.dir], dryRun: true, workers: 4, workerInlineLines: 0, filters: { where: () => true }, onWarning: (w) => warnings.push(w) })
    assert.equal(report.workers, 1)
    assert.equal(report.wouldSend, 20)
    assert.match(warnings.join('\n'), /--workers: .* planning on one thread/)
  })

  it('kill -9 twice with 3 workers, then a rerun: every record sent, resends bounded by the requests in flight', async function () {
    this.timeout(120_000)
    const a = writeArchive(tempDir(), { messages: 600, devices: 6, identifyEvery: 3 })
    const sb = await sandbox({ faults: { latencyMs: 12 } })
    const stateDir = tempDir()
    const batchSize = 5
    const concurrency = 2
    const args = [
      'replay',
      a.dir,
      '--endpoint-url',
      sb.url,
      '--yes',
      '--no-progress',
      '--state-dir',
      stateDir,
      '--batch-size',
      String(batchSize),
      '--concurrency',
      String(concurrency),
      '--workers',
      '3',
    ]
    const env = { ...process.env, NO_COLOR: '1', AMPLITUDE_API_KEY: KEY, SEGAMP_WORKER_INLINE_LINES: '0', SEGAMP_WORKER_BATCH_LINES: '5' }
    const cli = (): { kill: () => void; done: Promise<number | null>; stderr: () => string } => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      return { kill: () => child.kill('SIGKILL'), done: new Promise((r) => child.on('close', (c) => r(c))), stderr: () => stderr }
    }
    const received = (): number => sb.events.length + sb.identifications.length + sb.stats().duplicatesDiscarded
    let kills = 0
    for (const after of [90, 260]) {
      const p = cli()
      await waitFor(`${after} records received`, () => received() >= after, 60_000, 5)
      p.kill()
      await p.done
      kills++
    }
    const last = cli()
    assert.equal(await last.done, 0, last.stderr())
    const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')) as ReplayReport
    assert.equal(report.messages, 600)
    assert.equal(report.workers, 3)
    assertResendsWithinFlight(sb, report, { kills, batchSize, concurrency })
    assert.equal(report.planned, 600)
  })
})
