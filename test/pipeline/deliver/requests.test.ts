import { strict as assert } from 'node:assert'
import {
  assembleRequests,
  endpointUrl,
  keyFingerprint,
  redactRequest,
  buildBody,
  formEncoded,
  formEncodedLength,
  emptyBodyBytes,
  serializeRecord,
  separatorBytes,
} from '../../../src/pipeline/deliver/requests.js'
import { classifyResponse } from '../../../src/pipeline/deliver/classify.js'
import { RequestAssembler, dryRunLine } from '../../../src/pipeline/deliver/requests.js'
import fc from 'fast-check'
import { backoffDelay } from '../../../src/pipeline/deliver/delivery.js'
import type { AmplitudeRecord } from '../../../src/types.js'

const KEY = 'k3y-0123456789abcdef0123456789ab'
const ev = (i: number, extra: Record<string, unknown> = {}): AmplitudeRecord => ({
  endpoint: 'httpapi',
  record: { event_type: 'E', device_id: `device-${i}`, insert_id: `ins-${i}`, ...extra },
})

describe('requests: URLs', () => {
  it('uses api2 in the US, api.eu in the EU, api. for usermap', () => {
    assert.equal(endpointUrl('httpapi', 'us'), 'https://api2.amplitude.com/2/httpapi')
    assert.equal(endpointUrl('batch', 'us'), 'https://api2.amplitude.com/batch')
    assert.equal(endpointUrl('identify', 'us'), 'https://api2.amplitude.com/identify')
    assert.equal(endpointUrl('groupidentify', 'us'), 'https://api2.amplitude.com/groupidentify')
    assert.equal(endpointUrl('usermap', 'us'), 'https://api.amplitude.com/usermap')
    assert.equal(endpointUrl('httpapi', 'eu'), 'https://api.eu.amplitude.com/2/httpapi')
    assert.equal(endpointUrl('usermap', 'eu'), 'https://api.eu.amplitude.com/usermap')
  })
  it('endpointUrl override replaces scheme+host and keeps paths', () => {
    assert.equal(endpointUrl('httpapi', 'eu', 'http://127.0.0.1:8080'), 'http://127.0.0.1:8080/2/httpapi')
    assert.equal(endpointUrl('usermap', 'us', 'http://127.0.0.1:8080/'), 'http://127.0.0.1:8080/usermap')
    assert.equal(endpointUrl('batch', 'us', 'https://proxy.local/amp/'), 'https://proxy.local/amp/batch')
  })
})

