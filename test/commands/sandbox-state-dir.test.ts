/**
 * A run that cannot resume (--sandbox, stdin) starts over in its state directory. Given the
 * --state-dir of another run (a live run with dead letters to retry), it wiped that run's
 * checkpoint and dead letters without a word; it is now refused like any other run's directory.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'

describe('--sandbox or stdin with another run’s --state-dir', function () {
  this.timeout(120_000)
  let sb: Sandbox | undefined
  afterEach(async () => {
    await sb?.close()
    sb = undefined
  })

  /** A live run into a standalone sandbox whose daily quota dead-letters most records. */
  async function liveRunWithDeadLetters(dir: string): Promise<{ st: string; deadLetters: string; checkpoint: string }> {
    sb = await startSandbox({ limits: { dailyQuota: 4 } })
    const st = join(dir, 'live')
    const r = await runCli(['replay', 'examples/segment-logs', '--endpoint-url', sb.url, '--api-key', 'key-0123456789abcdef', '--yes', '--no-progress', '--state-dir', st])
    assert.equal(r.code, 3, r.stderr)
    const deadLetters = readFileSync(join(st, 'dead-letter.ndjson'), 'utf8')
    assert.ok(deadLetters.length > 0)
    return { st, deadLetters, checkpoint: readFileSync(join(st, 'checkpoint.json'), 'utf8') }
  }

  it('replay --sandbox --state-dir LIVE: exit 2, the live run’s checkpoint and dead letters untouched', async () => {
    const live = await liveRunWithDeadLetters(tempDir())
    const r = await runCli(['replay', 'examples/segment-logs', '--sandbox', '--sandbox-dir', join(tempDir(), 'sb'), '--no-progress', '--state-dir', live.st])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /checkpoint\.json belongs to another run \(\w+, this is \w+\); use --fresh to start over or another --state-dir/)
    assert.equal(readFileSync(join(live.st, 'dead-letter.ndjson'), 'utf8'), live.deadLetters)
    assert.equal(readFileSync(join(live.st, 'checkpoint.json'), 'utf8'), live.checkpoint)
  })

  it('stdin (-) with --state-dir LIVE: exit 2 too; --fresh still starts over when asked', async () => {
    const live = await liveRunWithDeadLetters(tempDir())
    const text = gunzipSync(readFileSync('examples/segment-logs/3S7cr7ZP4LPQwanZptak4X/1714953600000/1714957200000.59d400fc.gz'))
    const r = await runCli(['replay', '-', '--sandbox', '--sandbox-dir', join(tempDir(), 'sb'), '--no-progress', '--state-dir', live.st], { input: text })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /belongs to another run/)
    assert.equal(readFileSync(join(live.st, 'dead-letter.ndjson'), 'utf8'), live.deadLetters)
    const again = await runCli(['replay', 'examples/segment-logs', '--sandbox', '--sandbox-dir', join(tempDir(), 'sb'), '--fresh', '--no-progress', '--state-dir', live.st])
    assert.equal(again.code, 0, again.stderr)
  })

  // The retry moved every record its throwaway sandbox acknowledged to sent: a live run's dead
  // letters then read as delivered (status, report.json) though the project never got them.
  it('replay --retry-dead-letters --sandbox --state-dir LIVE: exit 2, nothing counted as sent', async () => {
    const live = await liveRunWithDeadLetters(tempDir())
    const report = readFileSync(join(live.st, 'report.json'), 'utf8')
    const r = await runCli(['replay', '--retry-dead-letters', '--sandbox', '--sandbox-dir', join(tempDir(), 'sb'), '--no-progress', '--state-dir', live.st])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /holds the dead letters of a run that did not send to a sandbox \(run \w+\): resent into --sandbox, they would be counted as sent/)
    assert.equal(readFileSync(join(live.st, 'checkpoint.json'), 'utf8'), live.checkpoint)
    assert.equal(readFileSync(join(live.st, 'report.json'), 'utf8'), report)
  })

  it('a sandbox run’s own state directory still starts over on every run', async () => {
    const st = join(tempDir(), 'st')
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['replay', 'examples/segment-logs', '--sandbox', '--sandbox-dir', join(tempDir(), 'sb'), '--no-progress', '--state-dir', st])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /611 sent/)
    }
  })
})
