/**
 * `segamp replay --shard K/N`, `segamp status` and the standalone `segamp sandbox`, as real
 * processes (the compiled CLI, bin/run.js) over loopback HTTP: three shards replay one archive
 * into one sandbox process and must add up to exactly what one process sends.
 */
import { strict as assert } from 'node:assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'
import { NO_THROTTLE } from '../../src/amplitude/sandbox/limits.js'
import { combineShards, renderStatus, type ShardState } from '../../src/replay/status.js'
import { emptyReplayCounts } from '../../src/pipeline/commit/index.js'
import { ndjson, tempDir, writeFile } from '../helpers/files.js'
import { waitFor, writeArchive } from '../helpers/replay.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const KEY = 'shard-test-key-0123456789'

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra }
  delete e.AMPLITUDE_API_KEY
  if (!('JOB_COMPLETION_INDEX' in extra)) delete e.JOB_COMPLETION_INDEX
  if (!('AWS_BATCH_JOB_ARRAY_INDEX' in extra)) delete e.AWS_BATCH_JOB_ARRAY_INDEX
  return e
}

function start(args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<Exit> => start(args, extraEnv).done

/** A standalone `segamp sandbox` process; resolves once it printed its URL. */
async function sandboxProcess(args: string[] = []): Promise<{ url: string; child: ChildProcess; done: Promise<Exit> }> {
  const child = spawn(process.execPath, [BIN, 'sandbox', ...args], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  await waitFor('the sandbox URL', () => /\n/.test(stdout) || child.exitCode !== null, 30_000, 50)
  const url = stdout.split('\n')[0]!.trim()
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, `sandbox printed ${JSON.stringify(stdout)} / ${stderr}`)
  return { url, child, done }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url)
  assert.equal(res.status, 200, url)
  return (await res.json()) as T
}

