import { strict as assert } from 'node:assert'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportTime, parseExportTime, storedToSender, entryName } from '../../../src/amplitude/export-api/format.js'
import { buildExportLines, applyUserProperties } from '../../../src/amplitude/sandbox/export.js'
import { runExport, ExportError } from '../../../src/export/download.js'
import { HOUR_MS } from '../../../src/amplitude/export-api/hours.js'
import { tempDir } from '../../helpers/files.js'

const T = Date.UTC(2024, 4, 6, 10, 0, 0, 123)

describe('export format', () => {
  it('times and entry names as Amplitude writes them', () => {
    assert.equal(exportTime(T), '2024-05-06 10:00:00.123000')
    assert.equal(parseExportTime('2024-05-06 10:00:00.123000'), T)
    assert.equal(parseExportTime('2024-05-06T10:00:00.123Z'), T)
    assert.equal(entryName(187520, Date.UTC(2020, 0, 25, 5), 1), '187520/187520_2020-01-25_5#1.json.gz')
  })

  it('the sandbox stamps accumulated user properties and groups, moves revenue to $ properties, and turns identifications into $identify; storedToSender undoes the renames', () => {
    const src = {
      events: [
        {
          endpoint: 'httpapi' as const,
          receivedAt: T + 1000,
          requestSeq: 2,
          event: {
            event_type: 'Order Completed',
            user_id: 'user-1',
            time: T,
            insert_id: 'm2-abc',
            revenue: 12.5,
            price: 12.5,
            quantity: 1,
            app_version: '1.2',
            ip: '198.51.100.1',
            user_properties: { $set: { plan: 'pro' }, $add: { orders: 1 } },
            event_properties: { order_id: 'o1' },
          },
        },
      ],
      identifyLog: [
        {
          receivedAt: T + 500,
          requestSeq: 1,
          identification: {
            user_id: 'user-1',
            insert_id: 'm1-def',
            time: T - 10,
            user_properties: { $set: { email: 'a@b.c' }, $setOnce: { first_seen: 'x' } },
            groups: { company: 'acme' },
          },
        },
      ],
    }
    const built = buildExportLines(src, 187520, T - HOUR_MS, T + HOUR_MS)
    assert.equal(built.count, 2)
    const [ident, order] = [...built.byHour.values()][0]!.map((l) => JSON.parse(l))
    assert.equal(ident.event_type, '$identify')
    assert.deepEqual(ident.user_properties, { email: 'a@b.c', first_seen: 'x' })
    assert.deepEqual(ident.groups, { company: ['acme'] })
    assert.equal(order.$insert_id, 'm2-abc')
    assert.deepEqual(order.user_properties, { email: 'a@b.c', first_seen: 'x', plan: 'pro', orders: 1 })
    assert.deepEqual(order.groups, { company: ['acme'] })
    assert.deepEqual(order.event_properties, { order_id: 'o1', $revenue: 12.5, $price: 12.5, $quantity: 1 })
    assert.equal(order.version_name, '1.2')
    assert.equal(order.ip_address, '198.51.100.1')
    assert.equal(order.server_upload_time, exportTime(T + 1000))
    assert.equal(order.session_id, -1)

    const back = storedToSender(order)
    assert.equal(back.endpoint, '/httpapi')
    assert.deepEqual(
      {
        insert_id: back.record.insert_id,
        time: back.record.time,
        revenue: back.record.revenue,
        price: back.record.price,
        app_version: back.record.app_version,
        ip: back.record.ip,
        event_properties: back.record.event_properties,
      },
      { insert_id: 'm2-abc', time: T, revenue: 12.5, price: 12.5, app_version: '1.2', ip: '198.51.100.1', event_properties: { order_id: 'o1' } },
    )
    for (const k of ['uuid', 'amplitude_id', 'server_upload_time', 'data', 'session_id', 'app', '$insert_id']) assert.ok(!(k in back.record), k)
    const id = storedToSender(ident)
    assert.equal(id.endpoint, '/identify')
    assert.ok(!('event_type' in id.record))
  })

  it('user property operations apply in order', () => {
    const s: Record<string, unknown> = { n: 1, list: ['a'] }
    applyUserProperties(s, { $add: { n: 2 }, $append: { list: 'b' }, $prepend: { list: 'z' }, $setOnce: { n: 99, fresh: true }, $unset: { gone: '-' } })
    assert.deepEqual(s, { n: 3, list: ['z', 'a', 'b'], fresh: true })
    applyUserProperties(s, { $clearAll: '-' })
    assert.deepEqual(s, {})
  })

  it('429 and 5xx are retried with backoff; a 404 after that is an empty hour; persistent 503 is an error that says how to resume', async () => {
    const answers = [503, 429, 404]
    let calls = 0
    const auth: string[] = []
    const srv = http.createServer((req, res) => {
      auth.push(String(req.headers.authorization))
      const status = answers[Math.min(calls++, answers.length - 1)]!
      res.writeHead(status, { 'content-type': 'text/plain' })
      res.end(status === 404 ? 'no data' : 'busy')
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
    const notices: string[] = []
    const hour = Math.floor(T / HOUR_MS)
    const range = { start: hour, end: hour }
    const r = await runExport({ range, baseUrl: url, apiKey: 'k-12345', secretKey: 's-67890', outDir: tempDir(), backoffMs: 1, onNotice: (t) => notices.push(t) })
    assert.equal(calls, 3)
    assert.equal(r.hoursEmpty, 1)
    assert.deepEqual(notices, ['20240506T10: HTTP 503; retrying (attempt 2 of 4)', '20240506T10: HTTP 429; retrying (attempt 3 of 4)', '20240506T10: no data (404)'])
    assert.equal(auth[0], 'Basic ' + Buffer.from('k-12345:s-67890').toString('base64'))
    answers.splice(0, answers.length, 503)
    calls = 0
    await assert.rejects(
      runExport({ range, baseUrl: url, apiKey: 'k-12345', secretKey: 's-67890', outDir: tempDir(), backoffMs: 1 }),
      (e: unknown) =>
        e instanceof ExportError &&
        e.kind === 'http' &&
        /HTTP 503 for 20240506T10 after 4 attempt\(s\): busy; run the same command again to resume/.test(e.message) &&
        !e.message.includes('s-67890'),
    )
    assert.equal(calls, 4)
    srv.close()
  })
})
