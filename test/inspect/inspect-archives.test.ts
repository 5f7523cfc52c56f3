/** `inspectArchives`: the profile of an archive and its rejected.ndjson (decode and route composed by inspect). */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { inspectArchives } from '../../src/inspect/index.js'
import { gzip, readNdjson, tempDir, track, writeFile } from '../helpers/files.js'

describe('inspectArchives', () => {
  it('profiles messages and writes every rejected line with file, line, reason and text', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'day.gz'),
      gzip(
        [
          JSON.stringify(track('Order Completed', { messageId: 'm1', timestamp: '2024-05-06T01:00:00.000Z' })),
          JSON.stringify(track('Order Completed', { messageId: 'm1', timestamp: '2024-05-06T01:00:00.000Z' })),
          JSON.stringify({ type: 'page', name: 'Home', messageId: 'm2', anonymousId: 'abc', timestamp: '2024-05-06T02:00:00.000Z' }),
          JSON.stringify({ type: 'identify', messageId: 'm3', userId: 'u1', context: { device: { id: 'device-1' } }, timestamp: '2024-05-05T02:00:00.000Z' }),
          JSON.stringify(track('Hidden', { messageId: 'm4', integrations: { All: false } })),
          'not json',
          '{"type":"nope"}',
        ].join('\n'),
      ),
    )
    const state = tempDir()
    const { report, rejectedFile } = await inspectArchives({ inputs: [file], rejectedPath: join(state, 'rejected.ndjson') })
    assert.deepEqual(report, {
      files: 1,
      messages: 5,
      kept: 4,
      byType: { track: 2, identify: 1, page: 1 },
      byEvent: { 'Order Completed': 2 },
      rejected: 2,
      rejectedByReason: { 'invalid JSON': 1, 'unknown type': 1 },
      duplicates: 1,
      filtered: { integrations: 1 },
      timeRange: { from: '2024-05-05T02:00:00.000Z', to: '2024-05-06T02:00:00.000Z' },
      ids: {
        userId: 3,
        anonymousId: 3,
        deviceId: 1,
        userIdShare: 0.75,
        anonymousIdShare: 0.75,
        deviceIdShare: 0.25,
        shortUserId: 1,
        shortAnonymousId: 1,
        shortDeviceId: 0,
        noId: 0,
      },
      unreadableFiles: [],
      skippedPaths: [],
      subscriptions: {},
    })
    assert.equal(rejectedFile, join(state, 'rejected.ndjson'))
    const rejected = readNdjson(rejectedFile!) as Array<Record<string, unknown>>
    assert.equal(rejected.length, 2)
    assert.deepEqual(rejected[1], { file, line: 7, reason: 'unknown type: "nope" is not one of track, page, screen, identify, group, alias', text: '{"type":"nope"}' })
    assert.equal(rejected[0].line, 6)
    assert.equal(rejected[0].text, 'not json')
    assert.match(rejected[0].reason as string, /^invalid JSON: Unexpected token/)
  })
})
