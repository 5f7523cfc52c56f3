/**
 * `segamp replay` (the built CLI) against endpoints that answer in ways a backfill meets in the
 * field, through the node:http transport: a TLS certificate this machine does not trust (a
 * corporate proxy, a private endpoint) and a redirect (an old URL, http: to https:). Both are a
 * setting to fix, not an outage: the run stops at once (exit 1) saying what to do, instead of
 * retrying for 2 or 10 minutes and ending "unreachable" (exit 75).
 */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { writeArchive } from '../helpers/replay.js'

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url))
const CERT = `${TLS_DIR}localhost-cert.pem`
const KEY = `${TLS_DIR}localhost-key.pem`
const API_KEY = 'endpoint-answers-key-0001'

/** Passes every request on to the sandbox and its answer back (a TLS-terminating proxy). */
function forwardTo(sandbox: Sandbox) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const up = request(new URL(req.url ?? '/', sandbox.url), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    req.pipe(up)
  }
}

describe('replay CLI: endpoints whose answer is a setting to fix', function () {
  this.timeout(60_000)
  let sandbox: Sandbox
  const closers: (() => Promise<void>)[] = []
  beforeEach(async () => {
    sandbox = await startSandbox({ apiKeys: [API_KEY] })
    closers.push(() => sandbox.close())
  })
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  async function listen(server: ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>): Promise<number> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    closers.push(async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    })
    return (server.address() as AddressInfo).port
  }

  const replayArgs = (archive: string, endpoint: string, stateDir: string): string[] => [
    'replay',
    archive,
    '--endpoint-url',
    endpoint,
    '--state-dir',
    stateDir,
    '--yes',
    '--no-progress',
  ]

  it('a certificate this machine does not trust stops the run at once (exit 1) naming the error and NODE_EXTRA_CA_CERTS; trusted that way, the same command resumes and sends everything', async () => {
    const port = await listen(createHttpsServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, forwardTo(sandbox)))
    const a = writeArchive(tempDir(), { messages: 30, devices: 3 })
    const state = tempDir('segamp-tls-state-')
    const env = { AMPLITUDE_API_KEY: API_KEY, NODE_EXTRA_CA_CERTS: '' }
    const started = Date.now()
    const refused = await runCli(replayArgs(a.dir, `https://localhost:${port}`, state), { env })
    assert.equal(refused.code, 1, refused.stderr)
    assert.ok(Date.now() - started < 20_000, `stopped after ${Date.now() - started} ms`)
    assert.match(
      refused.stderr,
      /Error: the TLS certificate of the httpapi endpoint https:\/\/localhost:\d+\/2\/httpapi was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate(; [^)]*)?\)/,
    )
    assert.match(refused.stderr, /Hint: .*NODE_EXTRA_CA_CERTS=/)
    assert.match(refused.stderr, /Resume with:/)
    assert.doesNotMatch(refused.stderr, /unreachable|has not answered|retrying in/)
    assert.equal(sandbox.events.length, 0)

    const trusted = await runCli(replayArgs(a.dir, `https://localhost:${port}`, state), { env: { ...env, NODE_EXTRA_CA_CERTS: CERT } })
    assert.equal(trusted.code, 0, trusted.stderr)
    assert.match(trusted.stdout + trusted.stderr, /30 mapped messages → 30 events = 30 sent \+ 0 dead-lettered/)
    assert.equal(sandbox.events.length, 30)
    assert.equal(sandbox.stats().duplicatesDiscarded, 0)
  })

  it('a trusted certificate for another host name stops the run at once (exit 1), naming the name it was asked for', async () => {
    const port = await listen(createHttpsServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, forwardTo(sandbox)))
    const a = writeArchive(tempDir(), { messages: 5, devices: 1 })
    const r = await runCli(replayArgs(a.dir, `https://127.0.0.1:${port}`, tempDir()), { env: { AMPLITUDE_API_KEY: API_KEY, NODE_EXTRA_CA_CERTS: CERT } })
    assert.equal(r.code, 1, r.stderr)
    assert.match(
      r.stderr,
      /Error: the TLS certificate of the httpapi endpoint https:\/\/127\.0\.0\.1:\d+\/2\/httpapi was not accepted \(ERR_TLS_CERT_ALTNAME_INVALID: .*127\.0\.0\.1/,
    )
    assert.match(r.stderr, /Hint: .*host name/)
    assert.equal(sandbox.events.length, 0)
  })
})

