import { strict as assert } from 'node:assert'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzip, ndjson, readNdjson, tempDir, track, writeFile } from '../helpers/files.js'
import { runCli } from '../helpers/cli.js'
import { NdjsonWriter } from '../../src/ndjson-writer.js'
import { SegampError } from '../../src/errors.js'

describe('segamp CLI: help and inspect', () => {
  it('--help lists every command with a summary', async () => {
    const r = await runCli(['--help'])
    assert.equal(r.code, 0)
    for (const cmd of ['diff-mappings', 'inspect', 'migrate', 'replay']) assert.match(r.stdout, new RegExp(`^  ${cmd}\\s+\\S`, 'm'), `${cmd} listed`)
  })

  it('every command has examples and documents its exit codes in --help', async () => {
    for (const cmd of ['inspect', 'replay', 'diff-mappings', 'migrate']) {
      const r = await runCli([cmd, '--help'])
      assert.equal(r.code, 0, cmd)
      assert.match(r.stdout, /EXAMPLES/, `${cmd} has examples`)
      assert.match(r.stdout, /EXIT CODES/, `${cmd} documents exit codes`)
    }
  })

  it('inspect --format json prints exactly the contract keys, nothing else on stdout; exit 3 with rejected lines', async () => {
    const dir = tempDir()
    const state = tempDir()
    const file = writeFile(
      join(dir, 'a.gz'),
      gzip(ndjson([track('Signed Up', { messageId: 'x1' }), { type: 'group', groupId: 'g1', userId: 'user-1', messageId: 'x2' }]) + '{oops\n'),
    )
    const r = await runCli(['inspect', file, '--format', 'json', '--state-dir', state])
    assert.equal(r.code, 3, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.deepEqual(Object.keys(report), [
      'files',
      'messages',
      'kept',
      'byType',
      'byEvent',
      'rejected',
      'rejectedByReason',
      'duplicates',
      'filtered',
      'timeRange',
      'ids',
      'unreadableFiles',
      'skippedPaths',
      'subscriptions',
    ])
    assert.equal(report.messages, 2)
    assert.deepEqual(report.byType, { group: 1, track: 1 })
    assert.deepEqual(report.subscriptions, { 'Track Calls': 1, 'Order Completed Calls': 0, 'Page Calls': 0, 'Screen Calls': 0, 'Identify Calls': 0 })
    assert.deepEqual(
      readNdjson(join(state, 'rejected.ndjson')).map((x) => ({ ...(x as object), reason: undefined })),
      [{ file, line: 3, reason: undefined, text: '{oops' }],
    )
    assert.match(r.stderr, /1 rejected line\(s\) written to/)
  })

  it('inspect reads stdin with - and applies --where', async () => {
    const input = ndjson([track('Order Completed', { messageId: 'o1' }), track('Signed Up', { messageId: 's1' })])
    const r = await runCli(['inspect', '-', '--format', 'json', '--where', 'event = "Order Completed"'], { input })
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.deepEqual(report.byEvent, { 'Order Completed': 1 })
    assert.deepEqual(report.filtered, { where: 1 })
  })

  it('says what an AWS S3 (Actions) CSV export lost', async () => {
    const dir = tempDir()
    const file = writeFile(
      join(dir, 'export_2026-01-02T03-04-05-678Z.csv'),
      '"event_name","event_type","user_id","message_id","timestamp"\n"","page","user-1","m-1","2026-01-02T03:04:05.678Z"\n',
    )
    const r = await runCli(['inspect', file, '--format', 'json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout).byType, { page: 1 })
    assert.match(r.stderr, /1 file\(s\) were AWS S3 \(Actions\) CSV exports: that format does not carry name, category, receivedAt, sentAt, originalTimestamp, groupId, previousId/)
  })

  it('a trigger Segment rejects is a usage error (exit 2) that says why', async () => {
    const r = await runCli(['inspect', '-', '--where', 'event = "a" and foo('], { input: '' })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--where "event = \\"a\\" and foo\(": /)
  })

  it('an invalid mapping file is rejected before reading, listing each problem by subscription and JSON path (exit 2)', async () => {
    const dir = tempDir()
    const mappings = writeFile(
      join(dir, 'm.json'),
      JSON.stringify({
        subscriptions: [
          { name: 'Bad slug', actionSlug: 'sendEvent', trigger: 'type = "track"', enabled: true, settings: {} },
          { name: 'Bad path', actionSlug: 'logEventV2', trigger: 'type = "track"', enabled: true, settings: { event_type: { '@path': 42 } } },
          { name: 'Off', actionSlug: 'nope', trigger: '', enabled: false, settings: {} },
        ],
      }),
    )
    const r = await runCli(['inspect', '-', '--mappings', mappings], { input: '' })
    assert.equal(r.code, 2)
    assert.match(
      r.stderr,
      /Bad slug: \/subscriptions\/0\/actionSlug must be one of logEvent, identifyUser, mapUser, groupIdentifyUser, logPurchase, logEventV2 \(got "sendEvent"\)/,
    )
  })
})

describe('segamp inspect: rejected.ndjson', () => {
  it('is 0600: it holds the rejected lines, users data', async () => {
    const dir = tempDir()
    const archive = writeFile(join(dir, 'a.ndjson'), ndjson([track('Kept', { messageId: 'r-1' })]) + 'not json at all\n')
    const ok = await runCli(['inspect', archive, '--state-dir', join(dir, 'ok'), '--no-progress'])
    assert.equal(ok.code, 3, ok.stderr)
    assert.equal(statSync(join(dir, 'ok', 'rejected.ndjson')).mode & 0o777, 0o600)
  })

  it('a file that cannot be written (a full disk: /dev/full) is an error naming it, not an unhandled stream error', async function () {
    if (!existsSync('/dev/full')) this.skip()
    const writer = new NdjsonWriter('/dev/full', 'w')
    const failure = async (): Promise<unknown> => {
      // The first writes may be buffered: the failure surfaces at a later write or at close.
      for (let i = 0; i < 3; i++) await writer.write({ file: 'a.ndjson', line: i, reason: 'invalid JSON', text: 'x'.repeat(70_000) })
      await writer.close()
    }
    await assert.rejects(failure(), (e: Error) => {
      assert.ok(e instanceof SegampError, String(e))
      assert.equal(e.message, '/dev/full: cannot be written: no space left on the device (ENOSPC)')
      assert.match(e.hint ?? '', /^Free space there, or give --state-dir a folder on another disk/)
      return true
    })
  })
})
