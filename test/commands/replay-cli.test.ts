/**
 * `segamp replay` end to end: spawns the compiled CLI (run `npm run build` first) against a
 * sandbox started in this process (--endpoint-url), including SIGKILL and Ctrl-C mid-run and
 * the resume by re-running the same command.
 */
import { strict as assert } from 'node:assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { replay } from '../../src/replay/engine.js'
import { compileSubscriptions, loadMappings } from '../../src/segment/subscriptions/index.js'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'
import { readNdjson, tempDir } from '../helpers/files.js'
import { filesUnder, recordsOfRequest, waitFor, writeArchive } from '../helpers/replay.js'
import { runCli } from '../helpers/cli.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const KEY = 'cli-secret-key-0a1b2c3d4e5f6789'
const SECRET = 'cli-secret-SECRET-9f8e7d6c5b4a'

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Everything any spawned CLI printed: checked for the key at the end. */
const printed: string[] = []
/** Every --state-dir used: checked for the key at the end. */
const stateDirs: string[] = []
function newStateDir(): string {
  const d = tempDir('segamp-cli-state-')
  stateDirs.push(d)
  return d
}
const sandboxes: Sandbox[] = []

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env, NO_COLOR: '1' }
  delete e.AMPLITUDE_API_KEY
  delete e.AMPLITUDE_SECRET_KEY
  return e
}

/**
 * `npm run build` starts with `rm -rf dist`: when another build runs at the same time (a shared
 * checkout), wait until the compiled command is back instead of failing with oclif's "not found".
 */
async function distReady(): Promise<void> {
  const needed = ['commands/replay.js', 'replay/engine.js', 'pipeline/deliver/delivery.js', 'segment/subscriptions/index.js'].map((f) => join(ROOT, 'dist', f))
  await waitFor('dist/ (run npm run build)', () => needed.every((f) => existsSync(f)), 50_000, 250)
}

function start(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, 'replay', ...args], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      printed.push(stdout, stderr)
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, done }
}

const cli = (args: string[]): Promise<Exit> => start(args).done

async function sandbox(o: Parameters<typeof startSandbox>[0] = {}): Promise<Sandbox> {
  const s = await startSandbox(o)
  sandboxes.push(s)
  return s
}

/** Planned insert_ids (library dry run with the presets, as the CLI without --mappings). */
async function planned(dir: string): Promise<string[]> {
  const d = tempDir()
  const out = join(d, 'requests.ndjson')
  await replay({
    inputs: [dir],
    subscriptions: compileSubscriptions(await loadMappings()),
    mappingsSource: 'presets',
    runId: 'planned',
    stateDir: join(d, 'state'),
    dryRun: true,
    out,
  })
  return (readNdjson(out) as Array<{ url: string; body: string }>).flatMap((l) => recordsOfRequest(l).map((r) => String(r.insert_id)))
}

function ingestedIds(sb: Sandbox): string[] {
  return [...sb.events.map((e) => e.event), ...sb.identifications, ...sb.groupIdentifications].map((r) => String(r.insert_id))
}

function checkpoint(stateDir: string): { done: boolean; position: { line: number } | null } | undefined {
  const p = join(stateDir, 'checkpoint.json')
  if (!existsSync(p)) return undefined
  try {
    return JSON.parse(readFileSync(p, 'utf8'))
  } catch {
    return undefined
  }
}

/** After a completed (resumed) run: everything planned is ingested once or dead-lettered once. */
function assertComplete(plannedIds: string[], sb: Sandbox, stateDir: string): void {
  const ing = ingestedIds(sb)
  assert.equal(new Set(ing).size, ing.length)
  const deadLines = readFileSync(join(stateDir, 'dead-letter.ndjson'), 'utf8').split('\n').filter(Boolean)
  assert.equal(new Set(deadLines).size, deadLines.length, 'dead-letter.ndjson has duplicate lines')
  const dead = deadLines.map((l) => String((JSON.parse(l) as { event: { insert_id: string } }).event.insert_id))
  assert.equal(new Set(dead).size, dead.length, 'an event dead-lettered twice')
  assert.deepEqual([...ing, ...dead].sort(), [...plannedIds].sort())
  const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8'))
  assert.equal(report.planned, plannedIds.length)
  assert.equal(report.sent, ing.length)
  assert.equal(report.deadLettered, dead.length)
  assert.equal(checkpoint(stateDir)?.done, true)
}

