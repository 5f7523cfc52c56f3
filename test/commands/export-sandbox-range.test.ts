/**
 * `export --sandbox` for hours the sandbox holds nothing in (its events are stamped with the time
 * `replay --sandbox` sent them: today) names the hours it does hold and the command that exports
 * them, instead of only "Amplitude holds no events uploaded in this range".
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { formatHour, HOUR_MS } from '../../src/amplitude/export-api/hours.js'

describe('export --sandbox: a range the sandbox holds nothing in', function () {
  this.timeout(60_000)

  it('names the hours it holds and the export command for them', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'a.ndjson'),
      ndjson([track('Signed Up', { messageId: 'm1', userId: 'user-12345' }), track('Signed Up', { messageId: 'm2', userId: 'user-67890' })]),
    )
    const sbDir = join(dir, 'sb')
    const before = Math.floor(Date.now() / HOUR_MS)
    const rep = await runCli(['replay', file, '--sandbox', '--sandbox-dir', sbDir, '--no-progress', '--state-dir', join(dir, 'st')], { cwd: dir })
    assert.equal(rep.code, 0, rep.stderr)
    const after = Math.floor(Date.now() / HOUR_MS)
    const r = await runCli(['export', '--sandbox', '--sandbox-dir', sbDir, '--start', '20240506T00', '--end', '20240506T23', '--out', join(dir, 'out'), '--no-progress'], {
      cwd: dir,
    })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout, /Amplitude holds no events/)
    const hours = [before, after].map(formatHour)
    const said = hours.some(
      (h) =>
        r.stdout.includes(`The sandbox (${sbDir}) holds 2 event(s) uploaded ${h} to ${h} (UTC), none in this range: `) &&
        r.stdout.includes(`export --sandbox --start ${h} --end ${h} --out `),
    )
    assert.ok(said, r.stdout)
  })
})
