/**
 * The lean dry-run writer: records are packed as a live run packs them, and each written request
 * hands back its records' tags at once (a dry run settles per request, keeping nothing per record).
 */
import { strict as assert } from 'node:assert'
import { createDryRunDelivery, createDryRunWriter } from '../../../src/pipeline/deliver/dry-run.js'
import { serializeRecord } from '../../../src/pipeline/deliver/requests.js'
import type { AmplitudeRecord } from '../../../src/types.js'

const KEY = 'k3y-0123456789abcdef0123456789ab'
const event = (i: number): AmplitudeRecord => ({ endpoint: 'httpapi', record: { event_type: `E${i}`, user_id: `user-${i % 3}`, insert_id: `id-${i}` } })
const identify = (i: number): AmplitudeRecord => ({ endpoint: 'identify', record: { user_id: `user-${i}`, user_properties: { $set: { n: i } } } })

describe('deliver: the dry-run writer', () => {
  it("hands back each request's tags in body order, every tag exactly once, and writes the same lines as the dry-run delivery", async () => {
    const records = Array.from({ length: 23 }, (_, i) => (i % 4 === 3 ? identify(i) : event(i)))
    const opts = { apiKey: KEY, batchSize: 5, forOut: true, redact: true }
    const lines: string[] = []
    const settled: number[][] = []
    const writer = createDryRunWriter<number>(
      opts,
      (req) => lines.push(String(req)),
      (tags) => settled.push(tags),
    )
    records.forEach((r, i) => writer.add(undefined, serializeRecord(r, false, { forOut: true }), i))
    assert.ok(settled.length > 0 && settled.length < lines.length + 1)
    writer.end()
    assert.equal(settled.length, lines.length)
    assert.deepEqual(
      settled.flat().sort((a, b) => a - b),
      records.map((_, i) => i),
    )
    for (const tags of settled) assert.ok(tags.length <= 5 && tags.every((t, k) => k === 0 || t > tags[k - 1]))
    assert.equal(writer.stats().outstanding, 0)
    assert.equal(writer.stats().requests, lines.length)

    const viaDelivery: string[] = []
    const acked: number[] = []
    const delivery = createDryRunDelivery(opts, { onAck: (items) => acked.push(...items.map((it) => it.seq)) }, (req) => viaDelivery.push(String(req)))
    for (const [i, r] of records.entries()) await delivery.push({ seq: i, record: r, ref: { file: 'f', line: i + 1 }, key: String(r.record.user_id) })
    await delivery.flush()
    assert.deepEqual(viaDelivery, lines)
    assert.deepEqual(
      acked.sort((a, b) => a - b),
      records.map((_, i) => i),
    )
    assert.deepEqual(delivery.pendingItems(), [])
  })
})