describe('requests: bodies', () => {
  it('JSON body for httpapi with options; batch endpoint forced', () => {
    const recs: AmplitudeRecord[] = [
      { ...ev(1), options: { min_id_length: 1 } },
      { ...ev(2), options: { min_id_length: 1 } },
    ]
    const [r, ...rest] = assembleRequests(recs, { apiKey: KEY, useBatchEndpoint: true })
    assert.equal(rest.length, 0)
    assert.equal(r!.url, 'https://api2.amplitude.com/batch')
    assert.equal(r!.headers['content-type'], 'application/json')
    assert.ok(r!.headers['user-agent'])
    assert.deepEqual(JSON.parse(r!.body), {
      api_key: KEY,
      events: [recs[0]!.record, recs[1]!.record],
      options: { min_id_length: 1 },
    })
    assert.deepEqual(r!.indexes, [0, 1])
  })
  it('groups by endpoint and identical options (key order irrelevant), keeping input order', () => {
    const recs: AmplitudeRecord[] = [
      ev(0),
      { ...ev(1), options: { a: 1, b: 2 } },
      ev(2),
      { ...ev(3), options: { b: 2, a: 1 } },
      { endpoint: 'identify', record: { user_id: 'user-1', user_properties: { x: 'a b' } } },
      { ...ev(5), options: {} },
    ]
    const reqs = assembleRequests(recs, { apiKey: KEY })
    assert.deepEqual(
      reqs.map((r) => r.indexes),
      [[0, 2, 5], [1, 3], [4]],
    )
    assert.equal(reqs[2]!.endpoint, 'identify')
  })
  it('form bodies: identify, groupidentify (identification=[...]), usermap (mapping=[...]), spaces as +', () => {
    const recs: AmplitudeRecord[] = [
      { endpoint: 'identify', record: { user_id: 'user 1', library: 'segment' }, options: { min_id_length: 2 } },
      { endpoint: 'groupidentify', record: { group_type: 'org id', group_value: 'g1' } },
      { endpoint: 'usermap', record: { user_id: 'old', global_user_id: 'new' } },
    ]
    const reqs = assembleRequests(recs, { apiKey: KEY, region: 'eu' })
    assert.equal(reqs.length, 3)
    for (const r of reqs) assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8')
    assert.equal(reqs[0]!.url, 'https://api.eu.amplitude.com/identify')
    assert.equal(reqs[0]!.body, `api_key=${KEY}&identification=%5B%7B%22user_id%22%3A%22user+1%22%2C%22library%22%3A%22segment%22%7D%5D&options=%7B%22min_id_length%22%3A2%7D`)
    const g = new URLSearchParams(reqs[1]!.body)
    assert.deepEqual(JSON.parse(g.get('identification')!), [{ group_type: 'org id', group_value: 'g1' }])
    assert.equal(g.get('options'), null)
    assert.ok(reqs[1]!.body.includes('org+id'))
    const m = new URLSearchParams(reqs[2]!.body)
    assert.equal(reqs[2]!.url, 'https://api.eu.amplitude.com/usermap')
    assert.deepEqual(JSON.parse(m.get('mapping')!), [{ user_id: 'old', global_user_id: 'new' }])
  })
  it('skipUserPropertiesSync adds the flag to events only', () => {
    const reqs = assembleRequests([ev(1), { endpoint: 'identify', record: { user_id: 'u1234' } }], {
      apiKey: KEY,
      skipUserPropertiesSync: true,
    })
    assert.equal(JSON.parse(reqs[0]!.body).events[0].$skip_user_properties_sync, true)
    assert.ok(!reqs[1]!.body.includes('skip'))
  })
})

