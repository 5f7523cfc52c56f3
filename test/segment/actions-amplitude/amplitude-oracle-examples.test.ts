/**
 * Differential test over the bundled example archive (examples/segment-logs, 600 messages from
 * web / iOS / Android / server sources): for every message and every Quick Setup preset plus the
 * groupIdentifyUser and mapUser default subscriptions, segamp's subscription pipeline
 * (checkSubscriptions → compileSubscriptions → runSubscriptions) must match the published
 * @segment/action-destinations Amplitude destination run locally (test/helpers/oracle.ts):
 * the same subscriptions match (reference: @segment/destination-subscriptions), and each gives
 * the same records per endpoint (deep-equal and same JSON key order) or the same error text.
 *
 * insert_id: segamp derives `<messageId>-<salt>` when the mapping gives none (deliberate
 * difference 1, docs/deliberate-differences.md). Rather than stripping it (which would skip
 * checking where it lands, e.g. logPurchase's `-2`, `-3` product suffixes and the groupIdentify
 * association record), the reference runs with that same id mapped as a literal `insert_id`,
 * which the document says must give identical records.
 *
 * Clock: groupIdentifyUser uses "now" for a missing `time`; segamp gets `{ now }` and the
 * reference's `dayjs.utc(undefined)` is pinned to the same instant.
 */
import { strict as assert } from 'node:assert'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openArchive } from '../../../src/pipeline/decode/reader.js'
import type { SegmentMessage } from '../../../src/types.js'
import { DEFAULT_SUBSCRIPTIONS, PRESETS, defaultValues, endpointUrl, type ActionSettings } from '../../../src/segment/actions-amplitude/index.js'
import {
  checkSubscriptions,
  compileSubscriptions,
  insertIdBase,
  runSubscriptions,
  type CompiledSubscription,
  type SubscriptionSpec,
} from '../../../src/segment/subscriptions/index.js'
import { AmplitudeDestination, core, endpointOf, installFetchCapture, runReference, startReference, type Obj } from '../../helpers/oracle.js'
import { runCli } from '../../helpers/cli.js'

const require = createRequire(import.meta.url)
const fql = require('@segment/destination-subscriptions') as { parseFql(s: string): unknown; validate(ast: unknown, event: unknown): boolean }

const ARCHIVE = fileURLToPath(new URL('../../../examples/segment-logs', import.meta.url))
const NOW = Date.UTC(2024, 4, 9, 12, 0, 0)
const PLATFORMS: Record<string, string> = { 'analytics.js': 'web', 'analytics-ios': 'ios', 'analytics-android': 'android', 'analytics-node': 'server' }
const REGIONS = ['north_america', 'europe'] as const

const refActions = AmplitudeDestination.actions as Record<string, { defaultSubscription: string; fields: Obj }>

const SPECS: SubscriptionSpec[] = [
  ...PRESETS.map((p) => ({ name: p.name, actionSlug: p.partnerAction, trigger: p.subscribe, enabled: true, mapping: p.mapping })),
  {
    name: 'Group Calls (groupIdentifyUser defaults)',
    actionSlug: 'groupIdentifyUser',
    trigger: DEFAULT_SUBSCRIPTIONS.groupIdentifyUser,
    enabled: true,
    mapping: { ...defaultValues('groupIdentifyUser'), group_type: 'company', group_value: { '@path': '$.groupId' } },
  },
  { name: 'Alias Calls (mapUser defaults)', actionSlug: 'mapUser', trigger: DEFAULT_SUBSCRIPTIONS.mapUser, enabled: true, mapping: defaultValues('mapUser') },
]

async function readExamples(): Promise<SegmentMessage[]> {
  const archive = await openArchive([ARCHIVE])
  const messages: SegmentMessage[] = []
  for await (const item of archive.items()) {
    if (item.kind === 'message') messages.push(item.message)
    else assert.ok(item.kind === 'file' || item.kind === 'end', JSON.stringify(item))
  }
  return messages
}

const emptyId = (v: unknown) => v === undefined || v === null || v === ''

/** The version of Segment's production lockfile (segmentio/action-destinations yarn.lock). */
const PRODUCTION_UA_PARSER = '0.7.25'
const AMPLITUDE_MODULE = '@segment/action-destinations/dist/destinations/amplitude/index.js'

