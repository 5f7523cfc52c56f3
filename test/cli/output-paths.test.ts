/**
 * An output path that cannot be written (a folder that cannot be created, a folder in the file's
 * place) is named with the flag that gave it, and is a usage error (exit 2): for migrate, exit 1
 * means a --verify finding, so a CI gate read an unwritable --out as "findings".
 */
import { strict as assert } from 'node:assert'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const CLASSIC = join(ROOT, 'examples', 'classic-settings.json')
const EXAMPLE = join(ROOT, 'examples', 'segment-logs')
// Under /proc no folder can be created, whoever runs the tests (root included).
const UNCREATABLE = '/proc/segamp-no-such-dir/out'

describe('outputs that cannot be written', function () {
  this.timeout(60_000)

  it('migrate --out in a folder that cannot be created: exit 2 naming --out', async () => {
    const r = await runCli(['migrate', '--classic', CLASSIC, '--out', `${UNCREATABLE}.json`], { cwd: tempDir() })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: --out ${UNCREATABLE}.json: cannot be written: `), r.stderr)
  })

  it('migrate --out that is a folder: exit 2 naming --out', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'actions.json'))
    const r = await runCli(['migrate', '--classic', CLASSIC, '--out', join(dir, 'actions.json')], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: --out ${join(dir, 'actions.json')}: cannot be written: it is a folder (EISDIR)`), r.stderr)
  })

  it('migrate --rename-map-out that cannot be written: exit 2 naming it', async () => {
    const dir = tempDir()
    const r = await runCli(['migrate', '--classic', CLASSIC, '--names', 'actions', '--out', join(dir, 'a.json'), '--rename-map-out', `${UNCREATABLE}.csv`], { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: --rename-map-out ${UNCREATABLE}.csv: cannot be written: `), r.stderr)
  })

  // Found before the archive is read: a comparison --against an export can take minutes.
  for (const [flag, args] of [
    ['--report', ['--report', `html=${UNCREATABLE}.html`]],
    ['--out', ['--format', 'json', '--out', `${UNCREATABLE}.json`]],
  ] as const) {
    it(`diff-mappings ${flag} in a folder that cannot be created: exit 2 naming it, before anything is compared`, async () => {
      const r = await runCli(['diff-mappings', EXAMPLE, '--no-progress', ...args], { cwd: tempDir() })
      assert.equal(r.code, 2, r.stderr)
      const file = args[args.length - 1]!.replace(/^html=/, '')
      assert.ok(r.stderr.includes(`Error: ${flag} ${file}: cannot be written: `), r.stderr)
      assert.doesNotMatch(r.stderr, /filtered, not compared|messages and .* stored events compared/)
    })
  }
})
