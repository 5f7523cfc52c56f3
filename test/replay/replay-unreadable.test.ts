/**
 * A file unreadable on one run is read again by the next run of the same command, even after a
 * run that finished: the lines read before the failure are not sent twice, the rest are sent once.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { gzip, tempDir, writeFile } from '../helpers/files.js'
import { device, replayHarness, trackMessage } from '../helpers/replay.js'

const KEY = 'unreadable-test-key-1a2b3c4d5e6f'
const { run, sandbox } = replayHarness(KEY, 'unreadable-run')

const lines = (from: number, n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify(trackMessage(from + i, device(i % 3)))).join('\n') + '\n'

describe('replay re-reads files that were unreadable', function () {
  this.timeout(60_000)

  it('a file unreadable on a finished run (a transient failure: 0 lines read) is read on the next run; exit 0 then', async () => {
    const dir = tempDir('segamp-unreadable-')
    const gz = gzip(lines(1000, 30))
    // Only the gzip header: nothing decodes (as a permission error or an S3 error at the first byte).
    writeFile(join(dir, 'in', 'a.gz'), gz.subarray(0, 12))
    writeFile(join(dir, 'in', 'b.ndjson'), lines(2000, 20))
    writeFile(join(dir, 'in', 'c.gz'), gz.subarray(0, 12))
    const inputs = [join(dir, 'in')]
    const sb = await sandbox()
    const stateDir = join(dir, 'state')
    const first = await run({ inputs, endpointUrl: sb.url, stateDir })
    assert.equal(first.exitCode, 3)
    assert.deepEqual(
      first.unreadableFiles.map((u) => u.file.split('/').pop()),
      ['a.gz', 'c.gz'],
    )
    assert.equal(sb.events.length, 20)
    // The failure was transient: the files can be read now.
    writeFile(join(dir, 'in', 'a.gz'), gz)
    writeFile(join(dir, 'in', 'c.gz'), gzip(lines(3000, 10)))
    const second = await run({ inputs, endpointUrl: sb.url, stateDir })
    assert.equal(second.alreadyDone, false)
    assert.equal(second.exitCode, 0)
    assert.deepEqual(second.unreadableFiles, [])
    assert.equal(second.files, 3)
    assert.equal(second.messages, 60)
    assert.equal(second.sent, 60)
    const ids = sb.events.map((e) => String(e.event.insert_id))
    assert.equal(ids.length, 60)
    assert.equal(new Set(ids).size, 60)
    const third = await run({ inputs, endpointUrl: sb.url, stateDir })
    assert.equal(third.alreadyDone, true)
  })

  it('a file that failed half-way is read again from where it failed: the lines read before are not sent again', async () => {
    const dir = tempDir('segamp-unreadable-')
    const gz = gzip(lines(1000, 300))
    writeFile(join(dir, 'in', 'a.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)))
    writeFile(join(dir, 'in', 'b.ndjson'), lines(2000, 20))
    const inputs = [join(dir, 'in')]
    const sb = await sandbox()
    const stateDir = join(dir, 'state')
    const first = await run({ inputs, endpointUrl: sb.url, stateDir })
    assert.equal(first.exitCode, 3)
    const sentBefore = sb.events.length
    assert.ok(sentBefore > 20 && sentBefore < 320)
    const second = await run({ inputs, endpointUrl: sb.url, stateDir })
    assert.equal(second.exitCode, 3, 'still truncated')
    assert.equal(second.unreadableFiles.length, 1)
    assert.equal(second.files, 2)
    assert.equal(sb.events.length, sentBefore, 'nothing read twice')
    assert.equal(sb.stats().duplicatesDiscarded, 0)
  })
})
