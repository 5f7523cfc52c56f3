/**
 * An answer past MAX_ANSWER_BYTES (8 MiB; Amplitude's are a few KB) is not Amplitude's: reading
 * stops there and the request is a failed attempt, as an answer that is not Amplitude's is today.
 * A 2xx stops the run (exit 1, nothing counted as sent); any other status is retried. Through the
 * built CLI against a server whose answer never ends (a proxy streaming something else).
 */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { writeArchive } from '../helpers/replay.js'

const API_KEY = 'answer-size-key-0001'

/** Writes 128 KiB every 10 ms (about 12 MiB/s) until the connection closes: an answer that never ends. */
function endless(res: ServerResponse, status: number, counter: { written: number }): void {
  res.writeHead(status, { 'content-type': 'text/html' })
  const chunk = Buffer.alloc(128 * 1024, '<p>x</p>')
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer)
    res.write(chunk)
    counter.written += chunk.length
  }, 10)
  res.on('close', () => clearInterval(timer))
}

function forwardTo(sandbox: Sandbox, req: IncomingMessage, res: ServerResponse): void {
  const up = request(new URL(req.url ?? '/', sandbox.url), { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(res)
  })
  req.pipe(up)
}

describe('replay CLI: an answer larger than Amplitude ever sends', function () {
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

  async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
    server = createServer(handler)
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    return (server.address() as AddressInfo).port
  }

  const args = (archive: string, port: number, state: string): string[] => [
    'replay',
    archive,
    '--endpoint-url',
    `http://127.0.0.1:${port}`,
    '--state-dir',
    state,
    '--yes',
    '--no-progress',
    '--concurrency',
    '1',
    '--batch-size',
    '10',
    '--workers',
    '1',
  ]

  it('a 200 whose body never ends stops the run at the first request (exit 1): the answer is named too large, nothing is counted as sent or dead-lettered', async () => {
    const counter = { written: 0 }
    const port = await listen((req, res) => {
      req.resume()
      endless(res, 200, counter)
    })
    const a = writeArchive(tempDir(), { messages: 30, devices: 3 })
    const state = tempDir()
    const started = Date.now()
    const r = await runCli(args(a.dir, port, state), { env: { AMPLITUDE_API_KEY: API_KEY }, timeoutMs: 25_000 })
    assert.equal(r.code, 1, r.stderr)
    assert.ok(Date.now() - started < 20_000, `stopped after ${Date.now() - started} ms`)
    const tail = r.stderr.trimEnd().split('\n').slice(-2)
    assert.equal(
      tail[0],
      "Error: the httpapi endpoint answered 200 with an answer larger than 8 MiB (reading stopped there), which is not Amplitude's answer: nothing in that request was counted as sent. Check --endpoint-url and any proxy between here and Amplitude; the same command resumes",
    )
    assert.match(tail[1]!, /^Hint: Fix what the error names; then run the resume command above/)
    // Nothing settled: the resume reads and sends it all.
    assert.match(r.stderr, /0 mapped messages → 0 events = 0 sent \+ 0 dead-lettered/)
    assert.match(r.stderr, /messages read +0 {2}\(and 30 read but not settled: the resume reads them again\)/)
    const dead = join(state, 'dead-letter.ndjson')
    assert.ok(!existsSync(dead) || readFileSync(dead, 'utf8') === '', 'nothing dead-lettered')
    assert.ok(counter.written < 64 * 1024 * 1024, `the server wrote ${counter.written} bytes`)
  })

  it('a 502 whose body never ends is a failed attempt named "answer larger than 8 MiB": retried, and the retry, answered by Amplitude, lands', async () => {
    const counter = { written: 0 }
    let n = 0
    const port = await listen((req, res) => {
      if (n++ > 0) return forwardTo(sandbox, req, res)
      req.resume()
      endless(res, 502, counter)
    })
    const a = writeArchive(tempDir(), { messages: 30, devices: 3 })
    const r = await runCli(args(a.dir, port, tempDir()), { env: { AMPLITUDE_API_KEY: API_KEY }, timeoutMs: 60_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: delivery: HTTP 502 \(answer larger than 8 MiB: not Amplitude's answer \(a proxy\?\)\) for 10 record\(s\), send 1; retrying in \d+\.\d s\./)
    assert.match(r.stderr, /30 mapped messages → 30 events = 30 sent \+ 0 dead-lettered/)
    assert.match(r.stderr, /retries {17}1\n/)
    assert.equal(sandbox.events.length, 30)
    assert.ok(counter.written < 64 * 1024 * 1024, `the server wrote ${counter.written} bytes`)
  })
})
