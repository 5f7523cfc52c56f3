/** A replay's settings: built once, the API key only in delivery's part (never shipped to a worker thread). */
import { strict as assert } from 'node:assert'
import { runSettings, DRY_RUN_API_KEY } from '../../src/replay/settings.js'
import { toWorkerSettings } from '../../src/pipeline/workers.js'
import { compileSubscriptions, loadMappings } from '../../src/segment/subscriptions/index.js'

describe('replay settings', () => {
  it('the API key goes to delivery only; the planner and the threads never carry it', async () => {
    const subscriptions = compileSubscriptions(await loadMappings(), { endpoint: 'north_america' })
    const key = 'secret-key-0123456789abcdef'
    const s = runSettings({ inputs: [], subscriptions, mappingsSource: 'presets', runId: 'r', stateDir: 'st', apiKey: key, skipUserPropertiesSync: true, useBatchEndpoint: true })
    assert.equal(s.delivery.packing.apiKey, key)
    const threads = toWorkerSettings(s.planner)
    assert.ok(threads)
    assert.ok(!JSON.stringify(threads).includes(key))
    assert.ok(!JSON.stringify(s.planner, (k, v) => (k === 'subscriptions' ? undefined : v)).includes(key))
    // the planner's settings reach the threads as they are
    assert.equal(threads.skipUserPropertiesSync, true)
    assert.equal(threads.useBatchEndpoint, true)
    assert.equal(threads.subscriptions.length, subscriptions.length)
  })

  it('a dry run without a key packs with the placeholder key; a dry run keeps no record objects in its plans', async () => {
    const s = runSettings({ inputs: [], subscriptions: [], mappingsSource: 'presets', runId: 'r', stateDir: 'st', dryRun: true, out: 'x.ndjson' })
    assert.equal(s.delivery.packing.apiKey, DRY_RUN_API_KEY)
    assert.equal(s.delivery.outIncludeKeys, false)
    assert.equal(s.planner.keepRecords, false)
    assert.equal(s.planner.forOut, true)
  })
})
