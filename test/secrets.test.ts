/**
 * Secrets never leave in any form (issue #21, items 11 and 12): URL credentials in text that is
 * not a valid URL, a key echoed base64-encoded, in an Authorization header or lower-cased; the
 * dry run's --out keeps proxy credentials out even with --out-include-keys; state files are 0600.
 */
import { strict as assert } from 'node:assert'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { forgetSecrets, redactSecrets, redactText, redactUrlUserinfo, registerSecret, registerUrlCredentials } from '../src/secrets.js'
import { runCli } from './helpers/cli.js'
import { tempDir } from './helpers/files.js'
import { replayHarness, writeArchive } from './helpers/replay.js'

const KEY = 'Secrets0Test0Key0AbCdEf0123456789'
const PASS = 'Pr0xyPassW0rd'
const b64 = (s: string): string => Buffer.from(s).toString('base64')

describe('secrets: redaction', () => {
  afterEach(() => forgetSecrets())

  it('removes user:password@ from URL-shaped text that does not parse', () => {
    for (const url of [`http://user:${PASS}@host:99999`, `http://user:${PASS}@[::1`, `http//user:${PASS}@host`, `see https://u:${PASS}@proxy.example.com/x, then`]) {
      const out = redactUrlUserinfo(url)
      assert.ok(!out.includes(PASS), out)
      assert.ok(!out.includes('user:'), out)
    }
    assert.equal(redactUrlUserinfo('http//user:PASS@host'), 'http//<redacted>@host')
    assert.equal(redactUrlUserinfo('mail me at a@b.c'), 'mail me at a@b.c')
  })

  it('removes a registered secret as is, base64-encoded, in a Basic header, and in another case', () => {
    registerSecret(KEY)
    registerUrlCredentials(`http://user:${PASS}@proxy:8080`)
    const echoed = `key ${KEY.toLowerCase()} / ${b64(KEY)} / Authorization: Basic ${b64(`user:${PASS}`)} / basic ${b64(`user:${PASS}`).toLowerCase()} / ${PASS.toUpperCase()}`
    const out = redactText(echoed)
    for (const bad of [KEY.toLowerCase(), b64(KEY), b64(`user:${PASS}`), b64(`user:${PASS}`).toLowerCase(), PASS.toUpperCase()])
      assert.ok(!out.toLowerCase().includes(bad.toLowerCase()), out)
    assert.match(out, /Authorization: Basic <redacted>/)
    assert.equal(redactSecrets('nothing secret here'), 'nothing secret here')
  })
})

describe('secrets: the CLI and the files it writes', function () {
  this.timeout(120_000)
  const { run } = replayHarness(KEY, 'secrets-run')
  let proxy: Server
  let proxyUrl: string
  before(async () => {
    // A proxy that echoes what it was sent: the Authorization header, the key lower-cased and base64-encoded.
    proxy = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        const key = /"api_key":"([^"]*)"/.exec(body)?.[1] ?? ''
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end(`<html>denied: ${req.headers.authorization} for ${key.toLowerCase()} (${b64(key)})</html>`)
      })
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    proxyUrl = `http://user:${PASS}@127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((r) => proxy.close(() => r())))

  it('a malformed --endpoint-url is never echoed with its password', async () => {
    for (const url of [`http://user:${PASS}@host:99999`, `http://user:${PASS}@[::1`, `http//user:${PASS}@host`]) {
      const r = await runCli(['replay', 'examples/segment-logs', '--endpoint-url', url, '--dry-run', '--no-progress'])
      assert.equal(r.code, 2, r.stderr)
      assert.ok(!(r.stdout + r.stderr).includes(PASS), r.stderr)
      assert.match(r.stderr, /<redacted>@/)
    }
  })

  it('a proxy echoing the Authorization header and the key in other forms: report.json and the error hold none of them', async () => {
    const root = tempDir('segamp-secrets-')
    const archive = writeArchive(root, { messages: 4, devices: 1 })
    const stateDir = join(root, 'state')
    const report = await run({ inputs: [archive.dir], stateDir, endpointUrl: proxyUrl })
    assert.equal(report.exitCode, 1)
    assert.match(report.error ?? '', /denied/)
    const written =
      readdirSync(stateDir)
        .map((f) => readFileSync(join(stateDir, f), 'utf8'))
        .join('\n') + JSON.stringify(report)
    for (const bad of [PASS, b64(`user:${PASS}`), KEY, KEY.toLowerCase(), b64(KEY)]) assert.ok(!written.includes(bad), `${bad} written: ${report.error}`)
  })

  it('--out-include-keys keeps the API key in bodies but never the proxy credentials in url', async () => {
    const root = tempDir('segamp-secrets-')
    const out = join(root, 'requests.ndjson')
    const r = await runCli([
      'replay',
      'examples/segment-logs',
      '--dry-run',
      '--out',
      out,
      '--out-include-keys',
      '--api-key',
      KEY,
      '--endpoint-url',
      proxyUrl,
      '--state-dir',
      join(root, 'state'),
      '--no-progress',
    ])
    assert.equal(r.code === 0 || r.code === 3, true, r.stderr)
    const text = readFileSync(out, 'utf8')
    assert.ok(text.includes(KEY), 'the key is kept, as asked')
    assert.ok(!text.includes(PASS) && !text.includes('user:'), 'no proxy credentials')
    assert.equal(statSync(out).mode & 0o777, 0o600)
  })

  it('the state directory is 0700 and every file in it 0600', async () => {
    const root = tempDir('segamp-secrets-')
    const archive = writeArchive(root, { messages: 4, devices: 1, garbageEvery: 2 })
    const stateDir = join(root, 'state')
    await run({ inputs: [archive.dir], stateDir, dryRun: true, out: join(root, 'out.ndjson') })
    assert.equal(statSync(stateDir).mode & 0o777, 0o700)
    const files = readdirSync(stateDir)
    assert.ok(files.includes('report.json') && files.includes('rejected.ndjson'), files.join(','))
    for (const f of files) assert.equal(statSync(join(stateDir, f)).mode & 0o777, 0o600, f)
  })

  it('migrate --include-secrets --out writes a 0600 file (it holds the Amplitude keys)', async () => {
    const out = join(tempDir('segamp-secrets-'), 'actions-config.json')
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--include-secrets', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(statSync(out).mode & 0o777, 0o600)
  })
})
