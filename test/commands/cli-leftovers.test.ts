/**
 * Issue #21 item 16: a --state-dir inside an input tree is not read as input; inspect's
 * rejected.ndjson is that run's only; an unwritable --state-dir is a clear error at once.
 */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('cli: state directories', function () {
  this.timeout(60_000)

  it('replay: a --state-dir (and --out) inside the input tree is not read as input', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson([track('A', { messageId: 'in-a' }), track('B', { messageId: 'in-b' })]))
    const args = ['replay', dir, '--dry-run', '--out', join(dir, 'requests.ndjson'), '--state-dir', join(dir, 'state'), '--no-progress', '--json', '--fresh']
    const first = await runCli(args)
    assert.equal(first.code, 0, first.stderr)
    // Run again: the first run's state and --out are in the tree now.
    const second = await runCli(args)
    assert.equal(second.code, 0, second.stderr)
    const report = JSON.parse(second.stdout)
    assert.equal(report.messages, 2)
    assert.equal(report.rejected, 0)
    assert.deepEqual(report.skippedPaths.map((p: { path: string }) => p.path).sort(), [join(dir, 'requests.ndjson'), join(dir, 'state')])
  })

  it("inspect: rejected.ndjson holds this run's rejected lines only (an earlier run's are gone after a clean run)", async () => {
    const dir = tempDir()
    const state = join(dir, 'inspect-state')
    const bad = writeFile(join(dir, 'bad', 'x.ndjson'), 'not json\n')
    const good = writeFile(join(dir, 'good', 'x.ndjson'), ndjson([track('A', { messageId: 'g' })]))
    const r1 = await runCli(['inspect', bad, '--state-dir', state, '--json'])
    assert.equal(r1.code, 3)
    assert.ok(readFileSync(join(state, 'rejected.ndjson'), 'utf8').includes('not json'))
    const r2 = await runCli(['inspect', good, '--state-dir', state, '--json'])
    assert.equal(r2.code, 0, r2.stderr)
    assert.ok(!existsSync(join(state, 'rejected.ndjson')) || readFileSync(join(state, 'rejected.ndjson'), 'utf8') === '')
  })

  it('an unwritable --state-dir (/proc/x) is exit 2 at once, naming it', async () => {
    for (const args of [
      ['replay', 'examples/segment-logs', '--dry-run', '--state-dir', '/proc/segamp-x/y', '--no-progress'],
      ['inspect', 'examples/segment-logs', '--state-dir', '/proc/segamp-x/y'],
    ]) {
      const started = Date.now()
      const r = await runCli(args, { timeoutMs: 20_000 })
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`)
      assert.match(r.stderr, /Error: --state-dir \/proc\/segamp-x\/y cannot be created: /)
      assert.match(r.stderr, /Hint: /)
      assert.ok(Date.now() - started < 15_000)
    }
  })
})
