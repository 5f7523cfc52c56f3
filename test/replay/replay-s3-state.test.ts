/**
 * `replay --state-dir s3://…` and `status s3://…` as real processes (bin/run.js) against s3rver
 * (behind a recording proxy that, like S3, stores a PUT whole or not at all) and the standalone `segamp sandbox`: kill -9 three times at random
 * points and resumed, three shards with one killed and restarted, and a second run on the same
 * state directory refused (exit 75, naming the holder and the lease).
 */
import { strict as assert } from 'node:assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { createServer, request } from 'node:http'
import { s3Env, startS3, type S3TestServer } from '../helpers/s3.js'
import { tempDir } from '../helpers/files.js'
import { waitFor, writeArchive } from '../helpers/replay.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const KEY = 's3-state-test-key-0123456789'
const BUCKET = 'segamp-state'

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

interface Dump {
  stats: { eventsIngested: number; duplicatesDiscarded: number }
  events: Array<{ event: Record<string, unknown> }>
  identifications: Array<Record<string, unknown>>
}

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
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

interface RecordingProxy {
  endpoint: string
  /** Request heads (request line + headers), in order. */
  requests: string[]
  close(): Promise<void>
}

/**
 * An HTTP proxy in front of s3rver that records every request head and forwards a request only
 * once its body arrived whole. S3 stores a PUT whole or not at all; s3rver writes it into place as
 * it arrives, so a replay killed mid-PUT would leave it a cut checkpoint that real S3 never would.
 */
