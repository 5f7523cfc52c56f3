/**
 * Differential test: segamp's Amplitude actions vs the published @segment/action-destinations
 * Amplitude destination, run locally through actions-core with nock capturing its HTTP requests.
 * Over seeded, realistic web / iOS / Android / server events, every Quick Setup preset plus
 * logEvent / groupIdentifyUser / mapUser defaults (and option variants) must produce the same
 * records per endpoint (same JSON, same key order) or the same validation error text.
 */
import { strict as assert } from 'node:assert'
import type { AmplitudeRecord } from '../../../src/types.js'
import { compileAction, defaultValues, endpointUrl, PRESETS, type ActionSettings, type ActionSlug } from '../../../src/segment/actions-amplitude/index.js'
import { createRng } from '../../../src/amplitude/sandbox/rng.js'
import { core, endpointOf, installFetchCapture, installNockCapture, nock, runReference, startReference, type Obj } from '../../helpers/oracle.js'

// ---------------------------------------------------------------- seeded generator

const mulberry32 = createRng

class Gen {
  private r: () => number
  constructor(seed: number) {
    this.r = mulberry32(seed)
  }
  float(): number {
    return this.r()
  }
  int(n: number): number {
    return Math.floor(this.r() * n)
  }
  bool(p = 0.5): boolean {
    return this.r() < p
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
  id(prefix: string, len = 8): string {
    let s = prefix
    for (let i = 0; i < len; i++) s += 'abcdef0123456789'[this.int(16)]
    return s
  }
}

const WEB_UAS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13B143 Safari/601.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; SM-G973F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.106 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'curl/7.64.1',
]
const ANDROID_UAS = ['Dalvik/2.1.0 (Linux; U; Android 13; SM-G991B Build/TP1A.220624.014)', 'okhttp/4.9.2']

function timestamp(g: Gen, forGroup: boolean): unknown {
  const base = Date.UTC(2021, 0, 1) + g.int(1000 * 86400 * 400)
  const iso = new Date(base).toISOString()
  const k = g.int(20)
  if (k < 12) return iso
  if (k === 12) return iso.replace('Z', '+02:00')
  if (k === 13) return iso.slice(0, 19).replace('T', ' ')
  if (k === 14) return iso.slice(0, 10)
  if (k === 15) return base
  if (k === 16) return forGroup ? iso : undefined
  if (k === 17) return iso.replace(/\.\d{3}Z$/, 'Z')
  if (k === 18) return g.bool(0.3) ? 'not a date' : iso
  return iso.replace('Z', '-05:00')
}

function sessionId(g: Gen): unknown {
  const ms = Date.UTC(2021, 5, 1) + g.int(1e9)
  const k = g.int(6)
  if (k === 0) return ms
  if (k === 1) return String(ms)
  if (k === 2) return new Date(ms).toISOString()
  if (k === 3) return Math.floor(ms / 1000)
  if (k === 4) return -1
  return g.bool(0.2) ? 'garbage' : ms
}

function campaign(g: Gen): Obj | undefined {
  if (!g.bool(0.35)) return undefined
  const c: Obj = { source: g.pick(['google', 'newsletter', 'facebook']), medium: g.pick(['cpc', 'email', '']) }
  if (g.bool()) c.name = g.pick(['spring_sale', 'launch'])
  if (g.bool(0.3)) c.term = 'shoes'
  if (g.bool(0.3)) c.content = g.pick(['banner', null])
  return c
}

function webContext(g: Gen): Obj {
  const ctx: Obj = {
    library: { name: 'analytics.js', version: g.pick(['2.11.1', 'npm:next-1.53.0']) },
    ip: `${1 + g.int(200)}.${g.int(255)}.${g.int(255)}.${g.int(255)}`,
    locale: g.pick(['en-US', 'de-DE', 'fr-FR']),
    page: {
      path: '/academy/',
      referrer: g.pick(['', '', 'https://www.google.com/', 'https://t.co/x']),
      search: '',
      title: 'Analytics Academy',
      url: 'https://segment.com/academy/',
    },
    timezone: 'Europe/Amsterdam',
  }
  if (g.bool(0.9)) ctx.userAgent = g.pick(WEB_UAS)
  if (g.bool(0.2)) ctx.userAgentData = { model: g.pick(['', 'Pixel 7', 'SM-G973F']), platformVersion: g.pick(['13.0.0', '10.15.7']), mobile: g.bool() }
  const c = campaign(g)
  if (c) ctx.campaign = c
  if (g.bool(0.4)) ctx.location = { city: 'San Francisco', country: 'United States', latitude: 40.2964197, longitude: -76.9411617 }
  if (g.bool(0.1)) ctx.device = { type: g.pick(['desktop', 'mobile']) }
  return ctx
}

