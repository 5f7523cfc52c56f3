/**
 * inspect's table shows an event name whose edges a reader cannot see (a trailing space, an empty
 * name) quoted, JSON-style: `"Viewed "` next to `Viewed` is two names, visibly.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { shownName, visible } from '../../src/text.js'

describe('inspect: event names with invisible edges', function () {
  this.timeout(60_000)

  it('names with leading/trailing whitespace, empty, or starting with a quote are quoted; others are not', () => {
    assert.equal(shownName('Viewed '), '"Viewed "')
    assert.equal(shownName(' Viewed'), '" Viewed"')
    // Control characters keep the one escape style of every table (visible's \uXXXX).
    assert.equal(visible(shownName('Viewed\t')), '"Viewed\\u0009"')
    assert.equal(shownName(' a\\b'), '" a\\\\b"')
    assert.equal(shownName(''), '""')
    assert.equal(shownName('"Viewed"'), '"\\"Viewed\\""')
    assert.equal(shownName('Order Completed'), 'Order Completed')
  })

  it('the table: "Viewed " and "" quoted, Viewed as it is', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('Viewed'), track('Viewed '), track('Viewed '), track('')]))
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st')])
    assert.equal(r.code, 0, r.stderr)
    const events = /Track events \(3 names\)\n([\s\S]*?)\n\n/.exec(r.stdout)![1]!.split('\n')
    assert.deepEqual(events.map((line) => line.trim().replace(/\s+(\d+)$/, ' = $1')).sort(), ['"" = 1', '"Viewed " = 2', 'Viewed = 1'])
  })

  // A bare name with an escape in it was ambiguous: the BEL character and the six characters
  // `\u0007` both showed as \u0007bell; a zero-width space showed as nothing (`zw`).
  it('a backslash, a control or an invisible character anywhere: quoted, so each reads one way', () => {
    assert.equal(visible(shownName('\u0007bell')), '"\\u0007bell"')
    assert.equal(visible(shownName('\\u0007bell')), '"\\\\u0007bell"')
    assert.equal(visible(shownName('tab\tin')), '"tab\\u0009in"')
    assert.equal(shownName('back\\slash'), '"back\\\\slash"')
    assert.equal(shownName('\u200bzw'), '"\\u200bzw"')
    assert.equal(shownName('bom\ufeff'), '"bom\\ufeff"')
    assert.equal(shownName('x\ud800y'), '"x\\ud800y"')
    assert.equal(shownName('emoji 😀 ok'), 'emoji 😀 ok')
    assert.equal(shownName('ends"'), 'ends"')
  })

  it('the table: the BEL name and the literal \\u0007 name, and a zero-width space, read apart', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('\u0007bell'), track('\\u0007bell'), track('\u200bzw'), track('zw')]))
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st')])
    assert.equal(r.code, 0, r.stderr)
    const events = /Track events \(4 names\)\n([\s\S]*?)\n\n/.exec(r.stdout)![1]!.split('\n')
    assert.deepEqual(events.map((line) => line.trim().replace(/\s+(\d+)$/, ' = $1')).sort(), ['"\\\\u0007bell" = 1', '"\\u0007bell" = 1', '"\\u200bzw" = 1', 'zw = 1'])
  })
})
