/**
 * Segment's Public API client (src/segment/public-api/) against local HTTP servers: the token never
 * in an error, a 404 on a write worded apart from one on a read, and where a 429's wait comes from.
 * `migrate`'s use of it end to end is test/migrate/migrate-segment.test.ts.
 */
import { strict as assert } from 'node:assert'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { retryAfterMs, SegmentApiClient, type SegmentApiError } from '../../../src/segment/public-api/client.js'

describe('Segment Public API client: a 429 wait', () => {
  it('a 429 wait comes from Retry-After, else the body, else X-RateLimit-Reset', () => {
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), undefined), 3000)
    assert.equal(retryAfterMs(new Headers(), { errors: [{ data: { msBeforeNext: 57647 } }] }), 57647)
    const now = Date.parse('2026-01-01T00:00:00Z')
    assert.equal(retryAfterMs(new Headers({ 'x-ratelimit-reset': 'Thu, 01 Jan 2026 00:00:05 GMT' }), undefined, now), 5000)
    assert.equal(retryAfterMs(new Headers(), undefined), undefined)
  })
})

describe('Segment Public API client: a server that echoes the token', () => {
  it('never puts the token in an error message', async () => {
    const srv = http.createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ errors: [{ type: 'bad-request', message: `Bad request, your header was ${String(req.headers.authorization)}` }] }))
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const client = new SegmentApiClient({ token: 'tok_SECRET_123', baseUrl: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` })
    await assert.rejects(client.getDestination('dest123'), (e: Error) => {
      assert.ok(!e.message.includes('tok_SECRET_123'), e.message)
      assert.match(e.message, /Segment says: Bad request, your header was Bearer <token>/)
      return true
    })
    srv.close()
  })
})

describe('Segment Public API client: a 404 on a write', () => {
  it('says the destination changed since the plan and a rerun re-plans (a read 404 says to check the id)', async () => {
    const srv = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ errors: [{ type: 'not-found', message: 'Subscription not found' }] }))
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const client = new SegmentApiClient({ token: 'tok_1', baseUrl: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` })
    await assert.rejects(client.updateSubscription('dst_1', 'sub_gone', { enabled: true }), (e: SegmentApiError) => {
      assert.equal(e.exitCode, 1)
      assert.match(e.hint ?? '', /changed since the plan was read .*run the same command again/)
      return true
    })
    await assert.rejects(client.getDestination('dst_nope'), (e: SegmentApiError) => /^Check the destination id/.test(e.hint ?? ''))
    srv.close()
  })
})
