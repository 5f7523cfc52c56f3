import { strict as assert } from 'node:assert'
import { existsSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import got from 'got'
import { runExport, ExportError, remainingPieces, safeEntryPath, STATE_FILE } from '../../src/export/download.js'
import { formatHour, initialPieces, parseHour, splitPiece, HourFormatError, MAX_RANGE_HOURS, HOUR_MS } from '../../src/amplitude/export-api/hours.js'
import { readExport } from '../../src/export/read.js'
import { saveSandboxStore, startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'
import { BIN, runCli } from '../helpers/cli.js'
import { spawn } from 'node:child_process'
import { tempDir } from '../helpers/files.js'

const H0 = Date.UTC(2024, 4, 6, 10) // 2024-05-06T10:00Z
const API_KEY = 'export-api-key-1'
const SECRET = 'export-secret-key-1'

/** A sandbox whose clock is moved by the test: what is posted at `at` is uploaded at `at`. */
async function sandboxWithData(opts: { hours: number; perHour: number; limits?: Record<string, number> }): Promise<Sandbox> {
  let now = H0
  const sb = await startSandbox({ apiKeys: [API_KEY], secretKeys: [SECRET], clock: () => now, limits: { httpApiEps: 1e9, ...opts.limits } })
  for (let h = 0; h < opts.hours; h++) {
    now = H0 + h * HOUR_MS + 60_000
    const events = Array.from({ length: opts.perHour }, (_, i) => ({
      event_type: 'Song Played',
      user_id: `user-${i % 7}-abcde`,
      time: now - 1000 + i,
      insert_id: `msg-${h}-${i}-0badc0de`,
      event_properties: { h, i, pad: Array.from({ length: 5 }, (_, k) => createHash('sha256').update(`${h}-${i}-${k}`).digest('hex')).join('') },
    }))
    const r = await got.post(`${sb.url}/2/httpapi`, { json: { api_key: API_KEY, events }, throwHttpErrors: false })
    assert.equal(r.statusCode, 200, r.body)
  }
  now = H0 + 10 * HOUR_MS
  return sb
}

async function eventsOf(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = []
  for await (const it of readExport([dir])) if (it.kind === 'event') out.push(it.event)
  return out
}

describe('export hours', () => {
  it('parses and formats YYYYMMDDTHH in UTC, rejecting impossible hours', () => {
    assert.equal(parseHour('--start', '20240506T10') * HOUR_MS, H0)
    assert.equal(formatHour(H0 / HOUR_MS), '20240506T10')
    // The shared time-flag parser: an ISO date is its first hour; a time within an hour is refused.
    assert.equal(parseHour('--start', '2024-05-06T10:00Z') * HOUR_MS, H0)
    assert.throws(() => parseHour('--start', '2024-05-06T10:30'), HourFormatError)
    assert.throws(
      () => parseHour('--end', '20240230T00'),
      (e: Error) => /not a real date/.test(e.message) && !/hours run/.test(e.message),
    )
    assert.throws(() => parseHour('--end', '20240506T24'), /hours run 00-23/)
  })

  it('a day without an hour (2024-05-06, 20240506) is refused: as --end it would silently mean hour 00, leaving out 23 hours', async () => {
    for (const day of ['2024-05-06', '20240506']) {
      assert.throws(
        () => parseHour('--end', day),
        (e: Error) => e instanceof HourFormatError && /is a day, not an hour/.test(e.message),
      )
    }
    const dir = tempDir()
    const r = await runCli(['export', '--sandbox', '--start', '20240501', '--end', '20240531', '--out', join(dir, 'out'), '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: --start "20240501" is a day, not an hour: write 20240501T00 for its first hour, 20240501T23 for its last/)
    assert.equal(existsSync(join(dir, 'out')), false)
  })

  it('splits a range in 365-day pieces, a refused piece in two halves, a single hour not at all', () => {
    const start = H0 / HOUR_MS
    const pieces = initialPieces({ start, end: start + MAX_RANGE_HOURS + 5 })
    assert.deepEqual(
      pieces.map((p) => p.end - p.start + 1),
      [MAX_RANGE_HOURS, 6],
    )
    assert.deepEqual(splitPiece({ start, end: start + 4 }), [
      { start, end: start + 2 },
      { start: start + 3, end: start + 4 },
    ])
    assert.equal(splitPiece({ start, end: start }), null)
    const done = [{ start: formatHour(start + 1), end: formatHour(start + 2), status: 'data' as const, hoursWithFiles: 2, files: [], bytes: 1 }]
    assert.deepEqual(remainingPieces({ start, end: start + 4 }, done, 24), [
      { start, end: start },
      { start: start + 3, end: start + 4 },
    ])
  })

  it('never writes a zip entry outside the output directory', () => {
    assert.equal(safeEntryPath('/out', '../etc/passwd'), undefined)
    assert.equal(safeEntryPath('/out', '/etc/passwd'), undefined)
    assert.equal(safeEntryPath('/out', '123/123_2024-05-06_10#0.json.gz'), '/out/123/123_2024-05-06_10#0.json.gz')
  })
})

describe('segamp export against the sandbox /api/2/export', () => {
  let sb: Sandbox | undefined
  afterEach(async () => {
    await sb?.close()
    sb = undefined
  })

  it('serves the real format: a zip of hourly gzipped JSON lines named <project>/<project>_<day>_<H>#<n>.json.gz, 404 for an empty range, 401 for a wrong secret', async () => {
    sb = await sandboxWithData({ hours: 2, perHour: 3 })
    const auth = (k: string, s: string) => ({ authorization: 'Basic ' + Buffer.from(`${k}:${s}`).toString('base64') })
    const wrong = await got(`${sb.url}/api/2/export?start=20240506T10&end=20240506T11`, { headers: auth(API_KEY, 'nope'), throwHttpErrors: false })
    assert.equal(wrong.statusCode, 401)
    const empty = await got(`${sb.url}/api/2/export?start=20240501T00&end=20240501T23`, { headers: auth(API_KEY, SECRET), throwHttpErrors: false })
    assert.equal(empty.statusCode, 404)
    const out = tempDir()
    const r = await runExport({ range: { start: H0 / HOUR_MS, end: H0 / HOUR_MS + 1 }, baseUrl: sb.url, apiKey: API_KEY, secretKey: SECRET, outDir: out, unpack: true })
    assert.equal(r.hoursWithData, 2)
    const names = r.files.map((f) => f.replace(/\\/g, '/'))
    assert.equal(names.length, 2)
    for (const n of names) assert.match(n, /^(\d+)\/\1_2024-05-06_1[01]#0\.json\.gz$/)
    const events = await eventsOf(out)
    assert.equal(events.length, 6)
    const e = events[0]!
    assert.equal(e.$insert_id, 'msg-0-0-0badc0de')
    assert.equal(e.event_type, 'Song Played')
    assert.equal(e.server_upload_time, '2024-05-06 10:01:00.000000')
    assert.equal(e.event_time, '2024-05-06 10:00:59.000000')
    assert.equal(typeof e.amplitude_id, 'number')
    assert.equal(e.user_properties && typeof e.user_properties, 'object')
  })

  it("the exported files hold the project's users' events: zips, unpacked files and the state file are 0600, a folder it creates 0700", async () => {
    sb = await sandboxWithData({ hours: 2, perHour: 3 })
    for (const unpack of [false, true]) {
      const out = join(tempDir(), 'export')
      await runExport({ range: { start: H0 / HOUR_MS, end: H0 / HOUR_MS + 1 }, baseUrl: sb.url, apiKey: API_KEY, secretKey: SECRET, outDir: out, unpack })
      const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]))
      const files = walk(out)
      assert.ok(files.length >= 2, files.join(','))
      for (const f of files) assert.equal((statSync(f).mode & 0o777).toString(8), '600', f)
      assert.equal((statSync(out).mode & 0o777).toString(8), '700')
    }
  })

  it('--out naming a file, not a folder: exit 2 naming --out, the file untouched', async () => {
    sb = await sandboxWithData({ hours: 1, perHour: 1 })
    const file = join(tempDir(), 'notes.txt')
    writeFileSync(file, 'mine\n')
    const r = await runCli([
      'export',
      '--endpoint-url',
      sb.url,
      '--api-key',
      API_KEY,
      '--secret-key',
      SECRET,
      '--start',
      '20240506T10',
      '--end',
      '20240506T10',
      '--out',
      file,
      '--no-progress',
    ])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: --out .*notes\.txt: not a folder \(EEXIST\)/)
    assert.equal(readFileSync(file, 'utf8'), 'mine\n')
  })

  it('one signal over many pieces: no request leaves its abort listener behind (Node warned "MaxListenersExceededWarning" from the 11th piece on)', async () => {
    sb = await sandboxWithData({ hours: 1, perHour: 3 })
    const ac = new AbortController()
    const warnings: string[] = []
    const onWarning = (w: Error): void => {
      warnings.push(w.name)
    }
    process.on('warning', onWarning)
    try {
      const r = await runExport({
        range: { start: H0 / HOUR_MS, end: H0 / HOUR_MS + 13 },
        maxPieceHours: 1,
        baseUrl: sb.url,
        apiKey: API_KEY,
        secretKey: SECRET,
        outDir: tempDir(),
        signal: ac.signal,
      })
      assert.equal(r.hoursWithData, 1)
      assert.equal(sb.requests.filter((q) => q.path === '/api/2/export').length, 14)
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(warnings, [])
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('one signal over retried pieces: the waits between attempts leave no abort listener behind either', async () => {
    // Every piece answered 503 once, then 404 (no data): 14 pieces, 14 waits.
    const seen = new Set<string>()
    const server = createServer((req, res) => {
      const first = !seen.has(req.url ?? '')
      seen.add(req.url ?? '')
      res.writeHead(first ? 503 : 404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const ac = new AbortController()
      const notices: string[] = []
      const r = await runExport({
        range: { start: H0 / HOUR_MS, end: H0 / HOUR_MS + 13 },
        maxPieceHours: 1,
        backoffMs: 1,
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        apiKey: API_KEY,
        secretKey: SECRET,
        outDir: tempDir(),
        signal: ac.signal,
        onNotice: (t) => notices.push(t),
      })
      assert.equal(r.hoursWithData, 0)
      assert.equal(notices.filter((n) => /HTTP 503; retrying/.test(n)).length, 14)
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a piece refused as too large (400) is split by hour and retried; every hour ends up exported exactly once', async () => {
    // 3 hours of ~15 KB (zipped) each; the sandbox refuses any zip over 20 KB
    sb = await sandboxWithData({ hours: 3, perHour: 60, limits: { exportMaxBytes: 20_000 } })
    const out = tempDir()
    const notices: string[] = []
    const r = await runExport({
      range: { start: H0 / HOUR_MS, end: H0 / HOUR_MS + 2 },
      baseUrl: sb.url,
      apiKey: API_KEY,
      secretKey: SECRET,
      outDir: out,
      onNotice: (t) => notices.push(t),
    })
    assert.ok(r.splits >= 2, JSON.stringify(notices))
    assert.ok(
      r.pieces.every((p) => p.bytes < 20_000 && p.bytes > 10_000),
      JSON.stringify(r.pieces),
    )
    assert.match(notices[0]!, /20240506T10-20240506T12: refused as too large \(400\); splitting into/)
    assert.equal(sb.requests.filter((q) => q.path === '/api/2/export' && q.status === 400).length, r.splits)
    assert.equal(r.hoursWithData, 3)
    const events = await eventsOf(out)
    assert.equal(events.length, 180)
    assert.equal(new Set(events.map((e) => e.$insert_id)).size, 180)
  })

  it('a single hour over the limit is an error naming the hour and the S3 export', async () => {
    sb = await sandboxWithData({ hours: 1, perHour: 60, limits: { exportMaxBytes: 1000 } })
    await assert.rejects(
      runExport({ range: { start: H0 / HOUR_MS, end: H0 / HOUR_MS }, baseUrl: sb.url, apiKey: API_KEY, secretKey: SECRET, outDir: tempDir() }),
      (e: unknown) => e instanceof ExportError && e.kind === 'hour-too-large' && /20240506T10/.test(e.message) && /S3 export/.test(e.message),
    )
  })

  it('resumes after an interruption without downloading a finished hour again', async () => {
    sb = await sandboxWithData({ hours: 3, perHour: 2 })
    const out = tempDir()
    const range = { start: H0 / HOUR_MS, end: H0 / HOUR_MS + 2 }
    const controller = new AbortController()
    await assert.rejects(
      runExport({
        range,
        baseUrl: sb.url,
        apiKey: API_KEY,
        secretKey: SECRET,
        outDir: out,
        maxPieceHours: 1,
        signal: controller.signal,
        onProgress: (p) => p.hoursDone >= 1 && controller.abort(),
      }),
      (e: unknown) => e instanceof ExportError && e.kind === 'aborted',
    )
    const first = sb.requests.filter((q) => q.path === '/api/2/export').length
    assert.equal(first, 1)
    const state = JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8'))
    assert.deepEqual(
      state.pieces.map((p: { start: string }) => p.start),
      ['20240506T10'],
    )
    const r = await runExport({ range, baseUrl: sb.url, apiKey: API_KEY, secretKey: SECRET, outDir: out, maxPieceHours: 1 })
    assert.equal(r.hoursResumed, 1)
    assert.equal(sb.requests.filter((q) => q.path === '/api/2/export').length, 3)
    assert.deepEqual(
      readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort(),
      ['20240506T10-20240506T10.zip', '20240506T11-20240506T11.zip', '20240506T12-20240506T12.zip'],
    )
    assert.equal((await eventsOf(out)).length, 6)
  })

  it("hours that can still receive data (the current one and the one before, per Amplitude's docs; later ones) are exported but not recorded as finished: the next run downloads them again, with what arrived since", async () => {
    let now = H0 - 2 * HOUR_MS + 30 * 60_000
    sb = await startSandbox({ apiKeys: [API_KEY], secretKeys: [SECRET], clock: () => now, limits: { httpApiEps: 1e9 } })
    const post = async (id: string): Promise<void> => {
      const r = await got.post(`${sb!.url}/2/httpapi`, {
        json: { api_key: API_KEY, events: [{ event_type: 'Song Played', user_id: 'user-1-abcde', time: now, insert_id: id }] },
        throwHttpErrors: false,
      })
      assert.equal(r.statusCode, 200, r.body)
    }
    await post('at-08-30-0badc0de') // 08:30
    now += HOUR_MS
    await post('at-09-30-0badc0de')
    now += HOUR_MS
    await post('at-10-30-0badc0de') // now 10:30: 08 is complete, 09 and 10 are not, 11 and 12 are to come
    const out = tempDir()
    const range = { start: H0 / HOUR_MS - 2, end: H0 / HOUR_MS + 2 }
    const run = () => runExport({ range, baseUrl: sb!.url, apiKey: API_KEY, secretKey: SECRET, outDir: out, now: () => now })
    const exports = (): number => sb!.requests.filter((q) => q.path === '/api/2/export').length
    const first = await run()
    assert.equal(first.hoursOpen, 4)
    assert.equal((await eventsOf(out)).length, 3)
    const state = JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8'))
    assert.deepEqual(
      state.pieces.map((p: { start: string; end: string; open?: boolean }) => [p.start, p.end, p.open ?? false]),
      [
        ['20240506T08', '20240506T08', false],
        ['20240506T09', '20240506T12', true],
      ],
    )
    now += 15 * 60_000
    await post('at-10-45-0badc0de') // arrived after the first export, in an hour it had exported
    const second = await run()
    assert.equal(second.hoursResumed, 1)
    assert.equal(exports(), 3) // 08, then 09-12 twice
    assert.deepEqual((await eventsOf(out)).map((e) => e.$insert_id).sort(), ['at-08-30-0badc0de', 'at-09-30-0badc0de', 'at-10-30-0badc0de', 'at-10-45-0badc0de'])
    assert.deepEqual(
      readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort(),
      ['20240506T08-20240506T08.zip', '20240506T09-20240506T12.zip'],
    )
    now = H0 + 5 * HOUR_MS // every hour of the range is over: downloaded once more, then finished
    assert.equal((await run()).hoursOpen, 0)
    const finished = await run()
    assert.equal(exports(), 4)
    assert.equal(finished.hoursResumed, 5)
    assert.equal((await eventsOf(out)).length, 4)
  })

  it('CLI --sandbox: an export directory filled from an earlier sandbox is exported afresh after a new replay --sandbox, not said to be done with the old events', async () => {
    const dir = tempDir()
    const out = join(dir, 'export')
    const saveWith = async (ids: string[]): Promise<void> => {
      const now = H0 + 60_000
      const s = await startSandbox({ clock: () => now, limits: { httpApiEps: 1e9 } })
      try {
        const events = ids.map((id) => ({ event_type: 'Song Played', user_id: 'user-1-abcde', time: now, insert_id: id }))
        assert.equal((await got.post(`${s.url}/2/httpapi`, { json: { api_key: 'k', events }, throwHttpErrors: false })).statusCode, 200)
        await saveSandboxStore(s, join(dir, 'sandbox'))
      } finally {
        await s.close()
      }
    }
    const args = ['export', '--sandbox', '--sandbox-dir', join(dir, 'sandbox'), '--start', '20240506T10', '--end', '20240506T10', '--out', out, '--no-progress']
    await saveWith(['old-1-0badc0de', 'old-2-0badc0de'])
    const first = await runCli(args)
    assert.equal(first.code, 0, first.stderr)
    assert.equal((await eventsOf(out)).length, 2)
    await saveWith(['new-1-0badc0de', 'new-2-0badc0de', 'new-3-0badc0de'])
    const second = await runCli(args)
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stderr, /held an export of another sandbox \(a replay --sandbox since replaced what it holds\): exporting afresh/)
    assert.doesNotMatch(second.stdout, /already done by an earlier run/)
    assert.deepEqual((await eventsOf(out)).map((e) => e.$insert_id).sort(), ['new-1-0badc0de', 'new-2-0badc0de', 'new-3-0badc0de'])
  })

  it('CLI: an --out that holds another range exported earlier says diff-mappings --against reads it too', async () => {
    sb = await sandboxWithData({ hours: 3, perHour: 1 })
    const out = tempDir()
    const run = (start: string, end: string) =>
      runCli(['export', '--endpoint-url', sb!.url, '--start', start, '--end', end, '--out', out, '--no-progress'], {
        env: { AMPLITUDE_API_KEY: API_KEY, AMPLITUDE_SECRET_KEY: SECRET },
      })
    const first = await run('20240506T10', '20240506T10')
    assert.equal(first.code, 0, first.stderr)
    assert.doesNotMatch(first.stdout, /also holds/)
    const second = await run('20240506T11', '20240506T12')
    assert.equal(second.code, 0, second.stderr)
    assert.ok(
      second.stdout.includes(
        `${out} also holds 1 piece(s) of other ranges an earlier export wrote (20240506T10): diff-mappings --against ${out} reads them too; export into another --out to compare this range alone`,
      ),
      second.stdout,
    )
  })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`CLI: ${signal} mid-download stops with 130 and says how to resume (SIGTERM used to end it with no word, by the signal)`, async () => {
      sb = await sandboxWithData({ hours: 1, perHour: 1 })
      // Every answer takes 30 s: the signal comes while the first hour is being asked for.
      sb.setFaults({ latencyMs: 30_000 })
      const out = tempDir()
      const child = spawn(process.execPath, [BIN, 'export', '--endpoint-url', sb.url, '--start', '20240506T10', '--end', '20240506T11', '--out', out], {
        env: { ...process.env, AMPLITUDE_API_KEY: API_KEY, AMPLITUDE_SECRET_KEY: SECRET },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const ended = new Promise<string>((resolve) => child.on('close', (code, sig) => resolve(sig ?? String(code))))
      for (let i = 0; i < 400 && !stderr.includes('Exporting'); i++) await new Promise((r) => setTimeout(r, 50))
      child.kill(signal)
      const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
      const status = await ended
      clearTimeout(guard)
      assert.equal(status, '130', stderr)
      assert.match(stderr, new RegExp(`Interrupted\\. Run the same command again to resume \\(finished hours are in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`))
    })
  }

  it('CLI: --out on a full disk is exit 1 naming --out and the cause, not a network error retried and then 75', async function () {
    if (!existsSync('/dev/full')) this.skip()
    sb = await sandboxWithData({ hours: 1, perHour: 1 })
    const out = tempDir()
    // The piece's download file is /dev/full: its write fails with ENOSPC, as on a full disk.
    symlinkSync('/dev/full', join(out, '20240506T10-20240506T10.zip.part'))
    const r = await runCli(['export', '--endpoint-url', sb.url, '--start', '20240506T10', '--end', '20240506T10', '--out', out, '--no-progress'], {
      env: { AMPLITUDE_API_KEY: API_KEY, AMPLITUDE_SECRET_KEY: SECRET },
    })
    assert.equal(r.code, 1, r.stderr)
    assert.match(
      r.stderr,
      new RegExp(`^Error: --out ${out.replace(/[/.]/g, '\\$&')}: cannot be written: no space left on the device \\(ENOSPC\\)\nHint: Free space in --out's folder`, 'm'),
    )
    assert.doesNotMatch(r.stderr, /network error|retrying/)
  })

  it('CLI: wrong credentials exit 1 with a clear message and the secret nowhere; an empty range says so', async () => {
    sb = await sandboxWithData({ hours: 1, perHour: 1 })
    const out = tempDir()
    const secret = 'wrong-secret-9f8e7d'
    const bad = await runCli(['export', '--endpoint-url', sb.url, '--start', '20240506T10', '--end', '20240506T10', '--out', out, '--no-progress'], {
      env: { AMPLITUDE_API_KEY: API_KEY, AMPLITUDE_SECRET_KEY: secret },
    })
    assert.equal(bad.code, 1, bad.stderr)
    assert.match(bad.stderr, /Amplitude rejected the credentials \(HTTP 401\)/)
    assert.ok(!bad.stderr.includes(secret) && !bad.stdout.includes(secret))
    for (const f of readdirSync(out)) assert.ok(!readFileSync(join(out, f), 'utf8').includes(secret), f)
    const none = await runCli([
      'export',
      '--endpoint-url',
      sb.url,
      '--api-key',
      API_KEY,
      '--secret-key',
      SECRET,
      '--start',
      '20240501T00',
      '--end',
      '20240501T05',
      '--out',
      tempDir(),
      '--no-progress',
    ])
    assert.equal(none.code, 0, none.stderr)
    assert.match(none.stdout, /6 hour\(s\), 0 with events, 6 without/)
    assert.match(none.stdout, /Amplitude holds no events uploaded in this range \(404 for every hour\)/)
    const ok = await runCli([
      'export',
      '--endpoint-url',
      sb.url,
      '--api-key',
      API_KEY,
      '--secret-key',
      SECRET,
      '--start',
      '20240506T10',
      '--end',
      '20240506T10',
      '--out',
      out,
      '--no-progress',
    ])
    assert.equal(ok.code, 0, ok.stderr)
    assert.ok(existsSync(join(out, '20240506T10-20240506T10.zip')))
    assert.ok(!readFileSync(join(out, STATE_FILE), 'utf8').includes(SECRET))
    // The shared time-flag parser takes 2024-05-06 (its first hour); a time within an hour is refused.
    const usage = await runCli(['export', '--start', '2024-05-06T10:30', '--end', '20240506T10', '--out', out])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /--start "2024-05-06T10:30": the Export API works in whole UTC hours; expected YYYYMMDDTHH/)
  })
})
