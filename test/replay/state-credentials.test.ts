/**
 * An `s3://` state directory with no AWS credentials for the profile asked for: the error names the
 * profile and what to check (src/replay/state.ts loads the credentials before the state's first
 * request). The SDK's own words, "Could not load credentials from any providers", named none.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

describe('replay and status: an s3:// state directory without credentials', function () {
  this.timeout(60_000)

  /** No credentials anywhere: empty shared files, no AWS_* keys, no instance metadata. */
  function noCredentials(): NodeJS.ProcessEnv {
    const empty = writeFile(join(tempDir(), 'aws-empty'), '')
    return {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: empty,
      AWS_SHARED_CREDENTIALS_FILE: empty,
      AWS_EC2_METADATA_DISABLED: 'true',
    }
  }
  // Nothing listens on port 9: no request could succeed, and none is needed to find the credentials missing.
  const store = ['--s3-endpoint', 'http://127.0.0.1:9', '--s3-path-style']

  it('replay --profile nope: exit 1, the error names profile "nope" and the state directory', async () => {
    const r = await runCli(
      ['replay', join(ROOT, 'examples', 'segment-logs'), '--sandbox', '--no-progress', '--state-dir', 's3://segamp-state/run1/', '--profile', 'nope', ...store],
      {
        env: noCredentials(),
      },
    )
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /Error: reading s3:\/\/segamp-state\/run1\/: profile "nope" gave no AWS credentials: check that it exists in ~\/\.aws\/config/)
    assert.doesNotMatch(r.stderr, /Could not load credentials from any providers/)
  })

  it('status of shard-* (the listing that finds the shards): the same words', async () => {
    const r = await runCli(['status', 's3://segamp-state/run/shard-*', '--profile', 'nope', ...store], { env: noCredentials() })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /Error: reading s3:\/\/segamp-state\/run\/: profile "nope" gave no AWS credentials/)
  })

  it('status --profile nope: the same words', async () => {
    const r = await runCli(['status', 's3://segamp-state/run1/', '--profile', 'nope', ...store], { env: noCredentials() })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /profile "nope" gave no AWS credentials/)
  })
})