interface Dump {
  stats: { eventsIngested: number; duplicatesDiscarded: number; identifications: number; requests: number }
  events: Array<{ event: Record<string, unknown> }>
  identifications: unknown[]
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

/** The archive: two files of tracks and identifies over 40 devices with garbage lines, plus user-only and id-less messages. */
function archive(): string {
  const dir = tempDir('segamp-shard-archive-')
  const a = writeArchive(dir, { messages: 1500, devices: 40, identifyEvery: 9, garbageEvery: 211 })
  const extra: unknown[] = []
  for (let i = 0; i < 30; i++) {
    // userId only: keyed by user_id.
    extra.push({
      type: 'track',
      event: 'User Only',
      messageId: `u-${i}`,
      userId: `only-user-${i % 7}`,
      timestamp: new Date(Date.UTC(2024, 4, 7) + i * 1000).toISOString(),
      properties: { i: 10_000 + i },
    })
    // no identity at all: owned by messageId (Amplitude refuses it: dead-lettered by whoever owns it).
    extra.push({ type: 'track', event: 'Nobody', messageId: `n-${i}`, timestamp: new Date(Date.UTC(2024, 4, 7) + i * 1000).toISOString(), properties: { i: 20_000 + i } })
    // routed away from Amplitude by Segment: filtered by whoever owns it.
    extra.push({
      type: 'track',
      event: 'Routed Away',
      messageId: `r-${i}`,
      anonymousId: `anon-${i}`,
      integrations: { All: false },
      timestamp: new Date(Date.UTC(2024, 4, 7) + i * 1000).toISOString(),
    })
  }
  writeFile(join(a.dir, 'part-3.ndjson'), ndjson(extra))
  return a.dir
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + y, 0)

describe('sharding: three shard processes into one standalone sandbox', function () {
  this.timeout(240_000)
  const sandboxes: Sandbox[] = []
  const children: ChildProcess[] = []
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const s of sandboxes) await s.close()
  })

  let input: string
  let single: { report: Record<string, any>; insertIds: Set<string>; identifications: number }
  before(async function () {
    await waitFor(
      'dist/ (run npm run build)',
      () => ['commands/replay.js', 'commands/sandbox.js', 'commands/status.js'].every((f) => existsSync(join(ROOT, 'dist', f))),
      50_000,
      250,
    )
    input = archive()
    // The reference: one process, into a sandbox of its own.
    const sb = await startSandbox({ limits: NO_THROTTLE })
    sandboxes.push(sb)
    const state = tempDir('segamp-shard-single-')
    const r = await cli(['replay', input, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--state-dir', state])
    assert.equal(r.code, 3, r.stderr) // garbage lines and id-less events: finished, partly
    const insertIds = new Set(sb.events.map((e) => String(e.event.insert_id)))
    assert.equal(insertIds.size, sb.events.length)
    single = { report: readJson(join(state, 'report.json')), insertIds, identifications: sb.identifications.length }
    assert.ok(single.report.sent > 1000 && single.report.rejected > 0 && single.report.deadLettered > 0, JSON.stringify(single.report))
  })

  it('the union equals the single run, no event is sent twice, each device keeps archive order, status adds up', async () => {
    const sb = await sandboxProcess(['--no-throttle'])
    children.push(sb.child)
    const dirs = [0, 1, 2].map((k) => tempDir(`segamp-shard-${k}-`))
    const common = [input, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--batch-size', '50']
    // Shard 0 by flag, shard 1 as a Kubernetes Indexed Job pod, shard 2 as an AWS Batch array child.
    const runs = await Promise.all([
      cli(['replay', ...common, '--shard', '0/3', '--state-dir', dirs[0]!]),
      cli(['replay', ...common, '--shards', '3', '--state-dir', dirs[1]!], { JOB_COMPLETION_INDEX: '1' }),
      cli(['replay', ...common, '--shards', '3', '--state-dir', dirs[2]!], { AWS_BATCH_JOB_ARRAY_INDEX: '2' }),
    ])
    for (const r of runs) assert.ok(r.code === 0 || r.code === 3, r.stderr)
    const dump = await getJson<Dump>(`${sb.url}/_sandbox/ingested`)
    const ids = dump.events.map((e) => String(e.event.insert_id))
    assert.equal(dump.stats.duplicatesDiscarded, 0, 'no event was sent by two shards')
    assert.equal(new Set(ids).size, ids.length)
    assert.deepEqual(new Set(ids), single.insertIds)
    assert.equal(dump.identifications.length, single.identifications)

    // One key's events arrive in archive order (properties.i grows along the archive).
    const lastByDevice = new Map<string, number>()
    for (const e of dump.events) {
      const key = String(e.event.device_id ?? e.event.user_id)
      const i = Number((e.event.event_properties as Record<string, unknown> | undefined)?.i)
      if (!Number.isFinite(i)) continue
      const prev = lastByDevice.get(key)
      assert.ok(prev === undefined || i > prev, `${key}: event ${i} arrived after ${prev}`)
      lastByDevice.set(key, i)
    }

    // Each shard's own accounting adds up: what it owns plus other-shard = every message line.
    const reports = dirs.map((d) => readJson<Record<string, any>>(join(d, 'report.json')))
    for (const [k, r] of reports.entries()) {
      assert.deepEqual(r.shard, { index: k, count: 3, group: reports[0]!.shard.group })
      assert.match(r.runId, new RegExp(`-shard-${k}-of-3$`))
      assert.ok(r.sent > 0, `shard ${k} sent nothing`)
      assert.equal(r.messages + r.rejected, single.report.messages + single.report.rejected, `shard ${k} read every line`)
    }
    assert.equal(
      reports.reduce((a, r) => a + r.rejected, 0),
      single.report.rejected,
      'rejected lines are reported by shard 0 only',
    )
    assert.equal(reports[1]!.rejected, 0)

    const st = await cli(['status', ...dirs, '--json'])
    assert.equal(st.code, 3, st.stderr)
    const status = JSON.parse(st.stdout)
    assert.equal(status.finished, true)
    for (const k of ['messages', 'sent', 'deadLettered', 'rejected', 'planned', 'duplicates'] as const) assert.equal(status.totals[k], single.report[k], k)
    assert.deepEqual(status.totals.filtered, single.report.filtered)
    assert.deepEqual(status.totals.deadLetterReasons, single.report.deadLetterReasons)
    assert.ok(sum(status.totals.filtered) > 0, 'the archive has filtered messages')

    // The text form names the totals, and a missing shard is noticed.
    const text = await cli(['status', dirs[0]!, dirs[2]!])
    assert.equal(text.code, 1)
    assert.match(text.stdout, /2 of 3 shards finished/)
    assert.match(text.stdout, /shard 1\/3 +missing/)
    // Directories of different runs are not mixed.
    const mixed = await cli(['status', dirs[0]!, single.report.stateDir])
    assert.equal(mixed.code, 2)
    assert.match(mixed.stderr, /different runs/)

    sb.child.kill('SIGTERM')
    const end = await sb.done
    assert.equal(end.code, 0, end.stderr)
    assert.match(end.stderr, new RegExp(`Events ingested: ${dump.stats.eventsIngested}`))
  })

  it('a shard killed with SIGKILL mid-run and started again loses nothing', async () => {
    const dumpFile = join(tempDir('segamp-shard-dump-'), 'ingested.json')
    const sb = await sandboxProcess(['--no-throttle', '--dump', dumpFile])
    children.push(sb.child)
    const dirs = [0, 1, 2].map((k) => tempDir(`segamp-shard-kill-${k}-`))
    const common = [input, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--batch-size', '20', '--concurrency', '2']
    const others = Promise.all([0, 2].map((k) => cli(['replay', ...common, '--shard', `${k}/3`, '--state-dir', dirs[k]!])))
    // Shard 1 is slowed down (a share of --max-eps) so that it is surely killed mid-run.
    const victim = start(['replay', ...common, '--shard', '1/3', '--state-dir', dirs[1]!, '--max-eps', '600'])
    children.push(victim.child)
    const cpPath = join(dirs[1]!, 'checkpoint.json')
    await waitFor(
      'shard 1 to checkpoint some sent events',
      () => {
        try {
          return readJson<{ counts: { sent: number } }>(cpPath).counts.sent >= 60
        } catch {
          return false
        }
      },
      60_000,
      20,
    )
    victim.child.kill('SIGKILL')
    const killed = await victim.done
    assert.equal(killed.signal, 'SIGKILL')
    const mid = readJson<{ done: boolean; shard: unknown }>(cpPath)
    assert.equal(mid.done, false, 'the shard was killed before it finished')
    assert.deepEqual(mid.shard, { index: 1, count: 3, group: (mid.shard as { group: string }).group })

    // status sees the unfinished shard.
    const during = await cli(['status', ...dirs])
    assert.equal(during.code, 1)
    assert.match(during.stdout, /shard 1\/3 .*not finished/)

    // The same command (without the cap) resumes shard 1's own checkpoint.
    const again = await cli(['replay', ...common, '--shard', '1/3', '--state-dir', dirs[1]!])
    assert.ok(again.code === 0 || again.code === 3, again.stderr)
    const resumed = readJson<Record<string, any>>(join(dirs[1]!, 'report.json'))
    assert.equal(resumed.resumed, true)
    for (const r of await others) assert.ok(r.code === 0 || r.code === 3, r.stderr)

    const dump = await getJson<Dump>(`${sb.url}/_sandbox/ingested`)
    assert.deepEqual(new Set(dump.events.map((e) => String(e.event.insert_id))), single.insertIds, 'nothing lost, nothing extra')
    // Only requests in flight at the kill may be sent again (deduplicated by insert_id).
    assert.ok(dump.stats.duplicatesDiscarded <= 2 * 20, `duplicates ${dump.stats.duplicatesDiscarded}`)

    const st = JSON.parse((await cli(['status', ...dirs, '--json'])).stdout)
    assert.equal(st.finished, true)
    for (const k of ['messages', 'sent', 'deadLettered', 'rejected'] as const) assert.equal(st.totals[k], single.report[k], k)

    // SIGUSR2 dumps what was ingested to --dump; so does the exit.
    sb.child.kill('SIGUSR2')
    await waitFor('the --dump file', () => existsSync(dumpFile), 10_000, 50)
    sb.child.kill('SIGTERM')
    assert.equal((await sb.done).code, 0)
    const written = readJson<Dump>(dumpFile)
    assert.equal(written.events.length, dump.events.length)
  })
})

describe('segamp sandbox: options file, fault control and stats over HTTP', function () {
  this.timeout(60_000)
  it('--options limits and faults apply; POST /_sandbox/faults changes them; stats count only Amplitude requests', async () => {
    const opts = join(tempDir('segamp-sandbox-opts-'), 'options.json')
    writeFile(opts, JSON.stringify({ apiKeys: ['only-this-key'], limits: { httpApiMaxEvents: 2 }, faults: { silencedDevices: ['dev-silenced'] } }))
    const sb = await sandboxProcess(['--options', opts])
    try {
      const post = (body: unknown) => fetch(`${sb.url}/2/httpapi`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const ev = (d: string, i: number) => ({ device_id: d, event_type: 'E', insert_id: `${d}-${i}` })
      assert.equal((await post({ api_key: 'another-key', events: [ev('dev-00001', 1)] })).status, 400, 'apiKeys from the file')
      assert.equal((await post({ api_key: 'only-this-key', events: [ev('dev-00001', 1), ev('dev-00001', 2), ev('dev-00001', 3)] })).status, 413, 'limits from the file')
      assert.equal((await post({ api_key: 'only-this-key', events: [ev('dev-silenced', 1)] })).status, 400, 'faults from the file')
      assert.equal((await post({ api_key: 'only-this-key', events: [ev('dev-00001', 1)] })).status, 200)
      const set = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ error5xxRate: 1 }) })
      assert.equal(set.status, 200)
      assert.ok([500, 502, 503].includes((await post({ api_key: 'only-this-key', events: [ev('dev-00001', 2)] })).status))
      assert.equal((await fetch(`${sb.url}/_sandbox/nothing`)).status, 404)
      const stats = await getJson<{ requests: number; eventsIngested: number }>(`${sb.url}/_sandbox/stats`)
      assert.equal(stats.requests, 5, 'control requests are not counted')
      assert.equal(stats.eventsIngested, 1)
    } finally {
      sb.child.kill('SIGTERM')
      await sb.done
    }
    const bad = await cli(['sandbox', '--options', join(ROOT, 'package-lock.json.missing')])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--options .*package-lock\.json\.missing/)
  })
})

