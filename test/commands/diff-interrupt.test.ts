/**
 * Ctrl-C and SIGTERM during `diff-mappings --against`: the partitions it wrote (the archive's
 * messages and the export's events, i.e. users' data) are removed, stderr says so, and the exit
 * status is 130. Node's default for these signals used to end the process without its exit
 * handlers, leaving `segamp-against-*` folders behind in the temp folder or --work-dir.
 *
 * The run is paused at a known point without timing guesses: `--against` is a named pipe nothing
 * writes to, so the run indexes the archive (partitions on disk) and then waits on the pipe.
 */
import { strict as assert } from 'node:assert'
import { spawn, execFileSync } from 'node:child_process'
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
}

/** A FIFO filled to the brim whose reader never reads (a stalled log collector): every write to it would block. */
function fullPipe(dir: string): { fd: number; close: () => void } {
  const path = join(dir, 'stderr.fifo')
  execFileSync('mkfifo', [path])
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096, 0x2e))
  } catch {
    // EAGAIN: full
  }
  return {
    fd,
    close: () => {
      closeSync(fd)
      closeSync(reader)
    },
  }
}

async function interrupted(
  signal: 'SIGINT' | 'SIGTERM',
  workers: number,
  o: { stderrFull?: boolean } = {},
): Promise<{ status: string; stderr: string; before: string[]; after: string[] }> {
  const dir = tempDir()
  const work = join(dir, 'work')
  mkdirSync(work)
  const pipe = join(dir, 'export.json')
  execFileSync('mkfifo', [pipe])
  const full = o.stderrFull ? fullPipe(dir) : undefined
  const child = spawn(process.execPath, [BIN, 'diff-mappings', 'examples/segment-logs', '--against', pipe, '--work-dir', work, '--workers', String(workers), '--no-progress'], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', full ? full.fd : 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => (stderr += d))
  const ended = new Promise<string>((resolve) => child.on('close', (code, sig) => resolve(sig ?? String(code))))
  // Until the archive's partitions are on disk (the run then waits on the pipe).
  let before: string[] = []
  for (let i = 0; i < 600 && before.filter((f) => f.endsWith('.ndjson')).length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    before = filesUnder(work)
  }
  child.kill(signal)
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const status = await ended
  clearTimeout(guard)
  full?.close()
  const after = existsSync(work) ? filesUnder(work) : []
  rmSync(dir, { recursive: true, force: true })
  return { status, stderr, before, after }
}

describe('diff-mappings --against interrupted (Ctrl-C, SIGTERM)', function () {
  this.timeout(60_000)

  for (const [signal, workers] of [
    ['SIGINT', 1],
    ['SIGTERM', 2],
  ] as const) {
    it(`${signal} with --workers ${workers}: the work files are removed, stderr says so, status 130`, async () => {
      const r = await interrupted(signal, workers)
      assert.ok(
        r.before.some((f) => f.endsWith('.ndjson')),
        `partitions were written before the signal: ${r.before.join(', ')}`,
      )
      assert.deepEqual(r.after, [], 'nothing left in --work-dir')
      // Ended by SIGINT's default action: 130 in a shell.
      assert.ok(r.status === 'SIGINT' || r.status === '130', r.status)
      assert.match(r.stderr, /Interrupted: nothing was written, and the work files \(partitions of the archive and the export\) were removed; run the same command again/)
    })
  }

  // The notice was a synchronous write: on a full pipe it threw EAGAIN before the clean-up, so the
  // users' events stayed in --work-dir and the run ended with exit 1.
  it('SIGINT with stderr a full pipe nobody reads: the work files are still removed, status 130', async () => {
    const r = await interrupted('SIGINT', 1, { stderrFull: true })
    assert.ok(
      r.before.some((f) => f.endsWith('.ndjson')),
      `partitions were written before the signal: ${r.before.join(', ')}`,
    )
    assert.deepEqual(r.after, [], 'nothing left in --work-dir')
    assert.ok(r.status === 'SIGINT' || r.status === '130', r.status)
  })
})
