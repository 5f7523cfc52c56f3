/**
 * `diff-mappings` (and `migrate --verify`) on an archive where some files hold no line (a 0-byte file, an empty gzip):
 * each is named in a warning, as `inspect` and `replay` do, both for the emulation and with
 * `--against`; the comparison of the other files goes on.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('diff-mappings: archive files that hold no line', function () {
  this.timeout(60_000)

  function archive(): { dir: string; zero: string; empty: string } {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { userId: 'user-12345', messageId: 'm1' })]))
    const zero = writeFile(join(dir, 'in', 'b.ndjson'), '')
    const empty = writeFile(join(dir, 'in', 'c.ndjson.gz'), gzip(''))
    const blank = writeFile(join(dir, 'in', 'd.ndjson'), '\n  \n')
    return { dir, zero, empty, blank }
  }

  it('the emulation: each empty file named, the other compared, exit 0', async () => {
    const { dir, zero, empty, blank } = archive()
    const r = await runCli(['diff-mappings', join(dir, 'in'), '--no-progress', '--format', 'json'], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).totals.messages, 1)
    assert.match(r.stderr, new RegExp(`Warning: ${blank}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${zero}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${empty}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.doesNotMatch(r.stderr, /a\.ndjson: empty/)
  })

  it('--against: the same warnings', async () => {
    const { dir, zero, empty, blank } = archive()
    const exported = writeFile(
      join(dir, 'export.json'),
      JSON.stringify({ event_type: 'Signed Up', user_id: 'user-12345', event_time: '2024-05-06 10:00:00.000000', $insert_id: 'm1' }) + '\n',
    )
    const r = await runCli(['diff-mappings', join(dir, 'in'), '--against', exported, '--no-progress', '--format', 'json', '--work-dir', dir], { cwd: dir })
    assert.ok(r.code === 0 || r.code === 1, r.stderr)
    assert.equal(JSON.parse(r.stdout).totals.messages, 1)
    assert.match(r.stderr, new RegExp(`Warning: ${blank}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${zero}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: ${empty}: empty \\(no line, or blank lines only\\); nothing read from it`))
  })

  it('migrate --verify: the same warnings, prefixed with the flag', async () => {
    const { dir, zero, empty } = archive()
    const r = await runCli(['migrate', '--classic', join(ROOT, 'examples', 'classic-settings.json'), '--verify', join(dir, 'in')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`Warning: --verify: ${zero}: empty \\(no line, or blank lines only\\); nothing read from it`))
    assert.match(r.stderr, new RegExp(`Warning: --verify: ${empty}: empty \\(no line, or blank lines only\\); nothing read from it`))
  })

  it('an archive with no empty file: no such warning', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { userId: 'user-12345', messageId: 'm1' })]))
    const r = await runCli(['diff-mappings', join(dir, 'in'), '--no-progress', '--format', 'json'], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /empty \(no line\)/)
  })
})