function iosContext(g: Gen): Obj {
  const deviceId = g.id('IDFV-', 12)
  const device: Obj = { id: deviceId, manufacturer: 'Apple', model: g.pick(['iPhone14,2', 'iPad13,4']), type: g.pick(['ios', 'iOS', 'ipados-ios']), name: 'iPhone' }
  if (g.bool(0.5)) device.advertisingId = g.id('IDFA-', 12)
  if (g.bool(0.2)) device.adTrackingEnabled = false
  return {
    library: { name: 'analytics-ios', version: '4.1.8' },
    app: { name: 'Shop', version: g.pick(['3.2.1', '3.3.0']), build: String(100 + g.int(50)) },
    device,
    os: { name: 'iOS', version: g.pick(['17.1', '16.6.1']) },
    network: { carrier: g.pick(['T-Mobile', 'Verizon']), wifi: g.bool() },
    locale: 'en-US',
    timezone: 'America/New_York',
    ip: '8.8.8.8',
    screen: { width: 390, height: 844 },
  }
}

function androidContext(g: Gen): Obj {
  const device: Obj = { id: g.id('and-', 16), manufacturer: 'samsung', model: 'SM-G991B', type: g.pick(['android', 'Android']), brand: g.pick(['samsung', undefined]) }
  if (g.bool(0.5)) device.advertisingId = g.id('gaid-', 12)
  const ctx: Obj = {
    library: { name: 'analytics-android', version: '4.10.4' },
    app: { name: 'Shop', version: '5.0.0', build: '500' },
    device,
    os: { name: 'Android', version: '13' },
    network: { carrier: 'Vodafone', bluetooth: false },
    locale: 'de-DE',
    ip: '9.9.9.9',
  }
  if (g.bool(0.5)) ctx.userAgent = g.pick(ANDROID_UAS)
  if (g.bool(0.3)) ctx.location = { country: 'Germany', city: 'Berlin', region: 'BE', latitude: 52.5, longitude: 13.4 }
  return ctx
}

function serverContext(g: Gen): Obj | undefined {
  const k = g.int(4)
  if (k === 0) return undefined
  if (k === 1) return {}
  if (k === 2) return { library: { name: 'analytics-node', version: '6.0.0' }, ip: '1.2.3.4' }
  return { library: { name: 'analytics-python', version: '2.2.2' }, traits: { plan: 'pro' } }
}

const TRACK_EVENTS = ['Order Completed', 'Order Completed', 'Product Viewed', 'Signed Up', 'Checkout Started', 'Song Played']

function product(g: Gen, i: number): unknown {
  const k = g.int(12)
  if (k === 0) return null
  const p: Obj = { product_id: `pid-${i}`, sku: `SKU-${i}`, name: g.pick(['Shoe', 'Hat', 'Sock']) }
  if (k < 6) {
    p.price = g.pick([19.99, 5, 0, -3, 1999])
    p.quantity = g.pick([1, 2, 3])
  } else if (k < 8) {
    p.price = g.pick(['19.99', '5'])
    p.quantity = g.pick(['2', 1])
  } else if (k < 10) {
    p.revenue = g.pick([30, 0, 12.5])
  }
  if (g.bool(0.4)) p.productId = `prod-${i}`
  if (g.bool(0.2)) p.revenueType = g.pick(['Purchase', 'Refund'])
  if (g.bool(0.05)) p.quantity = 1.5
  return p
}

function trackProperties(g: Gen, event: string): Obj {
  const props: Obj = {}
  if (event === 'Order Completed') {
    props.order_id = g.id('ord-', 6)
    const n = g.int(4)
    if (g.bool(0.1)) props.products = product(g, 0)
    else if (n > 0 || g.bool(0.5)) props.products = Array.from({ length: n }, (_, i) => product(g, i))
    if (g.bool(0.7)) props.revenue = g.pick([99.5, 0, '42', 1999])
    if (g.bool(0.3)) props.price = g.pick([10, '10'])
    if (g.bool(0.3)) props.quantity = g.pick([2, '3'])
    if (g.bool(0.2)) props.revenueType = 'Refund'
    if (g.bool(0.2)) props.productId = 'sku-root'
    props.currency = 'USD'
  } else {
    if (g.bool(0.3)) props.plan = 'pro'
    if (g.bool(0.2)) props.revenue = 5
    if (g.bool(0.2)) props.products = [{ productId: 'x', price: 1 }]
    if (g.bool(0.2)) props.nested = { a: [1, 2], b: null }
  }
  return props
}

