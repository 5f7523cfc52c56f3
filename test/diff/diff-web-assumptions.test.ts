/**
 * Classic web mode vs the Actions presets over a real archive file (compareArchives, as
 * `segamp diff-mappings --classic-mode web` runs it): what the browser SDK generated on its own —
 * its device_id, its revenue_amount events — is reported as counted assumptions, never as a
 * property change of a made-up value nor as a dropped event.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { compareArchives } from '../../src/diff/service.js'
import { PRESETS } from '../../src/segment/actions-amplitude/index.js'
import { checkSubscriptions, compileSubscriptions } from '../../src/segment/subscriptions/index.js'
import { ndjson, tempDir, writeFile } from '../helpers/files.js'

const T = '2024-05-06T10:00:00.000Z'
const context = { library: { name: 'analytics.js', version: '2.11.1' }, page: { path: '/cart', url: 'https://shop.example/cart' } }
const MESSAGES = [
  { type: 'track', event: 'Signed Up', userId: 'user-1', anonymousId: 'anon-1', messageId: 'm1', timestamp: T, context, properties: { plan: 'pro' } },
  { type: 'track', event: 'Upgraded', userId: 'user-1', anonymousId: 'anon-1', messageId: 'm2', timestamp: T, context, properties: { revenue: 20 } },
  { type: 'page', name: 'Cart', userId: 'user-1', anonymousId: 'anon-1', messageId: 'm3', timestamp: T, context, properties: { path: '/cart' } },
]

async function diffWeb(classicSettings: Record<string, unknown>) {
  const dir = tempDir('segamp-diff-web-')
  const file = writeFile(join(dir, 'day.ndjson'), ndjson(MESSAGES))
  const subscriptions = compileSubscriptions(
    checkSubscriptions(
      'presets',
      PRESETS.map((p) => ({ name: p.name, actionSlug: p.partnerAction, trigger: p.subscribe, enabled: true, mapping: p.mapping })),
    ),
  )
  return (
    await compareArchives({
      inputs: [file],
      classicSettings: { apiKey: 'k', trackReferrer: false, ...classicSettings },
      classicMode: 'web',
      subscriptions,
      mappingsSource: 'presets',
    })
  ).report
}

describe('diff, Classic web mode: SDK-generated values are counted assumptions', () => {
  it('device_id unknown (preferAnonymousIdForDeviceId off) and revenue_amount events: counted, not compared, not dropped', async () => {
    const report = await diffWeb({})
    const paths = report.findings.flatMap((f) => f.paths.map((p) => p.path))
    assert.ok(!paths.includes('device_id'), `device_id reported as a property change: ${JSON.stringify(report.findings)}`)
    assert.ok(!report.findings.some((f) => f.classic === 'revenue_amount'), 'revenue_amount paired or dropped')
    const [device, revenue] = report.model.assumptions!
    assert.equal(
      device,
      'Classic web used an SDK-generated device_id on 3 records (the browser SDK\'s own id, not in the archive: preferAnonymousIdForDeviceId off or no anonymousId), so device_id is not compared there; Actions sends the device_id its mapping resolves on 3 records (e.g. "anon-1").',
    )
    assert.equal(
      revenue,
      'Classic web also sent 1 "revenue_amount" event that Actions will not send (the browser SDK logged one per revenue call; Actions puts revenue on the event itself): charts and dashboards counting "revenue_amount" will see none.',
    )
    // Classic sent 4 records (3 events + revenue_amount); the static web assumptions follow the counted ones
    assert.equal(report.totals.classicEvents, 4)
    assert.ok(report.model.assumptions![2]!.startsWith('Classic model: web'))
  })

  it('with preferAnonymousIdForDeviceId the device_id is known and compared: no device assumption', async () => {
    const report = await diffWeb({ preferAnonymousIdForDeviceId: true })
    assert.ok(!report.model.assumptions!.some((a) => a.includes('SDK-generated device_id')))
    assert.ok(report.model.assumptions![0]!.startsWith('Classic web also sent 1 "revenue_amount" event'))
  })
})
