/**
 * Inputs that exist but hold no line (an empty gzip, a 0-byte file, stdin at its end) are no
 * success: the run says that nothing was read and nothing was sent, and exits 2 (code
 * nothing-read), as inspect and diff-mappings do.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('replay: inputs that hold no line', function () {
  this.timeout(60_000)

  it('an empty gzip and a 0-byte file: "nothing was read", exit 2, nothing planned', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'empty.gz'), gzip(''))
    writeFile(join(dir, 'in', 'zero.gz'), '')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.match(
      r.stderr,
      /Error: nothing was read: .* hold\(s\) no line \(empty or blank files, CSV files with a header row only, an empty gzip, or stdin at its end\); nothing was sent\nHint: Check the paths/,
    )
    assert.match(r.stderr, /0 lines = 0 messages/)
    assert.match(r.stderr, /Warning: .*empty\.gz: empty \(no line, or blank lines only\); nothing read from it/)
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

  it('an empty file beside one with lines: a warning naming it, the run goes on (exit 0), and --json lists it', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { userId: 'user-12345', messageId: 'm1' })]))
    const zero = writeFile(join(dir, 'in', 'b.ndjson'), '')
    const empty = writeFile(join(dir, 'in', 'c.ndjson.gz'), gzip(''))
    const blank = writeFile(join(dir, 'in', 'd.ndjson'), '\n \n\n')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`Warning: ${zero}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${empty}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${blank}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.doesNotMatch(r.stderr, /a\.ndjson: empty/)
    const j = await runCli(['replay', join(dir, 'in'), '--dry-run', '--json', '--state-dir', join(dir, 'st2')], { cwd: dir })
    assert.equal(j.code, 0, j.stderr)
    const report = JSON.parse(j.stdout)
    assert.deepEqual(report.emptyFiles, [zero, empty, blank])
    assert.equal(report.wouldSend, 1)
  })

  it('many empty files: the first 10 named, then how many more', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { userId: 'user-12345', messageId: 'm1' })]))
    for (let i = 0; i < 12; i++) writeFile(join(dir, 'in', `e${String(i).padStart(2, '0')}.ndjson`), '')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr.match(/: empty \(no line, or blank lines only\); nothing read from it/g)?.length, 10, r.stderr)
    assert.match(r.stderr, /Warning: and 2 more empty file\(s\) \(no line, or blank lines only\), not named here/)
  })

  it('an archive with lines: no such warning', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), JSON.stringify({ type: 'track', event: 'X', userId: 'user-12345', messageId: 'm1', timestamp: '2024-05-06T00:00:00Z' }) + '\n')
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.doesNotMatch(r.stderr, /nothing was read/)
    assert.doesNotMatch(r.stderr, /empty \(no line\)/)
    assert.equal(r.code, 0)
  })
})
