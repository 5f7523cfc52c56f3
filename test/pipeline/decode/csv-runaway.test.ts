/**
 * A CSV record is capped like an NDJSON line (issue #21 item 9): one unclosed quote used to turn the
 * rest of a file into one record as large as the file. The record over the cap is reported with
 * its file:line, and reading resumes at the next line, which parses as a record of its own.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { MAX_LINE_CHARS } from '../../../src/pipeline/decode/lines.js'
import { collect } from '../../helpers/archive.js'
import { tempDir, writeFile } from '../../helpers/files.js'

// Unquoted cells (the format allows them; no JSON columns): after one stray opening quote, no
// other quote ever closes the field, so it runs to the end of the file.
const header = 'event_name,event_type,user_id,timestamp,message_id'
const row = (id: string, pad = '') => ['Viewed' + pad, 'track', 'u-1', '2026-01-02T03:04:05.678Z', id].join(',')

describe('CSV: record cap and resynchronisation', function () {
  this.timeout(60_000)

  it('an unclosed quote loses its own line only: the rows after it are read, the loss is reported at file:line', async () => {
    const dir = tempDir()
    const after = Math.ceil((MAX_LINE_CHARS * 1.5) / 600)
    const lines = [header, row('m-1'), row('m-2'), `"Broken,track,u-1,2026-01-02T03:04:05.678Z,m-broken`]
    for (let i = 0; i < after; i++) lines.push(row(`r-${i}`, 'y'.repeat(500)))
    const file = writeFile(join(dir, 'runaway.csv'), lines.join('\n') + '\n')
    const items = await collect([file])
    const messages = items.filter((i) => i.kind === 'message')
    const rejected = items.filter((i) => i.kind === 'rejected') as Array<{ ref: { line: number }; reason: string; category: string }>
    assert.equal(messages.length, 2 + after, `every row but the broken one is read (${messages.length})`)
    assert.deepEqual(
      rejected.map((r) => [r.ref.line, r.category]),
      [[4, 'invalid CSV']],
    )
    assert.match(rejected[0].reason, /^invalid CSV: a record from line 4 runs over 4194304 characters \(an unclosed quote\?\); line 4 is lost, reading resumed at line 5$/)
    assert.deepEqual((messages.at(-1) as { ref: { line: number } }).ref.line, 4 + after)
  })
})
