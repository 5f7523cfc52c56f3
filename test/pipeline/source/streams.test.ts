/**
 * Inputs that are not regular files (issue #21 item 2): a named pipe, `<(…)` (/dev/fd/N), /dev/stdin
 * or a character device given on the command line is read once like `-`, and a run that reads one
 * says it cannot be resumed; inside a tree, every file that is not a regular file is named as
 * skipped and counted.
 */
import { strict as assert } from 'node:assert'
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { listSources, sourceIdentity } from '../../../src/pipeline/source/index.js'
import { BIN, ROOT } from '../../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../../helpers/files.js'

const messages = [track('A', { messageId: 'fifo-a' }), track('B', { messageId: 'fifo-b' })]

/**
 * Writes `text` into the FIFO at `path` once a reader opens it, from a child process (an open of a
 * FIFO blocks until the other end opens: here it would hold a thread of this process). Returns a
 * function that ends the writer if nobody ever read.
 */
function feed(path: string, text: string): () => void {
  const child = spawn('sh', ['-c', 'cat > "$0"', path], { stdio: ['pipe', 'ignore', 'ignore'] })
  child.stdin.end(text)
  return () => child.kill('SIGKILL')
}

function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', OCLIF_COLUMNS: '1000' }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input ?? '')
  })
}

describe('source: named pipes, /dev/stdin and other non-regular files', function () {
  this.timeout(30_000)

  it('a FIFO given on the command line is a source read like -, with no identity to resume by', async () => {
    const dir = tempDir()
    const fifo = join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const list = await listSources([fifo])
    assert.deepEqual(
      list.sources.map((s) => ({ path: s.path, stream: s.stream })),
      [{ path: fifo, stream: 'named pipe' }],
    )
    assert.equal(sourceIdentity(list.sources[0]), 'stream')
  })

  it('inside a tree, a FIFO is named as skipped (not a regular file) and counted', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson(messages))
    execFileSync('mkfifo', [join(dir, 'b-pipe')])
    const list = await listSources([dir])
    assert.deepEqual(
      list.sources.map((s) => s.path),
      [join(dir, 'a.ndjson')],
    )
    assert.deepEqual(list.skipped, [{ path: join(dir, 'b-pipe'), reason: 'a named pipe (FIFO), not a regular file: not read' }])
    const r = await run(['inspect', dir, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.messages, 2)
    assert.deepEqual(report.skippedPaths, [{ path: join(dir, 'b-pipe'), reason: 'a named pipe (FIFO), not a regular file: not read' }])
  })

  it('inspect reads a named pipe given on the command line (it used to read 0 messages, exit 0)', async () => {
    const dir = tempDir()
    const fifo = join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const stop = feed(fifo, ndjson(messages))
    const r = await run(['inspect', fifo, '--json']).finally(stop)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).messages, 2)
  })

  it('replay reads /dev/stdin like -, and warns by name that the run cannot be resumed', async () => {
    const state = join(tempDir(), 'state')
    const r = await run(['replay', '/dev/stdin', '--dry-run', '--no-progress', '--state-dir', state, '--json'], ndjson(messages))
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).messages, 2)
    assert.match(r.stderr, /\/dev\/stdin is a (named pipe|character device|socket): read once, like -; this run cannot be resumed/)
  })
})