describe('sharding: status combines state directories (pure)', () => {
  const cp = (index: number, count: number, counts: Record<string, unknown>, done = true, group = 'g1'): ShardState => ({
    dir: `/state/${index}`,
    checkpoint: {
      version: 2,
      runId: `${group}-shard-${index}-of-${count}`,
      position: done ? null : { file: 'a.ndjson', line: 10 },
      ahead: [],
      open: {},
      files: { deadLetter: 0, rejected: 0, completed: 0 },
      counts: { ...emptyReplayCounts([]), files: 2, ...counts } as never,
      updatedAt: '2026-01-01T00:00:00.000Z',
      done,
      shard: { index, count, group },
      inputs: { files: 2, bytes: 100 },
    },
  })

  it('other-shard messages are not counted twice; a shard given twice or another run is refused', () => {
    const st = combineShards([
      cp(0, 2, { messages: 10, sent: 6, filtered: { 'other-shard': 4, type: 1 } }),
      cp(1, 2, { messages: 10, sent: 3, filtered: { 'other-shard': 6 } }, false),
    ])
    assert.equal(st.totals.messages, 10)
    assert.equal(st.totals.sent, 9)
    assert.deepEqual(st.totals.filtered, { type: 1 })
    assert.deepEqual(st.unfinished, [1])
    assert.equal(st.exitCode, 1)
    assert.throws(() => combineShards([cp(0, 2, {}), cp(0, 2, {})]), /both shard 0/)
    assert.throws(() => combineShards([cp(0, 2, {}), cp(1, 2, {}, true, 'g2')]), /different runs/)
    assert.throws(() => combineShards([cp(0, 2, {}), cp(1, 3, {})]), /disagree/)
  })

  it('a file read but not settled (still open in the checkpoint) is not done: "0 of 4 files done", 4 left', () => {
    // As an interrupted live run leaves it: the reader ran ahead of the sends, so all four files
    // were opened (counts.files 4) and none completed (all four still open).
    const open = Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`${n}.ndjson`, 'size:1,mtime:1']))
    const shard = cp(0, 1, { files: 4, messages: 7750 }, false)
    Object.assign(shard.checkpoint, { open, inputs: { files: 4, bytes: 400 } })
    const st = combineShards([shard])
    assert.equal(st.rows[0].filesDone, 0)
    assert.deepEqual(st.remaining.files, [{ shard: 0, filesLeft: 4, position: 'a.ndjson:10' }])
    const text = renderStatus(st)
    assert.match(text, /0 of 4 files done/)
    assert.match(text, /shard 0 \(4 file\(s\) left/)
    // One of them completed since: 1 done, 3 left.
    shard.checkpoint.open = Object.fromEntries(Object.entries(open).slice(1))
    assert.match(renderStatus(combineShards([shard])), /1 of 4 files done[\s\S]*shard 0 \(3 file\(s\) left/)
  })

  it("an object each shard failed to read: listed once; 75 when a shard may read it on a rerun, as that shard's replay exited", () => {
    const file = 's3://b/logs/a.gz'
    const transient = (at: number) => ({ file, reason: `gave up after 3 attempts at byte ${at} of 900: InternalError`, retryable: true })
    const gone = { file, reason: 'NoSuchKey: deleted' }
    const both = combineShards([cp(0, 2, { unreadableFiles: [transient(100)] }), cp(1, 2, { unreadableFiles: [transient(300)] })])
    assert.deepEqual(
      both.totals.unreadableFiles.map((u) => u.file),
      [file],
    )
    assert.equal(both.exitCode, 75)
    assert.match(renderStatus(both), /unreadable files: s3:\/\/b\/logs\/a\.gz \(retryable\)\n.*re-run the same replay command later/)
    const mixed = combineShards([cp(0, 2, { unreadableFiles: [gone] }), cp(1, 2, { unreadableFiles: [transient(300)] })])
    assert.deepEqual(mixed.totals.unreadableFiles, [transient(300)])
    assert.equal(mixed.exitCode, 75)
    const permanent = combineShards([cp(0, 2, { unreadableFiles: [gone] }), cp(1, 2, { unreadableFiles: [gone] })])
    assert.equal(permanent.exitCode, 3)
    assert.doesNotMatch(renderStatus(permanent), /retryable|re-run/)
  })

  it('file names from the archive are shown escaped: a key holding ESC cannot recolour or rewrite the terminal', () => {
    const file = 's3://b/logs/\u001b[2J\u001b[31mred.gz'
    const st = combineShards([cp(0, 2, { unreadableFiles: [{ file, reason: 'truncated gzip' }] }), cp(1, 2, {}, false)])
    st.rows[1].position = `${file}:7`
    const text = renderStatus(st)
    assert.doesNotMatch(text, /\u001b/)
    assert.ok(text.includes('unreadable files: s3://b/logs/\\u001b[2J\\u001b[31mred.gz\n'), text)
    assert.ok(text.includes('at s3://b/logs/\\u001b[2J\\u001b[31mred.gz:7'), text)
  })
})