describe('replay CLI: an endpoint that answers with a redirect', function () {
  this.timeout(60_000)

  it('a 301 stops the run at once (exit 1), naming where it points without its credentials; nothing is followed or counted as sent', async () => {
    const seen: string[] = []
    const server = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      req.resume()
      res.writeHead(301, { location: 'https://proxy-user:proxy-secret@api2.amplitude.com/2/httpapi', 'content-type': 'text/html' })
      res.end('<html><body>Moved Permanently</body></html>')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as AddressInfo).port
      const a = writeArchive(tempDir(), { messages: 12, devices: 2 })
      const started = Date.now()
      const r = await runCli(['replay', a.dir, '--endpoint-url', `http://u:p%40ss@127.0.0.1:${port}`, '--state-dir', tempDir(), '--yes', '--no-progress'], {
        env: { AMPLITUDE_API_KEY: API_KEY },
        timeoutMs: 40_000,
      })
      assert.equal(r.code, 1, r.stderr)
      assert.ok(Date.now() - started < 20_000, `stopped after ${Date.now() - started} ms`)
      assert.match(
        r.stderr,
        /Error: the httpapi endpoint http:\/\/127\.0\.0\.1:\d+\/2\/httpapi answered 301, a redirect to https:\/\/<redacted>@api2\.amplitude\.com\/2\/httpapi: redirects are not followed; nothing in that request was counted as sent/,
      )
      assert.match(r.stderr, /Hint: .*--endpoint-url/)
      assert.match(r.stderr, /0 mapped messages → 0 events = 0 sent/)
      assert.doesNotMatch(r.stderr + r.stdout, /proxy-secret|proxy-user|p@ss|p%40ss|retrying in/)
      assert.deepEqual(seen, ['POST /2/httpapi'])
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})

describe('replay CLI: a proxy that refuses its credentials', function () {
  this.timeout(60_000)

  it('407 Proxy Authentication Required stops the run at once (exit 1) saying the user:password of --endpoint-url was refused; nothing is dead-lettered, the resume sends it all', async () => {
    const server = createHttpServer((req, res) => {
      req.resume()
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="corp"', 'content-type': 'text/html' })
      res.end('<html><body><h1>407 Proxy Authentication Required</h1></body></html>')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as AddressInfo).port
      const a = writeArchive(tempDir(), { messages: 30, devices: 3 })
      const state = tempDir()
      const r = await runCli(['replay', a.dir, '--endpoint-url', `http://svc:old-p%40ss@127.0.0.1:${port}`, '--state-dir', state, '--yes', '--no-progress', '--batch-size', '10'], {
        env: { AMPLITUDE_API_KEY: API_KEY },
        timeoutMs: 40_000,
      })
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /Error: the proxy at http:\/\/127\.0\.0\.1:\d+\/2\/httpapi answered 407 \(Proxy Authentication Required\): it refused the user:password of --endpoint-url; nothing in that request was counted as sent/,
      )
      assert.match(r.stderr, /Hint: .*user:password/)
      assert.match(r.stderr, /= 0 sent \+ 0 dead-lettered/)
      assert.doesNotMatch(r.stderr + r.stdout, /old-p@ss|old-p%40ss|svc:/)
      const dead = join(state, 'dead-letter.ndjson')
      assert.ok(!existsSync(dead) || readFileSync(dead, 'utf8') === '', 'nothing dead-lettered')
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})

describe('replay CLI: answers that fail while they are read', function () {
  this.timeout(90_000)

  it('a large answer that is not the gzip it says it is: that request is retried on a new connection and the run goes on (the connection it came on is not left holding a slot)', async () => {
    const sandbox = await startSandbox({ apiKeys: [API_KEY] })
    const forward = forwardTo(sandbox)
    let answered = 0
    const server = createHttpServer((req, res) => {
      if (answered++ > 0) return forward(req, res)
      req.resume()
      // More than one chunk of it: reading stops at the first bad byte, with the rest still to come.
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json', 'content-length': 400_000 })
      res.end(Buffer.alloc(400_000, 7))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as AddressInfo).port
      const a = writeArchive(tempDir(), { messages: 40, devices: 4 })
      const started = Date.now()
      const r = await runCli(
        ['replay', a.dir, '--endpoint-url', `http://127.0.0.1:${port}`, '--state-dir', tempDir(), '--yes', '--no-progress', '--concurrency', '1', '--batch-size', '10'],
        { env: { AMPLITUDE_API_KEY: API_KEY }, timeoutMs: 80_000 },
      )
      assert.equal(r.code, 0, r.stderr)
      assert.ok(Date.now() - started < 25_000, `finished after ${Date.now() - started} ms`)
      assert.match(r.stderr, /Warning: delivery: no answer \(Z_DATA_ERROR\) for 10 record\(s\), send 1; retrying in/)
      assert.match(r.stderr, /40 mapped messages → 40 events = 40 sent \+ 0 dead-lettered/)
      assert.match(r.stderr, /retries {17}1\n/)
      assert.equal(sandbox.events.length, 40)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await sandbox.close()
    }
  })

  it('a kept-alive connection the server closed as it was reused (the ECONNRESET of an idle timeout): the request goes again on a new connection at once, without a retry, a warning or a backoff', async () => {
    const sandbox = await startSandbox({ apiKeys: [API_KEY] })
    const forward = forwardTo(sandbox)
    const served = new WeakSet<object>()
    let closed = 0
    let requests = 0
    // The race made certain: a proxy whose idle timeout fires as the next request arrives.
    const server = createHttpServer((req, res) => {
      requests++
      if (served.has(req.socket)) {
        closed++
        req.socket.destroy()
        return
      }
      served.add(req.socket)
      forward(req, res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as AddressInfo).port
      const a = writeArchive(tempDir(), { messages: 40, devices: 4 })
      const r = await runCli(
        ['replay', a.dir, '--endpoint-url', `http://127.0.0.1:${port}`, '--state-dir', tempDir(), '--yes', '--no-progress', '--concurrency', '1', '--batch-size', '10'],
        { env: { AMPLITUDE_API_KEY: API_KEY }, timeoutMs: 60_000 },
      )
      assert.equal(r.code, 0, r.stderr)
      assert.ok(closed >= 3, `closed ${closed}`)
      assert.doesNotMatch(r.stderr, /Warning: delivery/)
      assert.match(r.stderr, /40 mapped messages → 40 events = 40 sent \+ 0 dead-lettered/)
      assert.match(r.stderr, /retries {17}0\n/)
      assert.equal(Number(/requests +(\d+)\n/.exec(r.stderr)?.[1]), requests, 'the report counts every request on the wire, the ones sent again included')
      assert.equal(sandbox.events.length, 40)
      assert.equal(sandbox.stats().duplicatesDiscarded, 0)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await sandbox.close()
    }
  })
})
