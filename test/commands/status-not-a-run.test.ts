/**
 * `segamp status` on a directory that holds no checkpoint says which case it is: a path that does
 * not exist, or the state directory of a dry run (a dry run keeps no checkpoint, only report.json),
 * instead of calling a dry run's directory "not a replay state directory".
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('status: directories without a checkpoint', function () {
  this.timeout(60_000)

  it("a dry run's state directory: exit 2 saying it is a dry run's, with what to read instead", async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'a.ndjson'), ndjson([track('Signed Up', { messageId: 'm1', userId: 'user-12345' })]))
    const state = join(dir, 'st')
    const dry = await runCli(['replay', file, '--dry-run', '--no-progress', '--state-dir', state], { cwd: dir })
    assert.equal(dry.code, 0, dry.stderr)
    const r = await runCli(['status', state], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: ${state}: the state directory of a dry run, which keeps no checkpoint (only report.json): status has no progress to show`), r.stderr)
    assert.match(r.stderr, /Hint: .*report\.json/)
  })

  it('a path that does not exist: exit 2 saying so', async () => {
    const dir = tempDir()
    const r = await runCli(['status', join(dir, 'nope')], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: ${join(dir, 'nope')}: no such directory`), r.stderr)
  })

  it('an empty directory: still "not a replay state directory"', async () => {
    const dir = tempDir()
    const r = await runCli(['status', dir], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /no checkpoint\.json, so not a replay state directory/)
  })
})
