/**
 * The commit stage's checkpoint alone: settled lines as ranges, what a resume skips, completed
 * files, checkpoint.json written and read back, and the (local) state directory's lock.
 * (Resuming a whole replay is test/replay's.)
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { CHECKPOINT_VERSION, checkpointText, mergeRanges, resumeFilter, runIdFor, toRanges, type Checkpoint } from '../../../src/pipeline/commit/checkpoint.js'
import { completedFiles, LocalStateDir, StateLockedError } from '../../../src/pipeline/commit/index.js'
import { tempDir } from '../../helpers/files.js'

const r = (file: string, line: number) => ({ file, line })

describe('checkpointText', () => {
  it('is indented JSON with the line lists on one line each, and parses to the checkpoint itself', () => {
    const cp = {
      version: CHECKPOINT_VERSION,
      runId: 'r1',
      position: { file: 'dir/a "quoted"\nfile.json', line: 7 },
      ahead: [{ file: 'dir/a.json', lines: Array.from({ length: 500 }, (_, i): [number, number] => [10 + 3 * i, 11 + 3 * i]) }],
      partial: [{ file: 'dir/a.json', line: 9, acked: [0, 2] }],
      skipped: undefined,
      open: { 'dir/a.json': '123:456' },
      counts: { sent: 3, filtered: { 'no-subscription': 1 }, subscriptions: [{ name: 'x', byEndpoint: {} }] },
      done: false,
    }
    const text = checkpointText(cp)
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(cp)))
    const lines = text.split('\n')
    assert.ok(
      lines.some((l) => l.startsWith('  "ahead": [{"file":"dir/a.json","lines":[[10,11],[13,14],')),
      'ahead on one line',
    )
    assert.ok(lines.includes('  "partial": [{"file":"dir/a.json","line":9,"acked":[0,2]}],'))
    assert.ok(lines.includes('  "counts": {') && lines.includes('    "sent": 3,'), 'the rest indented as before')
    assert.ok(!text.includes('skipped'))
    // 500 ranges: a few kB, not one line per number.
    assert.ok(lines.length < 30, `${lines.length} lines`)
  })
})

describe('checkpoint: ranges and what a resume skips', () => {
  it('toRanges: settled lines in read order → inclusive ranges per file, files in first-seen order', () => {
    assert.deepEqual(toRanges([]), [])
    assert.deepEqual(toRanges([r('a', 3), r('a', 4), r('a', 5), r('b', 1), r('a', 7), r('b', 2), r('a', 8), r('b', 9)]), [
      {
        file: 'a',
        lines: [
          [3, 5],
          [7, 8],
        ],
      },
      {
        file: 'b',
        lines: [
          [1, 2],
          [9, 9],
        ],
      },
    ])
    // Only the next line extends a range (refs come in read order, so a smaller one starts its own).
    assert.deepEqual(toRanges([r('a', 5), r('a', 4)]), [
      {
        file: 'a',
        lines: [
          [5, 5],
          [4, 4],
        ],
      },
    ])
  })

  it('mergeRanges: one list per file, ranges sorted, joined where they touch or overlap', () => {
    const b = [{ file: 'x', lines: [[1, 2]] as Array<[number, number]> }]
    assert.deepEqual(mergeRanges([], b), b)
    assert.deepEqual(mergeRanges(b, []), b)
    assert.deepEqual(
      mergeRanges(
        [
          {
            file: 'a',
            lines: [
              [10, 12],
              [1, 3],
            ],
          },
          { file: 'b', lines: [[5, 5]] },
        ],
        [
          {
            file: 'a',
            lines: [
              [4, 6],
              [11, 20],
              [30, 30],
            ],
          },
          { file: 'c', lines: [[2, 3]] },
        ],
      ),
      [
        {
          file: 'a',
          lines: [
            [1, 6],
            [10, 20],
            [30, 30],
          ],
        },
        { file: 'b', lines: [[5, 5]] },
        { file: 'c', lines: [[2, 3]] },
      ],
    )
    // Inputs are not changed.
    const a: Checkpoint['ahead'] = [{ file: 'a', lines: [[1, 1]] }]
    mergeRanges(a, [{ file: 'a', lines: [[2, 2]] }])
    assert.deepEqual(a, [{ file: 'a', lines: [[1, 1]] }])
  })

  it('resumeFilter: every line up to the position in its file, and the lines ahead, nothing else', () => {
    const skip = resumeFilter({
      position: r('b', 3),
      ahead: [
        { file: 'b', lines: [[5, 6]] },
        { file: 'c', lines: [[2, 2]] },
      ],
    })
    const lines = (file: string) => [1, 2, 3, 4, 5, 6, 7].filter((n) => skip(file, n))
    assert.deepEqual(lines('b'), [1, 2, 3, 5, 6])
    assert.deepEqual(lines('c'), [2])
    // A file before the position's is not skipped by the position (completed files are skipped whole, elsewhere).
    assert.deepEqual(lines('a'), [])
    assert.deepEqual(
      [1, 2, 3].filter((n) => resumeFilter({ position: null, ahead: [] })('b', n)),
      [],
    )
  })

  it('completed files: only the bytes the checkpoint counted; the last word on a file wins', async () => {
    const dir = tempDir()
    const state = new LocalStateDir(dir)
    const upTo = (completed: number) => ({ files: { deadLetter: 0, rejected: 0, completed } })
    assert.deepEqual(completedFiles(await state.readLog('completed', upTo(100))), new Map())
    const line1 = JSON.stringify({ file: '/in/a.gz', id: 'size:1,mtime:1' }) + '\n'
    const line2 = JSON.stringify({ file: '/in/b.gz', id: 'size:2,mtime:2' }) + '\n'
    const line3 = JSON.stringify({ file: '/in/a.gz', id: 'size:3,mtime:3' }) + '\n'
    writeFileSync(join(dir, 'completed.ndjson'), line1 + line2 + line3)
    assert.deepEqual(completedFiles(await state.readLog('completed', upTo(0))), new Map())
    assert.deepEqual(
      completedFiles(await state.readLog('completed', upTo(Buffer.byteLength(line1 + line2)))),
      new Map([
        ['/in/a.gz', 'size:1,mtime:1'],
        ['/in/b.gz', 'size:2,mtime:2'],
      ]),
    )
    assert.deepEqual(
      completedFiles(await state.readLog('completed', upTo(Buffer.byteLength(line1 + line2 + line3)))),
      new Map([
        ['/in/a.gz', 'size:3,mtime:3'],
        ['/in/b.gz', 'size:2,mtime:2'],
      ]),
    )
  })

  it('a resumed writer cuts an append-only file back to what the checkpoint counted, never longer', async () => {
    const dir = tempDir()
    const state = new LocalStateDir(dir)
    const path = join(dir, 'dead-letter.ndjson')
    const upTo = (deadLetter: number) => ({ files: { deadLetter, rejected: 0, completed: 0 } })
    await (await state.openWriter(upTo(0))).close()
    assert.equal(readFileSync(path, 'utf8'), '')
    writeFileSync(path, 'one\ntwo\n')
    await (await state.openWriter(upTo(100))).close()
    assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\n')
    const w = await state.openWriter(upTo(4))
    assert.equal(readFileSync(path, 'utf8'), 'one\n')
    w.append('deadLetter', 'three\n')
    w.checkpoint({ ...upTo(0), version: CHECKPOINT_VERSION, runId: 'r', position: null, ahead: [], open: {}, counts: {}, updatedAt: '', done: false })
    await w.close()
    assert.equal(readFileSync(path, 'utf8'), 'one\nthree\n')
    assert.deepEqual((await state.readCheckpoint())!.files, { deadLetter: 10, rejected: 0, completed: 0 }, 'the sizes as written')
  })
})

describe('checkpoint.json', () => {
  const checkpoint: Checkpoint<{ sent: number }> = {
    version: CHECKPOINT_VERSION,
    runId: 'abc123def456',
    position: { file: '/in/a.ndjson', line: 41 },
    ahead: [{ file: '/in/a.ndjson', lines: [[43, 44]] }],
    partial: [{ file: '/in/a.ndjson', line: 42, acked: [0] }],
    open: { '/in/a.ndjson': 'size:100,mtime:5' },
    files: { deadLetter: 10, rejected: 0, completed: 55 },
    counts: { sent: 7 },
    updatedAt: '2026-01-01T00:00:00.000Z',
    done: false,
    shard: { index: 1, count: 3, group: 'abc123def456' },
    inputs: { files: 2, bytes: 300 },
  }

  it('is written whole (no temporary file left) and read back as it was', async () => {
    const dir = tempDir()
    const state = new LocalStateDir(dir)
    assert.equal(await state.readCheckpoint(), undefined)
    const w = await state.openWriter()
    const { files, ...rest } = checkpoint
    w.checkpoint(rest)
    assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'completed.ndjson', 'dead-letter.ndjson', 'rejected.ndjson'])
    const written = { ...checkpoint, files: { deadLetter: 0, rejected: 0, completed: 0 } }
    assert.deepEqual(await state.readCheckpoint(), written)
    assert.equal(readFileSync(join(dir, 'checkpoint.json'), 'utf8'), checkpointText({ ...rest, files: written.files }))
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')), JSON.parse(JSON.stringify({ ...rest, files: written.files })))
    assert.ok(files)
    // Written again: replaced, not appended.
    w.checkpoint({ ...rest, done: true })
    await w.close()
    assert.equal((await state.readCheckpoint<{ sent: number }>())!.done, true)
  })

  it('a damaged or other-version checkpoint says where it is and how to start over', async () => {
    const dir = tempDir()
    const state = new LocalStateDir(dir)
    const path = join(dir, 'checkpoint.json')
    writeFileSync(path, '{"version":2,')
    await assert.rejects(state.readCheckpoint(), (e: Error) => e.message.startsWith(`${path} is not valid JSON (`) && e.message.endsWith('); use --fresh to start over'))
    writeFileSync(path, JSON.stringify({ ...checkpoint, version: 1 }))
    await assert.rejects(state.readCheckpoint(), { message: `${path} was written by another segamp version (v1); use --fresh to start over` })
    assert.equal((await state.readCheckpoint({ anyVersion: true }))!.version, 1)
  })

  it('the run id: the same for the same inputs, mappings and options, from any directory', () => {
    const parts = { inputs: ['archive', '-', 's3://b/p'], mappingsText: '[]', options: { dryRun: false } }
    const id = runIdFor(parts)
    assert.match(id, /^[0-9a-f]{12}$/)
    assert.equal(runIdFor({ ...parts, inputs: [join(process.cwd(), 'archive'), '-', 's3://b/p'] }), id)
    assert.equal(runIdFor({ ...parts, inputs: [relative(process.cwd(), join(process.cwd(), 'archive')), '-', 's3://b/p'] }), id)
    assert.notEqual(runIdFor({ ...parts, inputs: ['archive', '-', 's3://b/q'] }), id)
    assert.notEqual(runIdFor({ ...parts, mappingsText: '[ ]' }), id)
    assert.notEqual(runIdFor({ ...parts, options: { dryRun: true } }), id)
  })
})

describe('checkpoint: the state directory lock', () => {
  const lockPid = (dir: string) => JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid
  const acquireLock = (dir: string) => new LocalStateDir(dir).lock()

  it('one holder at a time in a process; released, the directory can be locked again', async () => {
    const dir = join(tempDir(), 'state')
    const lock = await acquireLock(dir)
    assert.equal(lock.stale, undefined)
    assert.equal(lockPid(dir), process.pid)
    await assert.rejects(
      acquireLock(dir),
      (e: Error) => e instanceof StateLockedError && e.message === `another replay in this process is using ${dir}; wait for it to finish, or use another --state-dir`,
    )
    await lock.release()
    await lock.release()
    assert.equal(existsSync(join(dir, 'lock')), false)
    const again = await acquireLock(dir)
    assert.equal(lockPid(dir), process.pid)
    await again.release()
  })

  it("a live process's lock stops the run (exit 75: retry later) and says how to go on", async () => {
    const dir = tempDir()
    const path = join(dir, 'lock')
    writeFileSync(path, JSON.stringify({ pid: process.ppid }))
    await assert.rejects(
      acquireLock(dir),
      (e: StateLockedError) =>
        e instanceof StateLockedError &&
        e.exitCode === 75 &&
        e.message === `another segamp run (pid ${process.ppid}) is using ${dir}; wait for it to finish, or use another --state-dir (if no run is active, delete ${path})`,
    )
    assert.equal(lockPid(dir), process.ppid)
  })

  it('a lock left by a process that is gone, or unreadable, is taken over and said', async () => {
    const dir = tempDir()
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: dead }))
    const lock = await acquireLock(dir)
    assert.equal(lock.stale, `pid ${dead}`)
    assert.equal(lockPid(dir), process.pid)
    await lock.release()
    writeFileSync(join(dir, 'lock'), 'not json')
    const next = await acquireLock(dir)
    assert.equal(next.stale, 'pid 0')
    assert.equal(lockPid(dir), process.pid)
    await next.release()
  })
})
