/**
 * The export reader's lines (issue #21 item 10): the archive reader's linear splitter and its cap,
 * so one huge line costs neither quadratic time nor its size in memory; it is reported with its
 * file:line and the lines after it are read.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { readExport, type ExportItem } from '../../src/export/read.js'
import { MAX_LINE_CHARS } from '../../src/pipeline/decode/lines.js'
import { gzip, tempDir, writeFile } from '../helpers/files.js'

async function all(inputs: string[]): Promise<ExportItem[]> {
  const out: ExportItem[] = []
  for await (const item of readExport(inputs)) out.push(item)
  return out
}

describe('export reader: line cap', function () {
  this.timeout(60_000)

  it('a line over the cap is a problem at file:line (never parsed), and the next lines are read', async () => {
    const dir = tempDir()
    const huge = JSON.stringify({ event_type: 'Huge', insert_id: 'h', pad: 'x'.repeat(MAX_LINE_CHARS + 10) })
    const lines = [JSON.stringify({ event_type: 'A', insert_id: 'a' }), huge, JSON.stringify({ event_type: 'B', insert_id: 'b' })]
    const file = writeFile(join(dir, '123_2024-05-06_10#0.json.gz'), gzip(lines.join('\n') + '\n'))
    const started = process.cpuUsage()
    const items = await all([file])
    const cpu = process.cpuUsage(started)
    const events = items.filter((i) => i.kind === 'event') as Array<{ event: { insert_id: string }; ref: { line: number } }>
    assert.deepEqual(
      events.map((e) => [e.event.insert_id, e.ref.line]),
      [
        ['a', 1],
        ['b', 3],
      ],
    )
    const problems = items.filter((i) => i.kind === 'problem') as Array<{ file: string; reason: string }>
    assert.deepEqual(problems, [{ kind: 'problem', file: `${file}:2`, reason: `line too long (${huge.length} characters; the cap is ${MAX_LINE_CHARS}): not read` }])
    assert.ok((cpu.user + cpu.system) / 1000 < 5000, `CPU ${(cpu.user + cpu.system) / 1000} ms`)
  })
})
