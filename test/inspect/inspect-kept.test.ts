/** `inspect` says what its per-type counts and percentages are of: the kept messages, not all read. */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('inspect: percentages of the kept messages, and the table says so', () => {
  it('the example: 600 read, 12 filtered, 588 kept; shares are of 588', async () => {
    const json = await runCli(['inspect', EXAMPLE, '--format', 'json', '--state-dir', tempDir('segamp-kept-')])
    assert.equal(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout)
    const filtered = Object.values(report.filtered as Record<string, number>).reduce((a, b) => a + b, 0)
    assert.equal(report.messages, 600)
    assert.equal(filtered, 12)
    assert.equal(report.kept, 588)
    assert.equal(
      Object.values(report.byType as Record<string, number>).reduce((a, b) => a + b, 0),
      report.kept,
    )
    assert.equal(report.ids.userIdShare, Math.round((report.ids.userId / 588) * 10_000) / 10_000)

    const table = await runCli(['inspect', EXAMPLE, '--no-progress', '--state-dir', tempDir('segamp-kept-')])
    assert.equal(table.code, 0, table.stderr)
    const out = table.stdout
    assert.match(out, /^ {2}messages +600$/m)
    assert.match(out, /^ {2}filtered +12$/m)
    assert.match(out, /^ {2}kept \(counted below\) +588$/m)
    assert.match(out, /^Messages by type \(of 588 kept\)$/m)
    assert.match(out, /^Identifiers \(count, share of the 588 kept messages\)$/m)
    const pct = ((report.ids.userId / 588) * 100).toFixed(1)
    assert.match(out, new RegExp(`^ {2}userId +${report.ids.userId} +${pct.replace('.', '\\.')}%$`, 'm'))
    // 474/588 = 80.6%; over all 600 read it would be 79.0%.
    assert.notEqual(pct, ((report.ids.userId / 600) * 100).toFixed(1))
    assert.match(out, /^Subscriptions that would fire \(of 588 kept messages\)$/m)
  })
})
