/**
 * `inspect` on inputs that exist but hold no line (a 0-byte file, an empty gzip, stdin at its
 * end): each empty file is named in a warning, and when nothing at all was read the run is an
 * error (exit 2, as `diff-mappings`' "nothing to compare"), never a profile of zeros with exit 0.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('inspect: inputs that hold no line', function () {
  this.timeout(60_000)

  it('a 0-byte file and an empty gzip only: exit 2 naming both, no profile on stdout', async () => {
    const dir = tempDir()
    const zero = writeFile(join(dir, 'zero.ndjson'), '')
    const empty = writeFile(join(dir, 'empty.ndjson.gz'), gzip(''))
    const r = await runCli(['inspect', zero, empty, '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, new RegExp(`Warning: ${zero}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${empty}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, /Error: nothing to inspect: not one line was read from .*zero\.ndjson .*empty\.ndjson\.gz/)
    assert.match(r.stderr, /Hint: /)
  })

  it('--json: the error as JSON with its code, exit 2', async () => {
    const dir = tempDir()
    const zero = writeFile(join(dir, 'zero.ndjson'), '')
    const r = await runCli(['inspect', zero, '--json', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.error.code, 'nothing-read')
    assert.equal(out.error.exitCode, 2)
  })

  it('a file of blank lines only: named as a 0-byte file is, and nothing read either, exit 2', async () => {
    const dir = tempDir()
    const blank = writeFile(join(dir, 'blank.ndjson'), '\n\n  \n')
    const r = await runCli(['inspect', blank, '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, new RegExp(`Warning: ${blank}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, /Error: nothing to inspect: not one line was read from .*blank\.ndjson/)
  })

  it('files of blank lines beside one with lines (plain, gzip, CRLF and tabs, a BOM, form feeds and NBSP): each named, the profile, exit 0; a file with one line of data among blanks is not', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), '\n\n' + ndjson([track('Signed Up', { messageId: 'm1' })]) + '\n\n')
    const blank = writeFile(join(dir, 'in', 'b.ndjson'), '\n\n  \n\t\r\n')
    const blankGz = writeFile(join(dir, 'in', 'c.ndjson.gz'), gzip('\r\n\r\n'))
    // Saved "UTF-8 with BOM", or holding form feeds and non-breaking spaces: blank lines too, as the decoder reads them.
    const bom = writeFile(join(dir, 'in', 'd.ndjson'), '\ufeff\r\n\f\n\u00a0\n')
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /messages\s+1/)
    assert.match(r.stderr, new RegExp(`Warning: ${blank}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${blankGz}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${bom}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.doesNotMatch(r.stderr, /a\.ndjson: empty/)
  })

  it('stdin at its end: the same error', async () => {
    const dir = tempDir()
    const r = await runCli(['inspect', '-', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir, input: '' })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: nothing to inspect: not one line was read from -/)
  })

  it('many empty files: the first 10 named, then how many more', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { messageId: 'm1' })]))
    for (let i = 0; i < 25; i++) writeFile(join(dir, 'in', `e${String(i).padStart(2, '0')}.ndjson`), '')
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr.match(/: empty \(no line, or blank lines only\); nothing read from it/g)?.length, 10, r.stderr)
    assert.match(r.stderr, /Warning: and 15 more empty file\(s\) \(no line, or blank lines only\), not named here/)
  })

  it('an empty file beside one with lines: a warning naming it, the profile, exit 0', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { messageId: 'm1' })]))
    const zero = writeFile(join(dir, 'in', 'b.ndjson'), '')
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /messages\s+1/)
    assert.match(r.stderr, new RegExp(`Warning: ${zero}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.doesNotMatch(r.stderr, /a\.ndjson: empty/)
  })
})
