/**
 * Exit codes a scheduler can act on (README "Exit codes"): 75 (EX_TEMPFAIL) for what may go away
 * by itself, 1 for what fails the same way until something is fixed, 2 for usage errors, 3 for a
 * finished run with dead letters or rejected lines. Each row of the table has a test here (an s3:// object failing past its resumes, 75: test/pipeline/source/s3/reading.test.ts), and
 * the expected conditions of a resume (#21 item 13) each have their own code and hint.
 */
import { strict as assert } from 'node:assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SegampError } from '../../src/errors.js'
import { runCli } from '../helpers/cli.js'
import { readNdjson, tempDir } from '../helpers/files.js'
import { replayHarness, writeArchive } from '../helpers/replay.js'

const KEY = 'exit-codes-key-0123456789abcdef'

interface JsonError {
  error: { message: string; hint: string | null; code: string; exitCode: number }
}

describe('exit codes: one per kind of outcome', () => {
  const { run, sandbox } = replayHarness(KEY, 'exit-codes-run')

  it('endpoint down (unreachable past the retry budget) → 75; the checkpoint is kept for the retry', async () => {
    const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
    const closed = await sandbox()
    await closed.close()
    const stateDir = tempDir()
    const report = await run({ inputs: [a.dir], endpointUrl: closed.url, stateDir, delivery: { maxAttempts: 3 } })
    assert.equal(report.exitCode, 75)
    assert.match(report.error ?? '', /unreachable/)
    assert.equal((JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8')) as { done: boolean }).done, false)
  })

  it('refused API key → 1 (retrying fails the same way)', async () => {
    const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
    const sb = await sandbox({ apiKeys: ['the-only-key-the-sandbox-takes-000'] })
    const r = await runCli(['replay', a.dir, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--state-dir', tempDir()])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /invalid API key/)
    assert.ok(!r.stderr.includes(KEY), 'the key is never printed')
    assert.equal(sb.events.length, 0)
  })

  it('bad flag → 2', async () => {
    const r = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--batch-size', 'many'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: .*--batch-size/m)
    assert.match(r.stderr, /^Hint: Run `segamp replay --help`/m)
  })

  it('dead letters → 3 (the run finished; the sandbox refused some events)', async () => {
    const a = writeArchive(tempDir(), { messages: 40, devices: 4, shortIdEvery: 10 })
    const sb = await sandbox()
    const stateDir = tempDir()
    const r = await runCli(['replay', a.dir, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--state-dir', stateDir])
    assert.equal(r.code, 3, r.stderr)
    assert.equal(readNdjson(join(stateDir, 'dead-letter.ndjson')).length, a.shortIds)
  })

  it('state directory locked by a live run → 75, naming the holder', async () => {
    const stateDir = tempDir()
    // This test process is alive and is not the CLI's: its pid in the lock is a live holder.
    writeFileSync(join(stateDir, 'lock'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }) + '\n')
    const r = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--no-progress', '--state-dir', stateDir, '--json'])
    assert.equal(r.code, 75, r.stderr)
    const { error } = JSON.parse(r.stdout) as JsonError
    assert.deepEqual([error.code, error.exitCode], ['state-locked', 75])
    assert.match(error.message, new RegExp(`another segamp run \\(pid ${process.pid}\\) is using`))
    assert.match(error.hint ?? '', /--state-dir/)
  })
})

describe('a resume that cannot go on: its own code, hint and exit code (never "not an error segamp expected")', () => {
  const { run, sandbox } = replayHarness(KEY, 'exit-codes-resume')

  it('replay --sandbox --state-dir st, then replay --dry-run --state-dir st: a usage error, exit 2', async () => {
    const st = join(tempDir(), 'st')
    const live = await runCli(['replay', 'examples/segment-logs', '--sandbox', '--sandbox-dir', tempDir(), '--no-progress', '--state-dir', st])
    assert.equal(live.code, 0, live.stderr)
    const dry = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--no-progress', '--state-dir', st])
    assert.equal(dry.code, 2, dry.stderr)
    assert.match(dry.stderr, /^Error: .*st holds the checkpoint of a run that sends; a dry run needs its own --state-dir\nHint: Give the dry run another --state-dir/m)
    assert.doesNotMatch(dry.stderr, /not an error segamp expected/)
    const json = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--no-progress', '--state-dir', st, '--json'])
    assert.deepEqual([(JSON.parse(json.stdout) as JsonError).error.code, json.code], ['state-dir-in-use', 2])
  })

  it('checkpoint.json is not valid JSON: exit 1, code checkpoint-unreadable, hint --fresh', async () => {
    const stateDir = tempDir()
    writeFileSync(join(stateDir, 'checkpoint.json'), '{"version": 1, "runId": "x", "cut her')
    const sb = await sandbox()
    const r = await runCli(['replay', 'examples/segment-logs', '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--state-dir', stateDir, '--json'])
    assert.equal(r.code, 1, r.stderr)
    const { error } = JSON.parse(r.stdout) as JsonError
    assert.equal(error.code, 'checkpoint-unreadable')
    assert.match(error.message, /checkpoint\.json is not valid JSON/)
    assert.match(error.hint ?? '', /--fresh/)
  })

  it('checkpoint.json of another run: exit 2, code checkpoint-other-run', async () => {
    const a = writeArchive(tempDir(), { messages: 4, devices: 1 })
    const b = writeArchive(tempDir(), { messages: 6, devices: 1 })
    const sb = await sandbox()
    const stateDir = tempDir()
    const args = (dir: string) => ['replay', dir, '--endpoint-url', sb.url, '--api-key', KEY, '--yes', '--no-progress', '--state-dir', stateDir, '--json']
    assert.equal((await runCli(args(a.dir))).code, 0)
    const r = await runCli(args(b.dir))
    assert.equal(r.code, 2, r.stderr)
    const { error } = JSON.parse(r.stdout) as JsonError
    assert.equal(error.code, 'checkpoint-other-run')
    assert.match(error.message, /belongs to another run/)
    assert.match(error.hint ?? '', /--fresh/)
  })

  it('inputs changed since the checkpoint: a SegampError, exit 1, code inputs-changed', async () => {
    const a = writeArchive(tempDir(), { messages: 10, devices: 2 })
    const closed = await sandbox()
    await closed.close()
    const stateDir = tempDir()
    const first = await run({ inputs: [a.dir], endpointUrl: closed.url, stateDir, delivery: { maxAttempts: 1 } })
    assert.equal(first.exitCode, 75)
    writeFileSync(join(a.dir, 'part-1.ndjson'), '{"type":"track","event":"Replaced","messageId":"new-1","anonymousId":"d"}\n')
    const sb = await sandbox()
    await assert.rejects(run({ inputs: [a.dir], endpointUrl: sb.url, stateDir }), (e: unknown) => {
      assert.ok(e instanceof SegampError)
      assert.deepEqual([e.code, e.exitCode], ['inputs-changed', 1])
      assert.match(e.message, /^inputs changed since the checkpoint/)
      assert.match(e.hint ?? '', /--fresh/)
      return true
    })
  })
})
