/**
 * --where is text the user typed or pasted (from a log, a spreadsheet): its parse errors and
 * warnings quote it, and what reaches the terminal must show its control characters as \uXXXX.
 * The base command keeps colour sequences (segamp's own styling), so the quoting must escape them.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

describe('--where in error messages and warnings', () => {
  it('an ESC colour sequence and a BEL in a bad --where are escaped everywhere in the error', async () => {
    const r = await runCli(['inspect', 'examples/segment-logs', '--where', 'event = \u001b[31m\u0007'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: --where "event = \\u001b\[31m\\u0007": /m)
    assert.ok(!r.stderr.includes('\u001b'), JSON.stringify(r.stderr))
    assert.ok(!r.stderr.includes('\u0007'), JSON.stringify(r.stderr))
  })

  it('a warning quoting a value with an ESC sequence is escaped too', async () => {
    const r = await runCli(['inspect', 'examples/segment-logs', '--where', "event = '\u001b[31mX'", '--json'])
    assert.match(r.stderr, /--where: /)
    assert.ok(!r.stderr.includes('\u001b'), JSON.stringify(r.stderr))
  })

  it('a mapping file problem quotes the subscription name and trigger with their control characters escaped', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'm.json'),
      JSON.stringify({ subscriptions: [{ name: 'N\u001b[31mX', actionSlug: 'logEventV2', trigger: 'event = \u001b[32m', enabled: true, settings: {} }] }),
    )
    const r = await runCli(['inspect', 'examples/segment-logs', '--mappings', file])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^ {2}- N\\u001b\[31mX: /m)
    assert.ok(!r.stderr.includes('\u001b'), JSON.stringify(r.stderr))
  })

  it('errors and warnings quoting a path escape its colour sequences (segamp never colours them itself)', async () => {
    const bad = `/nonexistent/x\u001b[31my`
    for (const args of [
      ['status', bad],
      ['replay', '--retry-dead-letters', '--state-dir', bad, '--yes', '--api-key', 'key-0123456789'],
      ['inspect', 'examples/segment-logs', bad],
    ]) {
      const r = await runCli(args)
      assert.match(r.stderr, /x\\u001b\[31my/, r.stderr)
      assert.ok(!r.stderr.includes('\u001b'), JSON.stringify(r.stderr))
    }
  })
})
