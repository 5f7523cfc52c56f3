/**
 * A Segment CSV export file that holds its header row and no data row (an hour with no event, as
 * the AWS S3 (Actions) destination writes it) has a line: every command names it for what it is,
 * not as "empty (no line, or blank lines only)". `--json`'s `emptyFiles` still lists it (nothing
 * was read from it), and replay's report says which of them were header rows only.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'

const HEADER = '"event_name","event_type","user_id","anonymous_id","email","properties","traits","context","timestamp","message_id","integrations"'

/** One NDJSON file with a message, a header-only CSV (plain), one gzipped with blank lines after the header, and a 0-byte file. */
function inputs(dir: string): { header: string; headerGz: string; zero: string } {
  writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Signed Up', { userId: 'user-12345', messageId: 'm1' })]))
  const header = writeFile(join(dir, 'in', 'b.csv'), HEADER + '\n')
  const headerGz = writeFile(join(dir, 'in', 'c.csv.gz'), gzip(HEADER + '\r\n\r\n\n'))
  const zero = writeFile(join(dir, 'in', 'd.ndjson'), '')
  return { header, headerGz, zero }
}

const headerOnly = (file: string): RegExp => new RegExp(`Warning: ${file}: only a header row \\(no data rows\\); nothing read from it$`, 'm')
const empty = (file: string): RegExp => new RegExp(`Warning: ${file}: empty \\(no line, or blank lines only\\); nothing read from it$`, 'm')

describe('a CSV file with its header row only', function () {
  this.timeout(60_000)

  it('replay: named as a header row only (the 0-byte file still empty), the run goes on; --json lists both empty, and which was a header', async () => {
    const dir = tempDir()
    const f = inputs(dir)
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, headerOnly(f.header))
    assert.match(r.stderr, headerOnly(f.headerGz))
    assert.match(r.stderr, empty(f.zero))
    assert.doesNotMatch(r.stderr, /b\.csv: empty/)
    const j = await runCli(['replay', join(dir, 'in'), '--dry-run', '--json', '--state-dir', join(dir, 'st2')], { cwd: dir })
    assert.equal(j.code, 0, j.stderr)
    const report = JSON.parse(j.stdout)
    assert.deepEqual(report.emptyFiles, [f.header, f.headerGz, f.zero])
    assert.deepEqual(report.headerOnlyFiles, [f.header, f.headerGz])
    assert.equal(report.wouldSend, 1)
  })

  it('replay of a header-only CSV alone: nothing was read, exit 2, saying a header row holds no data', async () => {
    const dir = tempDir()
    const file = writeFile(join(dir, 'hour.csv'), HEADER + '\n')
    const r = await runCli(['replay', file, '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, headerOnly(file))
    assert.match(
      r.stderr,
      /Error: nothing was read: .*hour\.csv hold\(s\) no line \(empty or blank files, CSV files with a header row only, an empty gzip, or stdin at its end\); nothing was sent/,
    )
  })

  it('inspect: the same warning; alone, "nothing to inspect" names the header row', async () => {
    const dir = tempDir()
    const f = inputs(dir)
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, headerOnly(f.header))
    assert.match(r.stderr, headerOnly(f.headerGz))
    assert.match(r.stderr, empty(f.zero))
    const alone = await runCli(['inspect', f.header, '--no-progress', '--state-dir', join(dir, 'st2')], { cwd: dir })
    assert.equal(alone.code, 2, alone.stderr)
    assert.match(alone.stderr, headerOnly(f.header))
    assert.match(
      alone.stderr,
      /Error: nothing to inspect: not one line was read from .*b\.csv \(empty or blank files, CSV files with a header row only, an empty gzip, or stdin at its end\)/,
    )
  })

  it('diff-mappings and migrate --verify: the same warning', async () => {
    const dir = tempDir()
    const f = inputs(dir)
    const d = await runCli(['diff-mappings', join(dir, 'in'), '--no-progress'], { cwd: dir })
    assert.equal(d.code, 0, d.stderr)
    assert.match(d.stderr, headerOnly(f.header))
    assert.match(d.stderr, empty(f.zero))
    const m = await runCli(['migrate', '--classic', join(ROOT, 'examples', 'classic-settings.json'), '--verify', join(dir, 'in')], { cwd: dir })
    assert.equal(m.code, 0, m.stderr)
    assert.match(m.stderr, new RegExp(`Warning: --verify: ${f.headerGz}: only a header row \\(no data rows\\); nothing read from it$`, 'm'))
  })
})
