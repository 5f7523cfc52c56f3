/**
 * mapping-kit benchmark: the logEventV2 Quick Setup default mapping (docs/actions-amplitude.md A.3, "Track Calls"
 * preset = defaultValues(logEventV2.fields)) over ~50k generated track events, compiled
 * (`compileMapping`) vs actions-core `transform`. Run: npx tsx bench/mapping-kit.ts [events]
 */
import { strict as assert } from 'node:assert'
import { createRequire } from 'node:module'
import { compileMapping } from '../src/segment/mapping-kit/index.js'

const require = createRequire(import.meta.url)
const core: { transform: (m: unknown, d: unknown) => unknown } = require('@segment/actions-core')

const LOG_EVENT_V2_DEFAULTS = JSON.parse(`{
  "user_id": {"@path":"$.userId"},
  "device_id": {"@if":{"exists":{"@path":"$.context.device.id"},"then":{"@path":"$.context.device.id"},"else":{"@path":"$.anonymousId"}}},
  "event_type": {"@path":"$.event"},
  "session_id": {"@path":"$.integrations.Actions Amplitude.session_id"},
  "time": {"@path":"$.timestamp"},
  "event_properties": {"@path":"$.properties"},
  "user_properties": {"@path":"$.traits"},
  "app_version": {"@path":"$.context.app.version"},
  "platform": {"@path":"$.context.device.type"},
  "os_name": {"@path":"$.context.os.name"},
  "os_version": {"@path":"$.context.os.version"},
  "device_brand": {"@path":"$.context.device.brand"},
  "device_manufacturer": {"@path":"$.context.device.manufacturer"},
  "device_model": {"@path":"$.context.device.model"},
  "carrier": {"@path":"$.context.network.carrier"},
  "country": {"@path":"$.context.location.country"},
  "region": {"@path":"$.context.location.region"},
  "city": {"@path":"$.context.location.city"},
  "language": {"@path":"$.context.locale"},
  "price": {"@path":"$.properties.price"},
  "quantity": {"@path":"$.properties.quantity"},
  "revenue": {"@path":"$.properties.revenue"},
  "productId": {"@path":"$.properties.productId"},
  "revenueType": {"@path":"$.properties.revenueType"},
  "location_lat": {"@path":"$.context.location.latitude"},
  "location_lng": {"@path":"$.context.location.longitude"},
  "ip": {"@path":"$.context.ip"},
  "idfa": {"@if":{"exists":{"@path":"$.context.device.advertisingId"},"then":{"@path":"$.context.device.advertisingId"},"else":{"@path":"$.context.device.idfa"}}},
  "idfv": {"@path":"$.context.device.id"},
  "adid": {"@if":{"exists":{"@path":"$.context.device.advertisingId"},"then":{"@path":"$.context.device.advertisingId"},"else":{"@path":"$.context.device.idfa"}}},
  "library": {"@path":"$.context.library.name"},
  "library2": {"behavior":"use_mapping","mapping":{"@path":"$.context.library.name"}},
  "products": {"@arrayPath":["$.properties.products",{"price":{"@path":"price"},"revenue":{"@path":"revenue"},"quantity":{"@path":"quantity"},"productId":{"@path":"productId"},"revenueType":{"@path":"revenueType"}}]},
  "setOnce": {"initial_referrer":{"@path":"$.context.page.referrer"},"initial_utm_source":{"@path":"$.context.campaign.source"},"initial_utm_medium":{"@path":"$.context.campaign.medium"},"initial_utm_campaign":{"@path":"$.context.campaign.name"},"initial_utm_term":{"@path":"$.context.campaign.term"},"initial_utm_content":{"@path":"$.context.campaign.content"}},
  "setAlways": {"referrer":{"@path":"$.context.page.referrer"},"utm_source":{"@path":"$.context.campaign.source"},"utm_medium":{"@path":"$.context.campaign.medium"},"utm_campaign":{"@path":"$.context.campaign.name"},"utm_term":{"@path":"$.context.campaign.term"},"utm_content":{"@path":"$.context.campaign.content"}},
  "use_batch_endpoint": false,
  "userAgent": {"@path":"$.context.userAgent"},
  "userAgentParsing": true,
  "includeRawUserAgent": false,
  "userAgentData": {"model":{"@path":"$.context.userAgentData.model"},"platformVersion":{"@path":"$.context.userAgentData.platformVersion"}}
}`)

// deterministic PRNG so runs are comparable
let seed = 42
const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]

const EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Signed Up', 'Video Played', 'Search']
const UAS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
]

