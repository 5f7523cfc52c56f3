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
import { nextStep, retryPolicy, StopRules } from '../../src/pipeline/deliver/retry.js'

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

  it('the hint is the one decided with the stop, then what to do given where the input came from', () => {
    // The retry policy's stop after the last attempt of a record that never got an answer.
    const attempts = { sends: 10, failures: 9, firstFailureAt: 1, throttles: 0, quotas: 0, cap: Infinity }
    const ctx = { n: 1, reason: 'ECONNREFUSED', unreachable: true, pauseMs: 0, now: 2, lastAcceptedAt: 0, where: () => 'http://127.0.0.1:9/identify' }
    const step = nextStep(retryPolicy(), { t: 'backoff' }, attempts, ctx)
    assert.equal(step.t, 'stop')
    const unreachable = step as { message: string; hint: string }
    assert.equal(
      renderAbortError(unreachable.message, { fromStdin: false, hint: unreachable.hint }),
      'Error: Amplitude endpoint unreachable (ECONNREFUSED) after 10 attempts: http://127.0.0.1:9/identify\n' +
        'Hint: Check that the endpoint is reachable from this machine (--endpoint-url, --region, a proxy or firewall); then run the resume command above: what Amplitude acknowledged is not sent again.',
    )
    // The budget of nothing accepted (a permanent 503).
    const rules = new StopRules({ unreachableAfterMs: 120_000, stalledAfterMs: 600_000 }, 0)
    rules.answered({ code: 503, reason: 'http_503', fates: [{ t: 'backoff' }], throttledUsers: [], throttledDevices: [], quotaUsers: [], quotaDevices: [] }, 599_000)
    const stalled = rules.check(600_000, () => 'http://x')!
    assert.match(
      renderAbortError(stalled.message, { fromStdin: true, hint: stalled.hint }),
      /^Error: Amplitude has accepted nothing for 600 s \(last answer: http_503\) at http:\/\/x; stopping\nHint: The endpoint refused every request: .*; then replay the data from a file \(stdin cannot be resumed\)\.$/,
    )
    assert.match(
      renderAbortError('inputs changed since the checkpoint', { fromStdin: false, sandbox: true }),
      /\nHint: Fix what the error names; then run the same command again \(a sandbox run starts fresh\)\.$/,
    )
  })
})
