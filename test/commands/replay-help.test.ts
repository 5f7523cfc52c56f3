/**
 * `segamp replay --help` as a newcomer reads it: the synopsis says which flags go together
 * (--out and --out-include-keys under --dry-run, --sandbox-dir under --sandbox), not oclif's
 * nesting of dependsOn pairs ("--sandbox-dir DIR [--sandbox | --dry-run]").
 */
import { strict as assert } from 'node:assert'
import { runCli } from '../helpers/cli.js'

describe('replay --help: the usage line', () => {
  it('nests --out under --dry-run and --sandbox-dir under --sandbox', async () => {
    const r = await runCli(['replay', '--help'])
    assert.equal(r.code, 0, r.stderr)
    const usage = /USAGE\n([\s\S]*?)\n\n/
      .exec(r.stdout)![1]!
      .split(/\n(?=\s*\$ )/)
      .map((line) => line.replace(/\s+/g, ' ').trim())
    assert.deepEqual(usage, [
      '$ segamp replay ARCHIVE... [--sandbox [--sandbox-dir DIR]] [--dry-run [--out FILE [--out-include-keys]]] [--json] [FLAGS]',
      // A retry of dead letters reads no archive: ARCHIVE only finds the default state directory.
      '$ segamp replay [ARCHIVE...] --retry-dead-letters [--state-dir DIR] [--reasons REASON,...] [--yes] [FLAGS]',
    ])
    // The flags themselves are still all listed below it.
    for (const flag of ['--dry-run', '--out=FILE', '--out-include-keys', '--sandbox-dir=DIR', '--workers=N']) assert.ok(r.stdout.includes(flag), flag)
  })
})
