/**
 * The s3:// state directory's lock and writes against a local S3-compatible server that honours
 * conditional writes (test/helpers/s3-conditional.ts, real HTTP): one holder at a time, a clear
 * refusal naming the holder and the lease (exit 75), take-over after the lease, a checkpoint
 * overwritten by someone else stops the writer, and parts counted by the checkpoint.
 */
import { strict as assert } from 'node:assert'
import { hostname } from 'node:os'
import { startConditionalS3, type ConditionalS3 } from '../../helpers/s3-conditional.js'
import { PART_BYTES, S3StateDir, partName } from '../../../src/pipeline/commit/s3-state.js'
import { StateLockedError, StateWriteError } from '../../../src/pipeline/commit/state-dir.js'
import { CHECKPOINT_VERSION } from '../../../src/pipeline/commit/checkpoint.js'
import { exitCodes } from '../../../src/errors.js'

const cp = (runId: string) => ({ version: CHECKPOINT_VERSION, runId, position: null, ahead: [], open: {}, counts: { sent: 1 }, updatedAt: new Date().toISOString(), done: false })

describe('s3:// state directory against a store that honours conditional writes', () => {
  let s3: ConditionalS3
  const warnings: string[] = []
  const dir = (location = 's3://state/run-1/shard-0', leaseMs?: number) => {
    const client = s3.client()
    return new S3StateDir(location, { client: async () => client, leaseMs, onWarning: (w) => warnings.push(w) })
  }
  beforeEach(async () => {
    s3 = await startConditionalS3()
    warnings.length = 0
  })
  afterEach(() => s3.close())

  it('the lock is created with If-None-Match: *, and a second run is refused with exit 75, naming the holder and the lease', async () => {
    const a = dir()
    const lock = await a.lock({ runId: 'run-a' })
    const create = s3.log.find((r) => r.method === 'PUT' && r.key === 'state/run-1/shard-0/lock')!
    assert.equal(create.ifNoneMatch, '*')
    assert.equal(create.status, 200)
    assert.equal(a.conditionalWrites, true, 'the probe with a wrong If-Match was refused (412)')
    assert.deepEqual(warnings, [])
    const b = dir()
    await assert.rejects(b.lock({ runId: 'run-b' }), (e: StateLockedError) => {
      assert.ok(e instanceof StateLockedError)
      assert.equal(e.exitCode, exitCodes.TEMPFAIL)
      assert.equal(e.exitCode, 75)
      assert.match(
        e.message,
        new RegExp(`^s3://state/run-1/shard-0/lock is held by ${hostname()} pid ${process.pid} \\(run run-a\\) since \\S+; its lease runs until \\S+ \\(1[12]\\ds from now\\)$`),
      )
      assert.match(e.hint!, /after the lease ends/)
      return true
    })
    await lock.release()
    assert.equal(s3.objects.has('state/run-1/shard-0/lock'), false, 'released: the lock object is gone')
    const again = await b.lock({ runId: 'run-b' })
    await again.release()
  })

  it('two runs racing for a free lock: exactly one gets it (the store refuses the second create)', async () => {
    // All three read "no lock" before any of them writes (else the later ones merely see it held).
    await s3.close()
    s3 = await startConditionalS3({ getBarrier: { key: 'state/run-1/shard-0/lock', count: 3 } })
    const results = await Promise.allSettled([dir().lock(), dir().lock(), dir().lock()])
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StateLockedError, String(r.reason))
    assert.ok(
      s3.log.some((r) => r.method === 'PUT' && r.ifNoneMatch === '*' && r.status === 412),
      'a create was refused by If-None-Match',
    )
  })

  it("a killed pod's lock is taken over once its lease ended (with If-Match on the lock's ETag), not before", async () => {
    const key = 'state/run-1/shard-0/lock'
    const held = (leaseUntil: number) =>
      Buffer.from(
        JSON.stringify({ holder: 'pod-7 pid 1', host: 'pod-7', pid: 1, runId: 'run-a', acquiredAt: new Date(0).toISOString(), leaseUntil: new Date(leaseUntil).toISOString() }),
      )
    s3.objects.set(key, { body: held(Date.now() + 60_000), etag: '"held-1"' })
    await assert.rejects(dir().lock(), /is held by pod-7 pid 1 \(run run-a\)/)
    s3.objects.set(key, { body: held(Date.now() - 1000), etag: '"held-2"' })
    const lock = await dir().lock()
    assert.match(lock.stale!, /^pod-7 pid 1, lease ended /)
    const takeover = s3.log.filter((r) => r.method === 'PUT' && r.key === key && r.status === 200)[0]!
    assert.equal(takeover.ifMatch, '"held-2"')
    await lock.release()
  })

  it('the holder renews its lease; a lock taken over from under it stops its writes (lost)', async function () {
    this.timeout(20_000)
    const a = dir('s3://state/run-1/shard-0', 3000)
    const lock = await a.lock()
    const first = JSON.parse(s3.objects.get('state/run-1/shard-0/lock')!.body.toString()).leaseUntil
    await new Promise((r) => setTimeout(r, 1300))
    const renewed = JSON.parse(s3.objects.get('state/run-1/shard-0/lock')!.body.toString()).leaseUntil
    assert.ok(Date.parse(renewed) > Date.parse(first), 'renewed after a third of the lease')
    // Someone else overwrites the lock (as a take-over after expiry would).
    s3.objects.set('state/run-1/shard-0/lock', { body: Buffer.from('{}'), etag: '"other"' })
    const errors: Error[] = []
    const w = await a.openWriter(undefined, { onError: (e) => errors.push(e) })
    await new Promise((r) => setTimeout(r, 1300))
    assert.equal(errors.length, 1)
    assert.ok(errors[0] instanceof StateWriteError)
    assert.equal((errors[0] as StateWriteError).exitCode, 75)
    assert.match(errors[0]!.message, /lock was taken over by another run/)
    w.checkpoint(cp('run-a'))
    await assert.rejects(w.flush(), /taken over/)
    await lock.release()
  })

  it('checkpoints PUT with If-Match on the ETag this run wrote last; another writer in between stops the run', async () => {
    const a = dir()
    const lock = await a.lock()
    const errors: Error[] = []
    const w = await a.openWriter(undefined, { onError: (e) => errors.push(e) })
    w.checkpoint(cp('run-a'))
    await w.flush()
    const puts = () => s3.log.filter((r) => r.method === 'PUT' && r.key.endsWith('/checkpoint.json'))
    assert.equal(puts()[0]!.ifNoneMatch, '*', 'the first checkpoint: none may exist')
    w.checkpoint(cp('run-a'))
    await w.flush()
    assert.equal(puts()[1]!.ifNoneMatch, undefined)
    assert.match(puts()[1]!.ifMatch!, /^"/)
    s3.objects.set('state/run-1/shard-0/checkpoint.json', { body: Buffer.from('{}'), etag: '"intruder"' })
    w.checkpoint(cp('run-a'))
    await assert.rejects(w.flush(), (e: StateWriteError) => e.exitCode === 75 && /was written by another run/.test(e.message))
    assert.equal(errors.length, 1)
    await lock.release()
    assert.ok(s3.objects.has('state/run-1/shard-0/lock'), 'a run that lost the state directory does not delete the lock on its way out')
  })

  it('append-only files become part objects before the checkpoint that counts them; a resume reads exactly those', async () => {
    const a = dir()
    const w = await a.openWriter()
    w.append('deadLetter', '{"n":1}\n')
    w.append('deadLetter', '{"n":2}\n')
    w.checkpoint(cp('run-a'))
    w.append('deadLetter', '{"n":3}\n')
    w.append('rejected', '{"line":9}\n')
    w.checkpoint(cp('run-a'))
    // Written after the last checkpoint and never counted (the run was killed): ignored on resume.
    w.append('deadLetter', '{"n":4}\n')
    await w.flush()
    const order = s3.log.filter((r) => r.method === 'PUT').map((r) => r.key.replace('state/run-1/shard-0/', ''))
    // Parts before the checkpoint that counts them; the first checkpoint, overtaken by the second
    // before its turn, is not written at all (one PUT saved).
    assert.deepEqual(order, [partName('deadLetter', 1), partName('deadLetter', 2), partName('rejected', 1), 'checkpoint.json'])
    const saved = await dir().readCheckpoint()
    assert.deepEqual(saved!.parts, { deadLetter: 2, rejected: 1, completed: 0 })
    assert.deepEqual(saved!.files, { deadLetter: 24, rejected: 11, completed: 0 })
    s3.objects.set(`state/run-1/shard-0/${partName('deadLetter', 3)}`, { body: Buffer.from('{"n":4}\n'), etag: '"x"' })
    assert.deepEqual(await dir().readLog('deadLetter', saved!), ['{"n":1}', '{"n":2}', '{"n":3}'])
    // A resumed writer numbers on from the checkpoint's parts (overwriting the uncounted one).
    const r = await dir().openWriter(saved!)
    r.append('deadLetter', '{"n":5}\n')
    r.checkpoint(cp('run-a'))
    await r.flush()
    const next = await dir().readCheckpoint()
    assert.deepEqual(await dir().readLog('deadLetter', next!), ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":5}'])
  })
})

describe('s3:// state: a part object is written once it fills', () => {
  it(`a buffer reaching ${PART_BYTES / 1024 / 1024} MiB goes out at once, before any checkpoint; the checkpoint counts it`, async () => {
    const s3 = await startConditionalS3()
    try {
      const client = s3.client()
      const d = new S3StateDir('s3://state/big', { client: async () => client })
      const w = await d.openWriter()
      const line = JSON.stringify({ event: { pad: 'x'.repeat(1024 * 1024) } }) + '\n'
      for (let i = 0; i < 9; i++) w.append('deadLetter', line)
      await w.flush()
      assert.deepEqual([...s3.objects.keys()], ['state/big/dead-letter/part-000001.ndjson'], 'written without a checkpoint')
      assert.equal(s3.objects.get('state/big/dead-letter/part-000001.ndjson')!.body.length, 8 * Buffer.byteLength(line))
      w.checkpoint(cp('run-a'))
      await w.flush()
      const saved = await d.readCheckpoint()
      assert.deepEqual(saved!.parts, { deadLetter: 2, rejected: 0, completed: 0 })
      assert.equal((await d.readLog('deadLetter', saved!)).length, 9)
    } finally {
      await s3.close()
    }
  })
})

describe('s3:// state directory against a store that refuses conditional writes (501)', () => {
  it('warns once and goes on without them: the lock is taken, checkpoints are written', async () => {
    const s3 = await startConditionalS3({ conditional: 'refuse' })
    try {
      const warnings: string[] = []
      const client = s3.client()
      const d = new S3StateDir('s3://state/run', { client: async () => client, onWarning: (w) => warnings.push(w) })
      const lock = await d.lock()
      assert.equal(d.conditionalWrites, false)
      const w = await d.openWriter()
      w.checkpoint(cp('run-a'))
      await w.flush()
      assert.equal((await d.readCheckpoint())!.runId, 'run-a')
      assert.equal(warnings.length, 1)
      assert.match(
        warnings[0]!,
        /^the store at s3:\/\/state\/run\/ ignores conditional writes \(If-None-Match \/ If-Match\): the lock cannot keep a second run out; exclusivity must come from the scheduler/,
      )
      assert.deepEqual(
        s3.log.filter((r) => r.method === 'PUT').map((r) => [r.key.replace('state/run/', ''), r.status]),
        [
          ['lock', 501],
          ['lock', 200],
          ['lock', 501],
          ['lock', 200],
          ['checkpoint.json', 200],
        ],
      )
      await lock.release()
    } finally {
      await s3.close()
    }
  })
})
