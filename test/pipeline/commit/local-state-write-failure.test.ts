/**
 * A state directory that stops taking writes (a full disk, a quota, a folder made read-only): the
 * run stops with an error naming the file and the cause, the lock goes, and the same command later
 * resumes without skipping a line. The failure is made real, without mocks: the temporary file a
 * checkpoint.json write goes through (`checkpoint.json.<pid>.tmp`) is made a folder, so the write
 * fails with EISDIR as a full disk fails with ENOSPC.
 */
import { strict as assert } from 'node:assert'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { startSandbox } from '../../../src/amplitude/sandbox/index.js'
import { NO_THROTTLE } from '../../../src/amplitude/sandbox/limits.js'
import { LocalStateDir } from '../../../src/pipeline/commit/local-state.js'
import { SegampError } from '../../../src/errors.js'
import { replay } from '../../../src/replay/engine.js'
import { compileSubscriptions, loadMappings } from '../../../src/segment/subscriptions/index.js'
import { tempDir } from '../../helpers/files.js'
import { writeArchive } from '../../helpers/replay.js'

const blockCheckpoint = (dir: string): string => {
  const tmp = join(dir, `checkpoint.json.${process.pid}.tmp`)
  mkdirSync(tmp, { recursive: true })
  return tmp
}

describe('a state directory that stops taking writes', () => {
  it('the writer reports it once, naming the file and the cause, and writes nothing after it', async () => {
    const dir = tempDir()
    const state = new LocalStateDir(dir)
    const errors: Error[] = []
    const w = await state.openWriter(undefined, { onError: (e) => errors.push(e) })
    w.append('deadLetter', '{"a":1}\n')
    blockCheckpoint(dir)
    const draft = { version: 1, runId: 'r', position: null, ahead: [], open: {}, counts: {}, updatedAt: '', done: false, inputs: { files: 1, bytes: 1 } }
    w.checkpoint(draft as never)
    w.append('deadLetter', '{"a":2}\n')
    w.checkpoint(draft as never)
    assert.equal(errors.length, 1)
    const e = errors[0] as SegampError
    assert.ok(e instanceof SegampError)
    assert.equal(e.code, 'state-write')
    assert.equal(e.exitCode, 1)
    assert.match(e.message, /checkpoint\.json: cannot write the replay's state: it is a folder \(EISDIR\)$/)
    assert.match(e.hint ?? '', /run the same command: it resumes from the last checkpoint written/)
    // nothing after the failure: the second dead letter is not in the file the checkpoint counts
    assert.equal(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8'), '{"a":1}\n')
    await w.close()
  })

  it('replay stops with that error and frees the lock; the same command then resumes and every event arrives once', async function () {
    this.timeout(60_000)
    const dir = tempDir()
    const { dir: archive } = writeArchive(dir, { messages: 400, devices: 40 })
    const stateDir = join(dir, 'state')
    const sandbox = await startSandbox({ limits: NO_THROTTLE })
    try {
      const loaded = await loadMappings()
      const base = {
        inputs: [archive],
        subscriptions: compileSubscriptions(loaded, { apiKey: 'sandbox-api-key', endpoint: 'north_america' }),
        mappingsSource: loaded.source,
        runId: 'state-write',
        stateDir,
        apiKey: 'sandbox-api-key',
        region: 'us' as const,
        endpointUrl: sandbox.url,
        batchSize: 10,
        concurrency: 2,
      }
      const tmp = blockCheckpoint(stateDir)
      await assert.rejects(
        replay({ ...base, fresh: true }),
        (e: unknown) => e instanceof SegampError && e.code === 'state-write' && /checkpoint\.json: cannot write the replay's state/.test(e.message),
      )
      assert.equal(existsSync(join(stateDir, 'lock')), false, 'the lock is released')
      rmSync(tmp, { recursive: true })
      const report = await replay(base)
      assert.equal(report.exitCode, 0)
      const ids = sandbox.events.map((e) => e.event.insert_id)
      assert.equal(ids.length, 400, 'every event, none skipped')
      assert.equal(new Set(ids).size, 400)
    } finally {
      await sandbox.close()
    }
  })
})