async function recordingProxy(target: string): Promise<RecordingProxy> {
  const t = new URL(target)
  const requests: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => undefined)
    req.on('end', () => {
      requests.push(
        `${req.method} ${req.url} HTTP/1.1\r\n${Object.entries(req.headers)
          .map(([k, v]) => `${k}: ${String(v)}\r\n`)
          .join('')}`,
      )
      const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers)
        answer.pipe(res)
      })
      up.on('error', () => res.destroy())
      up.end(Buffer.concat(chunks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** stderr with oclif's warning wrapping (newline + ' ›   ') undone. */
const unwrap = (text: string) => text.replace(/\s*\n ›\s+/g, ' ')

async function poll(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await cond().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 40))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('replay --state-dir s3://… (s3rver) into the standalone sandbox', function () {
  this.timeout(300_000)
  let s3: S3TestServer
  let proxy: RecordingProxy
  let input: string
  const children: ChildProcess[] = []
  const env = () => s3Env({ AMPLITUDE_API_KEY: undefined, JOB_COMPLETION_INDEX: undefined, AWS_BATCH_JOB_ARRAY_INDEX: undefined })
  /** Event insert_ids of one uninterrupted run (the first test), which every other test must reproduce. */
  let reference: Set<string> | undefined

  before(async () => {
    await waitFor(
      'dist/ (run npm run build)',
      () => ['commands/replay.js', 'commands/sandbox.js', 'commands/status.js'].every((f) => existsSync(join(ROOT, 'dist', f))),
      50_000,
      250,
    )
    s3 = await startS3()
    await s3.createBucket(BUCKET)
    proxy = await recordingProxy(s3.endpoint)
    input = writeArchive(tempDir('segamp-s3state-archive-'), { messages: 2000, devices: 40, identifyEvery: 5, garbageEvery: 97, shortIdEvery: 89 }).dir
  })
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await proxy?.close()
    await s3?.close()
  })

  async function sandbox(): Promise<{ url: string; dump: () => Promise<Dump> }> {
    const p = start(['sandbox', '--no-throttle'], env())
    children.push(p.child)
    let out = ''
    p.child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
    await waitFor('the sandbox URL', () => out.includes('\n'), 30_000, 50)
    const url = out.split('\n')[0]!.trim()
    return { url, dump: async () => (await (await fetch(`${url}/_sandbox/ingested`)).json()) as Dump }
  }

  async function checkpoint(prefix: string): Promise<{ counts: { sent: number; messages: number }; done: boolean; parts?: Record<string, number> } | undefined> {
    // s3rver writes an object in place: a read while the replay PUTs it can be cut short or stall.
    try {
      const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}checkpoint.json` }), { abortSignal: AbortSignal.timeout(1000) })
      return JSON.parse(await out.Body!.transformToString())
    } catch {
      return undefined
    }
  }

  const s3Args = () => ['--s3-endpoint', proxy.endpoint, '--s3-path-style']
  const CP_LINES = 40
  const BATCH = 20
  const CONC = 2
  const replayArgs = (url: string, stateDir: string) => [
    'replay',
    input,
    '--endpoint-url',
    url,
    '--api-key',
    KEY,
    '--yes',
    '--no-progress',
    '--batch-size',
    String(BATCH),
    '--concurrency',
    String(CONC),
    '--state-dir',
    stateDir,
    ...s3Args(),
    '--checkpoint-interval',
    '1',
    '--checkpoint-lines',
    String(CP_LINES),
  ]
  /**
   * What a kill may resend: the lines settled since the last checkpoint PUT (up to CP_LINES lines,
   * each up to 3 records here, plus what settles while that PUT is under way) and the requests in flight.
   */
  const perKill = 3 * CP_LINES + BATCH * CONC + 200

  function assertOnceEach(dump: Dump, o: { kills: number; planned: number; deadLettered: number }): void {
    const events = dump.events.map((e) => String(e.event.insert_id))
    assert.equal(new Set(events).size, events.length, 'the sandbox holds every event once')
    const perIdentify = new Map<string, number>()
    for (const i of dump.identifications) perIdentify.set(String(i.insert_id), (perIdentify.get(String(i.insert_id)) ?? 0) + 1)
    const resentIdents = dump.identifications.length - perIdentify.size
    assert.ok(Math.max(...perIdentify.values()) <= 2, 'no identify was applied more than twice')
    assert.ok(
      resentIdents + dump.stats.duplicatesDiscarded <= o.kills * perKill,
      `resent ${resentIdents} identifications and ${dump.stats.duplicatesDiscarded} events after ${o.kills} kills; the bound is ${o.kills * perKill}`,
    )
    assert.equal(perIdentify.size + events.length + o.deadLettered, o.planned)
  }

  /** The lines of the part objects a checkpoint counts (what `status` and a resume read). */
  async function partLines(prefix: string, folder: string, parts: number): Promise<string[]> {
    const out: string[] = []
    for (let n = 1; n <= parts; n++) {
      const o = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}${folder}/part-${String(n).padStart(6, '0')}.ndjson` }))
      out.push(...(await o.Body!.transformToString()).split('\n').filter(Boolean))
    }
    return out
  }

  it('killed with kill -9 three times at random points and resumed each time: every event once, identifies within the bound, status adds up', async () => {
    const sb = await sandbox()
    const prefix = 'runs/single/'
    const args = replayArgs(sb.url, `s3://${BUCKET}/${prefix}`)
    let kills = 0
    let sentAtKill = 0
    for (let k = 0; k < 3; k++) {
      // Slowed down so that each kill lands mid-run, after the checkpoint moved on by a random amount.
      const run = start([...args, '--max-eps', '400'], env())
      children.push(run.child)
      const target = sentAtKill + 120 + Math.floor(Math.random() * 150)
      await poll(`checkpoint sent >= ${target}`, async () => ((await checkpoint(prefix))?.counts.sent ?? 0) >= target)
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)))
      run.child.kill('SIGKILL')
      const killed = await run.done
      assert.equal(killed.signal, 'SIGKILL', killed.stderr)
      kills++
      let cp: Awaited<ReturnType<typeof checkpoint>>
      await poll('the checkpoint left by the killed run', async () => (cp = await checkpoint(prefix)) !== undefined)
      cp = cp!
      assert.equal(cp.done, false, 'killed before the end')
      sentAtKill = cp.counts.sent
    }
    const last = await start(args, env()).done
    assert.equal(last.code, 3, last.stderr) // finished, with rejected lines and dead letters
    const said = unwrap(last.stderr)
    assert.match(said, /a previous run \(\S+ pid \d+, lease ended \S+\) stopped without releasing s3:\/\/segamp-state\/runs\/single\/lock; resuming from its checkpoint/)
    assert.equal(said.split('ignores conditional writes').length, 2, 'the s3rver warning, once')
    const report = JSON.parse(await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}report.json` })).then((o) => o.Body!.transformToString()))
    assert.equal(report.resumed, true)
    assert.equal(report.messages, 2000)
    assert.ok(report.rejected > 10 && report.deadLettered > 10, JSON.stringify(report))
    const dump = await sb.dump()
    assertOnceEach(dump, { kills, planned: report.planned, deadLettered: report.deadLettered })
    // Dead letters and rejected lines: each once in the parts the final checkpoint counts, across
    // three kills (parts written after a checkpoint that never came are not counted).
    const cp = (await checkpoint(prefix))!
    assert.equal(cp.done, true)
    const dead = await partLines(prefix, 'dead-letter', cp.parts!.deadLetter!)
    assert.equal(dead.length, report.deadLettered)
    assert.equal(new Set(dead.map((l) => JSON.stringify(JSON.parse(l).source))).size, dead.length, 'no dead letter twice')
    const rejected = await partLines(prefix, 'rejected', cp.parts!.rejected!)
    assert.equal(rejected.length, report.rejected)
    assert.equal(new Set(rejected.map((l) => `${JSON.parse(l).file}:${JSON.parse(l).line}`)).size, rejected.length, 'no rejected line twice')
    reference = new Set(dump.events.map((e) => String(e.event.insert_id)))

    const st = await start(['status', `s3://${BUCKET}/runs/sing*`, ...s3Args(), '--json'], env()).done
    assert.equal(st.code, 3, st.stderr)
    const status = JSON.parse(st.stdout)
    assert.equal(status.finished, true)
    for (const k of ['messages', 'sent', 'deadLettered', 'rejected'] as const) assert.equal(status.totals[k], report[k], k)
    assert.equal(status.totals.sent, dump.events.length + new Set(dump.identifications.map((i) => String(i.insert_id))).size)
    assert.equal(status.rows[0].dir, `s3://${BUCKET}/${prefix}`)
  })

  it('--shard K/3 in three processes, one killed with kill -9 and restarted: the union is the single run, status s3://…/shard-* adds up', async () => {
    const sb = await sandbox()
    const dir = (k: number) => `s3://${BUCKET}/runs/sharded/shard-${k}/`
    // Shard 0 by flag; shard 2 as a Kubernetes Indexed Job pod: --shards 3, its index from
    // JOB_COMPLETION_INDEX, and {shard} in --state-dir (as in deploy/).
    const others = [
      start([...replayArgs(sb.url, dir(0)), '--shard', '0/3'], env()),
      start([...replayArgs(sb.url, `s3://${BUCKET}/runs/sharded/shard-{shard}/`), '--shards', '3'], { ...env(), JOB_COMPLETION_INDEX: '2' }),
    ]
    const victim = start([...replayArgs(sb.url, dir(1)), '--shard', '1/3', '--max-eps', '300'], env())
    children.push(victim.child, ...others.map((o) => o.child))
    await poll('shard 1 to checkpoint', async () => ((await checkpoint('runs/sharded/shard-1/'))?.counts.sent ?? 0) >= 60 + Math.floor(Math.random() * 60))
    victim.child.kill('SIGKILL')
    assert.equal((await victim.done).signal, 'SIGKILL')
    // The endpoint from AWS_ENDPOINT_URL_S3, as for s3:// inputs.
    const during = await start(['status', `s3://${BUCKET}/runs/sharded/shard-*`, '--s3-path-style'], { ...env(), AWS_ENDPOINT_URL_S3: proxy.endpoint }).done
    assert.equal(during.code, 1, during.stderr)
    assert.match(during.stdout, /shard 1\/3 .*not finished/)
    const again = await start([...replayArgs(sb.url, dir(1)), '--shard', '1/3'], env()).done
    assert.ok(again.code === 0 || again.code === 3, again.stderr)
    for (const o of others) assert.ok([0, 3].includes((await o.done).code!))

    const dump = await sb.dump()
    const st = JSON.parse((await start(['status', `s3://${BUCKET}/runs/sharded/shard-*`, ...s3Args(), '--json'], env()).done).stdout)
    assert.equal(st.finished, true)
    assert.equal(st.shards, 3)
    assert.deepEqual(
      st.rows.map((r: { dir: string; index: number }) => [r.index, r.dir]),
      [0, 1, 2].map((k) => [k, dir(k)]),
    )
    assert.equal(st.totals.messages, 2000)
    assertOnceEach(dump, { kills: 1, planned: st.totals.planned, deadLettered: st.totals.deadLettered })
    if (reference) assert.deepEqual(new Set(dump.events.map((e) => String(e.event.insert_id))), reference, 'the shards together send what one run sends')
  })

  it('a second run on the same s3:// state directory is refused with exit 75, naming the holder and its lease; the lock is created with If-None-Match: *', async () => {
    const sb = await sandbox()
    const prefix = 'runs/locked/'
    const args = replayArgs(sb.url, `s3://${BUCKET}/${prefix}`)
    const first = start([...args, '--max-eps', '100'], env())
    children.push(first.child)
    await poll('the first run to checkpoint', async () => (await checkpoint(prefix)) !== undefined)
    const second = await start(args, env()).done
    assert.equal(second.code, 75, second.stderr)
    assert.match(
      unwrap(second.stderr),
      new RegExp(`s3://${BUCKET}/${prefix}lock is held by \\S+ pid ${first.child.pid} \\(run \\w+\\) since \\S+; its lease runs until \\S+ \\(\\d+s from now\\)`),
    )
    const lockCreate = proxy.requests.find((h) => new RegExp(`^PUT /${BUCKET}/${prefix}lock[ ?]`).test(h))
    assert.ok(lockCreate, 'the lock was PUT through the proxy')
    assert.match(lockCreate!, /^if-none-match: \*\r$/im)
    first.child.kill('SIGKILL')
    await first.done
  })
})
