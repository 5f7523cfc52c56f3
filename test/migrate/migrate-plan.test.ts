/** Issue 16: the --apply plan (pure) and the Public API client's bounded 429 handling. */
import { strict as assert } from 'node:assert'
import { planMigration, planIsEmpty, subscriptionDiff, type ExistingSubscription } from '../../src/migrate/plan.js'
import { migrateClassic } from '../../src/migrate/index.js'
import { SegmentApiClient, SegmentApiError } from '../../src/segment/public-api/client.js'
import { FakeSegmentApi } from '../helpers/segment-public-api.js'

const m = migrateClassic({ apiKey: 'k', secretKey: 's', sendAlias: true }, { names: 'classic' })
const generated = { settings: m.destination.settings, subscriptions: m.subscriptions }
const asExisting = (extra: Partial<ExistingSubscription> = {}): ExistingSubscription[] =>
  m.subscriptions.map((s, i) => ({
    id: `sub_${i}`,
    name: s.name,
    actionSlug: s.actionSlug,
    enabled: s.enabled,
    trigger: s.trigger,
    settings: structuredClone(s.settings),
    ...(i === 0 ? extra : {}),
  }))
const dest = (settings: Record<string, unknown> = { apiKey: 'k', secretKey: 's', endpoint: 'north_america' }, enabled = false) => ({
  id: 'd1',
  name: 'A',
  enabled,
  sourceId: 'src',
  settings,
})

describe('migrate plan', () => {
  it('new destination: created disabled (enabled only with --enable), every subscription created', () => {
    const p = planMigration(generated, undefined)
    assert.equal(p.destination.kind, 'create')
    assert.equal(p.destination.enabled, false)
    assert.deepEqual(p.destination.settings, { apiKey: 'k', secretKey: 's', endpoint: 'north_america' })
    assert.deepEqual(
      p.subscriptions.map((s) => s.kind),
      m.subscriptions.map(() => 'create'),
    )
    assert.equal(planMigration(generated, undefined, { enable: true }).destination.enabled, true)
  })

  it('identical destination: all unchanged, key order does not matter', () => {
    const subs = asExisting()
    subs[1]!.settings = Object.fromEntries(Object.entries(subs[1]!.settings).reverse())
    const p = planMigration(generated, { destination: dest(), subscriptions: subs })
    assert.ok(planIsEmpty(p))
    assert.deepEqual(
      subscriptionDiff(p).unchanged,
      m.subscriptions.map((s) => s.name),
    )
  })

  it('names the fields that differ, never their values', () => {
    const p = planMigration(generated, {
      destination: dest({ apiKey: 'OLD', secretKey: 's', endpoint: 'europe' }),
      subscriptions: asExisting({ trigger: 'type = "track"', enabled: false }),
    })
    assert.equal(p.destination.kind, 'update')
    assert.deepEqual(p.destination.changes, ['settings.apiKey', 'settings.endpoint'])
    assert.deepEqual(p.destination.settings, { apiKey: 'k', endpoint: 'north_america' })
    assert.deepEqual(p.subscriptions[0]!.changes, ['trigger', 'enabled'])
  })

  it('a masked setting is not compared or written; an enabled destination is flagged as live', () => {
    const p = planMigration(generated, { destination: dest({ apiKey: 'k', secretKey: '••••••1234', endpoint: 'north_america' }, true), subscriptions: asExisting() })
    assert.equal(p.destination.kind, 'unchanged')
    assert.match(p.destination.notes.join('\n'), /secretKey: shown masked/)
    assert.match(p.destination.notes.join('\n'), /enabled: subscription changes take effect on live traffic/)
  })

  it('an action change is a conflict without --prune and a replacement with it; duplicate names are conflicts', () => {
    const subs = asExisting({ actionSlug: 'logEvent' })
    assert.equal(planMigration(generated, { destination: dest(), subscriptions: subs }).conflicts.length, 1)
    const pruned = planMigration(generated, { destination: dest(), subscriptions: subs }, { prune: true })
    assert.deepEqual(pruned.conflicts, [])
    assert.equal(pruned.subscriptions[0]!.kind, 'replace')
    const dup = asExisting()
    dup.push({ ...dup[0]!, id: 'other' })
    assert.match(planMigration(generated, { destination: dest(), subscriptions: dup }).conflicts[0]!, /more than one subscription named "Track Calls"/)
  })

  it('a permanent 429 gives up after the retries, with what to do', async () => {
    const api = await new FakeSegmentApi({ token: 't', classicSettings: {}, rateLimitEvery: 1, retryAfter: '0' }).start()
    try {
      const waits: number[] = []
      const client = new SegmentApiClient({ baseUrl: api.url, token: 't', maxRetries: 3, sleep: async (ms) => void waits.push(ms) })
      await assert.rejects(
        client.getDestination('dst_classic'),
        // Retry later (75): a rerun later goes through.
        (e: SegmentApiError) => e.status === 429 && e.exitCode === 75 && /rate limited .* 4 times .*run the same command again/.test(e.message),
      )
      assert.equal(api.requests.length, 4)
      assert.deepEqual(waits, [0, 0, 0])
      const slow = await new FakeSegmentApi({ token: 't', classicSettings: {}, rateLimitEvery: 1, retryAfter: '600' }).start()
      try {
        const c2 = new SegmentApiClient({ baseUrl: slow.url, token: 't', sleep: async () => {} })
        await assert.rejects(c2.getDestination('x'), (e: SegmentApiError) => e.exitCode === 75 && /asks to wait 600 s/.test(e.message))
      } finally {
        await slow.stop()
      }
    } finally {
      await api.stop()
    }
  })
})
