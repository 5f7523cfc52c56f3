/**
 * A --classic settings file with a key segamp does not know (a typo) or a value it cannot read
 * (`"trackNamedPages": "yes"`) falls back to the catalog default. Every command that reads the file
 * says so on stderr, naming the file and the setting: diff-mappings compares against, and replay
 * --sandbox --classic sends as, a Classic model that is not the file's.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('--classic: settings that fall back to a default are warned about', function () {
  this.timeout(60_000)
  const dir = tempDir('segamp-classic-warn-')
  const file = writeFile(join(dir, 'classic.json'), JSON.stringify({ apiKey: 'k-123456', trackAllPagez: true, trackNamedPages: 'yes', zzzz: 1 }))
  // A typo names the setting meant; a key near no setting is named alone.
  const unknown = /^ › {3}Warning: --classic \S*classic\.json: unknown setting "trackAllPagez" \(ignored\); did you mean "trackAllPages"\?$/m
  const far = /^ › {3}Warning: --classic \S*classic\.json: unknown setting "zzzz" \(ignored\)$/m
  const unread = /^ › {3}Warning: --classic \S*classic\.json: setting trackNamedPages: cannot read "yes" as boolean; using default true$/m

  it('diff-mappings', async () => {
    const r = await runCli(['diff-mappings', EXAMPLE, '--classic', file, '--format', 'json'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, unknown)
    assert.match(r.stderr, far)
    assert.match(r.stderr, unread)
  })

  it('replay --sandbox --classic', async () => {
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--classic', file, '--yes', '--no-progress', '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, unknown)
    assert.match(r.stderr, unread)
  })

  it('migrate (once each)', async () => {
    const r = await runCli(['migrate', '--classic', file, '--out', join(dir, 'config.json')])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr.split('unknown setting "trackAllPagez"').length, 2, r.stderr)
    assert.equal(r.stderr.split('cannot read "yes" as boolean').length, 2, r.stderr)
    assert.match(r.stderr, unread)
  })
})
