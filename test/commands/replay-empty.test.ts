/**
 * Inputs that exist but hold no line (an empty gzip, a 0-byte file, stdin at its end) are no
 * success: the run says that nothing was read and nothing was sent, and exits 2 (code
 * nothing-read), as inspect and diff-mappings do.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { gzip, tempDir, writeFile } from '../helpers/files.js'

describe('replay: inputs that hold no line', function () {
  this.timeout(60_000)

  it('an empty gzip and a 0-byte file: "nothing was read", exit 2, nothing planned', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'empty.gz'), gzip(''))
    writeFile(join(dir, 'in', 'zero.gz'), '')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.match(r.stderr, /Error: nothing was read: .* hold\(s\) no line \(empty files or input\); nothing was sent\nHint: Check the paths/)
    assert.match(r.stderr, /0 lines = 0 messages/)
    assert.equal(r.code, 2)
  })

  it('stdin at its end: the same error, and --json gives it as the JSON error', async () => {
    const dir = tempDir()
    const r = await runCli(['replay', '-', '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir, input: '' })
    assert.match(r.stderr, /Error: nothing was read: - hold\(s\) no line/)
    assert.equal(r.code, 2)
    const j = await runCli(['replay', '-', '--dry-run', '--json', '--state-dir', join(dir, 'st2')], { cwd: dir, input: '' })
    assert.equal(j.code, 2)
    assert.deepEqual(JSON.parse(j.stdout).error.code, 'nothing-read')
  })

  it('an archive with lines: no such warning', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), JSON.stringify({ type: 'track', event: 'X', userId: 'user-12345', messageId: 'm1', timestamp: '2024-05-06T00:00:00Z' }) + '\n')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.doesNotMatch(r.stderr, /nothing was read/)
    assert.equal(r.code, 0)
  })
})
