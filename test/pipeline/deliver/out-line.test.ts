/**
 * A dry run writes its `--out` lines from pieces serialized per record (on worker threads), never
 * building and escaping each body whole. The line must be exactly what the request itself gives.
 */
import { strict as assert } from 'node:assert'
import { assembleRequests, dryRunLine, outLine, RequestAssembler, serializeRecord, type AssembleOptions } from '../../../src/pipeline/deliver/requests.js'
import type { AmplitudeRecord } from '../../../src/types.js'

const KEY = 'out-line-key-0123456789abcdef'

const records: AmplitudeRecord[] = [
  {
    endpoint: 'httpapi',
    record: {
      event_type: 'Quote " and \\ backslash',
      user_id: 'u-1',
      event_properties: { text: 'line\nbreak\ttab \u2028 \u00e9 \ud83d\ude00', nested: { a: [1, 2] } },
      insert_id: 'i-1',
    },
    options: { min_id_length: 3 },
  },
  { endpoint: 'httpapi', record: { event_type: 'Plain', device_id: 'd-1', insert_id: 'i-2' } },
  { endpoint: 'identify', record: { user_id: 'u 1+&=?', user_properties: { $set: { plan: 'pro "gold"', emoji: '\ud83d\ude00' } } }, options: { min_id_length: 3 } },
  { endpoint: 'identify', record: { device_id: 'd/2', user_properties: { $setOnce: { first: 'ä' } } } },
  { endpoint: 'groupidentify', record: { group_type: 'org', group_value: 'Acme "Inc"', group_properties: { $set: { size: 5 } } } },
  { endpoint: 'usermap', record: { user_id: 'u-1', global_user_id: 'g-1' } },
]

describe('deliver: --out lines from per-record pieces', () => {
  const variants: Array<[string, Partial<AssembleOptions>]> = [
    ['redacted', { redact: true }],
    ['with the key kept', { redact: false }],
    ['to /batch, EU', { redact: true, useBatchEndpoint: true, region: 'eu' }],
    ['through a proxy with credentials', { redact: true, endpointUrl: 'https://user:secret@proxy.example.com' }],
    ['with $skip_user_properties_sync', { redact: true, skipUserPropertiesSync: true }],
    ['in requests of two records', { redact: true, batchSize: 2 }],
  ]
  for (const [name, o] of variants) {
    it(`equal the request's own line: ${name}`, () => {
      const base: AssembleOptions = { apiKey: KEY, ...o }
      const whole = assembleRequests(records, base)
      const pieces = assembleRequests(records, { ...base, forOut: true })
      // Requests are sized with the real key, redacted or not (the same packing as a live run).
      const live = assembleRequests(records, { ...base, redact: false })
      assert.equal(pieces.length, whole.length)
      assert.ok(whole.length >= 4)
      for (const [i, req] of whole.entries()) {
        assert.equal(pieces[i].line, dryRunLine(req))
        assert.equal(pieces[i].bodyBytes, Buffer.byteLength(live[i].body))
        assert.deepEqual(pieces[i].indexes, req.indexes)
      }
    })
  }
  it('pieces a worker encoded as bytes (mixed with strings) give the same line, as bytes with its newline', () => {
    for (const endpoint of ['httpapi', 'identify'] as const) {
      const recs = records.filter((r) => r.endpoint === endpoint)
      const outs = recs.map((r) => serializeRecord(r, false, { forOut: true }).out!)
      const b = { apiKey: KEY, redact: true }
      const asText = outLine(endpoint, outs, recs[0].options, b)
      assert.equal(typeof asText, 'string')
      const mixed = outLine(
        endpoint,
        outs.map((o, i) => (i % 2 === 0 ? new Uint8Array(Buffer.from(o)) : o)),
        recs[0].options,
        b,
      )
      assert.ok(Buffer.isBuffer(mixed))
      assert.equal(mixed.toString('utf8'), `${asText as string}\n`)
    }
  })

  it("a worker's piece is copied into the open request: its batch's buffer is not kept alive (a rare endpoint's request may stay open for the whole run)", () => {
    const b = { apiKey: KEY, redact: true, forOut: true as const }
    const usermap = records.find((r) => r.endpoint === 'usermap')!
    const ser = serializeRecord(usermap, false, { forOut: true })
    const want = assembleRequests([usermap], b)[0].line
    // The piece as a view into a larger buffer, as pieces come back from a thread.
    const batch = Buffer.alloc(4096, 0x20)
    const at = batch.write(ser.out!, 100)
    const a = new RequestAssembler(b)
    assert.deepEqual(a.add(undefined, { ...ser, out: undefined, outBytes: new Uint8Array(batch.buffer, batch.byteOffset + 100, at) }), [])
    // The batch's memory is reused (or freed) before the request is written: the line is unchanged.
    batch.fill(0x58)
    const [req] = a.end()
    assert.equal(req.line!.toString(), `${want as string}\n`)
  })
})