describe('requests: limits', () => {
  it('default batchSize 1000; max 2000; httpapi capped at 1999, batch 2000, groupidentify 1024', () => {
    const recs = Array.from({ length: 2500 }, (_, i) => ev(i))
    assert.deepEqual(
      assembleRequests(recs, { apiKey: KEY }).map((r) => r.indexes.length),
      [1000, 1000, 500],
    )
    assert.deepEqual(
      assembleRequests(recs, { apiKey: KEY, batchSize: 5000 }).map((r) => r.indexes.length),
      [1999, 501],
    )
    assert.deepEqual(
      assembleRequests(recs, { apiKey: KEY, batchSize: 2000, useBatchEndpoint: true }).map((r) => r.indexes.length),
      [2000, 500],
    )
    const gi = recs.map((_, i): AmplitudeRecord => ({ endpoint: 'groupidentify', record: { group_type: 't', group_value: `v${i}` } }))
    assert.deepEqual(
      assembleRequests(gi, { apiKey: KEY, batchSize: 2000 }).map((r) => r.indexes.length),
      [1024, 1024, 452],
    )
  })
  it('byte limit: every body within maxBytes; serialized size predicted exactly', () => {
    const big = 'x'.repeat(3000)
    const recs = Array.from({ length: 100 }, (_, i) => ev(i, { event_properties: { big, n: 'é ü' } }))
    const reqs = assembleRequests(recs, { apiKey: KEY, limits: { httpapi: { maxBytes: 20_000 } } })
    assert.ok(reqs.length > 1)
    for (const r of reqs) assert.ok(Buffer.byteLength(r.body) <= 20_000, `${Buffer.byteLength(r.body)}`)
    assert.deepEqual(
      reqs.flatMap((r) => r.indexes),
      recs.map((_, i) => i),
    )
    // predicted size = actual size
    const sers = recs.slice(0, 3).map((r) => serializeRecord(r, false))
    const predicted = emptyBodyBytes('httpapi', KEY) + sers.reduce((a, s) => a + s.bytes, 0) + 2 * separatorBytes('httpapi')
    assert.equal(
      predicted,
      Buffer.byteLength(
        buildBody(
          'httpapi',
          KEY,
          sers.map((s) => s.json),
        ),
      ),
    )
    const forms = recs.slice(0, 3).map((r) => serializeRecord({ ...r, endpoint: 'identify' }, false))
    const predictedForm = emptyBodyBytes('identify', KEY) + forms.reduce((a, s) => a + s.bytes, 0) + 2 * separatorBytes('identify')
    assert.equal(
      predictedForm,
      Buffer.byteLength(
        buildBody(
          'identify',
          KEY,
          forms.map((s) => s.json),
        ),
      ),
    )
  })
  it('form-encoded length is exactly what URLSearchParams writes, for any text (ASCII, accents, emoji, lone surrogates)', () => {
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '*',
      '-',
      '.',
      '_',
      '~',
      '"',
      '{',
      '%',
      '+',
      '&',
      '=',
      '\n',
      'é',
      'ß',
      '€',
      '中',
      '😀',
      '\ud800',
      '\udc00',
      '\u007f',
      '\u0080',
      '\u07ff',
      '\u0800',
      '\uffff',
    ]
    let seed = 7
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    for (let k = 0; k < 500; k++) {
      const s = Array.from({ length: rnd(40) }, () => alphabet[rnd(alphabet.length)]).join('')
      assert.equal(formEncodedLength(s), new URLSearchParams({ x: s }).toString().length - 2, JSON.stringify(s))
      assert.equal(formEncoded(s), new URLSearchParams({ x: s }).toString().slice(2), JSON.stringify(s))
    }
    // Every character below U+0800 and the characters encodeURIComponent keeps as they are.
    for (let c = 0; c < 0x800; c++) {
      const s = `a${String.fromCharCode(c)}z!'()~* `
      assert.equal(formEncoded(s), new URLSearchParams({ x: s }).toString().slice(2), JSON.stringify(s))
    }
  })
  it('event bodies: records joined as they are, between the key and the options', () => {
    assert.equal(buildBody('httpapi', 'k', []), '{"api_key":"k","events":[]}')
    assert.equal(buildBody('httpapi', 'k', ['{"a":1}']), '{"api_key":"k","events":[{"a":1}]}')
    assert.equal(buildBody('batch', 'k', ['{"a":1}', '{"b":2}', '3'], { min_id_length: 1 }), '{"api_key":"k","events":[{"a":1},{"b":2},3],"options":{"min_id_length":1}}')
    const recs = ['{"a":1}', '{"b":2}']
    buildBody('httpapi', 'k', recs)
    assert.deepEqual(recs, ['{"a":1}', '{"b":2}'], "the caller's list is left as it was")
  })
  it('form bodies are exactly the text URLSearchParams writes for api_key, the records and the options (property), the placeholder kept readable', () => {
    const urlSearchParamsBody = (field: string, key: string, records: string[], options?: Record<string, unknown>): string => {
      const p = new URLSearchParams()
      p.set('api_key', key)
      p.set(field, `[${records.join(',')}]`)
      if (options !== undefined && Object.keys(options).length > 0) p.set('options', JSON.stringify(options))
      return p.toString()
    }
    const text = fc.string({ unit: 'binary', maxLength: 12 })
    fc.assert(
      fc.property(
        fc.constantFrom('identify' as const, 'groupidentify' as const, 'usermap' as const),
        text,
        fc.array(fc.dictionary(text, fc.oneof(text, fc.integer(), fc.boolean())), { maxLength: 4 }),
        fc.option(fc.dictionary(text, fc.integer()), { nil: undefined }),
        (endpoint, key, records, options) => {
          const json = records.map((r) => JSON.stringify(r))
          const field = endpoint === 'usermap' ? 'mapping' : 'identification'
          assert.equal(buildBody(endpoint, key, json, options), urlSearchParamsBody(field, key, json, options))
        },
      ),
      { numRuns: 300 },
    )
    assert.equal(buildBody('identify', 'k&y', ['{"user_id":"a b"}'], undefined, true), 'api_key=<redacted>&identification=%5B%7B%22user_id%22%3A%22a+b%22%7D%5D')
  })
  it('a record larger than the limit alone still gets its own request', () => {
    const reqs = assembleRequests([ev(0), ev(1, { p: 'y'.repeat(5000) }), ev(2)], { apiKey: KEY, limits: { httpapi: { maxBytes: 1000 } } })
    assert.deepEqual(
      reqs.map((r) => r.indexes),
      [[0], [1], [2]],
    )
  })
})