function traits(g: Gen): Obj | undefined {
  if (g.bool(0.2)) return undefined
  const t: Obj = { email: `${g.id('user', 4)}@example.com`, name: 'Pat' }
  if (g.bool(0.3)) t.plan = g.pick(['free', 'pro', null])
  if (g.bool(0.15)) t.$set = { vip: true }
  if (g.bool(0.1)) t.$setOnce = { first_seen: '2020' }
  if (g.bool(0.1)) t.utm_properties = { utm_source: 'x' }
  if (g.bool(0.1)) t.referrer = 'trait-ref'
  return t
}

function generateEvent(g: Gen, i: number): Obj {
  const platform = g.pick(['web', 'web', 'ios', 'android', 'server'] as const)
  const type = g.pick(['track', 'track', 'track', 'page', 'screen', 'identify', 'group', 'alias'] as const)
  const ev: Obj = { type, messageId: `msg-${i}` }
  const u = g.int(10)
  if (u < 6) ev.userId = g.id('user-', 6)
  else if (u === 6) ev.userId = null
  else if (u === 7) ev.userId = 12345
  else if (u === 8) ev.userId = 'ab'
  if (platform !== 'server' || g.bool(0.3)) ev.anonymousId = g.id('anon-', 10)
  const ts = timestamp(g, type === 'group')
  if (ts !== undefined) ev.timestamp = ts
  const ctx = platform === 'web' ? webContext(g) : platform === 'ios' ? iosContext(g) : platform === 'android' ? androidContext(g) : serverContext(g)
  if (ctx !== undefined) ev.context = ctx
  if (g.bool(0.3)) ev.integrations = { All: true, 'Actions Amplitude': { session_id: sessionId(g) } }
  else if (g.bool(0.1)) ev.integrations = { All: false }
  switch (type) {
    case 'track':
      ev.event = g.pick(TRACK_EVENTS)
      ev.properties = trackProperties(g, ev.event)
      if (g.bool(0.2)) ev.traits = traits(g)
      break
    case 'page':
      if (g.bool(0.8)) ev.name = g.pick(['Home', 'Pricing', 'Docs'])
      if (g.bool(0.3)) ev.category = 'Marketing'
      ev.properties = { path: '/x', url: 'https://example.com/x', title: 'X', referrer: '' }
      break
    case 'screen':
      if (g.bool(0.8)) ev.name = g.pick(['Cart', 'Checkout'])
      ev.properties = { variation: 'blue' }
      break
    case 'identify':
      ev.traits = traits(g)
      break
    case 'group':
      if (g.bool(0.9)) ev.groupId = g.pick(['acme', 'globex', 42])
      ev.traits = g.bool(0.8) ? { name: 'Acme Inc', plan: 'enterprise', employees: 120 } : undefined
      break
    case 'alias':
      if (g.bool(0.9)) ev.previousId = g.id('old-', 6)
      break
  }
  if (g.bool(0.08)) weird(g, ev)
  for (const k of Object.keys(ev)) if (ev[k] === undefined) delete ev[k]
  return ev
}

/** Malformed-but-possible archive content: wrong types that coercion or validation must handle. */
function weird(g: Gen, ev: Obj): void {
  const ctx = (ev.context ??= {}) as Obj
  switch (g.int(10)) {
    case 0:
      ev.properties = g.pick([[1, 2], 'str', 5])
      break
    case 1:
      ev.traits = g.pick([['a'], 'str', { nested: { deep: [null, ''] } }])
      break
    case 2:
      ev.userId = g.pick([{ id: 1 }, ['u1'], true, ''])
      break
    case 3:
      ctx.userAgent = g.pick([{ ua: 'x' }, 42, ''])
      break
    case 4:
      ev.timestamp = g.pick([true, { t: 1 }, '', 0, -5])
      break
    case 5:
      ev.integrations = { 'Actions Amplitude': { session_id: g.pick([{ s: 1 }, true, '', '007', 0]) } }
      break
    case 6:
      ctx.app = { version: g.pick([3, 3.1, null, ['1.0']]) }
      ctx.device = { id: g.pick([12345, null, '']), type: g.pick([null, 7, 'IOS-android']) }
      break
    case 7:
      ctx.campaign = { source: g.pick([null, 5, '', { x: 1 }]), name: ['a', 'b'] }
      ctx.page = { referrer: g.pick([null, 3, ['r']]) }
      break
    case 8:
      ctx.location = { latitude: g.pick(['52.1', '', null, 'north']), longitude: 13 }
      ctx.library = { name: g.pick([null, 5, 'analytics.js']) }
      break
    default:
      ev.previousId = g.pick([null, 99, ''])
      ev.groupId = g.pick([null, 99, '', { id: 1 }])
      ev.event = g.pick([null, 7, '', 'Order Completed'])
  }
}

