/** The route stage's shard partition alone: FNV-1a, the identity key, K/N parsing (processes: test/replay/replay-shard). */
import { strict as assert } from 'node:assert'
import { checkShard, fnv1a32, identityKey, ownsMessage, parseShard, partitionOf, shardFromEnv, shardMaxEps, shardSuffix } from '../../../src/pipeline/route/shard.js'
import type { SegmentMessage } from '../../../src/types.js'

describe('sharding: partition function', () => {
  it('FNV-1a 32-bit matches the published test vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5)
    assert.equal(fnv1a32('a'), 0xe40c292c)
    assert.equal(fnv1a32('foobar'), 0xbf9cf968)
    // UTF-8 bytes, not UTF-16 code units.
    assert.equal(fnv1a32('é'), fnv1a32(Buffer.from([0xc3, 0xa9]).toString('utf8')))
    assert.notEqual(fnv1a32('é'), fnv1a32('\u00e9'.normalize('NFD')))
  })

  it('identity key: context.device.id, else anonymousId, else userId, else messageId, else file:line', () => {
    assert.deepEqual(identityKey({ type: 'track', context: { device: { id: 'dev-1' } }, anonymousId: 'anon', userId: 'u' } as never), { kind: 'device_id', key: 'dev-1' })
    assert.deepEqual(identityKey({ type: 'track', anonymousId: 'anon', userId: 'u' } as never), { kind: 'device_id', key: 'anon' })
    assert.deepEqual(identityKey({ type: 'track', context: { device: { id: '' } }, userId: 'u' } as never), { kind: 'user_id', key: 'u' })
    assert.deepEqual(identityKey({ type: 'track', userId: 42 } as never), { kind: 'user_id', key: '42' })
    assert.deepEqual(identityKey({ type: 'track', messageId: 'm-1' } as never), { kind: 'messageId', key: 'm-1' })
    assert.deepEqual(identityKey({ type: 'track' } as never, 'a.ndjson:7'), { kind: 'line', key: 'a.ndjson:7' })
  })

  it('every key lands in exactly one of N partitions, spread over all of them', () => {
    for (const n of [1, 2, 3, 7]) {
      const seen = new Array<number>(n).fill(0)
      for (let i = 0; i < 2000; i++) {
        const p = partitionOf(`device-${i}`, n)
        assert.ok(p >= 0 && p < n)
        seen[p]++
      }
      for (const c of seen) assert.ok(c > 2000 / n / 2, `partition sizes ${seen.join(',')} for n=${n}`)
    }
  })

  it('--shard K/N and --shards N with the scheduler index', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 })
    assert.throws(() => parseShard('3/3'), /0…2 \(it is 0-based\)/)
    assert.throws(() => parseShard('1-3'), /is not K\/N/)
    assert.throws(() => checkShard(0, 0, 'x'), /≥ 1/)
    assert.deepEqual(shardFromEnv(4, { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 })
    assert.deepEqual(shardFromEnv(4, { AWS_BATCH_JOB_ARRAY_INDEX: '1' }), { index: 1, count: 4 })
    assert.throws(() => shardFromEnv(4, {}), /JOB_COMPLETION_INDEX.*AWS_BATCH_JOB_ARRAY_INDEX/)
    assert.throws(() => shardFromEnv(2, { JOB_COMPLETION_INDEX: '2' }), /0…1/)
    // Both set: the same index is fine, different ones are refused (either could be this shard's).
    assert.deepEqual(shardFromEnv(4, { JOB_COMPLETION_INDEX: '2', AWS_BATCH_JOB_ARRAY_INDEX: '2' }), { index: 2, count: 4 })
    assert.throws(
      () => shardFromEnv(4, { JOB_COMPLETION_INDEX: '2', AWS_BATCH_JOB_ARRAY_INDEX: '0' }),
      (e: Error & { exitCode?: number; hint?: string }) =>
        e.exitCode === 2 && /JOB_COMPLETION_INDEX=2 and AWS_BATCH_JOB_ARRAY_INDEX=0 name different shards/.test(e.message) && /--shard K\/N/.test(e.hint ?? ''),
    )
    assert.equal(shardMaxEps(900, { index: 0, count: 3 }), 300)
    assert.equal(shardMaxEps(undefined, { index: 0, count: 3 }), undefined)
  })

  it('a message is owned by exactly one shard: the one its identity key hashes to', () => {
    const m = (x: Record<string, unknown>) => x as unknown as SegmentMessage
    // fnv1a32('a') = 0xe40c292c = 3826002220, and 3826002220 mod 3 = 1; the same for 'foobar' (0xbf9cf968).
    assert.equal(partitionOf('a', 3), 1)
    assert.equal(partitionOf('foobar', 3), 1)
    assert.deepEqual(
      [0, 1, 2].map((index) => ownsMessage({ index, count: 3 }, m({ type: 'track', anonymousId: 'a', userId: 'foo' }))),
      [false, true, false],
    )
    // userId 'foo' alone hashes elsewhere (fnv1a32('foo') mod 3 = 0): the device id decided above.
    assert.deepEqual(
      [0, 1, 2].map((index) => ownsMessage({ index, count: 3 }, m({ type: 'track', userId: 'foo' }))),
      [true, false, false],
    )
    // No identity at all: the line (file:line) decides (fnv1a32('bar') mod 3 = 2).
    assert.deepEqual(
      [0, 1, 2].map((index) => ownsMessage({ index, count: 3 }, m({ type: 'track' }), 'bar')),
      [false, false, true],
    )
    assert.equal(partitionOf('anything', 1), 0)
    assert.equal(shardSuffix({ index: 2, count: 5 }), '-shard-2-of-5')
  })
})
