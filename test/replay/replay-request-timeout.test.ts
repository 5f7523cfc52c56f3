/**
 * `replay --request-timeout SECONDS`: how long one request may take, its whole answer included,
 * before it is a failed attempt (retried with backoff). Default 30 s. Through the built CLI
 * against a server whose first answer comes after 2 s (a slow proxy), the others at once.
 */
import { strict as assert } from 'node:assert'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'
import { UsageError } from '../../src/errors.js'
import { requestTimeoutMs } from '../../src/replay/cli-support.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { writeArchive } from '../helpers/replay.js'

const API_KEY = 'request-timeout-key-0001'

/** Answers the first request after `delayMs` (passed on to the sandbox then), every other one at once. */
async function slowFirst(sandbox: Sandbox, delayMs: number): Promise<{ server: Server; port: number; requests: () => number }> {
  let n = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const wait = n++ === 0 ? delayMs : 0
      setTimeout(() => {
        const up = request(new URL(req.url ?? '/', sandbox.url), { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        })
        up.on('error', () => res.destroy())
        up.end(Buffer.concat(chunks))
      }, wait)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as AddressInfo).port, requests: () => n }
}

describe('replay CLI: --request-timeout', function () {
  this.timeout(90_000)
  let sandbox: Sandbox
  let server: Server | undefined
  beforeEach(async () => {
    sandbox = await startSandbox({ apiKeys: [API_KEY] })
  })
  afterEach(async () => {
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((r) => server!.close(() => r()))
      server = undefined
    }
    await sandbox.close()
  })

  const args = (archive: string, port: number, ...more: string[]): string[] => [
    'replay',
    archive,
    '--endpoint-url',
    `http://127.0.0.1:${port}`,
    '--state-dir',
    tempDir(),
    '--yes',
    '--no-progress',
    '--concurrency',
    '1',
    '--batch-size',
    '10',
    '--workers',
    '1',
    ...more,
  ]

  it('--request-timeout 1 against an answer that takes 2 s: that request is retried (the warning names the deadline) and the retry, answered at once, lands', async () => {
    const s = await slowFirst(sandbox, 2000)
    server = s.server
    const a = writeArchive(tempDir(), { messages: 30, devices: 3 })
    const r = await runCli(args(a.dir, s.port, '--request-timeout', '1'), { env: { AMPLITUDE_API_KEY: API_KEY }, timeoutMs: 60_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: delivery: no answer within 1 s \(timeout, --request-timeout\) for 10 record\(s\), send 1; retrying in \d+\.\d s\./)
    assert.match(r.stderr, /30 mapped messages → 30 events = 30 sent \+ 0 dead-lettered/)
    assert.match(r.stderr, /retries {17}1\n/)
    assert.equal(sandbox.events.length, 30)
  })

  it('by default (30 s) the same slow answer is simply slow: no retry, no warning', async () => {
    const s = await slowFirst(sandbox, 2000)
    server = s.server
    const a = writeArchive(tempDir(), { messages: 30, devices: 3 })
    const started = Date.now()
    const r = await runCli(args(a.dir, s.port), { env: { AMPLITUDE_API_KEY: API_KEY }, timeoutMs: 60_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.ok(Date.now() - started >= 2000)
    assert.doesNotMatch(r.stderr, /Warning: delivery/)
    assert.match(r.stderr, /retries {17}0\n/)
    assert.equal(s.requests(), 3)
    assert.equal(sandbox.events.length, 30)
    assert.equal(sandbox.stats().duplicatesDiscarded, 0)
  })

  it('a value that is not a positive number of seconds (at most 60) is exit 2 naming it, before anything is sent', async () => {
    const a = writeArchive(tempDir(), { messages: 3, devices: 1 })
    for (const bad of ['0', '-1', 'abc', '1s', '61', 'Infinity', '0.0001']) {
      const r = await runCli(['replay', a.dir, '--endpoint-url', 'http://127.0.0.1:9', '--state-dir', tempDir(), '--yes', '--no-progress', `--request-timeout=${bad}`], {
        env: { AMPLITUDE_API_KEY: API_KEY },
      })
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`)
      assert.match(r.stderr, new RegExp(`Error: --request-timeout ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), r.stderr)
      assert.doesNotMatch(r.stderr, /Warning: delivery/)
    }
  })

  it('--help lists it with its default', async () => {
    const r = await runCli(['replay', '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /--request-timeout=SECONDS\s+.*\[default: 30\]/)
  })
})

describe('requestTimeoutMs', () => {
  it('seconds as typed (decimals, spaces around) become milliseconds', () => {
    assert.equal(requestTimeoutMs('30'), 30_000)
    assert.equal(requestTimeoutMs('0.5'), 500)
    assert.equal(requestTimeoutMs(' 5'), 5_000)
    assert.equal(requestTimeoutMs('60'), 60_000)
    assert.equal(requestTimeoutMs('0.001'), 1)
  })

  it('a positive value under 1 ms is refused, not rounded to a deadline of 0 ms that every request misses', () => {
    for (const bad of ['0.0001', '0.0004', '.00001']) {
      assert.throws(
        () => requestTimeoutMs(bad),
        (e: unknown) => e instanceof UsageError && e.message === `--request-timeout ${bad}: less than 1 ms, a deadline no answer can meet`,
        bad,
      )
    }
  })
})
