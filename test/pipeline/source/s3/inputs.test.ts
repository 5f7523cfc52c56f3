/**
 * s3:// inputs against a real S3-compatible server (s3rver on 127.0.0.1), for what issue #21 found:
 * a prefix that matches nothing is exit 2 with the nearest existing prefix, and --since pruning
 * never drops a message that reading everything keeps (timestamps later than their day folder).
 */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../../../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../../../helpers/files.js'
import { s3Env, startS3, useS3TestCredentials, type S3TestServer } from '../../../helpers/s3.js'
import { openArchive } from '../../../../src/pipeline/decode/reader.js'
import { UsageError } from '../../../../src/errors.js'

const EXAMPLES = join(ROOT, 'examples', 'segment-logs')
const BUCKET = 'inputs-archive'

describe('s3:// inputs: nothing matched, --since pruning (s3rver)', function () {
  this.timeout(120_000)
  let s3: S3TestServer
  useS3TestCredentials()

  before(async () => {
    s3 = await startS3()
    await s3.createBucket(BUCKET)
    await s3.uploadDir(BUCKET, 'segment-logs/', EXAMPLES)
  })
  after(async () => {
    await s3?.close()
  })
  const settings = () => ({ s3: { endpoint: s3.endpoint, pathStyle: true } })

  it('a mistyped prefix is exit 2 naming it and the nearest prefix that has objects', async () => {
    await assert.rejects(openArchive([`s3://${BUCKET}/segment-log`], settings()), (e: Error) => {
      assert.ok(e instanceof UsageError, String(e))
      assert.equal(e.exitCode, 2)
      assert.equal(e.code, 'nothing-matched')
      assert.match(e.message, new RegExp(`nothing to read: s3://${BUCKET}/segment-log: no object under this prefix \\(did you mean s3://${BUCKET}/segment-logs/\\?\\)`))
      assert.match(e.hint ?? '', new RegExp(`s3://${BUCKET}/segment-logs/ has objects`))
      return true
    })
    const r = await runCli(
      [
        'replay',
        `s3://${BUCKET}/segment-logs/3S7cr7ZP4LPQwanZptak4x`,
        '--dry-run',
        '--state-dir',
        join(ROOT, '.segamp', 'never-written'),
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
      ],
      { env: s3Env() },
    )
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: nothing to read: .*did you mean s3:\/\/inputs-archive\/segment-logs\/3S7cr7ZP4LPQwanZptak4X\/\?/)
    assert.equal(existsSync(join(ROOT, '.segamp', 'never-written', 'report.json')), false)
  })

  it('--since keeps a message whose timestamp is days later than its received-day folder: s3:// and disk give the same requests', async () => {
    // A server-side library set `timestamp` (or a clock was wrong): received 2024-05-06, dated 2024-05-09.
    const day = Date.UTC(2024, 4, 6)
    const skewed = [
      track('Skewed', { messageId: 'skew-1', timestamp: '2024-05-09T10:00:00.000Z', receivedAt: '2024-05-06T10:00:00.000Z' }),
      track('Plain', { messageId: 'skew-2', timestamp: '2024-05-06T10:00:00.000Z', receivedAt: '2024-05-06T10:00:00.000Z' }),
    ]
    const late = [track('Late', { messageId: 'skew-3', timestamp: '2024-05-09T11:00:00.000Z', receivedAt: '2024-05-09T11:00:00.000Z' })]
    const dir = tempDir()
    writeFile(join(dir, 'segment-logs', 'src1', String(day), 'a.gz'), gzip(ndjson(skewed)))
    writeFile(join(dir, 'segment-logs', 'src1', String(day + 3 * 86_400_000), 'b.gz'), gzip(ndjson(late)))
    await s3.createBucket('skewed-archive')
    await s3.uploadDir('skewed-archive', 'segment-logs/', join(dir, 'segment-logs'))
    const since = '2024-05-08T06:00:00Z'
    const out = tempDir()
    const endpoint = ['--s3-endpoint', s3.endpoint, '--s3-path-style']
    const [local, remote, pruned] = await Promise.all([
      runCli(['replay', join(dir, 'segment-logs'), '--since', since, '--dry-run', '--out', join(out, 'local.ndjson'), '--state-dir', join(out, 'l'), '--no-progress', '--json']),
      runCli(
        [
          'replay',
          's3://skewed-archive/segment-logs',
          '--since',
          since,
          '--dry-run',
          '--out',
          join(out, 'remote.ndjson'),
          '--state-dir',
          join(out, 'r'),
          '--no-progress',
          '--json',
          ...endpoint,
        ],
        { env: s3Env() },
      ),
      runCli(
        [
          'replay',
          's3://skewed-archive/segment-logs',
          '--since',
          since,
          '--prune-by-received',
          '--dry-run',
          '--out',
          join(out, 'pruned.ndjson'),
          '--state-dir',
          join(out, 'p'),
          '--no-progress',
          '--json',
          ...endpoint,
        ],
        { env: s3Env() },
      ),
    ])
    for (const r of [local, remote, pruned]) assert.equal(r.code, 0, r.stderr)
    const requests = readFileSync(join(out, 'local.ndjson'), 'utf8')
    assert.match(requests, /Skewed/)
    assert.match(requests, /Late/)
    assert.equal(readFileSync(join(out, 'remote.ndjson'), 'utf8'), requests)
    assert.equal(JSON.parse(remote.stdout).messages, 3)
    // Asked for explicitly: the old folder is not listed, and the skewed message goes with it.
    assert.doesNotMatch(readFileSync(join(out, 'pruned.ndjson'), 'utf8'), /Skewed/)
    assert.equal(JSON.parse(pruned.stdout).messages, 1)
  })

  it('an s3:// input given twice, or a prefix inside another, reads each object once: the same requests, no crash', async () => {
    // Each object used to be listed once per input naming it: read twice under one name, which the
    // checkpoint's ledger refused (exit 1, "ledger: line N commits out of order"), and inspect
    // counted every message twice.
    const out = tempDir()
    const endpoint = ['--s3-endpoint', s3.endpoint, '--s3-path-style']
    const whole = `s3://${BUCKET}/segment-logs`
    const day = `${whole}/3S7cr7ZP4LPQwanZptak4X/1714953600000`
    const run = (name: string, inputs: string[]) =>
      runCli(['replay', ...inputs, '--dry-run', '--out', join(out, `${name}.ndjson`), '--state-dir', join(out, name), '--no-progress', '--json', ...endpoint], { env: s3Env() })
    const [once, twice, nested] = await Promise.all([run('once', [whole]), run('twice', [whole, whole]), run('nested', [whole, day])])
    for (const [name, r] of [
      ['twice', twice],
      ['nested', nested],
    ] as const) {
      assert.equal(r.code, 0, `${name}: ${r.stderr}`)
      assert.equal(readFileSync(join(out, `${name}.ndjson`), 'utf8'), readFileSync(join(out, 'once.ndjson'), 'utf8'), name)
      assert.equal(JSON.parse(r.stdout).messages, JSON.parse(once.stdout).messages, name)
    }
    assert.match(twice.stderr, new RegExp(`skipped: ${whole}: 6 of its 6 object\\(s\\) also under an input given before it: read once`))
    assert.match(nested.stderr, new RegExp(`skipped: ${day}: 2 of its 2 object\\(s\\) also under an input given before it: read once`))
    const inspected = await runCli(['inspect', whole, day, '--json', ...endpoint], { env: s3Env() })
    const profile = JSON.parse(inspected.stdout)
    assert.equal(profile.messages, 600)
    assert.equal(profile.duplicates, 0)
  })

  it('--prune-by-received over day folders not named as Segment names them (2024-05-06/, a copy renamed by date) says it skipped nothing', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'src1', '2024-05-06', 'a.gz'), gzip(ndjson([track('Old', { messageId: 'named-1', timestamp: '2024-05-06T10:00:00.000Z' })])))
    writeFile(join(dir, 'src1', '2024-05-09', 'b.gz'), gzip(ndjson([track('New', { messageId: 'named-2', timestamp: '2024-05-09T10:00:00.000Z' })])))
    await s3.createBucket('dated-archive')
    await s3.uploadDir('dated-archive', 'segment-logs/', dir)
    const endpoint = ['--s3-endpoint', s3.endpoint, '--s3-path-style']
    const dated = await runCli(['inspect', 's3://dated-archive/segment-logs', '--since', '2024-05-08', '--prune-by-received', '--json', ...endpoint], { env: s3Env() })
    assert.equal(dated.code, 0, dated.stderr)
    assert.match(
      dated.stderr,
      /Warning: --prune-by-received: no object under s3:\/\/dated-archive\/segment-logs is in a folder named as Segment names its received-day folders \(segment-logs\/<source-id>\/<epoch milliseconds of a UTC midnight>\/, e\.g\. 1715040000000\/\), so no day folder could be skipped and every object is read/,
    )
    assert.equal(JSON.parse(dated.stdout).kept, 1)
    const segment = await runCli(['inspect', `s3://${BUCKET}/segment-logs`, '--since', '2024-05-08T06:00:00Z', '--prune-by-received', '--json', ...endpoint], { env: s3Env() })
    assert.equal(segment.code, 0, segment.stderr)
    assert.doesNotMatch(segment.stderr, /--prune-by-received/)
  })

  it('without --prune-by-received, --since lists every object; with it, old day folders are skipped', async () => {
    const all = await openArchive([`s3://${BUCKET}/segment-logs`], { ...settings(), since: '2024-05-08T06:00:00Z' })
    assert.equal(all.sources.length, 6)
    let prunedFolders = 0
    const some = await openArchive([`s3://${BUCKET}/segment-logs`], {
      s3: { ...settings().s3, pruneByReceived: true },
      since: '2024-05-08T06:00:00Z',
      onListing: (p) => (prunedFolders = p.prunedFolders),
    })
    assert.equal(some.sources.length, 4)
    assert.equal(prunedFolders, 1)
  })
})
