/**
 * An `s3://` state directory whose key prefix has an empty segment (`s3://bucket//run/`, most often
 * a shell variable that was empty): a usage error before any request, with the URL written
 * right. It used to go to the store as keys starting with `/`, which S3 takes (a state no one
 * finds again) and s3rver answered with raw XML.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { parseStateUrl } from '../../src/pipeline/commit/s3-state.js'
import { ROOT, runCli } from '../helpers/cli.js'

describe('s3:// state directory: an empty segment in the key prefix', function () {
  this.timeout(60_000)

  it('parseStateUrl: s3://bucket//run/, s3://bucket/a//b and s3://bucket// are refused with the URL written right', () => {
    for (const [url, right] of [
      ['s3://bucket//run/', 's3://bucket/run/'],
      ['s3://bucket/a//b', 's3://bucket/a/b/'],
      ['s3://bucket//', 's3://bucket/'],
    ]) {
      assert.throws(
        () => parseStateUrl(url),
        (e: Error & { exitCode?: number; code?: string; hint?: string }) => {
          assert.match(e.message, /the key prefix has an empty segment \(\/\/\)/)
          assert.equal(e.exitCode, 2)
          assert.equal(e.code, 'usage')
          assert.ok(e.hint!.includes(`--state-dir ${right};`), e.hint)
          return true
        },
      )
    }
    assert.deepEqual(parseStateUrl('s3://bucket/run'), { bucket: 'bucket', prefix: 'run/' })
    assert.deepEqual(parseStateUrl('s3://bucket'), { bucket: 'bucket', prefix: '' })
  })

  it('replay and status: exit 2 before any request (nothing listens on the endpoint)', async () => {
    const store = ['--s3-endpoint', 'http://127.0.0.1:9', '--s3-path-style']
    const env = { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-east-1' }
    const r = await runCli(['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--no-progress', '--state-dir', 's3://segamp-state//run1/', ...store], { env })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: s3:\/\/segamp-state\/\/run1\/: the key prefix has an empty segment/)
    assert.match(r.stderr, /Hint: Write it with one \/ between the parts, e\.g\. --state-dir s3:\/\/segamp-state\/run1\//)
    const s = await runCli(['status', 's3://segamp-state//run1/', ...store], { env })
    assert.equal(s.code, 2, s.stderr)
    assert.match(s.stderr, /the key prefix has an empty segment/)
  })
})
