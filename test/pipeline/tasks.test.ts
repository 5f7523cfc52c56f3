/**
 * TaskPool (src/pipeline/tasks.ts): the threads a service runs its own jobs on (diff-mappings
 * --against). A job's answer comes back as sent; a thread's SegampError comes back as one, with
 * its message, hint, code and exit code (the CLI's exit code must not depend on the thread).
 */
import { strict as assert } from 'node:assert'
import { TaskPool } from '../../src/pipeline/tasks.js'
import { SegampError, exitCodes } from '../../src/errors.js'

describe('TaskPool', function () {
  this.timeout(60_000)

  it('answers each job on one of its threads; errors come back with their hint, code and exit code', async () => {
    const pool = new TaskPool(new URL('./task-echo-worker.ts', import.meta.url), 2, { tag: 't' })
    try {
      assert.equal(pool.size, 2)
      const answers = await Promise.all([1, 2, 3, 4].map((n) => pool.run<{ echo: unknown; tag: string; index: number }>({ echo: { n, list: [n] } })))
      assert.deepEqual(
        answers.map((a) => [a.echo, a.tag]),
        [1, 2, 3, 4].map((n) => [{ n, list: [n] }, 't']),
      )
      // least-loaded first: both threads got work
      assert.deepEqual([...new Set(answers.map((a) => a.index))].sort(), [0, 1])
      const usage = await pool.run({ usage: 'bad flag' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(usage instanceof SegampError)
      assert.deepEqual([usage.message, usage.hint, usage.code, usage.exitCode, usage.name], ['bad flag', 'do this instead', 'test-usage', exitCodes.USAGE, 'UsageError'])
      await assert.rejects(pool.run({ plain: 'boom' }), (e: Error) => !(e instanceof SegampError) && e.message === 'worker thread: boom')
      // the pool goes on after a job's error
      assert.deepEqual((await pool.run<{ echo: unknown }>({ echo: 5 })).echo, 5)
    } finally {
      await pool.close()
    }
  })
})