/** Version of @amplitude/ua-parser-js as resolved from `fromFile` (walks up to its package.json). */
function uaParserVersion(fromFile: string): string {
  const entry = createRequire(fromFile).resolve('@amplitude/ua-parser-js')
  let dir = dirname(entry)
  for (;;) {
    try {
      const pkg = createRequire(join(dir, 'x.js'))('./package.json') as { name?: string; version: string }
      if (pkg.name === '@amplitude/ua-parser-js') return pkg.version
    } catch {
      // no package.json here
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${entry}`)
    dir = up
  }
}

/** Desktop Mac browsers: where parser versions disagree (0.7.25: device_model "Mac OS", no manufacturer). */
const MAC_DESKTOP_UA = /Macintosh/
const UA_PARSED = 135
const MAC_DESKTOP = 37

describe('amplitude actions: example archive vs @segment/action-destinations', function () {
  this.timeout(30_000)
  let uninstall: () => void
  before(() => {
    startReference()
    uninstall = installFetchCapture()
  })
  after(() => uninstall())

  it(`segamp and the reference both resolve the production user-agent parser (${PRODUCTION_UA_PARSER})`, () => {
    assert.equal(uaParserVersion(fileURLToPath(import.meta.url)), PRODUCTION_UA_PARSER)
    assert.equal(uaParserVersion(require.resolve(AMPLITUDE_MODULE)), PRODUCTION_UA_PARSER)
  })

  it("runs Segment's own presets and default subscriptions", () => {
    const refPresets = (AmplitudeDestination.presets as Obj[])
      .filter((p) => p.partnerAction !== 'sessionId')
      .map(({ name, subscribe, partnerAction, mapping }) => ({ name, subscribe, partnerAction, mapping }))
    assert.deepStrictEqual(PRESETS, refPresets)
    assert.equal(refActions.groupIdentifyUser!.defaultSubscription, 'type = "group"')
    assert.equal(refActions.mapUser!.defaultSubscription, 'type = "alias"')
    for (const slug of ['groupIdentifyUser', 'mapUser'] as const) {
      assert.equal(DEFAULT_SUBSCRIPTIONS[slug], refActions[slug]!.defaultSubscription)
      assert.deepStrictEqual(defaultValues(slug), core.defaultValues(refActions[slug]!.fields))
    }
  })

  it('identical matches and records for every example message', async () => {
    const messages = await readExamples()
    const loaded = checkSubscriptions('example oracle', SPECS)
    const compiled = REGIONS.map((endpoint) => compileSubscriptions(loaded, { apiKey: 'KEY', secretKey: 'SECRET', endpoint }))
    const asts = SPECS.map((s) => fql.parseFql(s.trigger))

    const perPlatform: Record<string, number> = {}
    const perSubscription: Record<string, { ok: number; err: number }> = {}
    const perEndpoint: Record<string, number> = {}
    let records = 0
    let pinnedTimes = 0
    let withInsertId = 0
    // user-agent parsing is on in the presets: count the records it shaped (Mac desktop browsers
    // are where parser versions disagree: 0.7.25 gives device_model "Mac OS", no manufacturer)
    let uaParsed = 0
    let macDesktop = 0

    for (const [i, message] of messages.entries()) {
      const library = (message.context?.library as { name?: string } | undefined)?.name
      const platform = PLATFORMS[String(library)]
      assert.ok(platform, `message #${i}: unknown library ${library}`)
      perPlatform[platform] = (perPlatform[platform] ?? 0) + 1

      const region = REGIONS[i % 2]!
      const settings: ActionSettings = { apiKey: 'KEY', secretKey: 'SECRET', endpoint: region }
      const pristine = JSON.stringify(message)
      const where = `message #${i} ${pristine}`

      const matched = SPECS.filter((_, k) => fql.validate(asts[k], JSON.parse(pristine)))
      const outcomes = runSubscriptions(compiled[i % 2]!, message, { now: () => NOW })
      assert.deepStrictEqual(
        outcomes.map((o) => o.subscription.name),
        matched.map((s) => s.name),
        `${where}: matched subscriptions`,
      )
      assert.ok(matched.length > 0, `${where}: no subscription matched`)

      for (const [k, outcome] of outcomes.entries()) {
        const spec = matched[k]!
        const sub: CompiledSubscription = outcome.subscription
        const event = JSON.parse(pristine) as Obj
        const resolved = core.transform(spec.mapping, event) as Obj
        const refMapping =
          sub.actionSlug !== 'mapUser' && emptyId(resolved.insert_id) ? { ...spec.mapping, insert_id: `${insertIdBase(message)}-${sub.insertIdSalt}` } : spec.mapping
        const expected = await runReference(sub.actionSlug, event, refMapping, settings, { now: NOW })
        const at = `${where}\n  subscription ${spec.name}`
        const s = (perSubscription[spec.name] ??= { ok: 0, err: 0 })
        if (expected.ok) {
          s.ok++
          assert.ok(outcome.ok, `${at}: expected records, got error ${!outcome.ok && outcome.reason}`)
          assert.deepStrictEqual(outcome.records, expected.records, at)
          assert.equal(JSON.stringify(outcome.records), JSON.stringify(expected.records), at)
          for (const u of expected.urls) assert.equal(endpointUrl(endpointOf(new URL(u)), region), u, at)
          for (const r of expected.records) {
            perEndpoint[r.endpoint] = (perEndpoint[r.endpoint] ?? 0) + 1
            if (r.record.time === NOW) pinnedTimes++
            if (typeof r.record.insert_id === 'string') withInsertId++
            const ua = (message.context as Obj | undefined)?.userAgent
            if (typeof ua === 'string' && r.record.os_name !== undefined && r.record.device_model !== undefined) {
              uaParsed++
              if (MAC_DESKTOP_UA.test(ua)) {
                assert.equal(r.record.device_model, 'Mac OS', at)
                assert.equal('device_manufacturer' in r.record, false, at)
                macDesktop++
              }
            }
          }
          records += expected.records.length
        } else {
          s.err++
          assert.deepStrictEqual(outcome.ok ? outcome : { ok: false, reason: outcome.reason }, { ok: false, reason: expected.reason }, at)
        }
      }
      assert.equal(JSON.stringify(message), pristine, `${where}: segamp modified the message`)
    }

    assert.deepStrictEqual(perPlatform, { web: 157, ios: 147, android: 152, server: 144 })
    assert.equal(messages.length, 600)
    assert.deepStrictEqual(
      { records, perEndpoint, withInsertId, pinnedTimes, uaParsed, macDesktop, perSubscription },
      {
        records: 789,
        perEndpoint: { httpapi: 519, identify: 176, groupidentify: 72, usermap: 22 },
        // all but usermap and groupidentify records (no insert_id there) carry the derived id
        withInsertId: 695,
        // every example group message has a timestamp; the pinned clock is exercised below
        pinnedTimes: 0,
        uaParsed: UA_PARSED,
        macDesktop: MAC_DESKTOP,
        perSubscription: {
          'Track Calls': { ok: 215, err: 0 },
          'Order Completed Calls': { ok: 58, err: 0 },
          'Page Calls': { ok: 60, err: 0 },
          'Screen Calls': { ok: 69, err: 0 },
          'Identify Calls': { ok: 104, err: 0 },
          'Group Calls (groupIdentifyUser defaults)': { ok: 72, err: 0 },
          'Alias Calls (mapUser defaults)': { ok: 22, err: 0 },
        },
      },
    )
  })

  it('replay --dry-run of the example (presets, user-agent parsing on) sends the reference records, record for record', async function () {
    this.timeout(120_000)
    const dir = await mkdtemp(join(tmpdir(), 'segamp-oracle-dry-'))
    try {
      const out = join(dir, 'requests.ndjson')
      const run = await runCli(['replay', ARCHIVE, '--dry-run', '--out', out, '--api-key', 'KEY', '--no-progress', '--state-dir', join(dir, 'state')], { timeoutMs: 110_000 })
      assert.equal(run.code, 0, run.stderr)
      // what the dry run would send, per endpoint, one JSON text per record
      const sent: Record<string, string[]> = {}
      for (const line of (await readFile(out, 'utf8')).split('\n')) {
        if (line === '') continue
        const req = JSON.parse(line) as { url: string; body: string }
        const endpoint = endpointOf(new URL(req.url))
        const list = (sent[endpoint] ??= [])
        if (endpoint === 'httpapi' || endpoint === 'batch') {
          for (const ev of (JSON.parse(req.body) as { events: unknown[] }).events) list.push(JSON.stringify(ev))
        } else {
          const form = new URLSearchParams(req.body)
          const items = JSON.parse(form.get(endpoint === 'usermap' ? 'mapping' : 'identification')!) as unknown
          for (const it of Array.isArray(items) ? items : [items]) list.push(JSON.stringify(it))
        }
      }
      // the reference, message by message, with the presets (replay's default mappings)
      const presets = SPECS.filter((s) => PRESETS.some((p) => p.name === s.name))
      const subs = compileSubscriptions(checkSubscriptions('example oracle', presets), { apiKey: 'KEY', endpoint: 'north_america' })
      const asts = presets.map((s) => fql.parseFql(s.trigger))
      const expected: Record<string, string[]> = {}
      let macDesktop = 0
      let routedAway = 0
      for (const message of await readExamples()) {
        const pristine = JSON.stringify(message)
        // Segment's routing: `integrations.All: false` without an Amplitude key never reaches the destination
        const integrations = message.integrations as Obj | undefined
        if (integrations?.All === false && !integrations.Amplitude && !integrations['Actions Amplitude']) {
          routedAway++
          continue
        }
        for (const [k, spec] of presets.entries()) {
          if (!fql.validate(asts[k], JSON.parse(pristine))) continue
          const sub = subs[k]!
          const resolved = core.transform(spec.mapping, JSON.parse(pristine)) as Obj
          const mapping = emptyId(resolved.insert_id) ? { ...spec.mapping, insert_id: `${insertIdBase(message)}-${sub.insertIdSalt}` } : spec.mapping
          const ref = await runReference(sub.actionSlug, JSON.parse(pristine), mapping, { apiKey: 'KEY' }, { now: NOW })
          assert.ok(ref.ok, `${pristine}: ${!ref.ok && ref.reason}`)
          for (const r of ref.records) {
            ;(expected[r.endpoint] ??= []).push(JSON.stringify(r.record))
            if (r.record.device_model === 'Mac OS' && !('device_manufacturer' in r.record)) macDesktop++
          }
        }
      }
      assert.equal(routedAway, 12)
      assert.equal(macDesktop, 35, 'records shaped by the Mac desktop user-agent parse')
      // multiset difference per endpoint, reported compactly
      for (const endpoint of new Set([...Object.keys(sent), ...Object.keys(expected)])) {
        const left = new Map<string, number>()
        for (const r of sent[endpoint] ?? []) left.set(r, (left.get(r) ?? 0) + 1)
        const missing: string[] = []
        for (const r of expected[endpoint] ?? []) {
          const n = left.get(r) ?? 0
          if (n === 0) missing.push(r)
          else left.set(r, n - 1)
        }
        const extra = [...left].filter(([, n]) => n > 0).map(([r]) => r)
        assert.deepStrictEqual(
          { endpoint, missing: missing.slice(0, 3), extra: extra.slice(0, 3), counts: [missing.length, extra.length] },
          { endpoint, missing: [], extra: [], counts: [0, 0] },
        )
      }
      assert.deepStrictEqual(
        Object.fromEntries(
          Object.entries(sent)
            .map(([k, v]) => [k, v.length])
            .sort(),
        ),
        { httpapi: 507, identify: 104 },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('pins "now" on both sides for an example group message without time', async () => {
    const group = (await readExamples()).find((m) => m.type === 'group')!
    const message = { ...group, timestamp: undefined } as SegmentMessage
    const [sub] = compileSubscriptions(
      checkSubscriptions(
        'example oracle',
        SPECS.filter((s) => s.actionSlug === 'groupIdentifyUser'),
      ),
    )
    const [outcome] = runSubscriptions([sub!], message, { now: () => NOW })
    const mapping = { ...SPECS.find((s) => s.actionSlug === 'groupIdentifyUser')!.mapping, insert_id: `${insertIdBase(message)}-${sub!.insertIdSalt}` }
    const expected = await runReference('groupIdentifyUser', JSON.parse(JSON.stringify(message)), mapping, { apiKey: 'KEY', secretKey: 'SECRET' }, { now: NOW })
    assert.ok(expected.ok && outcome?.ok)
    assert.equal(expected.records[0]!.record.time, NOW)
    assert.equal(JSON.stringify(outcome.records), JSON.stringify(expected.records))
  })
})