describe('segamp replay (CLI)', function () {
  this.timeout(60_000)

  beforeEach(distReady)
  after(async () => {
    await Promise.all(sandboxes.map((s) => s.close()))
  })

  it('--dry-run --out: request lines, key redacted unless --out-include-keys, deterministic insert_ids', async () => {
    const a = writeArchive(tempDir(), { messages: 60, devices: 4, identifyEvery: 6 })
    const d = tempDir()
    const base = [a.dir, '--dry-run', '--api-key', KEY, '--no-progress']
    // Alongside: the README's "run it now" command on the bundled example.
    const [one, keyed, sandboxed] = await Promise.all([
      cli([...base, '--out', join(d, 'one.ndjson'), '--state-dir', newStateDir(), '--json']),
      cli([...base, '--out', join(d, 'keyed.ndjson'), '--state-dir', newStateDir(), '--out-include-keys']),
      cli(['examples/segment-logs', '--sandbox', '--api-key', KEY, '--state-dir', newStateDir(), '--no-progress']),
    ])
    assert.equal(sandboxed.code, 0, sandboxed.stderr)
    const ingested = /Events ingested: (\d+)/.exec(sandboxed.stdout)
    assert.ok(ingested, sandboxed.stdout)
    assert.ok(Number(ingested[1]) > 400)
    assert.match(sandboxed.stderr, /Replay finished/)
    assert.equal(one.code, 0, one.stderr)
    assert.equal(keyed.code, 0, keyed.stderr)
    const read = (f: string) => readNdjson(join(d, f)) as Array<{ method: string; url: string; headers: Record<string, string>; body: string }>
    const ids = (f: string) => read(f).flatMap((l) => recordsOfRequest(l).map((r) => String(r.insert_id)))
    for (const l of read('one.ndjson')) {
      assert.deepEqual(Object.keys(l), ['method', 'url', 'headers', 'body'])
      assert.ok(!JSON.stringify(l).includes(KEY))
      assert.ok(l.body.includes('<redacted>'))
    }
    assert.ok(read('keyed.ndjson').every((l) => l.body.includes(KEY) && !JSON.stringify(l.headers).includes(KEY)))
    const expected = await planned(a.dir)
    assert.equal(expected.length, 60)
    assert.equal(new Set(expected).size, 60)
    assert.deepEqual([...ids('one.ndjson')].sort(), [...expected].sort(), 'dry-run insert_ids = planned events')
    assert.deepEqual(ids('keyed.ndjson'), ids('one.ndjson'), 'insert_ids identical across runs')
    const report = JSON.parse(one.stdout)
    assert.equal(report.dryRun, true)
    assert.equal(report.planned, 60)
    assert.equal(report.exitCode, 0)
  })

  it('--dry-run --out naming a folder or a file in a missing folder: exit 2 naming --out, as any file a flag names', async () => {
    const dir = tempDir()
    for (const out of [dir, join(dir, 'missing', 'requests.ndjson')]) {
      const r = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--out', out, '--no-progress', '--state-dir', join(tempDir(), 'st')])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, new RegExp(`Error: --out ${out.replace(/[/.]/g, '\\$&')}: cannot be written \\((EISDIR|ENOENT)\\)`))
    }
  })

  it('--dry-run --out on a full disk (/dev/full): exit 1 naming --out and the cause; no record is dead-lettered for it', async function () {
    if (!existsSync('/dev/full')) this.skip()
    const state = join(tempDir(), 'st')
    // --batch-size 10: requests are written while the archive is read, not only at the end.
    const r = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--out', '/dev/full', '--batch-size', '10', '--no-progress', '--state-dir', state])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /^Error: --out \/dev\/full: cannot be written: no space left on the device \(ENOSPC\)\nHint: Free space there, or give --out a file on another disk/m)
    // It was "unprocessable: ENOSPC …" dead letters for the records being packed, then an unexpected error.
    assert.equal(readFileSync(join(state, 'dead-letter.ndjson'), 'utf8'), '')
    // The same command, with room to write, writes every request.
    const out = join(tempDir(), 'requests.ndjson')
    const again = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--out', out, '--batch-size', '10', '--no-progress', '--state-dir', state, '--json'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(JSON.parse(again.stdout).wouldSend, 611)
    assert.equal(readNdjson(out).length, JSON.parse(again.stdout).requests)
  })

  it('faulty sandbox: every planned event ingested once or dead-lettered, exit 3; clean run exit 0', async () => {
    const a = writeArchive(tempDir(), { messages: 120, devices: 6, shortIdEvery: 25, identifyEvery: 9 })
    const clean = writeArchive(tempDir(), { messages: 30, devices: 3 })
    const plannedIds = await planned(a.dir)
    const sb = await sandbox({ faults: { error5xxRate: 0.2, resetRate: 0.05, seed: 5 } })
    const sb2 = await sandbox()
    const stateDir = newStateDir()
    const [r, r2] = await Promise.all([
      cli([a.dir, '--endpoint-url', sb.url, '--api-key', KEY, '--secret-key', SECRET, '--yes', '--state-dir', stateDir, '--no-progress', '--batch-size', '40', '--json']),
      cli([clean.dir, '--endpoint-url', sb2.url, '--api-key', KEY, '--yes', '--state-dir', newStateDir(), '--no-progress']),
    ])
    assert.equal(r.code, 3, r.stderr)
    assertComplete(plannedIds, sb, stateDir)
    const dead = readNdjson(join(stateDir, 'dead-letter.ndjson')) as Array<{ reason: string; status: number }>
    assert.equal(dead.length, a.shortIds)
    assert.ok(dead.every((d) => /invalid_id_length/.test(d.reason) && d.status === 400))
    const report = JSON.parse(r.stdout)
    assert.equal(report.exitCode, 3)
    assert.equal(report.requests, sb.stats().requests)
    assert.ok(report.retries > 0, 'the faults caused retries')
    assert.equal(r2.code, 0, r2.stderr)
    assert.equal(sb2.events.length, 30)
  })

  it('exit 1: an invalid API key (message without the key); exit 75: a state dir locked by a live process', async () => {
    const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
    const sb = await sandbox({ apiKeys: ['good'] })
    const sbLock = await sandbox()
    const lockedDir = newStateDir()
    writeFileSync(join(lockedDir, 'lock'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }))
    const [bad, locked] = await Promise.all([
      cli([a.dir, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--state-dir', newStateDir(), '--no-progress']),
      cli([a.dir, '--endpoint-url', sbLock.url, '--api-key', KEY, '--yes', '--state-dir', lockedDir, '--no-progress']),
    ])
    assert.equal(bad.code, 1, bad.stderr)
    assert.match(bad.stderr, /invalid API key/i)
    assert.ok(!(bad.stdout + bad.stderr).includes(KEY))
    assert.equal(sb.events.length, 0)
    assert.equal(locked.code, 75, locked.stderr)
    assert.match(locked.stderr, new RegExp(`another segamp run \\(pid ${process.pid}\\) is using`))
    assert.equal(sbLock.requests.length, 0)
    assert.ok(existsSync(join(lockedDir, 'lock')), 'the live lock is left alone')
  })

  it('SIGKILL / Ctrl-C mid-run, then the same command again: nothing lost, no duplicate dead letters', async () => {
    await Promise.all([killScenario(), interruptScenario()])
  })

  it('the key never appears in any output or state file', () => {
    assert.ok(printed.length > 0)
    for (const text of printed) assert.ok(!text.includes(KEY) && !text.includes(SECRET), `CLI output holds a key:\n${text.slice(0, 2000)}`)
    assert.ok(stateDirs.length >= 6)
    for (const dir of stateDirs) for (const f of filesUnder(dir)) assert.ok(!f.text.includes(KEY) && !f.text.includes(SECRET), `${f.path} holds a key`)
  })
})

function slowRun(shortIdEvery: number) {
  return async () => {
    const a = writeArchive(tempDir(), { messages: 150, devices: 6, shortIdEvery })
    const plannedIds = await planned(a.dir)
    const sb = await sandbox({ faults: { latencyMs: 60 } })
    const stateDir = newStateDir()
    const args = [a.dir, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--state-dir', stateDir, '--no-progress', '--batch-size', '5', '--concurrency', '1']
    const first = start(args)
    // The first checkpoint is written once the first line is acknowledged; the run takes seconds more.
    await waitFor(
      'checkpoint progress',
      () => {
        const cp = checkpoint(stateDir)
        return cp !== undefined && !cp.done && cp.position !== null
      },
      45_000,
    )
    return { a, plannedIds, sb, stateDir, args, first }
  }
}

async function killScenario(): Promise<void> {
  const { a, plannedIds, sb, stateDir, args, first } = await slowRun(7)()
  first.child.kill('SIGKILL')
  const killed = await first.done
  assert.equal(killed.signal, 'SIGKILL')
  assert.ok(ingestedIds(sb).length < plannedIds.length - a.shortIds, 'killed before the end')
  assert.ok(existsSync(join(stateDir, 'lock')), 'the killed run left its lock behind')
  sb.setFaults({})
  const second = await cli(args)
  assert.equal(second.code, 3, second.stderr)
  assert.match(second.stderr, /stopped without releasing/)
  assertComplete(plannedIds, sb, stateDir)
  const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8'))
  assert.equal(report.resumed, true)
  assert.equal(report.messages, 150)
  assert.equal(report.files, 2)
  assert.equal(report.deadLettered, a.shortIds)
}

async function interruptScenario(): Promise<void> {
  const { a, plannedIds, sb, stateDir, first } = await slowRun(11)()
  first.child.kill('SIGINT')
  const r1 = await first.done
  assert.equal(r1.code, 130, r1.stderr)
  assert.ok(ingestedIds(sb).length < plannedIds.length - a.shortIds, 'interrupted before the end')
  const m = /Resume with:\n\s+(.+)/.exec(r1.stderr)
  assert.ok(m, r1.stderr)
  const resume = m[1]!
  assert.ok(!resume.includes(KEY))
  assert.ok(resume.includes('--api-key="$AMPLITUDE_API_KEY"'))
  assert.ok(resume.includes(`--state-dir ${stateDir}`))
  assert.ok(!existsSync(join(stateDir, 'lock')), 'lock released on Ctrl-C')
  assert.equal(checkpoint(stateDir)!.done, false)
  sb.setFaults({})
  // Run the printed command (minus the bin name) with the key it names.
  const resumeArgs = resume
    .split(' ')
    .slice(2)
    .map((x) => (x === '--api-key="$AMPLITUDE_API_KEY"' ? `--api-key=${KEY}` : x))
  const r2 = await cli(resumeArgs)
  assert.equal(r2.code, 3, r2.stderr)
  assertComplete(plannedIds, sb, stateDir)
  assert.equal(JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')).resumed, true)
}