// ---------------------------------------------------------------- mappings per event

interface Case {
  label: string
  slug: ActionSlug
  mapping: Obj
}

const preset = (name: string) => PRESETS.find((p) => p.name === name)!

function casesFor(ev: Obj, g: Gen): Case[] {
  const out: Case[] = []
  const add = (label: string, slug: ActionSlug, mapping: Obj) => out.push({ label, slug, mapping })
  switch (ev.type) {
    case 'track':
      if (ev.event === 'Order Completed') {
        add('preset Order Completed Calls', 'logPurchase', preset('Order Completed Calls').mapping)
        add('logPurchase per-product + insert_id', 'logPurchase', {
          ...defaultValues('logPurchase'),
          trackRevenuePerProduct: true,
          insert_id: { '@path': '$.messageId' },
          use_batch_endpoint: g.bool(),
          min_id_length: g.pick([1, 0, null, 3]),
        })
      } else {
        add('preset Track Calls', 'logEventV2', preset('Track Calls').mapping)
      }
      add('logEvent defaults', 'logEvent', defaultValues('logEvent'))
      add('logEventV2 variant', 'logEventV2', {
        ...defaultValues('logEventV2'),
        use_batch_endpoint: true,
        min_id_length: 3,
        library2: g.pick([{ behavior: 'auto' }, {}, { behavior: 'use_mapping', mapping: 'custom-lib' }]),
        includeRawUserAgent: true,
        userAgentParsing: g.bool(),
        add: g.pick([{ logins: 1 }, {}, { score: { '@path': '$.properties.revenue' } }]),
        groups: { company: { '@path': '$.context.groupId' }, org: 'acme' },
        event_id: g.pick([7, '8']),
        insert_id: g.pick([undefined, { '@path': '$.messageId' }]),
      })
      break
    case 'page':
      add('preset Page Calls', 'logEventV2', preset('Page Calls').mapping)
      break
    case 'screen':
      add('preset Screen Calls', 'logEventV2', preset('Screen Calls').mapping)
      break
    case 'identify':
      add('preset Identify Calls', 'identifyUser', preset('Identify Calls').mapping)
      add('identifyUser variant', 'identifyUser', {
        ...defaultValues('identifyUser'),
        min_id_length: 2,
        userAgentParsing: g.bool(),
        includeRawUserAgent: true,
        paying: g.pick([true, 'false']),
        start_version: '1.0',
        groups: { company: 'acme' },
        insert_id: { '@path': '$.messageId' },
      })
      break
    case 'group':
      add('groupIdentifyUser defaults', 'groupIdentifyUser', {
        ...defaultValues('groupIdentifyUser'),
        group_type: 'company',
        group_value: { '@path': '$.groupId' },
      })
      add('groupIdentifyUser variant', 'groupIdentifyUser', {
        ...defaultValues('groupIdentifyUser'),
        group_type: { '@path': '$.traits.plan' },
        group_value: { '@path': '$.groupId' },
        insert_id: { '@path': '$.messageId' },
        min_id_length: 1,
      })
      break
    case 'alias':
      add('mapUser defaults', 'mapUser', defaultValues('mapUser'))
      add('mapUser min_id_length', 'mapUser', { ...defaultValues('mapUser'), min_id_length: 1 })
      break
  }
  return out
}

// ---------------------------------------------------------------- the test

// Deeper runs: AMPLITUDE_ORACLE_EVENTS=20000 AMPLITUDE_ORACLE_SEED=7 npx mocha test/segment/actions-amplitude/amplitude-oracle.test.ts
const SEED = Number(process.env.AMPLITUDE_ORACLE_SEED ?? 20260829)
const EVENTS = Number(process.env.AMPLITUDE_ORACLE_EVENTS ?? 800)

interface RunStats {
  compared: number
  perLabel: Record<string, { ok: number; err: number }>
}

