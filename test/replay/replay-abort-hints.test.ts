/**
 * The `Hint:` of a stopped live run is decided where the stop is (the answer's classification, a
 * budget of the retry policy) and carried in the report as `errorHint`: never guessed from the
 * error's words, which hold an endpoint's URL (a port, a path) and a server's text.
 */
import { strict as assert } from 'node:assert'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { replayHarness } from '../helpers/replay.js'
import { renderAbortError } from '../../src/replay/render.js'

const API_KEY = 'abort-hints-key-0001'
const REFUSING = "Hint: The endpoint refused every request: check that --endpoint-url points at Amplitude (or a sandbox) and Amplitude's status page"

async function listen(answer: (body: string) => { status: number; body: string }): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      const a = answer(body)
      res.writeHead(a.status, { 'content-type': 'text/html' })
      res.end(a.body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as AddressInfo).port }
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
}

describe('replay: the hint of a stopped run comes from where the stop was decided', function () {
  this.timeout(60_000)
  const h = replayHarness(API_KEY, 'abort-hints')

  it('an endpoint at /4013/ answering 500 "… unreachable" to every request: the budget stop says the endpoint refused every request, not that it is unreachable, nor to check the key', async () => {
    const { server, port } = await listen(() => ({ status: 500, body: '<html><body>upstream 10.0.0.7:4013 unreachable</body></html>' }))
    try {
      const dir = tempDir()
      writeFile(join(dir, 'a.ndjson'), ndjson([track('A'), track('B')]))
      const report = await h.run({ inputs: [dir], endpointUrl: `http://127.0.0.1:${port}/4013/`, delivery: { maxAttempts: 3 } })
      assert.equal(report.exitCode, 75)
      assert.match(report.error ?? '', /^Amplitude endpoint failing every request \(http_500: .*unreachable.*\) after 3 attempts: http:\/\/127\.0\.0\.1:\d+\/4013\/2\/httpapi$/)
      const text = renderAbortError(report.error!, { fromStdin: false, hint: report.errorHint })
      assert.equal(text.split('\n')[1], `${REFUSING}; then run the resume command above: what Amplitude acknowledged is not sent again.`)
    } finally {
      await close(server)
    }
  })

  it('through the CLI: a 200 page that is not Amplitude\'s and names "403" at --endpoint-url …/4013/ ends "Fix what the error names", not "Check --api-key"; --json carries no errorHint for it', async () => {
    const { server, port } = await listen(() => ({ status: 200, body: '<html><body><h1>Error 403: sign in to the portal</h1></body></html>' }))
    try {
      const dir = tempDir()
      writeFile(join(dir, 'a.ndjson'), ndjson([track('A'), track('B')]))
      const args = ['replay', dir, '--endpoint-url', `http://127.0.0.1:${port}/4013/`, '--yes', '--no-progress', '--workers', '1']
      const r = await runCli([...args, '--state-dir', tempDir()], { env: { AMPLITUDE_API_KEY: API_KEY } })
      assert.equal(r.code, 1, r.stderr)
      const tail = r.stderr.trimEnd().split('\n').slice(-2)
      assert.match(tail[0]!, /^Error: the httpapi endpoint answered 200 with "<html><body><h1>Error 403: sign in to the portal/)
      assert.equal(tail[1], 'Hint: Fix what the error names; then run the resume command above: what Amplitude acknowledged is not sent again.')
      const j = await runCli([...args, '--json', '--state-dir', tempDir()], { env: { AMPLITUDE_API_KEY: API_KEY } })
      assert.equal(j.code, 1, j.stderr)
      assert.equal((JSON.parse(j.stdout) as { errorHint?: string }).errorHint, undefined)
    } finally {
      await close(server)
    }
  })

  it('through the CLI: a refused API key keeps its hint, and --json carries it as errorHint', async () => {
    const { server, port } = await listen(() => ({ status: 400, body: '{"code":400,"error":"Invalid API key: abort-hints-key-0001"}' }))
    try {
      const dir = tempDir()
      writeFile(join(dir, 'a.ndjson'), ndjson([track('A')]))
      const args = ['replay', dir, '--endpoint-url', `http://127.0.0.1:${port}`, '--yes', '--no-progress', '--workers', '1']
      const r = await runCli([...args, '--state-dir', tempDir()], { env: { AMPLITUDE_API_KEY: API_KEY } })
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /\nHint: Check --api-key \(or AMPLITUDE_API_KEY\), --region and --endpoint-url; then run the resume command above/)
      assert.ok(!r.stderr.includes(API_KEY))
      const j = await runCli([...args, '--json', '--state-dir', tempDir()], { env: { AMPLITUDE_API_KEY: API_KEY } })
      assert.equal((JSON.parse(j.stdout) as { errorHint?: string }).errorHint, 'Check --api-key (or AMPLITUDE_API_KEY), --region and --endpoint-url')
    } finally {
      await close(server)
    }
  })
})