function makeEvent(i: number): Record<string, unknown> {
  const mobile = rnd() < 0.4
  const withProducts = rnd() < 0.3
  const context: Record<string, unknown> = {
    ip: `10.0.${i % 256}.${(i >> 8) % 256}`,
    locale: pick(['en-US', 'fr-FR', 'de-DE']),
    library: { name: mobile ? 'analytics-ios' : 'analytics.js', version: '4.1.0' },
    userAgent: pick(UAS),
    page: { path: '/p', referrer: pick(['', 'https://google.com/', 'https://t.co/x']), title: 'Page', url: 'https://example.com/p' },
    location: { country: 'US', region: 'CA', city: 'SF', latitude: 37.7, longitude: -122.4 },
  }
  if (rnd() < 0.5) context.campaign = { source: 'google', medium: 'cpc', name: 'spring', term: 'shoes', content: 'ad1' }
  if (mobile) {
    context.device = { id: `dev-${i}`, type: 'ios', brand: 'Apple', manufacturer: 'Apple', model: 'iPhone14,2', advertisingId: rnd() < 0.5 ? `ad-${i}` : undefined }
    context.os = { name: 'iOS', version: '17.1' }
    context.app = { version: '3.2.1', build: '321' }
    context.network = { carrier: 'T-Mobile', wifi: true }
  } else {
    context.userAgentData = { model: '', platformVersion: '10.0.0', mobile: false }
  }
  const properties: Record<string, unknown> = { category: 'shoes', sku: `sku-${i % 1000}`, price: 19.99, quantity: 1 + (i % 3), currency: 'USD' }
  if (withProducts) {
    properties.revenue = 59.97
    properties.products = [
      { productId: 'p1', price: 19.99, quantity: 1, name: 'A' },
      { productId: 'p2', price: 19.99, quantity: 2, name: 'B', revenueType: 'sale' },
    ]
  }
  const ev: Record<string, unknown> = {
    type: 'track',
    event: pick(EVENTS),
    messageId: `msg-${i}`,
    anonymousId: `anon-${i % 5000}`,
    userId: rnd() < 0.6 ? `user-${i % 3000}` : null,
    timestamp: new Date(1700000000000 + i * 1000).toISOString(),
    properties,
    context,
    integrations: rnd() < 0.5 ? { 'Actions Amplitude': { session_id: 1700000000000 + i } } : {},
    traits: rnd() < 0.3 ? { email: `u${i}@example.com`, plan: 'pro' } : undefined,
  }
  return JSON.parse(JSON.stringify(ev)) // as read from an archive: plain JSON
}

const N = Number(process.argv[2] ?? 50000)
const events = Array.from({ length: N }, (_, i) => makeEvent(i))

const compiled = compileMapping(LOG_EVENT_V2_DEFAULTS)
for (let i = 0; i < 500; i++) {
  const e = events[(i * 97) % N]
  assert.deepStrictEqual(compiled(e), core.transform(LOG_EVENT_V2_DEFAULTS, e))
}

const compileStart = process.hrtime.bigint()
for (let i = 0; i < 100; i++) compileMapping(LOG_EVENT_V2_DEFAULTS)
const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6 / 100

// Interleave the two implementations chunk by chunk so that machine load affects both alike.
const CHUNK = 2500
const OUR_REPEAT = 5
let coreNs = 0n
let ourNs = 0n
let sink = 0
for (let i = 0; i < Math.min(N, 5000); i++) sink += (compiled(events[i]) ? 1 : 0) + (core.transform(LOG_EVENT_V2_DEFAULTS, events[i]) ? 1 : 0)
for (let start = 0; start < N; start += CHUNK) {
  const end = Math.min(N, start + CHUNK)
  let t0 = process.hrtime.bigint()
  for (let i = start; i < end; i++) sink += core.transform(LOG_EVENT_V2_DEFAULTS, events[i]) ? 1 : 0
  coreNs += process.hrtime.bigint() - t0
  t0 = process.hrtime.bigint()
  for (let r = 0; r < OUR_REPEAT; r++) for (let i = start; i < end; i++) sink += compiled(events[i]) ? 1 : 0
  ourNs += process.hrtime.bigint() - t0
}
const coreOps = N / (Number(coreNs) / 1e9)
const ourOps = (N * OUR_REPEAT) / (Number(ourNs) / 1e9)
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10)
console.log(`logEventV2 default mapping (${Object.keys(LOG_EVENT_V2_DEFAULTS).length} fields), ${N.toLocaleString('en-US')} generated track events`)
console.log(`compileMapping (validate + compile): ${compileMs.toFixed(2)} ms`)
console.log(`actions-core transform: ${fmt(coreOps)} ops/s  (${(1e6 / coreOps).toFixed(1)} µs/event)`)
console.log(`segamp compiled:        ${fmt(ourOps)} ops/s  (${(1e6 / ourOps).toFixed(2)} µs/event)`)
console.log(`ratio: ${(ourOps / coreOps).toFixed(1)}x${sink > 0 ? '' : ' (no output?)'}`)