function normalizeNow(records: AmplitudeRecord[]): void {
  for (const r of records) {
    const t = r.record.time
    if (typeof t === 'number' && Math.abs(t - Date.now()) < 60_000) r.record.time = 'NOW'
  }
}

async function compareGenerated(seed: number, events: number): Promise<RunStats> {
  const g = new Gen(seed)
  const perLabel: RunStats['perLabel'] = {}
  let compared = 0
  for (let i = 0; i < events; i++) {
    const event = generateEvent(g, i)
    for (const c of casesFor(event, g)) {
      const region = g.bool(0.25) ? 'europe' : 'north_america'
      const settings: ActionSettings = { apiKey: 'KEY', secretKey: 'SECRET', endpoint: region }
      const resolved = core.transform(c.mapping, event) as Obj
      // segamp's defaultInsertId must behave exactly like a mapping that gives that insert_id.
      const useDefaultInsertId = g.bool(0.3)
      const defaultInsertId = useDefaultInsertId ? `segamp-${event.messageId}` : undefined
      const refMapping = useDefaultInsertId && resolved.insert_id === undefined && c.slug !== 'mapUser' ? { ...c.mapping, insert_id: defaultInsertId } : c.mapping
      const expected = await runReference(c.slug, event, refMapping, settings)
      const actual = compileAction(c.slug, settings).run(core.transform(c.mapping, event), { defaultInsertId })
      const where = `event #${i} ${c.label}: ${JSON.stringify(event)}`
      const s = (perLabel[c.label] ??= { ok: 0, err: 0 })
      if (expected.ok) {
        s.ok++
        assert.ok(actual.ok, `${where}\nexpected records, got error ${!actual.ok && actual.reason}`)
        if (c.slug === 'groupIdentifyUser') {
          // a missing time means "now" on both sides; compare it as a placeholder
          normalizeNow(actual.records)
          normalizeNow(expected.records)
        }
        assert.equal(JSON.stringify(actual.records), JSON.stringify(expected.records), where)
        // every request URL Segment used is segamp's endpointUrl for that endpoint and region
        for (const u of expected.urls) assert.equal(endpointUrl(endpointOf(new URL(u)), region), u, where)
      } else {
        s.err++
        assert.deepStrictEqual(actual, { ok: false, reason: expected.reason }, where)
      }
      compared++
    }
  }
  return { compared, perLabel }
}

describe('amplitude actions: differential test against @segment/action-destinations', function () {
  this.timeout(60_000)

  before(() => {
    nock.disableNetConnect()
    startReference()
  })

  after(() => {
    nock.enableNetConnect()
  })

  describe('HTTP capture through nock', () => {
    let uninstall: () => void
    before(() => {
      uninstall = installNockCapture()
    })
    // remove only our own interceptors (other test files may use nock too)
    after(() => {
      uninstall()
      assert.deepEqual(
        nock.activeMocks().filter((m: string) => m.includes('amplitude.com')),
        [],
      )
    })

    // nock 15 costs ~50 ms per request here, so only a sample goes over (intercepted) HTTP;
    // it proves the fetch-level capture below sees exactly what goes on the wire.
    it('identical records for a sample of generated events (requests intercepted by nock)', async () => {
      const { compared } = await compareGenerated(SEED + 1, 15)
      assert.ok(compared >= 20, `compared ${compared}`)
    })
  })

  describe('capture at the actions-core fetch boundary', () => {
    let uninstall: () => void
    before(() => {
      uninstall = installFetchCapture()
    })
    after(() => {
      uninstall()
    })

    it(`identical records for ${EVENTS} generated events over presets and default mappings`, async function () {
      this.timeout(Math.max(60_000, EVENTS * 100))
      const { compared, perLabel } = await compareGenerated(SEED, EVENTS)
      assert.ok(compared > EVENTS * 1.6, `compared ${compared}`)
      // the generator must exercise both successes and validation failures for the main actions
      for (const label of [
        'preset Track Calls',
        'preset Order Completed Calls',
        'preset Page Calls',
        'preset Screen Calls',
        'preset Identify Calls',
        'groupIdentifyUser defaults',
        'mapUser defaults',
        'logEvent defaults',
      ]) {
        assert.ok(perLabel[label]!.ok > 15, `${label}: ${JSON.stringify(perLabel[label])}`)
      }
      assert.ok(
        Object.values(perLabel).some((s) => s.err > 10),
        `too few validation errors: ${JSON.stringify(perLabel)}`,
      )
    })
  })
})
