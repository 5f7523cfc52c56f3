/**
 * What a resume may and may not do, over real files and loopback HTTP (issue: reliability):
 * - files added after an interruption are read, even when they sort before the checkpoint;
 *   a changed file stops the run with a clear message;
 * - after kill -9 at any moment, a rerun sends every planned record, and sends again only what
 *   was in flight (identify calls, which Amplitude cannot deduplicate, included);
 * - a 200 that is not Amplitude's acknowledgement never counts as sent.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ReplayReport } from '../../src/pipeline/commit/report.js'
import type { Sandbox } from '../../src/amplitude/sandbox/index.js'
import { readNdjson, tempDir, writeFile } from '../helpers/files.js'
import { compileSubscriptions, loadMappings, selectOnlyActions } from '../../src/segment/subscriptions/index.js'
import { BIN, ROOT } from '../helpers/cli.js'
import { device, replayHarness, trackMessage, waitFor, writeArchive, DAY, assertResendsWithinFlight } from '../helpers/replay.js'

const KEY = 'resume-test-key-0c1d2e3f4a5b6c7d'
const { run, sandbox } = replayHarness(KEY, 'resume-test')

const ids = (sb: Sandbox): string[] => [...sb.events.map((e) => e.event), ...sb.identifications].map((r) => String(r.insert_id))

function dayFile(root: string, day: number, from: number, n: number): string {
  const lines = Array.from({ length: n }, (_, k) =>
    JSON.stringify(trackMessage(from + k, device((from + k) % 4), { timestamp: new Date(DAY + day * 86_400_000 + k * 1000).toISOString() })),
  )
  return writeFile(join(root, String(DAY + day * 86_400_000), 'part.ndjson'), lines.join('\n') + '\n')
}

describe('resume: inputs that changed between runs', () => {
  it('a day folder added after an interruption is read, although it sorts before the checkpoint', async () => {
    const root = tempDir()
    dayFile(root, 1, 0, 60)
    dayFile(root, 2, 100, 60)
    const sb = await sandbox({ faults: { latencyMs: 10 } })
    const stateDir = tempDir()
    const ac = new AbortController()
    let shown = 0
    const first = run({ inputs: [root], endpointUrl: sb.url, stateDir, batchSize: 5, concurrency: 1, signal: ac.signal, onProgress: (p) => (shown = p.messages) })
    const cp = join(stateDir, 'checkpoint.json')
    await waitFor('the second day in progress', () => existsSync(cp) && String(JSON.parse(readFileSync(cp, 'utf8')).position?.file).includes(String(DAY + 2 * 86_400_000)))
    ac.abort()
    const r1 = await first
    assert.equal(r1.exitCode, 130)
    // What the progress line showed last is what the report accounts for: settled, or left for the resume.
    assert.equal(r1.messages + r1.leftForResume, shown)
    assert.equal(r1.sentThisRun, r1.sent)
    // A late-arriving day, earlier than everything read so far.
    dayFile(root, 0, 200, 30)
    sb.setFaults({})
    const warnings: string[] = []
    const second = await run({ inputs: [root], endpointUrl: sb.url, stateDir, onWarning: (w) => warnings.push(w) })
    assert.equal(second.exitCode, 0)
    assert.equal(second.messages, 150)
    assert.equal(second.sent, 150)
    // A resumed run's rate counts only what it sent itself.
    assert.equal(second.sentThisRun, 150 - r1.sent)
    assert.equal(second.leftForResume, 0)
    assert.equal(second.files, 3)
    assert.deepEqual(ids(sb).sort(), [...new Set(ids(sb))].sort(), 'nothing ingested twice')
    assert.equal(sb.events.length, 150)
    assert.ok(
      warnings.some((w) => /^1 file\(s\) added since the checkpoint are read in full: .*part\.ndjson$/.test(w)),
      warnings.join('\n'),
    )
  })

  it('a completed file that changed stops the resume with what changed and how to start over', async () => {
    const root = tempDir()
    const day1 = dayFile(root, 1, 0, 40)
    dayFile(root, 2, 100, 60)
    const sb = await sandbox({ faults: { latencyMs: 10 } })
    const stateDir = tempDir()
    const ac = new AbortController()
    const first = run({ inputs: [root], endpointUrl: sb.url, stateDir, batchSize: 5, concurrency: 1, signal: ac.signal })
    await waitFor('day 1 completed', () => existsSync(join(stateDir, 'completed.ndjson')) && readFileSync(join(stateDir, 'completed.ndjson'), 'utf8').includes('part.ndjson'))
    ac.abort()
    await first
    writeFileSync(day1, readFileSync(day1, 'utf8') + JSON.stringify(trackMessage(999, device(0))) + '\n')
    utimesSync(day1, new Date(), new Date(Date.now() + 5000))
    await assert.rejects(run({ inputs: [root], endpointUrl: sb.url, stateDir }), (e: Error) =>
      /^inputs changed since the checkpoint \(0 file\(s\) added, 1 changed, 0 half-read file\(s\) gone\): \S+part\.ndjson \(changed\)\. .* rerun with --fresh to start over/.test(
        e.message,
      ),
    )
  })
})

describe('resume: a crash resends only what was in flight', () => {
  async function cli(args: string[]): Promise<{ code: number | null; stderr: string; kill: (sig: NodeJS.Signals) => void; done: Promise<number | null> }> {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', AMPLITUDE_API_KEY: KEY }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const done = new Promise<number | null>((r) => child.on('close', (c) => r(c)))
    return {
      get code() {
        return child.exitCode
      },
      get stderr() {
        return stderr
      },
      kill: (sig) => child.kill(sig),
      done,
    }
  }

  it('kill -9 twice mid-run, then a rerun: every record sent, resends bounded by the requests in flight', async function () {
    this.timeout(120_000)
    const a = writeArchive(tempDir(), { messages: 400, devices: 6, identifyEvery: 3 })
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
    ]
    let kills = 0
    for (const after of [60, 180]) {
      const p = await cli(args)
      await waitFor(`${after} records received`, () => ids(sb).length + sb.stats().duplicatesDiscarded >= after, 60_000, 5)
      p.kill('SIGKILL')
      await p.done
      kills++
    }
    const last = await cli(args)
    assert.equal(await last.done, 0, last.stderr)
    const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')) as ReplayReport
    assert.equal(report.messages, 400)
    assertResendsWithinFlight(sb, report, { kills, batchSize, concurrency })
  })

  it('a throttled device holds the position back, yet a resume resends none of the records acknowledged after it', async () => {
    const X = device(0)
    const lines = Array.from({ length: 80 }, (_, i) => JSON.stringify(trackMessage(i, i % 8 === 0 ? X : device(1 + (i % 5)))))
    const file = writeFile(join(tempDir(), 'a.ndjson'), lines.join('\n') + '\n')
    const sb = await sandbox({ faults: { throttle: { deviceOrUser: [X], times: 1000 } } })
    const stateDir = tempDir()
    const ac = new AbortController()
    const first = run({ inputs: [file], endpointUrl: sb.url, stateDir, batchSize: 4, signal: ac.signal, delivery: { throttlePauseMs: { httpapi: 60_000, batch: 60_000 } } })
    await waitFor('all other devices ingested', () => sb.events.length === 70)
    const cp = join(stateDir, 'checkpoint.json')
    // The checkpoint is written while the device is throttled: the position waits at X's first line,
    // the lines acknowledged after it are listed as settled.
    await waitFor('checkpoint with the lines ahead', () => existsSync(cp) && JSON.parse(readFileSync(cp, 'utf8')).counts.sent === 70)
    const saved = JSON.parse(readFileSync(cp, 'utf8'))
    assert.equal(saved.position, null)
    assert.ok(saved.ahead.length === 1 && saved.ahead[0].lines.length >= 10, JSON.stringify(saved.ahead))
    ac.abort()
    assert.equal((await first).exitCode, 130)
    sb.setFaults({})
    const second = await run({ inputs: [file], endpointUrl: sb.url, stateDir })
    assert.equal(second.exitCode, 0)
    assert.equal(sb.events.length, 80)
    assert.equal(sb.stats().duplicatesDiscarded, 0, 'nothing acknowledged was sent again')
    assert.equal(second.sent, 80)
    assert.equal(second.messages, 80)
  })
})

describe('resume: a line whose records were partly sent', () => {
  it("Ctrl-C between a group call's two records: the resume sends only the one not acknowledged", async () => {
    // Group Identify User sends an identify and a group identify per group call. Group identify fails (503) until Ctrl-C.
    const lines = Array.from({ length: 6 }, (_, i) =>
      JSON.stringify({
        type: 'group',
        messageId: `g-${i}`,
        groupId: `org-${i}`,
        userId: `user-${device(i)}`,
        anonymousId: device(i),
        traits: { plan: 'pro', seats: i },
        timestamp: new Date(DAY + i * 1000).toISOString(),
      }),
    )
    const file = writeFile(join(tempDir(), 'groups.ndjson'), lines.join('\n') + '\n')
    const subs = compileSubscriptions(selectOnlyActions(await loadMappings(), ['groupIdentifyUser']).loaded)
    const sb = await sandbox({ faults: { error5xxRate: 0 } })
    let groupCalls = 0
    const srv = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', async () => {
        if (req.url === '/groupidentify') {
          groupCalls++
          res.writeHead(503, { 'content-type': 'application/json' })
          res.end('{"code":503,"error":"unavailable"}')
          return
        }
        // Everything else goes on to the sandbox, so it keeps the count.
        const r = await fetch(sb.url + req.url, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body })
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' })
        res.end(await r.text())
      })
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const proxy = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
    const stateDir = tempDir()
    const ac = new AbortController()
    const first = run({ inputs: [file], subscriptions: subs, endpointUrl: proxy, stateDir, signal: ac.signal, delivery: { baseDelayMs: 200, maxDelayMs: 400 } })
    await waitFor('the identify calls acknowledged and a group identify refused', () => sb.identifications.length === 6 && groupCalls > 0)
    ac.abort()
    assert.equal((await first).exitCode, 130)
    srv.close()
    const cp = JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8'))
    assert.equal(cp.partial.length, 6)
    const second = await run({ inputs: [file], subscriptions: subs, endpointUrl: sb.url, stateDir })
    assert.equal(second.exitCode, 0)
    // Each identify reached Amplitude once: none was sent again.
    assert.equal(sb.identifications.length, 6)
    assert.equal(sb.groupIdentifications.length, 6)
    assert.equal(second.sent, 12)
    assert.equal(second.messages, 6)
  })
})

describe('a 200 is "sent" only when Amplitude acknowledged the events', () => {
  async function fakeAmplitude(answer: (events: number) => { status: number; body: string }): Promise<{ url: string; close: () => Promise<void> }> {
    const s = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        const n = body.startsWith('{') ? (JSON.parse(body).events?.length ?? 0) : 1
        const a = answer(n)
        res.writeHead(a.status, { 'content-type': a.body.startsWith('<') ? 'text/html' : 'application/json' })
        res.end(a.body)
      })
    })
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => s.close(() => r())) }
  }
  const archive = (): string => writeFile(join(tempDir(), 'a.ndjson'), Array.from({ length: 12 }, (_, i) => JSON.stringify(trackMessage(i, device(i % 3)))).join('\n') + '\n')

  it('events_ingested 0: every event dead-lettered not_ingested, none counted sent, exit 3', async () => {
    const srv = await fakeAmplitude(() => ({ status: 200, body: '{"code":200,"events_ingested":0}' }))
    const stateDir = tempDir()
    const r = await run({ inputs: [archive()], endpointUrl: srv.url, stateDir })
    await srv.close()
    assert.equal(r.sent, 0)
    assert.equal(r.deadLettered, 12)
    assert.equal(r.exitCode, 3)
    const dead = readNdjson(join(stateDir, 'dead-letter.ndjson')) as Array<{ reason: string }>
    assert.equal(dead.length, 12)
    assert.match(dead[0].reason, /^not_ingested: Amplitude acknowledged the request but ingested 0 of its \d+ events$/)
  })

  it('a 200 HTML page (captive proxy, wrong --endpoint-url): the run stops, nothing counted, the checkpoint resumes all', async () => {
    const srv = await fakeAmplitude(() => ({ status: 200, body: '<html><body>Sign in to the guest network</body></html>' }))
    const stateDir = tempDir()
    const file = archive()
    const r = await run({ inputs: [file], endpointUrl: srv.url, stateDir })
    await srv.close()
    assert.equal(r.exitCode, 1)
    assert.match(
      r.error ?? '',
      /the httpapi endpoint answered 200 with "<html><body>Sign in to the guest network<\/body><\/html>", which is not Amplitude's answer: nothing in that request was counted as sent\. Check --endpoint-url/,
    )
    assert.equal(r.sent, 0)
    assert.equal(r.deadLettered, 0)
    const cp = JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8'))
    assert.equal(cp.done, false)
    assert.equal(cp.position, null)
    // Pointed at the real thing, the resumed run sends all 12.
    const sb = await sandbox()
    const again = await run({ inputs: [file], endpointUrl: sb.url, stateDir })
    assert.equal(again.resumed, true)
    assert.equal(again.sent, 12)
    assert.equal(sb.events.length, 12)
  })
})
