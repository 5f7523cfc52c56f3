/**
 * replay's second Ctrl-C quits at once with exit 130 (interrupted: the same command resumes),
 * also when stderr is a pipe nobody reads any more (a stalled log collector, a pager that stopped):
 * the quit notice was written with a synchronous write that threw EAGAIN on the full pipe, so the
 * run died of an uncaught exception, exit 1 (a permanent failure to a scheduler), and said nothing.
 */
import { strict as assert } from 'node:assert'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { BIN, ROOT, commandWorks } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { waitFor } from '../helpers/replay.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

/** An endpoint that takes requests and never answers: the run always has requests in flight. */
async function silentEndpoint(): Promise<{ url: string; arrivals: () => number; close: () => Promise<void> }> {
  let arrivals = 0
  const server: Server = createServer(() => {
    arrivals++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals: () => arrivals,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

function replayArgs(url: string, dir: string): string[] {
  return [BIN, 'replay', EXAMPLE, '--endpoint-url', url, '--api-key', 'key-12345', '--yes', '--fresh', '--concurrency', '1', '--state-dir', join(dir, 'st')]
}

/** Ctrl-C, then Ctrl-C again once the first was taken: the exit code and how long the quit took. */
async function interruptTwice(child: ChildProcess, endpoint: { arrivals: () => number }): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  await waitFor('a request in flight', () => endpoint.arrivals() > 0 || child.exitCode !== null, 30_000, 20)
  child.kill('SIGINT')
  await new Promise((resolve) => setTimeout(resolve, 300))
  const t0 = Date.now()
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const end = await exited
  clearTimeout(timer)
  return { ...end, ms: Date.now() - t0 }
}

/** Exit 130 as a shell reports it: the exit code, or the end by SIGINT's default action. */
function interruptedStatus(r: { code: number | null; signal: string | null }): boolean {
  return r.code === 130 || (r.code === null && r.signal === 'SIGINT')
}

describe('replay: the second Ctrl-C', function () {
  this.timeout(60_000)

  it('stderr a pipe: exit 130 at once, saying what was abandoned and the command that resumes', async () => {
    const endpoint = await silentEndpoint()
    try {
      const child = spawn(process.execPath, replayArgs(endpoint.url, tempDir()), { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d))
      child.stdout!.resume()
      const r = await interruptTwice(child, endpoint)
      assert.ok(interruptedStatus(r), `${r.code} ${r.signal}\n${stderr}`)
      assert.ok(r.ms < 5_000, `quit took ${r.ms} ms`)
      assert.match(stderr, /Quit at once: \d+ record\(s\) not yet acknowledged were abandoned; .* this resumes the rest:\n {2}\S+ replay \S+segment-logs --endpoint-url=/)
    } finally {
      await endpoint.close()
    }
  })

  // Reading a named pipe nothing writes to, the run waits in open(), on a thread of libuv's pool:
  // the first Ctrl-C cannot finish anything, and process.exit() (the second) waited for that
  // thread forever.
  ;(process.platform === 'win32' ? it.skip : it)('input a named pipe nothing writes to: the second Ctrl-C still quits at once', async () => {
    const dir = tempDir()
    const fifo = join(dir, 'in.fifo')
    execFileSync('mkfifo', [fifo])
    const child = spawn(process.execPath, [BIN, 'replay', fifo, '--dry-run', '--state-dir', join(dir, 'st')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d))
    child.stdout!.resume()
    // The progress line is drawn once the run (and its Ctrl-C handling) has started.
    const r = await interruptTwice(child, { arrivals: () => (/Planning requests \(dry run\)/.test(stderr) ? 1 : 0) })
    assert.ok(interruptedStatus(r), `${r.code} ${r.signal}\n${stderr}`)
    assert.ok(r.ms < 5_000, `quit took ${r.ms} ms`)
    assert.match(stderr, /Quit at once: 0 record\(s\) not yet acknowledged were abandoned/)
  })

  // As PID 1 (a container started without an init) a process ignores a signal it has no handler
  // for: ending by SIGINT's default action alone left the run going. It exits 130 itself there.
  const canUnshare = commandWorks('unshare', ['-fp', '--mount-proc', 'true'])
  ;(canUnshare ? it : it.skip)('as PID 1 (a container without an init): the second Ctrl-C still quits, exit 130', async () => {
    const endpoint = await silentEndpoint()
    try {
      const child = spawn('unshare', ['-fp', '--mount-proc', process.execPath, ...replayArgs(endpoint.url, tempDir())], {
        cwd: tempDir(),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      })
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d))
      child.stdout!.resume()
      await waitFor('a request in flight', () => endpoint.arrivals() > 0 || child.exitCode !== null, 30_000, 20)
      // The signals go to segamp, the namespace's PID 1, not to unshare.
      const inner = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim())
      const r = await interruptTwice(
        { kill: (signal: NodeJS.Signals) => process.kill(inner, signal), on: child.on.bind(child), exitCode: child.exitCode } as unknown as ChildProcess,
        endpoint,
      )
      if (r.signal === 'SIGKILL') process.kill(inner, 'SIGKILL')
      assert.ok(interruptedStatus(r), `${r.code} ${r.signal}\n${stderr}`)
      assert.ok(r.ms < 5_000, `quit took ${r.ms} ms`)
    } finally {
      await endpoint.close()
    }
  })

  // On a terminal the progress display hides the cursor and shows it again in an exit handler;
  // ending by a signal skips exit handlers, so the cursor is shown before.
  const hasScript = commandWorks('script', ['-qec', 'true', '/dev/null'])
  ;(hasScript ? it : it.skip)('on a terminal: the cursor the progress display hid is shown again', async () => {
    const endpoint = await silentEndpoint()
    try {
      const dir = tempDir()
      const command = ['exec', process.execPath, ...replayArgs(endpoint.url, dir)].map((a) => `'${a}'`).join(' ')
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
      let out = ''
      child.stdout!.on('data', (d: Buffer) => (out += d))
      await waitFor('a request in flight', () => endpoint.arrivals() > 0 || child.exitCode !== null, 30_000, 20)
      const inner = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim())
      const r = await interruptTwice(
        { kill: (signal: NodeJS.Signals) => process.kill(inner, signal), on: child.on.bind(child), exitCode: child.exitCode } as unknown as ChildProcess,
        endpoint,
      )
      assert.ok(r.ms < 5_000, `quit took ${r.ms} ms`)
      assert.match(out, /\x1b\[\?25l/, 'the progress display hid the cursor')
      const quit = out.lastIndexOf('Quit at once')
      assert.ok(quit >= 0, out)
      assert.ok(out.indexOf('\x1b[?25h', quit) > quit, `the cursor is shown after the quit notice: ${JSON.stringify(out.slice(quit))}`)
    } finally {
      await endpoint.close()
    }
  })

  // A FIFO filled to the brim, whose reader never reads: every write to it would block.
  ;(process.platform === 'win32' ? it.skip : it)('stderr a full pipe nobody reads: still exit 130 at once, not 1', async () => {
    const dir = tempDir()
    const fifo = join(dir, 'stderr.fifo')
    execFileSync('mkfifo', [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
    const endpoint = await silentEndpoint()
    try {
      try {
        for (;;) writeSync(writer, Buffer.alloc(4096, 0x2e))
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, 'EAGAIN')
      }
      const child = spawn(process.execPath, replayArgs(endpoint.url, dir), { cwd: dir, stdio: ['ignore', 'ignore', writer], env: { ...process.env, NO_COLOR: '1' } })
      const r = await interruptTwice(child, endpoint)
      assert.ok(interruptedStatus(r), `${r.code} ${r.signal}`)
      assert.ok(r.ms < 5_000, `quit took ${r.ms} ms`)
    } finally {
      await endpoint.close()
      closeSync(writer)
      closeSync(reader)
    }
  })
})
