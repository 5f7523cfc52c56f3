/**
 * The text report as people read it in a terminal, with the event names real data holds: very
 * long ones, and names in scripts whose characters take two columns.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import stringWidth from 'string-width'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, writeFile } from '../helpers/files.js'

const CLASSIC = 'test/fixtures/classic-settings.json'

function page(n: number, name: string): Record<string, unknown> {
  return { type: 'page', name, messageId: `p${n}`, userId: `user-0000${n}`, timestamp: '2024-05-06T10:00:00.000Z', receivedAt: '2024-05-06T10:00:00.000Z', properties: {} }
}

describe('diff-mappings text report: names from the data', () => {
  it('one very long name does not widen every row; wide characters are aligned by the columns they take', async () => {
    const dir = tempDir()
    const long = `Checkout ${'step '.repeat(60)}done`
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([page(1, 'Home'), page(2, '注文完了'), page(3, 'Pricing'), page(4, long)]))
    const r = await runCli(['diff-mappings', archive, '--classic', CLASSIC, '--no-progress'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.split('\n')
    const start = lines.indexOf('Renamed: Actions sends another name (4 messages)')
    assert.ok(start >= 0, r.stdout)
    const rows = lines.slice(start + 1, start + 5)
    const short = rows.filter((l) => !l.includes('step'))
    assert.deepEqual(
      short.map((l) => l.trim().replace(/ +/g, ' ')),
      ['Viewed Home Page → Viewed Home (1 message)', 'Viewed Pricing Page → Viewed Pricing (1 message)', 'Viewed 注文完了 Page → Viewed 注文完了 (1 message)'],
    )
    // the short rows: arrows and counts in the same terminal column, and no wider than they need
    const col = (l: string, s: string): number => stringWidth(l.slice(0, l.indexOf(s)))
    assert.equal(new Set(short.map((l) => col(l, '→'))).size, 1, short.join('\n'))
    assert.equal(new Set(short.map((l) => col(l, '('))).size, 1, short.join('\n'))
    for (const l of short) assert.ok(stringWidth(l) < 80, l)
    // the long one is whole, on its own row
    assert.equal(rows.filter((l) => l.includes(`Viewed ${long} Page → Viewed ${long}  (1 message)`)).length, 1, rows.join('\n'))
  })
})