describe('requests: streaming assembler and properties', () => {
  it('RequestAssembler emits completed requests as it goes; same result as assembleRequests', () => {
    const recs = Array.from({ length: 25 }, (_, i) => (i % 5 === 0 ? { endpoint: 'identify' as const, record: { user_id: `user-${i}` } } : ev(i)))
    const a = new RequestAssembler({ apiKey: KEY, batchSize: 4 })
    const streamed = recs.flatMap((r) => a.add(r))
    assert.ok(streamed.length > 0)
    streamed.push(...a.end())
    assert.deepEqual(streamed, assembleRequests(recs, { apiKey: KEY, batchSize: 4 }))
    const line = JSON.parse(dryRunLine(redactRequest(streamed[0]!, KEY)))
    assert.deepEqual(Object.keys(line), ['method', 'url', 'headers', 'body'])
    assert.ok(!JSON.stringify(line).includes(KEY))
  })
  it('property: each record exactly once, order kept per group, limits respected', () => {
    const recArb = fc.record({
      endpoint: fc.constantFrom('httpapi', 'batch', 'identify', 'groupidentify', 'usermap') as fc.Arbitrary<AmplitudeRecord['endpoint']>,
      opt: fc.constantFrom(undefined, 1, 2),
      text: fc.string({ maxLength: 300, unit: 'binary' }),
    })
    fc.assert(
      fc.property(fc.array(recArb, { maxLength: 120 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 200, max: 3000 }), (raw, batchSize, maxBytes) => {
        const recs: AmplitudeRecord[] = raw.map((r, i) => ({ endpoint: r.endpoint, record: { i, t: r.text }, ...(r.opt ? { options: { min_id_length: r.opt } } : {}) }))
        const lim = { maxBytes }
        const reqs = assembleRequests(recs, { apiKey: KEY, batchSize, limits: { httpapi: lim, batch: lim, identify: lim, groupidentify: lim, usermap: lim } })
        assert.deepEqual(
          reqs.flatMap((r) => r.indexes).sort((a, b) => a - b),
          recs.map((_, i) => i),
        )
        for (const r of reqs) {
          assert.ok(r.indexes.length <= batchSize)
          assert.ok(r.indexes.length === 1 || Buffer.byteLength(r.body) <= maxBytes)
          const opts = new Set(r.indexes.map((i) => JSON.stringify(recs[i]!.options ?? null)))
          assert.equal(opts.size, 1)
          assert.ok(r.indexes.every((i, k) => k === 0 || i > r.indexes[k - 1]!))
          const body =
            r.endpoint === 'httpapi' || r.endpoint === 'batch'
              ? JSON.parse(r.body).events
              : JSON.parse(new URLSearchParams(r.body).get(r.endpoint === 'usermap' ? 'mapping' : 'identification')!)
          assert.deepEqual(
            body,
            r.indexes.map((i) => recs[i]!.record),
          )
        }
      }),
      { numRuns: 200, seed: 42 },
    )
  })
})

describe('requests: redaction', () => {
  it('redact option and redactRequest remove the key from JSON and form bodies', () => {
    const recs: AmplitudeRecord[] = [ev(1), { endpoint: 'usermap', record: { user_id: 'old', global_user_id: 'new' } }]
    const red = assembleRequests(recs, { apiKey: KEY, redact: true })
    assert.equal(JSON.parse(red[0]!.body).api_key, '<redacted>')
    assert.ok(red[1]!.body.startsWith('api_key=<redacted>&mapping='))
    // packing identical to a live run
    assert.deepEqual(
      red.map((r) => r.indexes),
      assembleRequests(recs, { apiKey: KEY }).map((r) => r.indexes),
    )
    for (const r of assembleRequests(recs, { apiKey: KEY })) {
      const x = redactRequest(r, KEY)
      assert.ok(!JSON.stringify(x).includes(KEY))
      assert.ok(x.body.includes('<redacted>'))
    }
  })
  it('redactRequest only touches the api_key field (a key that also occurs in data is left there)', () => {
    const [j] = assembleRequests([ev(1)], { apiKey: 'E' })
    assert.deepEqual(JSON.parse(redactRequest(j!, 'E').body), { api_key: '<redacted>', events: [ev(1).record] })
    const [f] = assembleRequests([{ endpoint: 'identify', record: { user_id: 'E E' } }], { apiKey: 'E E' })
    const red = redactRequest(f!, 'E E').body
    assert.ok(red.startsWith('api_key=<redacted>&identification='))
    assert.deepEqual(JSON.parse(new URLSearchParams(red).get('identification')!), [{ user_id: 'E E' }])
  })
  it('fingerprint shows a short prefix and the length', () => {
    assert.equal(keyFingerprint(KEY), 'k3y-…(32)')
    assert.equal(keyFingerprint('abc'), '…(3)')
  })
})

