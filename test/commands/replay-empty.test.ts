/**
 * Inputs that exist but hold no line (an empty gzip, a 0-byte file, stdin at its end) are no
 * silent success: the run says, in a named warning, that nothing was read and nothing was sent.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { gzip, tempDir, writeFile } from '../helpers/files.js'

describe('replay: inputs that hold no line', function () {
  this.timeout(60_000)

  it('an empty gzip and a 0-byte file: "nothing was read" warning, nothing planned', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'empty.gz'), gzip(''))
    writeFile(join(dir, 'in', 'zero.gz'), '')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.match(r.stderr, /Warning: nothing was read: .* hold\(s\) no line \(empty files or input\); nothing was sent/)
    assert.match(r.stderr, /0 lines = 0 messages/)
  })

  it('stdin at its end: the same warning', async () => {
    const dir = tempDir()
    const r = await runCli(['replay', '-', '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir, input: '' })
    assert.match(r.stderr, /Warning: nothing was read: - hold\(s\) no line/)
  })

  it('an archive with lines: no such warning', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), JSON.stringify({ type: 'track', event: 'X', userId: 'user-12345', messageId: 'm1', timestamp: '2024-05-06T00:00:00Z' }) + '\n')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.doesNotMatch(r.stderr, /nothing was read/)
    assert.equal(r.code, 0)
  })
})
