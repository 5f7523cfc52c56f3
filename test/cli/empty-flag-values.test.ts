/**
 * A flag given an empty value, as `--only "$ACTIONS"` gives it when the variable is unset, used to
 * mean the flag was left out: `--only ''` sent every subscription, `--mappings ''` used the
 * presets, `--out ''` wrote no file, all with exit 0. It is now exit 2 naming the flag.
 */
import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('flags given an empty value', function () {
  this.timeout(60_000)

  for (const [flag, form] of [
    ['--only', 'separate'],
    ['--types', 'separate'],
    ['--mappings', 'separate'],
    ['--out', 'equals'],
    ['--state-dir', 'separate'],
  ] as const) {
    it(`replay --dry-run ${flag} "" (${form === 'equals' ? `${flag}=` : `${flag} ''`}): exit 2 naming ${flag}, nothing read or written`, async () => {
      const cwd = tempDir()
      const r = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', ...(form === 'equals' ? [`${flag}=`] : [flag, ''])], { cwd })
      assert.equal(r.code, 2, r.stderr)
      assert.ok(r.stderr.includes(`Error: ${flag} is empty (an unset shell variable?): give it a value, or leave ${flag} out`), r.stderr)
      assert.doesNotMatch(r.stdout + r.stderr, /Replay finished/)
      assert.ok(!existsSync(join(cwd, '.segamp')))
    })
  }

  it('export --out "" and inspect --mappings " " too; a flag from the environment is not judged here', async () => {
    const ex = await runCli(['export', '--sandbox', '--start', '20240501T00', '--end', '20240501T01', '--out', ''], { cwd: tempDir() })
    assert.equal(ex.code, 2, ex.stderr)
    assert.match(ex.stderr, /Error: --out is empty/)
    const ins = await runCli(['inspect', EXAMPLE, '--mappings', ' '])
    assert.equal(ins.code, 2, ins.stderr)
    assert.match(ins.stderr, /Error: --mappings is empty/)
    // --where and --fail-on keep their own words for it.
    const where = await runCli(['inspect', EXAMPLE, '--where', ''])
    assert.equal(where.code, 2, where.stderr)
    assert.match(where.stderr, /Error: --where "": the trigger is empty/)
    const dry = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--state-dir', join(tempDir(), 's')], { env: { AMPLITUDE_API_KEY: '' } })
    assert.equal(dry.code, 0, dry.stderr)
  })
})
