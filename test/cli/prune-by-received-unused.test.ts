/**
 * --prune-by-received skips the day folders of an s3:// listing that end before --since. Given
 * for a local copy, or without --since, it skipped nothing without a word: a user who expected a
 * faster run saw every file read. It is now said, and the run goes on as without it.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { pruneByReceivedUnused } from '../../src/cli/s3-input.js'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('--prune-by-received that can skip nothing', function () {
  this.timeout(60_000)

  it('is named when no input is in S3 or --since is missing; not with both, nor without the flag', () => {
    assert.match(pruneByReceivedUnused({ 'prune-by-received': true, since: '2024-05-07' }, [EXAMPLE]) ?? '', /^--prune-by-received: no input is in S3 \(s3:\/\/bucket\/prefix\)/)
    assert.match(pruneByReceivedUnused({ 'prune-by-received': true }, ['s3://b/segment-logs']) ?? '', /^--prune-by-received: without --since no day folder is before it/)
    assert.equal(pruneByReceivedUnused({ 'prune-by-received': true, since: '2024-05-07' }, ['s3://b/segment-logs', EXAMPLE]), undefined)
    assert.equal(pruneByReceivedUnused({ since: '2024-05-07' }, [EXAMPLE]), undefined)
  })

  it('inspect and replay --dry-run of a local copy warn, and read what they read without it', async () => {
    const plain = await runCli(['inspect', EXAMPLE, '--since', '2024-05-07', '--json'])
    const pruned = await runCli(['inspect', EXAMPLE, '--since', '2024-05-07', '--prune-by-received', '--json'])
    assert.equal(pruned.code, 0, pruned.stderr)
    assert.match(
      pruned.stderr,
      /Warning: --prune-by-received: no input is in S3 \(s3:\/\/bucket\/prefix\): it skips day folders of a bucket listing only, so every file is read as without it/,
    )
    assert.equal(JSON.parse(pruned.stdout).kept, 392)
    assert.deepEqual(JSON.parse(pruned.stdout).kept, JSON.parse(plain.stdout).kept)
    const dry = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--prune-by-received', '--state-dir', join(tempDir(), 'state')])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stderr, /Warning: --prune-by-received: no input is in S3/)
  })
})
