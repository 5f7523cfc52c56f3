/** `--state-dir` with `{shard}`: the shard index in its place (AWS Batch cannot expand variables in a command). */
import { strict as assert } from 'node:assert'
import { withShardIndex } from '../../src/commands/replay.js'
import { UsageError } from '../../src/errors.js'
import { runCli, ROOT } from '../helpers/cli.js'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { tempDir } from '../helpers/files.js'
import { s3Env } from '../helpers/s3.js'

describe('replay --state-dir with {shard}', () => {
  it('puts the shard index in place of {shard}; leaves other values alone', () => {
    assert.equal(withShardIndex('s3://b/run-1/shard-{shard}', { index: 2, count: 4, group: 'g' }), 's3://b/run-1/shard-2')
    assert.equal(withShardIndex('state/{shard}/x-{shard}', { index: 0, count: 1, group: 'g' }), 'state/0/x-0')
    assert.equal(withShardIndex('s3://b/run-1/', undefined), 's3://b/run-1/')
  })

  it('{shard} without --shard/--shards is a usage error (exit 2)', () => {
    assert.throws(
      () => withShardIndex('s3://b/shard-{shard}', undefined),
      (e: UsageError) => e instanceof UsageError && e.exitCode === 2 && /\{shard\} needs --shard K\/N or --shards N/.test(e.message),
    )
  })
})

describe('inspect --state-dir s3://…', () => {
  it('is a usage error: inspect writes its rejected lines locally', async function () {
    this.timeout(60_000)
    const r = await runCli(['inspect', join(ROOT, 'examples', 'segment-logs'), '--state-dir', 's3://bucket/x/'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: --state-dir s3:\/\/bucket\/x\/: inspect writes rejected\.ndjson to a local directory\nHint: Give a local directory/)
  })
})

describe('a local state directory does not load the AWS SDK', () => {
  it('replay --dry-run and status with local state never import @aws-sdk/client-s3 (large: loaded only for s3://)', function () {
    this.timeout(120_000)
    const dir = tempDir('segamp-nosdk-')
    // A module resolve hook that reports every import of the SDK.
    writeFileSync(
      join(dir, 'hooks.mjs'),
      "export async function resolve(s, c, next) { if (s.includes('@aws-sdk/client-s3')) process.stderr.write('LOADED-SDK\\n'); return next(s, c) }\n",
    )
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`)
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'bin', 'run.js'), ...args], {
        encoding: 'utf8',
        env: s3Env(),
        timeout: 100_000,
      })
    const replay = run(['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st')])
    assert.equal(replay.status, 0, replay.stderr)
    assert.doesNotMatch(replay.stderr, /LOADED-SDK/)
    const status = run(['replay', join(ROOT, 'examples', 'segment-logs'), '--sandbox', '--no-progress', '--sandbox-dir', join(dir, 'sb'), '--state-dir', join(dir, 'st2')])
    assert.equal(status.status, 0, status.stderr)
    const st = run(['status', join(dir, 'st2')])
    assert.equal(st.status, 0, st.stderr)
    assert.doesNotMatch(st.stderr + status.stderr, /LOADED-SDK/)
    // The hook works: an s3:// state directory does load it.
    const s3 = run(['status', 's3://no-such-bucket-segamp-test/x/', '--s3-endpoint', 'http://127.0.0.1:9'])
    assert.match(s3.stderr, /LOADED-SDK/)
  })
})
