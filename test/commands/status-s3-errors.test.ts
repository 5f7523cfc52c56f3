/**
 * `segamp status s3://…` when the store says no: a bucket that does not exist and credentials it
 * does not know, for one state directory and for the `s3://bucket/run/shard-*` form the README
 * gives. Each is a SegampError naming the bucket or object, with a hint and exit 1 — not "no
 * checkpoint.json" (which sends the user looking for a shard that never started) and not an
 * unexpected error. Real s3rver, real process.
 */
import { strict as assert } from 'node:assert'
import { runCli } from '../helpers/cli.js'
import { s3Env, startS3, type S3TestServer } from '../helpers/s3.js'
import { join } from 'node:path'
import { tempDir, writeFile } from '../helpers/files.js'

describe('status on s3:// state the store refuses', function () {
  this.timeout(60_000)
  let s3: S3TestServer
  before(async () => {
    s3 = await startS3()
    await s3.createBucket('segamp-state')
    await s3.put('segamp-state', 'run-1/shard-0/checkpoint.json', '{}')
  })
  after(async () => s3?.close())

  const status = (args: string[], env: Record<string, string> = {}) =>
    runCli(['status', ...args, '--s3-endpoint', s3.endpoint, '--s3-path-style'], { env: s3Env({ AWS_REGION: 'us-east-1', ...env }) })

  it('a bucket that does not exist is named, for a directory and for shard-*', async () => {
    for (const dir of ['s3://no-such-bucket/run-1/shard-0/', 's3://no-such-bucket/run-1/shard-*']) {
      const r = await status([dir])
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /^Error: could not (read|list) s3:\/\/no-such-bucket\/run-1\/\S*: NoSuchBucket \(HTTP 404\)/m, dir)
      assert.match(r.stderr, /^Hint: Check the bucket, the credentials/m)
      assert.doesNotMatch(r.stderr, /no checkpoint\.json|not an error segamp expected/)
    }
  })

  it('credentials the store does not know are named, for a directory and for shard-*', async () => {
    for (const dir of ['s3://segamp-state/run-1/shard-0/', 's3://segamp-state/run-1/shard-*']) {
      const r = await status([dir], { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY000001' })
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /^Error: could not (read|list) s3:\/\/segamp-state\/run-1\/\S*: InvalidAccessKeyId \(HTTP 403\)/m, dir)
      assert.match(r.stderr, /^Hint: Check the bucket, the credentials/m)
      assert.doesNotMatch(r.stderr, /not an error segamp expected|AKIAUNKNOWNKEY000001/)
    }
  })
})

describe('status on a local path that is not a state directory', () => {
  it('a path that does not exist, or a file, is named as such (exit 2), not as a directory without checkpoint.json', async () => {
    const dir = tempDir('segamp-status-local-')
    const missing = await runCli(['status', join(dir, 'shard-0')])
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(missing.stderr, /^Error: \S*shard-0: no such directory$/m)
    const file = writeFile(join(dir, 'report.json'), '{}')
    const notDir = await runCli(['status', file])
    assert.equal(notDir.code, 2, notDir.stderr)
    assert.match(notDir.stderr, /^Error: \S*report\.json: a file, not a state directory$/m)
  })
})
