/**
 * --checkpoint-interval / --checkpoint-lines set the cadence of an s3:// state directory's
 * checkpoint PUTs. A local state directory is checkpointed after every response (a slot file, and
 * checkpoint.json once a second), so they change nothing there: a named warning says
 * so, instead of the flags being taken silently.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('replay --checkpoint-interval/--checkpoint-lines with a local state directory', function () {
  this.timeout(60_000)

  const archive = (dir: string) => writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { messageId: 'm1', userId: 'user-12345' })]))

  it('both given: one warning naming them and the state directory; the run goes on (exit 0)', async () => {
    const dir = tempDir()
    const state = join(dir, 'st')
    const r = await runCli(['replay', archive(dir), '--sandbox', '--no-progress', '--state-dir', state, '--checkpoint-interval', '30', '--checkpoint-lines', '500'], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    const warnings = r.stderr.split('\n').filter((l) => /Warning: .*--checkpoint/.test(l))
    assert.equal(warnings.length, 1, r.stderr)
    assert.equal(
      warnings[0],
      ` ›   Warning: --checkpoint-interval 30 --checkpoint-lines 500: s3:// state directories only; ${state} is local, checkpointed after every response (a slot file; checkpoint.json once a second), so they change nothing here`,
    )
  })

  it('one given: the warning names that one only', async () => {
    const dir = tempDir()
    const r = await runCli(['replay', archive(dir), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--checkpoint-lines=500'], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: --checkpoint-lines 500: s3:\/\/ state directories only;/)
    assert.doesNotMatch(r.stderr, /--checkpoint-interval/)
  })

  it('neither given: no such warning', async () => {
    const dir = tempDir()
    const r = await runCli(['replay', archive(dir), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /--checkpoint/)
  })
})
