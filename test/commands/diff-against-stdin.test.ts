/**
 * `diff-mappings --against -`: the export is not read from stdin (it may be a zip, whose directory
 * is at its end, and its partitioning may run on another thread). A usage error says what to give
 * instead, before anything is read; it used to look for a file named "-" (ENOENT).
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli, ROOT } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('diff-mappings --against -', function () {
  this.timeout(60_000)

  it('is a usage error (exit 2) that says what to pass instead, not ENOENT for a file named "-"', async () => {
    const dir = tempDir()
    const r = await runCli(['diff-mappings', EXAMPLE, '--against', '-', '--no-progress'], { cwd: dir, input: '{"event_type":"x"}\n' })
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    assert.doesNotMatch(r.stderr, /ENOENT/)
    assert.match(r.stderr, /Error: --against -: the export is not read from stdin/)
    assert.match(r.stderr, /Hint: Save the export to a file or folder first .*--against amplitude-export\//)
  })

  it('--json: the error as JSON, code usage', async () => {
    const r = await runCli(['diff-mappings', '-', '--against', 'x/', '--against', '-', '--json'], { cwd: tempDir(), input: '' })
    assert.equal(r.code, 2, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.error.code, 'usage')
    assert.match(out.error.message, /--against -: the export is not read from stdin/)
  })
})
