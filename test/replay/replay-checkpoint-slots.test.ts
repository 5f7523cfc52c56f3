/**
 * kill -9 while the newest checkpoint is in a slot (checkpoint.json is rewritten at most once a
 * second; the checkpoints after every response go in place into two slots): `segamp status` and
 * the resume read the newest one; a slot torn by the kill costs at most the resend of that one
 * response, never a skipped line; a state directory as an older segamp left it (checkpoint.json
 * only) resumes as before.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ReplayReport } from '../../src/pipeline/commit/report.js'
import type { Sandbox } from '../../src/amplitude/sandbox/index.js'
import { checkpointText } from '../../src/pipeline/commit/checkpoint.js'
import { checkpointDigest, currentSlots, SLOT_FILES } from '../../src/pipeline/commit/checkpoint-slots.js'
import { readLocalCheckpoint, type ReplayCounts } from '../../src/pipeline/commit/index.js'
import { tempDir } from '../helpers/files.js'
import { BIN, ROOT, runCli } from '../helpers/cli.js'
import { assertResendsWithinFlight, replayHarness, waitFor, writeArchive } from '../helpers/replay.js'

const KEY = 'slots-test-key-0c1d2e3f4a5b6c7d'
const { sandbox } = replayHarness(KEY, 'slots-test')

const received = (sb: Sandbox): number => sb.events.length + sb.identifications.length + sb.stats().duplicatesDiscarded
const jsonSent = (dir: string): number => (JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { counts: ReplayCounts }).counts.sent
const newest = (dir: string) => readLocalCheckpoint<ReplayCounts>(dir)!

describe('resume from the checkpoint slots', function () {
  this.timeout(120_000)
  const batchSize = 5
  const concurrency = 2

  /** `ready`: also wait for this before the kill. */
  async function killedMidRun(sb: Sandbox, ready: (stateDir: string) => boolean = () => true): Promise<{ stateDir: string; args: string[] }> {
    const a = writeArchive(tempDir(), { messages: 400, devices: 6, identifyEvery: 3 })
    const stateDir = tempDir()
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
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, AMPLITUDE_API_KEY: KEY }, stdio: 'ignore' })
    const done = new Promise((r) => child.on('close', r))
    await waitFor('60 records received', () => received(sb) >= 60 && ready(stateDir), 60_000, 5)
    child.kill('SIGKILL')
    await done
    return { stateDir, args }
  }

  const slotsAfterJson = (dir: string) => currentSlots(dir, checkpointDigest(readFileSync(join(dir, 'checkpoint.json'))))

  it('killed with the newest checkpoint in a slot: status shows it; the newest slot torn, the resume resends only that response and the requests in flight', async () => {
    const sb = await sandbox({ faults: { latencyMs: 12 } })
    const { stateDir, args } = await killedMidRun(sb, (dir) => existsSync(join(dir, 'checkpoint.json')) && slotsAfterJson(dir).length > 0)
    const slots = slotsAfterJson(stateDir)
    assert.ok(slots.length > 0, 'the kill came while slots were newer than checkpoint.json')
    const last = newest(stateDir)
    assert.ok(last.counts.sent > jsonSent(stateDir), `slot ${last.counts.sent} sent, checkpoint.json ${jsonSent(stateDir)}`)
    const status = await runCli(['status', stateDir, '--json'])
    const st = JSON.parse(status.stdout) as { finished: boolean; totals: { sent: number } }
    assert.equal(status.code, 1, 'an unfinished run: ' + status.stderr)
    assert.deepEqual([st.finished, st.totals.sent], [false, last.counts.sent])
    // The kill tore the newest slot (cut in the middle of its JSON): the one before it is read.
    truncateSync(slots[0]!.path, 128 + Math.floor(Buffer.byteLength(slots[0]!.json) / 2))
    const before = newest(stateDir)
    assert.ok(before.counts.sent <= last.counts.sent && before.counts.sent >= jsonSent(stateDir))
    const resumed = await runCli(args, { env: { AMPLITUDE_API_KEY: KEY } })
    assert.equal(resumed.code, 0, resumed.stderr)
    const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')) as ReplayReport
    assert.equal(report.messages, 400)
    // One kill's requests in flight, plus the one response whose checkpoint was torn (within a second kill's bound).
    assertResendsWithinFlight(sb, report, { kills: 2, batchSize, concurrency })
    assert.deepEqual(
      SLOT_FILES.filter((f) => existsSync(join(stateDir, f))),
      [],
      'a finished run leaves checkpoint.json only',
    )
  })

  it('a state directory as an older segamp left it (checkpoint.json only, current) resumes, resending only the requests in flight', async () => {
    const sb = await sandbox({ faults: { latencyMs: 12 } })
    const { stateDir, args } = await killedMidRun(sb)
    const { files, ...rest } = newest(stateDir)
    writeFileSync(join(stateDir, 'checkpoint.json'), checkpointText({ ...rest, files }))
    for (const f of SLOT_FILES) rmSync(join(stateDir, f), { force: true })
    const resumed = await runCli(args, { env: { AMPLITUDE_API_KEY: KEY } })
    assert.equal(resumed.code, 0, resumed.stderr)
    const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')) as ReplayReport
    assert.equal(report.messages, 400)
    assertResendsWithinFlight(sb, report, { kills: 1, batchSize, concurrency })
  })
})
