/**
 * `replay --sandbox --sandbox-dir DIR` (and `--sandbox --classic`) saves what the sandbox ingested
 * in DIR at the end. A DIR that cannot be a folder is found before anything is read or sent:
 * exit 2 naming --sandbox-dir. It used to run the whole replay and then fail with exit 1 and
 * Node's bare "ENOTDIR: not a directory, open '…/ingested.ndjson.gz.tmp-…'".
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('replay --sandbox --sandbox-dir that cannot be a folder', function () {
  this.timeout(60_000)

  for (const [label, extra] of [
    ['--sandbox', []],
    ['--sandbox --classic', ['--classic', join(ROOT, 'examples', 'classic-settings.json')]],
  ] as const) {
    it(`${label}: exit 2 before the replay, naming --sandbox-dir`, async () => {
      const dir = tempDir()
      const file = writeFile(join(dir, 'a-file'), 'x')
      const r = await runCli(['replay', EXAMPLE, '--sandbox', ...extra, '--sandbox-dir', file, '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
      assert.equal(r.code, 2, r.stderr)
      assert.ok(r.stderr.includes(`Error: --sandbox-dir ${file} cannot be created: ${file} is not a folder`), r.stderr)
      assert.match(r.stderr, /Hint: Give --sandbox-dir a folder you can write to \(it is created if missing\), e\.g\. --sandbox-dir \.\/segamp-sandbox\./)
      assert.doesNotMatch(r.stdout + r.stderr, /Replay finished|Sandbox ingested|Classic stand-in/)
    })
  }
})
