/**
 * The lock of a local state directory: a lock whose process is gone is taken over, also when that
 * process was killed and its parent never reaped it (a zombie still answers signal 0).
 */
import { strict as assert } from 'node:assert'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive, LocalStateDir } from '../../../src/pipeline/commit/local-state.js'
import { StateLockedError } from '../../../src/pipeline/commit/state-dir.js'
import { tempDir } from '../../helpers/files.js'

/** A zombie: python forks a child that exits at once, and sleeps without waiting for it. Returns its pid and a stop function. */
async function zombie(): Promise<{ pid: number; stop: () => void } | undefined> {
  if (spawnSync('python3', ['-c', '0']).status !== 0 || !existsSync('/proc/self/stat')) return undefined
  const parent = spawn('python3', ['-c', 'import os,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))))
  // the child has exited once /proc shows it as Z
  for (let i = 0; i < 100 && !/\) Z /.test(String(spawnSync('cat', [`/proc/${pid}/stat`]).stdout)); i++) await new Promise((r) => setTimeout(r, 20))
  return { pid, stop: () => parent.kill('SIGKILL') }
}

describe('local state directory lock', () => {
  it('a live process holds the lock; a zombie (killed, never reaped) does not, and its lock is taken over', async function () {
    const dir = tempDir()
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.ppid, startedAt: new Date().toISOString() }) + '\n')
    await assert.rejects(new LocalStateDir(dir).lock(), StateLockedError)
    const z = await zombie()
    if (!z) this.skip()
    try {
      assert.equal(isAlive(z.pid), false, 'a zombie holds nothing')
      assert.equal(isAlive(process.pid), true)
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: z.pid, startedAt: new Date().toISOString() }) + '\n')
      const lock = await new LocalStateDir(dir).lock()
      assert.equal(lock.stale, `pid ${z.pid}`)
      await lock.release()
    } finally {
      z.stop()
    }
  })
})
