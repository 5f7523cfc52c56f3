/** The commit stage's counts: what a replay starts from, one row per compiled subscription. */
import { strict as assert } from 'node:assert'
import { emptyReplayCounts } from '../../../src/pipeline/commit/report.js'
import { compileSubscriptions, loadMappings } from '../../../src/segment/subscriptions/index.js'

describe('emptyReplayCounts', () => {
  it('every count zero, every list empty, a row per subscription in order', async () => {
    const subs = compileSubscriptions(await loadMappings())
    const sub = (name: string, actionSlug: string) => ({ name, actionSlug, messages: 0, invalid: 0, byEndpoint: {} })
    assert.deepEqual(emptyReplayCounts(subs), {
      files: 0,
      messages: 0,
      rejected: 0,
      rejectedByReason: {},
      duplicates: 0,
      filtered: {},
      unreadableFiles: [],
      skippedPaths: [],
      planned: 0,
      sent: 0,
      deadLettered: 0,
      deadLetterReasons: {},
      subscriptions: [
        sub('Track Calls', 'logEventV2'),
        sub('Order Completed Calls', 'logPurchase'),
        sub('Page Calls', 'logEventV2'),
        sub('Screen Calls', 'logEventV2'),
        sub('Identify Calls', 'identifyUser'),
      ],
      requests: 0,
      retries: 0,
      throttles: 0,
      throttledMs: 0,
      throttledWallMs: 0,
      mixedUserProperties: 0,
      mappingFallbacks: 0,
    })
    assert.deepEqual(emptyReplayCounts([]).subscriptions, [])
  })

  it("each call is a fresh object: counting into one run's counts leaves another's at zero", async () => {
    const subs = compileSubscriptions(await loadMappings())
    const a = emptyReplayCounts(subs)
    const b = emptyReplayCounts(subs)
    a.rejectedByReason['invalid JSON'] = 1
    a.filtered.since = 2
    a.unreadableFiles.push({ file: 'x', reason: 'y' })
    a.subscriptions[0].messages++
    a.subscriptions[0].byEndpoint.httpapi = { sent: 1, deadLettered: 0 }
    assert.deepEqual([b.rejectedByReason, b.filtered, b.unreadableFiles, b.subscriptions[0].messages, b.subscriptions[0].byEndpoint], [{}, {}, [], 0, {}])
  })
})
