/**
 * An endpoint URL whose port is out of range (http://127.0.0.1:99999) is a usage error that says
 * so: it used to read "not an http(s) URL", which sent the user looking at the scheme.
 */
import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { endpointQueryProblem, httpUrlProblem, shownEndpointUrl } from '../../src/cli/common.js'

describe('an http(s) endpoint URL with a port out of range', function () {
  this.timeout(60_000)

  it('the reason given: the port, else the scheme', () => {
    assert.equal(httpUrlProblem('http://127.0.0.1:99999'), 'has port 99999, out of range (1–65535)')
    assert.equal(httpUrlProblem('https://user:pw@proxy.example.com:70000/path'), 'has port 70000, out of range (1–65535)')
    assert.equal(httpUrlProblem('http://[::1]:65536'), 'has port 65536, out of range (1–65535)')
    assert.equal(httpUrlProblem('http://127.0.0.1:0'), 'has port 0, out of range (1–65535)')
    assert.equal(httpUrlProblem('http://127.0.0.1:-1'), 'has port -1, out of range (1–65535)')
    assert.equal(httpUrlProblem('ftp://127.0.0.1:21'), 'is not an http(s) URL')
    assert.equal(httpUrlProblem('127.0.0.1:8080'), 'is not an http(s) URL')
    assert.equal(httpUrlProblem('http://exa mple.com'), 'is not an http(s) URL')
    assert.equal(httpUrlProblem('http://127.0.0.1:65535'), undefined)
    assert.equal(httpUrlProblem('https://proxy.example.com'), undefined)
  })

  it('replay --endpoint-url http://127.0.0.1:99999: exit 2, the port named', async () => {
    const r = await runCli([
      'replay',
      'examples/segment-logs',
      '--api-key',
      'key-0123456789abcdef',
      '--yes',
      '--endpoint-url',
      'http://127.0.0.1:99999',
      '--state-dir',
      join(tempDir(), 'st'),
    ])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: --endpoint-url "http:\/\/127\.0\.0\.1:99999" has port 99999, out of range \(1–65535\)/)
    assert.doesNotMatch(r.stderr, /not an http/)
  })

  it('export --endpoint-url and --s3-endpoint say the same', async () => {
    const dir = tempDir()
    const ex = await runCli([
      'export',
      '--start',
      '20240506T00',
      '--end',
      '20240506T01',
      '--out',
      join(dir, 'out'),
      '--api-key',
      'k',
      '--secret-key',
      's',
      '--endpoint-url',
      'http://127.0.0.1:99999',
    ])
    assert.equal(ex.code, 2, ex.stderr)
    assert.match(ex.stderr, /Error: --endpoint-url has port 99999, out of range \(1–65535\)/)
    const s3 = await runCli(['inspect', 's3://bucket/prefix', '--s3-endpoint', 'http://127.0.0.1:99999', '--no-progress', '--state-dir', join(dir, 'st')])
    assert.equal(s3.code, 2, s3.stderr)
    assert.match(s3.stderr, /Error: --s3-endpoint "http:\/\/127\.0\.0\.1:99999" has port 99999, out of range \(1–65535\)/)
  })

  // A query or fragment was dropped from every request (only scheme, user:password, host, port and
  // path are kept), silently; report.json then held it, with any token in it.
  it('a query or fragment: named, the URL shown without it or credentials', () => {
    assert.equal(endpointQueryProblem('http://127.0.0.1:8787/?code=x'), 'has a query (?…), which segamp would not send: the requests keep only its scheme, host, port and path')
    assert.match(endpointQueryProblem('https://proxy.example.com/p#frag')!, /^has a fragment \(#…\),/)
    assert.match(endpointQueryProblem('https://proxy.example.com/p?a=1#f')!, /^has a query \(\?…\) and a fragment \(#…\),/)
    assert.equal(endpointQueryProblem('https://u:p@proxy.example.com:8443/prefix'), undefined)
    assert.equal(shownEndpointUrl('http://u:pw@127.0.0.1:8787/p?code=tok#f'), 'http://127.0.0.1:8787/p?…#…')
  })

  it('replay and export --endpoint-url with ?code=…: exit 2, the token never printed nor written', async () => {
    const dir = tempDir()
    const url = 'http://u:PASSWORD-1@127.0.0.1:8787/?code=TOKEN-1'
    const r = await runCli([
      'replay',
      'examples/segment-logs',
      '--api-key',
      'key-0123456789abcdef',
      '--yes',
      '--no-progress',
      '--endpoint-url',
      url,
      '--state-dir',
      join(dir, 'st'),
    ])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: --endpoint-url "http:\/\/127\.0\.0\.1:8787\/\?…" has a query \(\?…\), which segamp would not send/)
    assert.doesNotMatch(r.stdout + r.stderr, /TOKEN-1|PASSWORD-1/)
    assert.equal(existsSync(join(dir, 'st')), false)
    const ex = await runCli([
      'export',
      '--start',
      '20240506T00',
      '--end',
      '20240506T01',
      '--out',
      join(dir, 'out'),
      '--api-key',
      'k',
      '--secret-key',
      's',
      '--endpoint-url',
      'http://127.0.0.1:8787/#TOKEN-2',
    ])
    assert.equal(ex.code, 2, ex.stderr)
    assert.match(ex.stderr, /Error: --endpoint-url has a fragment \(#…\), which segamp would not send/)
    assert.doesNotMatch(ex.stdout + ex.stderr, /TOKEN-2/)
  })
})
