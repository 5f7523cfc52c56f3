/** `--state-dir` with `{shard}`: the shard index in its place (AWS Batch cannot expand variables in a command). */
import { strict as assert } from 'node:assert'
import { withShardIndex } from '../../src/commands/replay.js'
import { UsageError } from '../../src/errors.js'
import { runCli, ROOT } from '../helpers/cli.js'
import { join } from 'node:path'

describe('replay --state-dir with {shard}', () => {
  it('puts the shard index in place of {shard}; leaves other values alone', () => {
    assert.equal(withShardIndex('s3://b/run-1/shard-{shard}', { index: 2, count: 4, group: 'g' }), 's3://b/run-1/shard-2')
    assert.equal(withShardIndex('state/{shard}/x-{shard}', { index: 0, count: 1, group: 'g' }), 'state/0/x-0')
    assert.equal(withShardIndex('s3://b/run-1/', undefined), 's3://b/run-1/')
  })

  it('{shard} without --shard/--shards is a usage error (exit 2)', () => {
    assert.throws(() => withShardIndex('s3://b/shard-{shard}', undefined), (e: UsageError) => e instanceof UsageError && e.exitCode === 2 && /\{shard\} needs --shard K\/N or --shards N/.test(e.message))
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
