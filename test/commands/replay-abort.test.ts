/**
 * An aborted live replay ends like every other failure: `Error:` with what stopped it and a `Hint:`
 * with what to check and how to resume, after the summary and the resume command (no key shown).
 */
import { strict as assert } from 'node:assert'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { renderAbortError } from '../../src/replay/render.js'

describe('replay: an aborted run ends with Error: and Hint:', () => {
  it('a 401 from the endpoint: exit 1, Error: names it, Hint: says to check the key and resume; text mode only', async () => {
    const srv = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end('{"code":401,"error":"Unauthorized"}')
      })
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as AddressInfo).port
    try {
      const dir = tempDir()
      writeFile(join(dir, 'a.ndjson'), ndjson([track('A'), track('B')]))
      const args = ['replay', dir, '--endpoint-url', `http://127.0.0.1:${port}`, '--api-key', 'key-0123456789abcdef', '--yes', '--no-progress', '--workers', '1']
      const r = await runCli([...args, '--state-dir', join(tempDir(), 'state')])
      assert.equal(r.code, 1, r.stderr)
      const tail = r.stderr.trimEnd().split('\n').slice(-2)
      assert.match(tail[0]!, /^Error: .*401/)
      assert.match(tail[1]!, /^Hint: Check --api-key \(or AMPLITUDE_API_KEY\), --region and --endpoint-url; then run the resume command above/)
      assert.ok(r.stderr.indexOf('Resume with:') < r.stderr.indexOf('Error: '))
      assert.ok(!r.stderr.includes('key-0123456789abcdef'))
      // --json: the report (with its error) is the result on stdout; stderr gets no Error: line.
      const j = await runCli([...args, '--json', '--state-dir', join(tempDir(), 'state')])
      assert.equal(j.code, 1, j.stderr)
      assert.match((JSON.parse(j.stdout) as { error: string }).error, /401/)
      assert.ok(!/^Error: /m.test(j.stderr), j.stderr)
    } finally {
      srv.close()
    }
  })

  it('the hint follows the cause and where the input came from', () => {
    assert.equal(
      renderAbortError('Amplitude endpoint unreachable (ECONNREFUSED) after 10 attempts: http://127.0.0.1:9/identify', { fromStdin: false }),
      'Error: Amplitude endpoint unreachable (ECONNREFUSED) after 10 attempts: http://127.0.0.1:9/identify\n' +
        'Hint: Check that the endpoint is reachable from this machine (--endpoint-url, --region, a proxy or firewall); then run the resume command above: what Amplitude acknowledged is not sent again.',
    )
    assert.match(
      renderAbortError('Amplitude has accepted nothing for 600 s (last answer: http_503) at http://x/; stopping', { fromStdin: true }),
      /\nHint: The endpoint refused every request: .*; then replay the data from a file \(stdin cannot be resumed\)\.$/,
    )
    assert.match(
      renderAbortError('inputs changed since the checkpoint', { fromStdin: false, sandbox: true }),
      /\nHint: Fix what the error names; then run the same command again \(a sandbox run starts fresh\)\.$/,
    )
  })
})
