import { strict as assert } from 'node:assert'
import { gzipSync } from 'node:zlib'
import { startSandbox, summarizeSandbox, type Sandbox, type SandboxOptions } from '../../../src/amplitude/sandbox/index.js'

const KEY = 'test-key-0001'

interface Reply {
  status: number
  text: string
  json: any
}

async function call(sb: Sandbox, path: string, init: RequestInit): Promise<Reply> {
  const res = await fetch(sb.url + path, init)
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json }
}

function postJson(sb: Sandbox, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call(sb, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

function postForm(sb: Sandbox, path: string, fields: Record<string, string>): Promise<Reply> {
  return call(sb, path, { method: 'POST', body: new URLSearchParams(fields) })
}

const ev = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_type: 'Viewed',
  user_id: `user-${String(i).padStart(4, '0')}`,
  insert_id: `ins-${i}`,
  time: 1_700_000_000_000 + i,
  ...extra,
})

describe('sandbox', () => {
  let sb: Sandbox
  const open = async (opts?: SandboxOptions): Promise<Sandbox> => {
    sb = await startSandbox(opts)
    return sb
  }
  afterEach(async () => {
    await sb?.close()
  })

  describe('accepts valid requests', () => {
    it('POST /2/httpapi → 200 with the exact body shape', async () => {
      await open()
      const body = JSON.stringify({ api_key: KEY, events: [ev(1), ev(2)], options: { min_id_length: 5 } })
      const before = Date.now()
      const r = await postJson(sb, '/2/httpapi', body)
      assert.equal(r.status, 200)
      assert.deepEqual(Object.keys(r.json), ['code', 'events_ingested', 'payload_size_bytes', 'server_upload_time'])
      assert.equal(r.json.code, 200)
      assert.equal(r.json.events_ingested, 2)
      assert.equal(r.json.payload_size_bytes, Buffer.byteLength(body))
      assert.ok(Number.isInteger(r.json.server_upload_time) && r.json.server_upload_time >= before)
      assert.equal(sb.events.length, 2)
      assert.equal(sb.events[0]!.endpoint, 'httpapi')
      assert.deepEqual(sb.events[0]!.event, ev(1))
      assert.equal(sb.events[0]!.requestSeq, 1)
      assert.deepEqual(sb.requests, [{ path: '/2/httpapi', status: 200, bytes: Buffer.byteLength(body), events: 2 }])
    })

    it('POST /batch → 200, events tagged batch', async () => {
      await open()
      const r = await postJson(sb, '/batch', { api_key: KEY, events: [ev(1, { device_id: 'device-1' })] })
      assert.equal(r.status, 200)
      assert.equal(r.json.events_ingested, 1)
      assert.equal(sb.events[0]!.endpoint, 'batch')
    })

    it('accepts gzip-encoded bodies and a trailing slash', async () => {
      await open()
      const raw = JSON.stringify({ api_key: KEY, events: [ev(1)] })
      const r = await call(sb, '/2/httpapi/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(raw),
      })
      assert.equal(r.status, 200)
      assert.equal(r.json.payload_size_bytes, Buffer.byteLength(raw))
    })

    it('POST /identify (form) → 200 "success"; object or array; GET with query', async () => {
      await open()
      const one = { user_id: 'user-0001', user_properties: { $set: { plan: 'pro' } } }
      let r = await postForm(sb, '/identify', { api_key: KEY, identification: JSON.stringify(one) })
      assert.equal(r.status, 200)
      assert.equal(r.text, 'success')
      r = await postForm(sb, '/identify', {
        api_key: KEY,
        identification: JSON.stringify([{ device_id: 'device-0001' }, { user_id: 'ab', device_id: 'device-2' }]),
        options: JSON.stringify({ min_id_length: 1 }),
      })
      assert.equal(r.status, 200)
      const qs = new URLSearchParams({ api_key: KEY, identification: JSON.stringify({ user_id: 'user-0009' }) })
      r = await call(sb, `/identify?${qs}`, { method: 'GET' })
      assert.equal(r.status, 200)
      assert.equal(sb.identifications.length, 4)
      assert.deepEqual(sb.identifications[0], one)
      assert.deepEqual(
        sb.requests.map((q) => q.events),
        [1, 2, 1],
      )
    })

    it('POST /identify as multipart/form-data', async () => {
      await open()
      const fd = new FormData()
      fd.append('api_key', KEY)
      fd.append('identification', JSON.stringify({ user_id: 'user-0001' }))
      const r = await call(sb, '/identify', { method: 'POST', body: fd })
      assert.equal(r.status, 200)
      assert.deepEqual(sb.identifications, [{ user_id: 'user-0001' }])
    })

    it('POST /groupidentify and /usermap → 200 "success"', async () => {
      await open()
      const g = { group_type: 'org id', group_value: '12345678', group_properties: { $set: { plan: 'x' } } }
      let r = await postForm(sb, '/groupidentify', { api_key: KEY, identification: JSON.stringify(g) })
      assert.equal(r.status, 200)
      assert.equal(r.text, 'success')
      r = await postForm(sb, '/usermap', {
        api_key: KEY,
        mapping: JSON.stringify([
          { user_id: 'u1', global_user_id: 'g1' },
          { user_id: 'u2', unmap: true },
        ]),
      })
      assert.equal(r.status, 200)
      assert.equal(r.text, 'success')
      assert.deepEqual(sb.groupIdentifications, [g])
      assert.equal(sb.mappings.length, 2)
      const s = sb.stats()
      assert.deepEqual(s, {
        requests: 2,
        byStatus: { '200': 2 },
        eventsIngested: 0,
        duplicatesDiscarded: 0,
        identifications: 0,
        groupIdentifications: 1,
        mappings: 2,
        mixedUserProperties: 0,
      })
    })
  })

  describe('request-level errors', () => {
    it('missing api_key / events → missing_field body', async () => {
      await open()
      let r = await postJson(sb, '/2/httpapi', { events: [ev(1)] })
      assert.equal(r.status, 400)
      assert.deepEqual(r.json, { code: 400, error: 'Request missing required field', missing_field: 'api_key' })
      r = await postJson(sb, '/batch', { api_key: KEY })
      assert.deepEqual(r.json, { code: 400, error: 'Request missing required field', missing_field: 'events' })
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [] })
      assert.deepEqual(r.json, { code: 400, error: 'Request missing required field', missing_field: 'events' })
      assert.equal(sb.events.length, 0)
    })

    it('invalid api key → 400 "Invalid API key: <key>"; form endpoints answer it as text', async () => {
      await open({ apiKeys: [KEY] })
      let r = await postJson(sb, '/2/httpapi', { api_key: 'nope', events: [ev(1)] })
      assert.equal(r.status, 400)
      assert.deepEqual(r.json, { code: 400, error: 'Invalid API key: nope' })
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1)] })
      assert.equal(r.status, 200)
      r = await postForm(sb, '/identify', { api_key: 'nope', identification: '{"user_id":"user-1"}' })
      assert.equal(r.status, 400)
      assert.equal(r.text, 'Invalid API key: nope')
      r = await postForm(sb, '/usermap', { mapping: '{"user_id":"u","global_user_id":"g"}' })
      assert.equal(r.status, 400)
      assert.equal(r.text, 'Invalid API key: ')
    })

    it('an empty key is invalid even when any key is accepted', async () => {
      await open()
      const r = await postJson(sb, '/2/httpapi', { api_key: '', events: [ev(1)] })
      assert.deepEqual(r.json, { code: 400, error: 'Invalid API key: ' })
    })

    it('bad JSON, empty body, wrong content type, events not an array, unknown path, wrong method', async () => {
      await open()
      let r = await postJson(sb, '/2/httpapi', '{"api_key":')
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Invalid JSON request body' }])
      r = await postJson(sb, '/2/httpapi', '[1,2]')
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Invalid JSON request body' }])
      r = await postJson(sb, '/2/httpapi', '')
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Missing request body' }])
      r = await call(sb, '/2/httpapi', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Invalid request: Content-Type must be application/json' }])
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: { a: 1 } })
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Invalid event JSON' }])
      r = await postJson(sb, '/3/httpapi', { api_key: KEY, events: [ev(1)] })
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Invalid request path' }])
      r = await call(sb, '/batch', { method: 'GET' })
      assert.deepEqual([r.status, r.json], [405, { code: 405, error: 'Method not allowed' }])
      r = await call(sb, '/2/httpapi', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip' })
      assert.deepEqual([r.status, r.json], [400, { code: 400, error: 'Invalid JSON request body' }])
    })

    it('form endpoints: missing identification / mapping, invalid records', async () => {
      await open()
      let r = await postForm(sb, '/identify', { api_key: KEY })
      assert.deepEqual([r.status, r.text], [400, 'missing_event'])
      r = await postForm(sb, '/identify', { api_key: KEY, identification: '{bad' })
      assert.deepEqual([r.status, r.text], [400, 'missing_event'])
      r = await postForm(sb, '/identify', { api_key: KEY, identification: '[{"user_properties":{}}]' })
      assert.deepEqual([r.status, r.text], [400, 'Invalid identification at index 0: missing user_id or device_id'])
      r = await postForm(sb, '/identify', { api_key: KEY, identification: '{"user_id":"abc"}' })
      assert.deepEqual([r.status, r.text], [400, 'Invalid identification at index 0: user_id shorter than 5 characters'])
      r = await postForm(sb, '/groupidentify', { api_key: KEY, identification: '{"group_type":"org"}' })
      assert.deepEqual([r.status, r.text], [400, 'Invalid group identification at index 0: missing group_value'])
      r = await postForm(sb, '/usermap', { api_key: KEY })
      assert.deepEqual([r.status, r.text], [400, 'missing_mapping'])
      r = await postForm(sb, '/usermap', { api_key: KEY, mapping: '{"user_id":"u1"}' })
      assert.deepEqual([r.status, r.text], [400, 'Invalid mapping at index 0: missing global_user_id'])
      assert.equal(sb.identifications.length + sb.groupIdentifications.length + sb.mappings.length, 0)
    })
  })

  describe('event validation (400 index maps)', () => {
    it('missing and invalid fields are listed per field with event indexes', async () => {
      await open()
      const events = [
        ev(0),
        { user_id: 'user-0001' }, // missing event_type
        ev(2, { time: '2024-01-01T00:00:00Z' }), // ISO time
        ev(3, { time: 1.5, event_properties: [1] }),
        { event_type: 'x' }, // no ids
        ev(5, { user_id: 12345 }), // numeric user_id
        ev(6, { user_id: 'null' }), // block-listed
        ev(7, { event_type: '' }),
        7,
      ]
      const r = await postJson(sb, '/2/httpapi', { api_key: KEY, events })
      assert.equal(r.status, 400)
      assert.deepEqual(r.json, {
        code: 400,
        error: 'Request missing required field',
        events_with_invalid_fields: {
          time: [2, 3],
          event_properties: [3],
          user_id: [5, 6],
          event_type: [7],
          event: [8],
        },
        events_with_missing_fields: { event_type: [1], 'user_id or device_id': [4] },
      })
      assert.equal(sb.events.length, 0)
    })

    it('only invalid fields → "Invalid field values on some events"', async () => {
      await open()
      const r = await postJson(sb, '/batch', {
        api_key: KEY,
        events: [ev(0), ev(1, { device_id: '00000000-0000-0000-0000-000000000000', session_id: 'abc', event_id: 1.2 })],
      })
      assert.equal(r.status, 400)
      assert.deepEqual(r.json, {
        code: 400,
        error: 'Invalid field values on some events',
        events_with_invalid_fields: { device_id: [1], event_id: [1], session_id: [1] },
        events_with_missing_fields: {},
      })
    })

    it('short ids → events_with_invalid_id_lengths; options.min_id_length relaxes it', async () => {
      await open()
      const events = [ev(0), ev(1, { user_id: 'abc' }), ev(2, { user_id: undefined, device_id: 'dev' })]
      let r = await postJson(sb, '/2/httpapi', { api_key: KEY, events })
      assert.equal(r.status, 400)
      assert.deepEqual(r.json, {
        code: 400,
        error: 'Invalid id length for user_id or device_id',
        events_with_invalid_id_lengths: { user_id: [1], device_id: [2] },
      })
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events, options: { min_id_length: 3 } })
      assert.equal(r.status, 200)
      assert.equal(sb.events.length, 3)
    })
  })

  describe('size limits (413)', () => {
    it('too many bytes or events → 413 exact body; batch has its own limits', async () => {
      await open({ limits: { httpApiMaxBytes: 500, httpApiMaxEvents: 3, batchMaxEvents: 5 } })
      const big = { api_key: KEY, events: [ev(1, { event_properties: { pad: 'x'.repeat(600) } })] }
      let r = await postJson(sb, '/2/httpapi', big)
      assert.deepEqual([r.status, r.json], [413, { code: 413, error: 'Payload too large' }])
      r = await call(sb, '/2/httpapi', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(big)),
      })
      assert.equal(r.status, 413, 'limit applies after decompression')
      const four = { api_key: KEY, events: [ev(1), ev(2), ev(3), ev(4)] }
      r = await postJson(sb, '/2/httpapi', four)
      assert.deepEqual([r.status, r.json], [413, { code: 413, error: 'Payload too large' }])
      r = await postJson(sb, '/batch', four)
      assert.equal(r.status, 200)
      r = await postJson(sb, '/batch', big)
      assert.equal(r.status, 200)
      assert.equal(sb.requests[0]!.status, 413)
      assert.ok(sb.requests[0]!.bytes > 500)
    })

    it('defaults: 2,000 events accepted, 2,001 rejected', async () => {
      await open()
      const events = Array.from({ length: 2001 }, (_, i) => ({ event_type: 'e', device_id: `device-${i}` }))
      let r = await postJson(sb, '/batch', { api_key: KEY, events })
      assert.equal(r.status, 413)
      r = await postJson(sb, '/batch', { api_key: KEY, events: events.slice(0, 2000) })
      assert.equal(r.status, 200)
      assert.equal(r.json.events_ingested, 2000)
    })

    it('group identify limit', async () => {
      await open({ limits: { groupIdentifyMaxItems: 1 } })
      const g = { group_type: 't', group_value: 'v' }
      const r = await postForm(sb, '/groupidentify', { api_key: KEY, identification: JSON.stringify([g, g]) })
      assert.deepEqual([r.status, r.json], [413, { code: 413, error: 'Payload too large' }])
    })
  })

  describe('deduplication by insert_id', () => {
    it('drops repeats (same device/user + insert_id) across and within requests, still answering 200', async () => {
      await open()
      const a = ev(1, { device_id: 'device-a' })
      let r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [a, a] })
      assert.equal(r.status, 200)
      assert.equal(r.json.events_ingested, 2)
      r = await postJson(sb, '/batch', { api_key: KEY, events: [a, ev(1, { device_id: 'device-b' }), ev(2)] })
      assert.equal(r.status, 200)
      r = await postJson(sb, '/2/httpapi', { api_key: 'other-key', events: [a] })
      assert.equal(r.status, 200)
      const noInsert = { event_type: 'x', user_id: 'user-0001' }
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [noInsert, noInsert] })
      assert.equal(sb.events.length, 6)
      assert.equal(sb.stats().duplicatesDiscarded, 2)
      assert.equal(sb.stats().eventsIngested, 6)
    })
  })

  describe('throttling (429)', () => {
    const limits = { httpApiEps: 2, batchEps: 4, throttleWindowMs: 1000 }

    it('per-id rate over the window → 429 naming the ids and event indexes; nothing ingested', async () => {
      await open({ limits })
      const u = (i: number, user: string, device?: string) => ({ event_type: 'e', user_id: user, device_id: device, insert_id: `i${i}` })
      let r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [u(1, 'user-hot', 'device-hot'), u(2, 'user-hot'), u(3, 'user-hot')] })
      assert.equal(r.status, 200)
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [u(4, 'user-cold'), u(5, 'user-hot'), u(6, 'other', 'device-hot')] })
      assert.equal(r.status, 429)
      assert.deepEqual(r.json, {
        code: 429,
        error: 'Too many requests for some devices and users',
        eps_threshold: 2,
        throttled_devices: {},
        throttled_users: { 'user-hot': 3 },
        exceeded_daily_quota_users: {},
        exceeded_daily_quota_devices: {},
        throttled_events: [1],
      })
      assert.equal(sb.events.length, 3)
      // The batch endpoint has its own (higher) threshold and counters.
      r = await postJson(sb, '/batch', { api_key: KEY, events: [u(7, 'user-hot')] })
      assert.equal(r.status, 200)
    })

    it('the window slides: the id is accepted again once it cools down', async () => {
      await open({ limits: { httpApiEps: 1, throttleWindowMs: 200 } })
      const body = { api_key: KEY, events: [ev(1), ev(2, { user_id: 'user-0001' })] }
      assert.equal((await postJson(sb, '/2/httpapi', body)).status, 200)
      assert.equal((await postJson(sb, '/2/httpapi', body)).status, 429)
      await new Promise((r) => setTimeout(r, 250))
      assert.equal((await postJson(sb, '/2/httpapi', body)).status, 200)
    })

    it('an injected clock drives the windows (daily quota expires after dailyQuotaWindowMs)', async () => {
      let now = 1_000_000
      await open({ clock: () => now, limits: { dailyQuota: 1, dailyQuotaWindowMs: 60_000 } })
      const body = (i: number) => ({ api_key: KEY, events: [ev(i, { user_id: 'user-busy' }), ev(i + 100, { user_id: 'user-busy' })] })
      let r = await postJson(sb, '/batch', body(1))
      assert.equal(r.json.server_upload_time, 1_000_000)
      r = await postJson(sb, '/batch', body(2))
      assert.equal(r.status, 429)
      assert.deepEqual(r.json.exceeded_daily_quota_users, { 'user-busy': 2 })
      now += 60_001
      r = await postJson(sb, '/batch', body(3))
      assert.equal(r.status, 200)
    })

    it('fault throttle: named ids are throttled the first `times` requests they appear in', async () => {
      await open({ faults: { throttle: { deviceOrUser: ['device-x', 'user-y'], times: 2 } } })
      const events = [
        { event_type: 'e', user_id: 'user-ok1' },
        { event_type: 'e', device_id: 'device-x' },
        { event_type: 'e', user_id: 'user-y', device_id: 'device-z' },
      ]
      const expected = {
        code: 429,
        error: 'Too many requests for some devices and users',
        eps_threshold: 30,
        throttled_devices: { 'device-x': 31 },
        throttled_users: { 'user-y': 31 },
        exceeded_daily_quota_users: {},
        exceeded_daily_quota_devices: {},
        throttled_events: [1, 2],
      }
      let r = await postJson(sb, '/2/httpapi', { api_key: KEY, events })
      assert.deepEqual([r.status, r.json], [429, expected])
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [events[1]] })
      assert.deepEqual(r.json.throttled_devices, { 'device-x': 31 })
      assert.deepEqual(r.json.throttled_events, [0])
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events })
      assert.equal(r.status, 429, 'user-y has one throttled request left')
      assert.deepEqual(r.json.throttled_users, { 'user-y': 31 })
      assert.deepEqual(r.json.throttled_devices, {})
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events })
      assert.equal(r.status, 200)
    })

    it('daily quota: injected ids and the configurable quota → exceeded_daily_quota_*', async () => {
      await open({ limits: { dailyQuota: 2 }, faults: { quotaExceeded: ['user-spam'] } })
      let r = await postJson(sb, '/batch', { api_key: KEY, events: [ev(1), { event_type: 'e', user_id: 'user-spam' }] })
      assert.equal(r.status, 429)
      assert.deepEqual(r.json, {
        code: 429,
        error: 'Too many requests for some devices and users',
        eps_threshold: 1000,
        throttled_devices: {},
        throttled_users: {},
        exceeded_daily_quota_users: { 'user-spam': 3 },
        exceeded_daily_quota_devices: {},
        throttled_events: [],
      })
      const d = (i: number) => ({ event_type: 'e', device_id: 'device-busy', insert_id: `q${i}` })
      r = await postJson(sb, '/batch', { api_key: KEY, events: [d(1), d(2), d(3)] })
      assert.equal(r.status, 200)
      r = await postJson(sb, '/batch', { api_key: KEY, events: [d(4)] })
      assert.equal(r.status, 429)
      assert.deepEqual(r.json.exceeded_daily_quota_devices, { 'device-busy': 3 })
    })

    it('identify is throttled per id too (JSON 429 body, identification indexes)', async () => {
      await open({ faults: { throttle: { deviceOrUser: ['user-0002'] } } })
      const r = await postForm(sb, '/identify', {
        api_key: KEY,
        identification: JSON.stringify([{ user_id: 'user-0001' }, { user_id: 'user-0002' }]),
      })
      assert.equal(r.status, 429)
      assert.deepEqual(r.json.throttled_users, { 'user-0002': 31 })
      assert.deepEqual(r.json.throttled_events, [1])
      assert.equal(sb.identifications.length, 0)
    })

    it('project-level: injected projectThrottle and the per-key eps limit → 429 without per-id detail', async () => {
      await open({ faults: { projectThrottle: 1 }, limits: { batchProjectEps: 1, throttleWindowMs: 1000 } })
      const empty = {
        code: 429,
        error: 'Too many requests for some devices and users',
        throttled_devices: {},
        throttled_users: {},
        exceeded_daily_quota_users: {},
        exceeded_daily_quota_devices: {},
        throttled_events: [],
      }
      let r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1)] })
      assert.deepEqual([r.status, r.json], [429, { ...empty, eps_threshold: 50000 }])
      r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1)] })
      assert.equal(r.status, 200)
      r = await postJson(sb, '/batch', { api_key: KEY, events: [ev(2), ev(3)] })
      assert.equal(r.status, 200)
      r = await postJson(sb, '/batch', { api_key: KEY, events: [ev(4)] })
      assert.deepEqual([r.status, r.json], [429, { ...empty, eps_threshold: 1 }])
      r = await postJson(sb, '/batch', { api_key: 'another-key', events: [ev(4)] })
      assert.equal(r.status, 200, 'the project limit is per API key')
    })

    it('silenced devices → 400 "Events silenced for device_id" with silenced_events', async () => {
      await open({ faults: { silencedDevices: ['device-mute'] } })
      const r = await postJson(sb, '/2/httpapi', {
        api_key: KEY,
        events: [ev(0), ev(1, { device_id: 'device-mute' }), ev(2, { device_id: 'device-mute' })],
      })
      assert.equal(r.status, 400)
      assert.deepEqual(r.json, {
        code: 400,
        error: 'Events silenced for device_id',
        eps_threshold: 30,
        exceeded_daily_quota_devices: {},
        silenced_devices: ['device-mute'],
        silenced_events: [1, 2],
        throttled_devices: {},
        throttled_events: [],
      })
      assert.equal(sb.events.length, 0)
    })

    it('usermap: calls over the per-window budget → 429', async () => {
      await open({ limits: { usermapCallsPerSecond: 1, throttleWindowMs: 1000 } })
      const m = { api_key: KEY, mapping: '{"user_id":"u1","global_user_id":"g1"}' }
      assert.equal((await postForm(sb, '/usermap', m)).status, 200)
      const r = await postForm(sb, '/usermap', m)
      assert.deepEqual([r.status, r.json], [429, { code: 429, error: 'Too many mapping requests' }])
    })
  })

  describe('fault injection', () => {
    async function statuses(seed: number, n: number): Promise<number[]> {
      const s = await startSandbox({ faults: { error5xxRate: 0.5, seed } })
      try {
        const out: number[] = []
        for (let i = 0; i < n; i++) {
          const res = await fetch(s.url + '/2/httpapi', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ api_key: KEY, events: [ev(i)] }),
          })
          await res.arrayBuffer()
          out.push(res.status)
        }
        const ok = out.filter((x) => x === 200).length
        assert.equal(s.events.length, ok, '5xx requests are answered before processing')
        return out
      } finally {
        await s.close()
      }
    }

    it('5xx faults are deterministic for a seed and use 500/502/503', async () => {
      sb = undefined as unknown as Sandbox
      const a = await statuses(42, 40)
      const b = await statuses(42, 40)
      const c = await statuses(7, 40)
      assert.deepEqual(a, b)
      assert.notDeepEqual(a, c)
      assert.ok(a.includes(200))
      assert.ok(a.every((x) => [200, 500, 502, 503].includes(x)))
      assert.ok(a.filter((x) => x !== 200).length >= 8)
    })

    it('fault bodies: 500/503 JSON, 502 HTML', async () => {
      await open({ faults: { error5xxRate: 1, seed: 3 } })
      const seen = new Map<number, string>()
      for (let i = 0; i < 30 && seen.size < 3; i++) {
        const r = await postJson(sb, '/batch', { api_key: KEY, events: [ev(i)] })
        seen.set(r.status, r.text)
      }
      assert.equal(seen.get(500), '{"code":500,"error":"Internal server error"}')
      assert.equal(seen.get(503), '{"code":503,"error":"Service unavailable"}')
      assert.match(seen.get(502) ?? '', /^<html>.*502 Bad Gateway/)
      assert.equal(sb.events.length, 0)
    })

    it('resets destroy the socket without an answer and are logged as status 0', async () => {
      await open({ faults: { resetRate: 1 } })
      await assert.rejects(postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1)] }))
      assert.equal(sb.events.length, 0)
      assert.deepEqual(
        sb.requests.map((q) => [q.path, q.status, q.events]),
        [['/2/httpapi', 0, 1]],
      )
      assert.deepEqual(sb.stats().byStatus, { reset: 1 })
      sb.setFaults({})
      const r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1)] })
      assert.equal(r.status, 200)
    })

    it('latency delays each answer', async () => {
      await open({ faults: { latencyMs: 120 } })
      const t0 = Date.now()
      const r = await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1)] })
      assert.equal(r.status, 200)
      assert.ok(Date.now() - t0 >= 110)
    })
  })

  describe('summarizeSandbox', () => {
    it('lists counts per endpoint and the top event types', async () => {
      await open()
      await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1), ev(2), ev(2), ev(3, { event_type: 'Clicked' })] })
      await postJson(sb, '/batch', { api_key: KEY, events: [ev(4, { event_type: 'Clicked' }), ev(5, { event_type: 'Clicked' })] })
      await postForm(sb, '/identify', { api_key: KEY, identification: '{"user_id":"user-0001"}' })
      await postJson(sb, '/2/httpapi', { events: [] })
      const lines = summarizeSandbox(sb)
      assert.deepEqual(lines, [
        `Sandbox ${sb.url} received 4 requests (200: 3, 400: 1)`,
        'Events ingested: 5 (httpapi 3, batch 2); duplicates discarded: 1; users: 5, devices: 0',
        'Identifications: 1; group identifications: 0; user mappings: 0',
        'Top event types (2 of 2):',
        '        3  Clicked',
        '        2  Viewed',
      ])
    })

    // The bundled example's "Viewed {{name}}" template makes "Viewed " for a page without a name:
    // the summary printed it as `Viewed `, indistinguishable from `Viewed` (inspect quotes it).
    it('an event type with a space at an edge is quoted, as inspect shows it', async () => {
      await open()
      await postJson(sb, '/2/httpapi', { api_key: KEY, events: [ev(1), ev(2, { event_type: 'Viewed ' }), ev(3, { event_type: 'Viewed ' })] })
      assert.deepEqual(summarizeSandbox(sb).slice(-3), ['Top event types (2 of 2):', '        2  "Viewed "', '        1  Viewed'])
    })
  })
})
