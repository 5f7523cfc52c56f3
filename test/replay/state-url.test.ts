/**
 * An `s3://` state directory whose key prefix has an empty segment (`s3://bucket//run/`, most often
 * a shell variable that was empty): a usage error before any request, quoting the URL as typed
 * and giving it written right. It used to go to the store as keys starting with `/`, which S3
 * takes (a state no one finds again) and s3rver answered with raw XML.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { parseStateUrl, stateUrlProblem } from '../../src/pipeline/commit/s3-state.js'
import { ROOT, runCli } from '../helpers/cli.js'

describe('s3:// state directory: an empty segment in the key prefix', function () {
  this.timeout(60_000)
  // Nothing listens on port 9: a request would fail with ECONNREFUSED (exit 75), not the usage error.
  const store = ['--s3-endpoint', 'http://127.0.0.1:9', '--s3-path-style']
  const env = { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-east-1' }

  it('the URL written right keeps {shard} and a final *, and valid URLs pass', () => {
    const written = (url: string) => stateUrlProblem(url)?.written
    assert.equal(written('s3://bucket//run/'), 's3://bucket/run/')
    assert.equal(written('s3://bucket/a//b'), 's3://bucket/a/b/')
    assert.equal(written('s3://bucket//'), 's3://bucket/')
    assert.equal(written('s3://bucket///'), 's3://bucket/')
    assert.equal(written('s3://bucket/x/{shard}//y'), 's3://bucket/x/{shard}/y/')
    assert.equal(written('s3://bucket//run/shard-*'), 's3://bucket/run/shard-*')
    for (const ok of ['s3://bucket', 's3://bucket/', 's3://bucket/run', 's3://bucket/run/', 's3://bucket/run/shard-*']) assert.equal(stateUrlProblem(ok), undefined, ok)
    assert.match(stateUrlProblem('s3://bucket//run/')!.problem, /the key prefix has an empty segment \(\/\/\); the state's keys would be "\/run\/checkpoint\.json"/)
    assert.throws(
      () => parseStateUrl('s3://bucket//run/'),
      (e: Error & { exitCode?: number }) => e.exitCode === 2 && /empty segment/.test(e.message),
    )
    assert.deepEqual(parseStateUrl('s3://bucket/run'), { bucket: 'bucket', prefix: 'run/' })
    assert.deepEqual(parseStateUrl('s3://bucket'), { bucket: 'bucket', prefix: '' })
  })

  it('replay: exit 2 before any request, quoting --state-dir as typed ({shard} kept in the hint)', async () => {
    const r = await runCli(['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--no-progress', '--state-dir', 's3://segamp-state//run1/', ...store], { env })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: --state-dir s3:\/\/segamp-state\/\/run1\/: the key prefix has an empty segment/)
    assert.match(r.stderr, /Hint: Write it with one \/ between the parts: s3:\/\/segamp-state\/run1\/;/)
    const s = await runCli(
      ['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--no-progress', '--shard', '1/2', '--state-dir', 's3://segamp-state/x/{shard}//y', ...store],
      { env },
    )
    assert.equal(s.code, 2, s.stderr)
    assert.match(s.stderr, /Error: --state-dir s3:\/\/segamp-state\/x\/\{shard\}\/\/y: /)
    assert.match(s.stderr, /Hint: Write it with one \/ between the parts: s3:\/\/segamp-state\/x\/\{shard\}\/y\/;/)
  })

  it('status: exit 2 before any request, also for the shard-* form, and the hint names no flag', async () => {
    for (const dir of ['s3://segamp-state//run1/', 's3://segamp-state//run1/shard-*']) {
      const s = await runCli(['status', dir, ...store], { env })
      assert.equal(s.code, 2, s.stderr)
      assert.ok(s.stderr.includes(`Error: state directory ${dir}: the key prefix has an empty segment`), s.stderr)
      assert.doesNotMatch(s.stderr, /ECONNREFUSED|--state-dir/)
    }
  })
})
