/** What the CLI prints is whole and names the command the user ran (issue #21, item 14). */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { gzip, tempDir, writeFile } from '../helpers/files.js'

describe('CLI words', function () {
  this.timeout(60_000)

  it('a warning prints a long file path whole, at any terminal width', async () => {
    const dir = tempDir('segamp-words-')
    const name = `a-file-whose-name-is-much-longer-than-forty-columns-${'x'.repeat(40)}.gz`
    writeFile(join(dir, name), gzip('{"type":"track"}\n'.repeat(100)).subarray(0, 30))
    const r = await runCli(['replay', dir, '--dry-run', '--no-progress', '--state-dir', join(dir, 'state')], { env: { OCLIF_COLUMNS: '40' } })
    assert.ok(r.stderr.includes(join(dir, name)), r.stderr)
    assert.match(r.stderr, /Warning: unreadable: /)
  })

  it('the export hint names the bin the user ran (./bin/run.js in a checkout)', async () => {
    const r = await runCli([
      'export',
      '--sandbox',
      '--sandbox-dir',
      join(tempDir('segamp-words-'), 'none'),
      '--start',
      '20240506T00',
      '--end',
      '20240506T01',
      '--out',
      join(tempDir('segamp-words-'), 'out'),
    ])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Run `\.\/bin\/run\.js replay <archive> --sandbox` first/)
    assert.doesNotMatch(r.stderr, /`segamp /)
  })
})