describe('classify responses', () => {
  const recs = [{ device_id: 'dev-aaaaa', user_id: 'user-1' }, { device_id: 'dev-bbbbb' }, { device_id: 'dev-ccccc', user_id: 'user-2' }, { device_id: 'dev-ddddd' }]
  it('200 acks all when every event was ingested; body code wins over HTTP status', () => {
    const c = classifyResponse('httpapi', recs, { status: 200, body: '{"code":200,"events_ingested":4}' })
    assert.deepEqual(
      c.fates.map((f) => f.t),
      ['ack', 'ack', 'ack', 'ack'],
    )
    assert.equal(c.ingested, 4)
    const t = classifyResponse('httpapi', recs, { status: 200, body: '{"code":429,"error":"Too many"}' })
    assert.equal(t.code, 429)
    assert.equal(t.projectThrottle, true)
    assert.equal(classifyResponse('identify', recs, { status: 200, body: 'success' }).fates[0]!.t, 'ack')
  })
  it('invalid API key is fatal and never echoes the key', () => {
    const c = classifyResponse('httpapi', recs, { status: 400, body: `{"code":400,"error":"Invalid API key: ${KEY}"}` }, KEY)
    assert.ok(c.fatal)
    assert.ok(!c.fatal!.includes(KEY) && !c.reason.includes(KEY))
    assert.match(c.fatal!, /invalid API key/)
    assert.ok(classifyResponse('httpapi', recs, { status: 400, body: '{"code":400,"missing_field":"api_key"}' }).fatal)
    assert.ok(classifyResponse('httpapi', recs, { status: 403, body: '{"code":403,"error":"Forbidden"}' }).fatal)
  })
  it('400 with index maps: named events dead with reasons, rest resent', () => {
    const c = classifyResponse('httpapi', recs, {
      status: 400,
      body: JSON.stringify({
        code: 400,
        error: 'Invalid field values on some events',
        events_with_invalid_fields: { time: [3] },
        events_with_missing_fields: { event_type: [1, 3] },
        events_with_invalid_id_lengths: { user_id: [9] },
      }),
    })
    assert.deepEqual(c.fates, [{ t: 'resend' }, { t: 'dead', reason: 'missing_field:event_type' }, { t: 'resend' }, { t: 'dead', reason: 'invalid_field:time' }])
    const s = classifyResponse('httpapi', recs, {
      status: 400,
      body: '{"code":400,"error":"Events silenced for device_id","silenced_devices":["dev-aaaaa"],"silenced_events":[0],"throttled_events":[2]}',
    })
    assert.deepEqual(
      s.fates.map((f) => f.t),
      ['dead', 'resend', 'throttle', 'resend'],
    )
  })
  it('a 200 that ingested fewer events than sent acknowledges none of them: all dead-lettered not_ingested', () => {
    for (const body of ['{"code":200,"events_ingested":0}', '{"code":200,"events_ingested":3}']) {
      const c = classifyResponse('batch', recs, { status: 200, body })
      const n = JSON.parse(body).events_ingested
      assert.deepEqual(
        c.fates,
        recs.map(() => ({ t: 'dead', reason: `not_ingested: Amplitude acknowledged the request but ingested ${n} of its 4 events` })),
      )
      assert.equal(c.fatal, undefined)
    }
  })
  it("a 2xx whose body is not Amplitude's (HTML, no events_ingested, empty) is fatal and acknowledges nothing", () => {
    const cases: Array<[Parameters<typeof classifyResponse>[0], string]> = [
      ['httpapi', '<html><body>Welcome to the hotel Wi-Fi</body></html>'],
      ['httpapi', '{"code":200}'],
      ['batch', ''],
      ['identify', '<!doctype html><title>Proxy</title>'],
    ]
    for (const [endpoint, body] of cases) {
      const c = classifyResponse(endpoint, recs, { status: 200, body })
      assert.ok(c.fatal, `${endpoint} ${body}`)
      assert.match(c.fatal!, new RegExp(`the ${endpoint} endpoint answered 200 with .*not Amplitude's answer: nothing in that request was counted as sent\\. Check --endpoint-url`))
      assert.ok(c.fates.every((f) => f.t !== 'ack'))
    }
  })
  it("400 without indexes / HTML: the request's records are dead-lettered with the answer; never split", () => {
    assert.deepEqual(
      classifyResponse('httpapi', recs, { status: 400, body: '<html>Bad Request</html>' }).fates,
      recs.map(() => ({ t: 'dead', reason: 'rejected (400): <html>Bad Request</html>' })),
    )
    assert.deepEqual(classifyResponse('httpapi', recs, { status: 422, body: '{"code":422,"error":"nope"}' }).fates[0], { t: 'dead', reason: 'rejected (422): nope' })
    const one = classifyResponse('identify', recs.slice(0, 1), { status: 400, body: 'missing_event' })
    assert.deepEqual(one.fates, [{ t: 'dead', reason: 'rejected (400): missing_event' }])
  })
  it('413: split; single record dead payload_too_large', () => {
    assert.deepEqual(classifyResponse('httpapi', recs, { status: 413, body: '{"code":413}' }).fates[0], { t: 'split' })
    assert.deepEqual(classifyResponse('httpapi', recs.slice(0, 1), { status: 413 }).fates, [{ t: 'dead', reason: 'payload_too_large' }])
  })
  it('429: throttled by index/user/device, quota, others resent', () => {
    const c = classifyResponse('batch', recs, {
      status: 429,
      body: JSON.stringify({
        code: 429,
        throttled_users: { 'user-2': 40 },
        throttled_devices: { 'dev-bbbbb': 40 },
        exceeded_daily_quota_devices: { 'dev-aaaaa': 500001 },
        throttled_events: [1],
      }),
    })
    assert.deepEqual(
      c.fates.map((f) => f.t),
      ['quota', 'throttle', 'throttle', 'resend'],
    )
    assert.equal(c.projectThrottle, false)
    assert.deepEqual(c.quotaDevices, ['dev-aaaaa'])
  })
  it('5xx, 408 and transport errors back off; refused connection flagged unreachable', () => {
    assert.equal(classifyResponse('httpapi', recs, { status: 503, body: 'oops' }).fates[0]!.t, 'backoff')
    assert.equal(classifyResponse('httpapi', recs, { status: 408 }).reason, 'timeout')
    const r = classifyResponse('httpapi', recs, { status: null, error: { code: 'ECONNRESET' } })
    assert.equal(r.reason, 'ECONNRESET')
    assert.equal(r.unreachable, false)
    assert.equal(classifyResponse('httpapi', recs, { status: null, error: { code: 'ECONNREFUSED' } }).unreachable, true)
    assert.equal(classifyResponse('httpapi', recs, { status: null, error: { code: 'ETIMEDOUT', timeout: true } }).reason, 'timeout')
    // The operating system's own connection timeout is not the request's deadline (--request-timeout): named by its code.
    assert.equal(classifyResponse('httpapi', recs, { status: null, error: { code: 'ETIMEDOUT', timeout: false } }).reason, 'ETIMEDOUT')
  })
  it('backoff grows exponentially with jitter in [0.5,1) and is capped', () => {
    assert.equal(
      backoffDelay(1, 100, 10_000, () => 0),
      50,
    )
    assert.equal(
      backoffDelay(3, 100, 10_000, () => 0.999999),
      400,
    )
    assert.equal(
      backoffDelay(20, 100, 10_000, () => 0),
      5000,
    )
  })
})
