/**
 * diff-mappings --against as a library call: what phase 1 leaves to phase 5. Phase 1 maps only
 * the messages it reads the records of (identify, group) and duplicates; every other message is
 * mapped first when it is compared. A message whose mapping fails must come out the same either
 * way: rejected (unprocessable), left out of the pairing, its stored events only-in-amplitude.
 */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { zipEntries } from '../../src/amplitude/sandbox/export.js'
import { compareAgainstExport } from '../../src/diff/against-service.js'
import { SpillDir } from '../../src/diff/against-spill.js'
import { SegampError } from '../../src/errors.js'
import { exportTime } from '../../src/amplitude/export-api/format.js'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../../src/segment/subscriptions/index.js'
import type { SegmentMessage } from '../../src/types.js'
import { ndjson, tempDir, writeFile } from '../helpers/files.js'

const T = Date.parse('2024-05-06T10:00:00.000Z')
const at = (s: number): string => new Date(T + s * 1000).toISOString()

/** The presets, with every subscription's trigger failing on a message marked `boom` (as a bug in a mapping would). */
async function failingOnBoom(): Promise<CompiledSubscription[]> {
  const subs = compileSubscriptions(await loadMappings(), { apiKey: 'k', endpoint: 'north_america' })
  return subs.map((s) => ({
    ...s,
    match: (m: SegmentMessage) => {
      const bag = (m.properties ?? m.traits) as Record<string, unknown> | undefined
      if (bag?.boom === true) throw new Error('boom')
      return s.match(m)
    },
  }))
}

function stored(ev: Record<string, unknown>): Record<string, unknown> {
  return { $insert_id: null, event_properties: {}, user_properties: {}, groups: {}, library: 'segment', session_id: -1, ...ev }
}

describe('diff-mappings --against: a message whose mapping fails', () => {
  it('is rejected (unprocessable) whether phase 1 or phase 5 maps it; its stored events are only-in-amplitude, with their file and line', async () => {
    const dir = tempDir()
    const messages = [
      { type: 'track', event: 'Song Played', messageId: 'ajs-m1', userId: 'user-00001', timestamp: at(0), receivedAt: at(0), properties: { song: 'a' } },
      // mapped first in phase 5 (a track), paired by user and time in phase 4
      { type: 'track', event: 'Video Watched', messageId: 'ajs-m2', userId: 'user-00002', timestamp: at(1), receivedAt: at(1), properties: { boom: true } },
      // mapped in phase 1 (an identify: its user properties are the tie-break)
      { type: 'identify', messageId: 'ajs-m3', userId: 'user-00003', timestamp: at(2), receivedAt: at(2), traits: { boom: true } },
      // a duplicate is mapped in phase 1: a failing one is a rejection, not a duplicate
      { type: 'track', event: 'Song Played', messageId: 'ajs-m1', userId: 'user-00001', timestamp: at(3), receivedAt: at(3), properties: { boom: true } },
    ]
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson(messages))
    const lines = [
      stored({ $insert_id: 'ajs-m1:CS4fUc2U9U', event_type: 'Song Played', user_id: 'user-00001', event_time: exportTime(T), event_properties: { song: 'a' } }),
      stored({ event_type: 'Video Watched', user_id: 'user-00002', event_time: exportTime(T + 1000), event_properties: { boom: true } }),
      stored({ event_type: '$identify', user_id: 'user-00003', event_time: exportTime(T + 2500), user_properties: { boom: true } }),
    ]
    const zip = await zipEntries([{ name: '187520/187520_2024-05-06_10#0.json.gz', data: gzipSync(ndjson(lines)) }])
    const exp = writeFile(join(dir, 'export', '20240506T10-20240506T10.zip'), zip)
    const r = await compareAgainstExport({
      inputs: [archive],
      exportInputs: [exp],
      subscriptions: await failingOnBoom(),
      mappingsSource: 'presets',
      classicSettings: JSON.parse(readFileSync('test/fixtures/classic-settings.json', 'utf8')),
      classicMode: 'cloud',
      workDir: dir,
      // the archive spans 3 s: with the default 5-minute window its $identify row would lie outside its span (`outsideSpan`)
      identifyWindowMs: 1000,
    })
    assert.equal(r.counts.messages, 1)
    assert.equal(r.counts.duplicates, 0)
    assert.equal(r.counts.rejected, 3)
    assert.deepEqual(r.counts.rejectedByReason, { unprocessable: 3 })
    assert.deepEqual(r.report.against.pairing, { byInsertId: 1, byKey: 0, byWindow: 0, ambiguous: 0, unpaired: 2, duplicateEvents: 0, duplicateMessages: 0, notExportedRecords: 0 })
    assert.deepEqual(r.report.against.byKind, { 'only-in-amplitude': 2, 'only-in-archive': 0, ambiguous: 0, 'outside-archive-span': 0 })
    const only = r.report.against.findings.filter((f) => f.kind === 'only-in-amplitude').map((f) => [f.name, f.count, f.examples[0]!.file, f.examples[0]!.line])
    const file = `${exp}!187520/187520_2024-05-06_10#0.json.gz`
    assert.deepEqual(
      only.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['$identify', 1, file, 3],
        ['Video Watched', 1, file, 2],
      ],
    )
    // the one message compared is the one that mapped
    assert.equal(r.report.totals.messages, 1)
  })
})

describe('diff-mappings --against: the work folder', () => {
  it('a partition that cannot be written (a full disk) names --work-dir and what to do, not an unexpected ENOSPC', function () {
    if (!existsSync('/dev/full')) this.skip()
    const parent = tempDir()
    const spill = new SpillDir(parent)
    try {
      // The partition file is /dev/full: every write fails with ENOSPC, as on a full disk.
      symlinkSync('/dev/full', spill.path('m', 0))
      spill.write('m', 0, { messageId: 'm-1' })
      assert.throws(
        () => spill.flush(),
        (e: Error) => {
          assert.ok(e instanceof SegampError, String(e))
          assert.equal(e.code, 'work-dir')
          assert.equal(e.message, `--work-dir ${parent}: cannot write the comparison's partitions there: no space left on the device (ENOSPC)`)
          assert.match(e.hint ?? '', /^Give --work-dir a folder with room for about the export's uncompressed size/)
          return true
        },
      )
    } finally {
      spill.remove()
    }
  })
})
