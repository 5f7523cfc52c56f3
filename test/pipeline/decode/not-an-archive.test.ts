/**
 * A file in another compressed or archive format (an Amplitude export's zip next to the Segment
 * archive, a .bz2, .xz or .zst copy) is no archive segamp reads: it is reported unreadable, by name
 * and format, instead of being split into hundreds of "invalid JSON" lines of binary.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { collect } from '../../helpers/archive.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../../helpers/files.js'
import { zipEntries } from '../../../src/amplitude/sandbox/export.js'
import { runCli } from '../../helpers/cli.js'

describe('files in a format segamp does not read', () => {
  for (const blocks of [false, true]) {
    it(`a zip, bzip2, xz and zstd file are unreadable, named by format; no line of them is rejected (${blocks ? 'blocks' : 'lines'})`, async () => {
      const dir = tempDir()
      const body = Buffer.from(ndjson(Array.from({ length: 50 }, (_, i) => track('T', { messageId: `z${i}` }))))
      writeFile(join(dir, 'a.gz'), gzip(ndjson([track('Kept', { messageId: 'kept' })])))
      writeFile(join(dir, 'export.zip'), await zipEntries([{ name: '187520/187520_2024-05-06_10#0.json.gz', data: gzipSync(body) }]))
      writeFile(join(dir, 'b.bz2'), Buffer.concat([Buffer.from('BZh91AY&SY'), body]))
      writeFile(join(dir, 'c.xz'), Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), body]))
      writeFile(join(dir, 'd.zst'), Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), body]))
      const items = await collect([dir], { blocks })
      assert.deepEqual(
        items.filter((i) => i.kind === 'rejected'),
        [],
      )
      const unreadable = (items.filter((i) => i.kind === 'unreadable') as Array<{ file: string; reason: string }>).map((u) => `${u.file.slice(dir.length + 1)}: ${u.reason}`)
      assert.deepEqual(unreadable, [
        'b.bz2: a bzip2 file: segamp reads gzip, NDJSON and CSV; decompress it first (bunzip2)',
        'c.xz: an xz file: segamp reads gzip, NDJSON and CSV; decompress it first (unxz)',
        'd.zst: a zstd file: segamp reads gzip, NDJSON and CSV; decompress it first (unzstd)',
        'export.zip: a zip file: segamp reads gzip, NDJSON and CSV; unzip it first (an Amplitude export is read by diff-mappings --against)',
      ])
    })
  }

  it('inspect over a folder holding an Amplitude export: exit 3 naming the zip, not 256 invalid JSON lines', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'amplitude-export', '20240506T00-20240506T23.zip'), await zipEntries([{ name: '1/1_2024-05-06_0#0.json.gz', data: gzipSync('{"a":1}\n') }]))
    const r = await runCli(['inspect', join(dir, 'amplitude-export'), '--json'])
    assert.equal(r.code, 3, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.rejected, 0)
    assert.match(report.unreadableFiles[0].reason, /^a zip file: segamp reads gzip, NDJSON and CSV/)
  })
})
