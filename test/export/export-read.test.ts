/**
 * The export reader's lines (issue #21 item 10): the archive reader's linear splitter and its cap,
 * so one huge line costs neither quadratic time nor its size in memory; it is reported with its
 * file:line and the lines after it are read.
 */
import { strict as assert } from 'node:assert'
import { execFileSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { isUnreadableExportProblem, readExport, type ExportItem } from '../../src/export/read.js'
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

describe('export reader: named pipes', function () {
  this.timeout(20_000)

  it('a named pipe given by name is read once (--against <(…)): its lines, then the end, never a second open that waits forever', async function () {
    const dir = tempDir()
    const pipe = join(dir, 'export.json')
    execFileSync('mkfifo', [pipe])
    const lines = [JSON.stringify({ event_type: 'A', insert_id: 'a' }), JSON.stringify({ event_type: 'B', insert_id: 'b' })]
    // The writer: opens the pipe (it waits for the reader), writes gzip, closes. Before, the reader
    // opened the pipe twice: the first open took the writer's data or its end, the second waited.
    const writer = createWriteStream(pipe)
    writer.end(gzip(lines.join('\n') + '\n'))
    const items = await all([pipe])
    const events = items.filter((i) => i.kind === 'event') as Array<{ event: { insert_id: string } }>
    assert.deepEqual(
      events.map((e) => e.event.insert_id),
      ['a', 'b'],
    )
    assert.deepEqual(
      items.filter((i) => i.kind === 'problem'),
      [],
    )
  })

  it('a zip through a pipe is said to be one (a zip needs its end first); a named pipe inside a folder is not opened', async () => {
    const dir = tempDir()
    const pipe = join(dir, 'export.zip.pipe')
    execFileSync('mkfifo', [pipe])
    const writer = createWriteStream(pipe)
    writer.on('error', () => undefined) // the reader stops after the first bytes
    writer.end(Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.alloc(100)]))
    const zip = (await all([pipe])).filter((i) => i.kind === 'problem') as Array<{ file: string; reason: string }>
    assert.equal(zip.length, 1)
    assert.match(zip[0]!.reason, /^a zip read through a pipe: .*give the path of the zip file/)
    assert.equal(isUnreadableExportProblem(zip[0]!), true)
    const folder = join(dir, 'export')
    writeFile(join(folder, '123_2024-05-06_10#0.json.gz'), gzip(JSON.stringify({ event_type: 'A', insert_id: 'a' }) + '\n'))
    execFileSync('mkfifo', [join(folder, 'stray.fifo')])
    const items = await all([folder])
    assert.equal(items.filter((i) => i.kind === 'event').length, 1)
    const problems = items.filter((i) => i.kind === 'problem') as Array<{ file: string; reason: string }>
    assert.deepEqual(problems, [{ kind: 'problem', file: join(folder, 'stray.fifo'), reason: 'a named pipe (FIFO), not a regular file: not read' }])
    assert.equal(isUnreadableExportProblem(problems[0]!), false)
  })
})
