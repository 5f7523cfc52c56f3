/**
 * What the commands do with the inputs and time flags a user gives them (issue #21: mistakes that
 * used to end in a silent success): the built CLI, run as a user runs it.
 */
import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { openArchive } from '../../src/pipeline/decode/reader.js'
import { UsageError } from '../../src/errors.js'

const EXAMPLE = 'examples/segment-logs'

async function inspectJson(args: string[]): Promise<{ kept: number; filtered: Record<string, number> }> {
  const r = await runCli(['inspect', EXAMPLE, '--json', ...args])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

describe('cli: time flags', function () {
  this.timeout(60_000)

  it('--since 20240507 and --since 1715040000 (epoch seconds) mean 2024-05-07T00:00Z, not 1970', async () => {
    const iso = await inspectJson(['--since', '2024-05-07T00:00:00Z'])
    assert.ok(iso.filtered.since > 0)
    const compact = await inspectJson(['--since', '20240507'])
    const seconds = await inspectJson(['--since', '1715040000'])
    assert.deepEqual(compact.filtered, iso.filtered)
    assert.deepEqual(seconds.filtered, iso.filtered)
    assert.equal(compact.kept, iso.kept)
  })

  it('a bare number of no telling unit is refused with exit 2 and a hint, by every reading command', async () => {
    for (const args of [
      ['inspect', EXAMPLE, '--since', '2024'],
      ['replay', EXAMPLE, '--dry-run', '--until', '2024'],
      ['diff-mappings', EXAMPLE, '--since', '2024'],
    ]) {
      const r = await runCli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /Error: --(since|until) "2024" is not a time/)
      assert.match(r.stderr, /Hint: Write a UTC date or time/)
    }
  })

  it('export --start 20240230T00 says the date is not a real date, not that hours run 00-23', async () => {
    const r = await runCli(['export', '--start', '20240230T00', '--end', '20240301T00', '--out', '/nonexistent/x', '--sandbox'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Error: --start "20240230T00" is not a real date \(2024-02-30 does not exist\)/)
    assert.doesNotMatch(r.stderr, /hours run/)
    assert.match(r.stderr, /Hint: Hours are UTC, written YYYYMMDDTHH/)
  })
})

describe('cli: stdin given twice', function () {
  this.timeout(60_000)

  it('replay - - reads stdin once and says so (it was an unexpected "ledger: line 2 commits out of order", exit 1)', async () => {
    const lines = ndjson([track('A', { messageId: 'twice-1' }), track('B', { messageId: 'twice-2' })])
    const out = tempDir()
    const r = await runCli(['replay', '-', '-', '--dry-run', '--state-dir', join(out, 'state'), '--no-progress', '--json'], { input: lines })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).messages, 2)
    assert.match(r.stderr, /skipped: -: stdin given again: read once/)
  })
})

describe('cli: inputs that match nothing', function () {
  this.timeout(60_000)

  it('an empty folder, or a tree with no file to read, is exit 2 naming it, for every reading command', async () => {
    const empty = tempDir()
    const hiddenOnly = tempDir()
    writeFile(join(hiddenOnly, 'sub', '.DS_Store'), 'x')
    for (const dir of [empty, hiddenOnly]) {
      const state = tempDir()
      for (const args of [
        ['inspect', dir],
        ['replay', dir, '--dry-run', '--state-dir', join(state, 'r')],
        ['diff-mappings', dir],
      ]) {
        const r = await runCli(args)
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
        assert.match(r.stderr, new RegExp(`Error: nothing to read: ${dir.replace(/[/.]/g, '\\$&')}: (an empty folder|no file to read in this folder)`))
        assert.match(r.stderr, /Hint: /)
      }
      // Not marked done: a later run with the files in place reads them.
      assert.equal(existsSync(join(state, 'r', 'report.json')), false)
    }
  })

  it('openArchive itself refuses a list of inputs that matched no file (exit 2, code nothing-matched)', async () => {
    await assert.rejects(openArchive([tempDir()]), (e: Error) => e instanceof UsageError && e.exitCode === 2 && (e as UsageError).code === 'nothing-matched')
  })
})
