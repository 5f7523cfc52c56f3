/**
 * The ingestion transport against real local servers: what goes on the wire, what comes back,
 * and every way a request can end without an answer (deadline, cancel, refused, cut short).
 */
import { strict as assert } from 'node:assert'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { createHttpTransport, MAX_ANSWER_BYTES, transportErrorInfo, type ClosableTransport } from '../../../src/pipeline/deliver/transport.js'
import type { HttpRequest } from '../../../src/pipeline/deliver/requests.js'

interface Seen {
  method?: string
  url?: string
  headers: IncomingMessage['headers']
  body: Buffer
  socket: Socket
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void): Promise<{ url: string; seen: Seen[]; server: Server; close(): Promise<void> }> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const s: Seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks), socket: req.socket }
      seen.push(s)
      handler(req, res, s)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    server,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

const post = (url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'segamp/test' }): HttpRequest => ({
  method: 'POST',
  url,
  headers,
  body,
})

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  assert.fail('the request was expected to fail')
}

describe('deliver: HTTP transport (node:http)', function () {
  this.timeout(10_000)
  let t: ClosableTransport
  beforeEach(() => {
    t = createHttpTransport(4)
  })
  afterEach(() => t.close())

  it('sends the body as UTF-8 with its byte length, the given headers and no accept-encoding; answers of any status come back as text', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end('{"code":400,"error":"Invalid field values on some events – é"}')
    })
    try {
      const body = '{"api_key":"k","events":[{"event_type":"Viewed Café ☕","device_id":"d"}]}'
      const res = await t.send(post(`${srv.url}/2/httpapi`, body), { timeoutMs: 5000 })
      assert.deepEqual(res, { status: 400, body: '{"code":400,"error":"Invalid field values on some events – é"}' })
      const s = srv.seen[0]!
      assert.equal(s.method, 'POST')
      assert.equal(s.url, '/2/httpapi')
      assert.equal(s.body.toString('utf8'), body)
      assert.equal(s.headers['content-length'], String(Buffer.byteLength(body)))
      assert.notEqual(Buffer.byteLength(body), body.length)
      assert.equal(s.headers['content-type'], 'application/json')
      assert.equal(s.headers['user-agent'], 'segamp/test')
      assert.equal(s.headers['accept-encoding'], undefined)
    } finally {
      await srv.close()
    }
  })

  it('keeps the connection open between requests (keep-alive)', async () => {
    const srv = await serve((_req, res) => res.end('{"code":200}'))
    try {
      for (let i = 0; i < 3; i++) assert.equal((await t.send(post(`${srv.url}/identify`, `api_key=k&identification=%5B%5D`), { timeoutMs: 5000 })).status, 200)
      assert.equal(srv.seen.length, 3)
      assert.equal(new Set(srv.seen.map((s) => s.socket)).size, 1)
    } finally {
      await srv.close()
    }
  })

  it('turns user:password in the URL into Basic auth, percent-decoded, and never sends it in the path', async () => {
    const srv = await serve((_req, res) => res.end('{"code":200}'))
    try {
      const url = srv.url.replace('http://', 'http://proxy%40user:p%3Ass@') + '/batch'
      await t.send(post(url, '{}'), { timeoutMs: 5000 })
      assert.equal(srv.seen[0]!.headers.authorization, `Basic ${Buffer.from('proxy@user:p:ss').toString('base64')}`)
      assert.equal(srv.seen[0]!.url, '/batch')
    } finally {
      await srv.close()
    }
  })

  it('decodes an answer a proxy compressed anyway (gzip)', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' })
      res.end(gzipSync('{"code":200,"events_ingested":1}'))
    })
    try {
      assert.deepEqual(await t.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 5000 }), { status: 200, body: '{"code":200,"events_ingested":1}' })
    } finally {
      await srv.close()
    }
  })

  it('a deadline that passes with no answer, or in the middle of one, is a timeout', async () => {
    const srv = await serve((req, res) => {
      if (req.url === '/headers-only') {
        res.writeHead(200, { 'content-length': '100' })
        res.write('{"code":')
      }
      // '/silent' never answers
    })
    try {
      for (const path of ['/silent', '/headers-only']) {
        const started = Date.now()
        const err = await rejection(t.send(post(`${srv.url}${path}`, '{}'), { timeoutMs: 300 }))
        assert.ok(Date.now() - started < 3000, path)
        assert.equal(err.code, 'ETIMEDOUT', path)
        assert.deepEqual(transportErrorInfo(err), { code: 'ETIMEDOUT', message: 'no complete answer within 300 ms', timeout: true })
      }
    } finally {
      await srv.close()
    }
  })

  it('an answer cut short by the server is a connection reset, not a short body', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('{"code":200', () => res.socket?.destroy())
    })
    try {
      const err = await rejection(t.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 5000 }))
      assert.equal(transportErrorInfo(err).code, 'ECONNRESET')
      assert.equal(transportErrorInfo(err).timeout, false)
      // A connection the operating system timed out is not past the request's deadline.
      const os = Object.assign(new Error('connect ETIMEDOUT 10.255.255.1:443'), { code: 'ETIMEDOUT' })
      assert.deepEqual(transportErrorInfo(os), { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT 10.255.255.1:443', timeout: false })
    } finally {
      await srv.close()
    }
  })

  it('a refused connection carries its code; a cancelled request ends at once', async () => {
    const srv = await serve(() => {})
    const { url } = srv
    await srv.close()
    const refused = await rejection(t.send(post(`${url}/2/httpapi`, '{}'), { timeoutMs: 5000 }))
    assert.equal(transportErrorInfo(refused).code, 'ECONNREFUSED')

    const silent = await serve(() => {})
    try {
      const ac = new AbortController()
      const p = rejection(t.send(post(`${silent.url}/2/httpapi`, '{}'), { timeoutMs: 5000, signal: ac.signal }))
      setTimeout(() => ac.abort(), 50)
      const started = Date.now()
      const err = await p
      assert.ok(Date.now() - started < 2000)
      assert.equal(err.name, 'AbortError')
      assert.equal(transportErrorInfo(err).timeout, false)
    } finally {
      await silent.close()
    }
  })

  it('an answer that fails while it is read (a bad gzip) gives its socket back: the next request is answered, not left waiting for a slot', async () => {
    const one = createHttpTransport(1)
    const srv = await serve((_req, res, seen) => {
      if (srv.seen.indexOf(seen) === 0) {
        // Longer than one chunk: reading stops at the first bad byte, the rest still to come.
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': 400_000 })
        res.end(Buffer.alloc(400_000, 7))
      } else res.end('{"code":200,"events_ingested":1}')
    })
    try {
      const bad = await rejection(one.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 2000 }))
      assert.equal(bad.code, 'Z_DATA_ERROR')
      const next = await one.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 2000 })
      assert.deepEqual(next, { status: 200, body: '{"code":200,"events_ingested":1}' })
    } finally {
      one.close()
      await srv.close()
    }
  })

  it('a kept-alive connection found closed when reused (reset before any answer) is sent again at once on a new one, and said; a new connection reset is not', async () => {
    const served = new WeakSet<object>()
    let resetAll = false
    const srv = await serve((_req, res, seen) => {
      if (resetAll || served.has(seen.socket)) return void seen.socket.destroy()
      served.add(seen.socket)
      res.end('{"code":200,"events_ingested":1}')
    })
    try {
      let resends = 0
      const onResend = (): void => void resends++
      await t.send(post(`${srv.url}/2/httpapi`, '{"n":1}'), { timeoutMs: 2000, onResend })
      const again = await t.send(post(`${srv.url}/2/httpapi`, '{"n":2}'), { timeoutMs: 2000, onResend })
      assert.equal(again.status, 200)
      assert.equal(resends, 1)
      assert.deepEqual(
        srv.seen.map((s) => s.body.toString()),
        ['{"n":1}', '{"n":2}', '{"n":2}'],
      )
      resetAll = true
      const fresh = createHttpTransport(1)
      try {
        const err = await rejection(fresh.send(post(`${srv.url}/2/httpapi`, '{"n":3}'), { timeoutMs: 2000, onResend }))
        assert.equal(err.code, 'ECONNRESET')
        assert.equal(resends, 1)
      } finally {
        fresh.close()
      }
    } finally {
      await srv.close()
    }
  })

  it('an endless answer: reading stops past MAX_ANSWER_BYTES, the socket is destroyed (the server sees it close while it writes), the answer comes back as too large, and the slot serves the next request', async () => {
    const one = createHttpTransport(1)
    let written = 0
    let closedWhileWriting = false
    const srv = await serve((_req, res, seen) => {
      if (srv.seen.indexOf(seen) > 0) return void res.end('{"code":200,"events_ingested":1}')
      res.writeHead(200, { 'content-type': 'text/html' })
      const chunk = Buffer.alloc(64 * 1024, 'a')
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length
        if (!res.destroyed) res.once('drain', pump)
      }
      res.on('close', () => (closedWhileWriting = !res.writableEnded))
      pump()
    })
    try {
      const started = Date.now()
      const big = await one.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 5000 })
      assert.deepEqual(big, { status: 200, body: '', tooLarge: MAX_ANSWER_BYTES })
      assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`)
      const next = await one.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 2000 })
      assert.deepEqual(next, { status: 200, body: '{"code":200,"events_ingested":1}' })
      assert.ok(closedWhileWriting, 'the server saw the connection close while it was still writing')
      // What the server got to write is the cap plus what socket buffers hold, not the whole stream.
      assert.ok(written < MAX_ANSWER_BYTES + 48 * 1024 * 1024, `the server wrote ${written} bytes`)
    } finally {
      one.close()
      await srv.close()
    }
  })

  it('the cap is on the decoded answer (a small gzip of a huge one), and a content-length past it is refused before reading', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_ANSWER_BYTES + 1024 * 1024, ' '))
    assert.ok(bomb.length < 64 * 1024)
    const srv = await serve((_req, res, seen) => {
      if (srv.seen.indexOf(seen) === 0) {
        res.writeHead(502, { 'content-encoding': 'gzip', 'content-length': bomb.length })
        res.end(bomb)
      } else {
        // Says 100 MiB, sends 1 KiB and waits: nothing more needs to come for the answer to be refused.
        res.writeHead(200, { 'content-length': 100 * 1024 * 1024 })
        res.write(Buffer.alloc(1024, 'a'))
      }
    })
    try {
      assert.deepEqual(await t.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 5000 }), { status: 502, body: '', tooLarge: MAX_ANSWER_BYTES })
      const started = Date.now()
      assert.deepEqual(await t.send(post(`${srv.url}/2/httpapi`, '{}'), { timeoutMs: 5000 }), { status: 200, body: '', tooLarge: MAX_ANSWER_BYTES })
      assert.ok(Date.now() - started < 2000)
    } finally {
      await srv.close()
    }
  })

  it('a URL that is neither http: nor https: is refused before anything is sent', async () => {
    const err = await rejection(t.send(post('ftp://127.0.0.1:9/2/httpapi', '{}'), { timeoutMs: 5000 }))
    assert.equal(err.code, 'ERR_INVALID_PROTOCOL')
  })
})
