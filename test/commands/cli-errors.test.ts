/**
 * One error model (src/errors.ts, rendered by the base command): every failure is `Error: <what>`
 * and `Hint: <next step>` on stderr with its exit code, or one JSON object on stdout under --json;
 * `--json` is oclif's flag, and the JSON a command prints is the result its run() returns.
 */
import { strict as assert } from 'node:assert'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT, runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { confirmationText } from '../../src/replay/cli-support.js'
import { inspectArchives } from '../../src/inspect/index.js'
import { asSegampError } from '../../src/cli/base.js'
import DiffMappings from '../../src/commands/diff-mappings.js'
import { SegampError, UsageError } from '../../src/errors.js'
import { UsageError as RouteUsageError } from '../../src/pipeline/route/filters.js'
import { S3InputError } from '../../src/pipeline/source/s3/errors.js'
import { compileSubscriptions, loadMappings, MappingFileError } from '../../src/segment/subscriptions/index.js'
import { StateLockedError } from '../../src/pipeline/commit/index.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('errors: what, where, and what to do next', () => {
  it('a usage error prints Error: and Hint: on stderr, nothing on stdout, exit 2', async () => {
    const r = await runCli(['inspect', EXAMPLE, '--types', 'trak', '--no-progress', '--state-dir', tempDir()])
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(
      r.stderr,
      /^Error: --types: unknown type "trak"; use any of track,page,screen,identify,group,alias\nHint: Run `segamp inspect --help` for the flags, their values and examples\.\n$/,
    )
  })

  it('under --json the error is one JSON object on stdout: message, hint, code, exitCode', async () => {
    const r = await runCli(['status', tempDir(), '--json'])
    assert.equal(r.code, 2)
    const { error } = JSON.parse(r.stdout) as { error: { message: string; hint: string; code: string; exitCode: number } }
    assert.match(error.message, /no checkpoint\.json, so not a replay state directory/)
    assert.match(error.hint, /--state-dir/)
    assert.equal(error.code, 'status')
    assert.equal(error.exitCode, 2)
    assert.doesNotMatch(r.stderr, /Error:/)
    // --format json is the result's format only: its errors stay text on stderr (CI logs show them).
    const f = await runCli(['inspect', EXAMPLE, '--format', 'json', '--types', 'trak', '--state-dir', tempDir()])
    assert.equal(f.code, 2)
    assert.equal(f.stdout, '')
    assert.match(f.stderr, /^Error: --types: unknown type "trak"/)
  })

  it("oclif's own flag errors get the same shape and keep exit 2", async () => {
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--dry-run'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^Error: --dry-run=true cannot also be provided when using --sandbox\nHint: Run `segamp replay --help`/)
  })

  it("--where 'event = ' is a usage error naming the flag and what is wrong (it used to be a warning)", async () => {
    for (const where of ['event = ', 'event = Order Completed']) {
      const r = await runCli(['inspect', EXAMPLE, '--where', where, '--no-progress', '--state-dir', tempDir()])
      assert.equal(r.code, 2, `${where}: ${r.stderr}`)
      assert.equal(r.stdout, '')
      assert.ok(r.stderr.startsWith(`Error: --where ${JSON.stringify(where)}: `), r.stderr)
      assert.match(r.stderr, /not a quoted string, number, true, false or null/)
      assert.match(r.stderr, /\nHint: .*--where 'event = "Order Completed"'/)
      assert.doesNotMatch(r.stderr, /Warning/)
    }
    // A well-formed condition still filters.
    const ok = await runCli(['inspect', EXAMPLE, '--where', 'event = "Order Completed"', '--json', '--no-progress', '--state-dir', tempDir()])
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(Object.keys((JSON.parse(ok.stdout) as { byEvent: object }).byEvent), ['Order Completed'])
  })

  it('every error class of the stages is raised with its exit code, code and hint', () => {
    const s3 = new S3InputError('access denied listing s3://b/p (AccessDenied)', 'access-denied', true)
    assert.ok(s3 instanceof SegampError)
    assert.deepEqual([s3.exitCode, s3.code, s3.message], [1, 's3-access-denied', 'access denied listing s3://b/p (AccessDenied)'])
    assert.match(s3.hint!, /resumes from its checkpoint/)
    // diff-mappings, where 1 means findings, gives an unreadable s3:// input 2 (the base command remaps it).
    assert.equal(DiffMappings.s3ErrorExit, 2)
    assert.equal(new S3InputError('x', 'transient', false).exitCode, 75)
    const mapping = new MappingFileError('m.json', [{ subscription: 'A', path: '/trigger', message: 'bad' }])
    assert.equal(mapping.exitCode, 2)
    assert.match(mapping.hint!, /JSON path/)
    const locked = new StateLockedError('another segamp run (pid 1) is using d')
    // A held lock is "retry later" (EX_TEMPFAIL), so a scheduler retries instead of failing the job.
    assert.deepEqual([locked.exitCode, locked.code], [75, 'state-locked'])
    assert.match(locked.hint!, /--state-dir/)
    const unexpected = asSegampError(new TypeError('x is undefined'), 'usage hint')
    assert.equal(unexpected.exitCode, 1)
    assert.match(unexpected.hint!, /SEGAMP_DEBUG=1/)
    // The old import path throws the same class: existing `instanceof` checks keep working.
    assert.equal(RouteUsageError, UsageError)
    assert.ok(new UsageError('x') instanceof SegampError)
    assert.equal(new UsageError('x').exitCode, 2)
  })
})

describe('errors: a settings or mappings file that is not JSON', () => {
  // What a user edits by hand: the error names file:line:column, and never quotes the file around
  // the fault (V8's message does, about ten characters either side: an API key sits there).
  const KEY = 'f3a9c0d1e2b3a4958677c6b5a4f3e2d1'
  it('migrate --classic and replay --classic: file:line:column and the problem, not the text around it', async () => {
    const dir = tempDir('segamp-badjson-')
    const file = join(dir, 'classic.json')
    writeFile(file, `{\n  "apiKey": "${KEY}",\n  "trackAllPages": yes\n}\n`)
    for (const args of [
      ['migrate', '--classic', file],
      ['replay', EXAMPLE, '--sandbox', '--classic', file, '--yes'],
    ]) {
      const r = await runCli(args)
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, new RegExp(`^Error: --classic ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:20: not JSON \\(Unexpected token 'y'\\)`, 'm'))
      assert.match(r.stderr, /^Hint: Fix the JSON at that line and column/m)
      assert.ok(!r.stderr.includes(KEY.slice(-6)), r.stderr)
    }
  })

  it('sandbox --options: file:line:column, and the API keys in it are not quoted', async () => {
    const dir = tempDir('segamp-badjson-')
    const file = join(dir, 'options.json')
    writeFile(file, `{"apiKeys": ["${KEY}"] "limits": {}}`)
    const r = await runCli(['sandbox', '--options', file])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: --options \S*options\.json:1:50: not JSON \(Expected ',' or '}' after property value\)/m)
    assert.ok(!r.stderr.includes(KEY.slice(-6)), r.stderr)
  })

  it('diff-mappings --mappings: file:line:column', async () => {
    const dir = tempDir('segamp-badjson-')
    const file = join(dir, 'mappings.json')
    writeFile(file, `{\n  "subscriptions": [\n    { "name": "Track", "actionSlug": "logEventV2", "trigger": "type = \\"track\\"", "enabled": True }\n  ]\n}\n`)
    const r = await runCli(['diff-mappings', EXAMPLE, '--mappings', file])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^ {2}- \(file\): \/ is not JSON at .*mappings\.json:3:94: Unexpected token 'T'$/m)
  })
})

describe("--json is oclif's flag on every reading command", () => {
  it('inspect --json prints the same report as --format json', async () => {
    const state = tempDir()
    const a = await runCli(['inspect', EXAMPLE, '--json', '--state-dir', state])
    const b = await runCli(['inspect', EXAMPLE, '--format', 'json', '--state-dir', state])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(a.stdout, b.stdout)
    assert.ok((JSON.parse(a.stdout) as { messages: number }).messages > 0)
  })

  it('diff-mappings --json | slow reader: the whole JSON (> 64 KiB) with exit 1 on findings', async () => {
    const quoted = [process.execPath, BIN, 'diff-mappings', 'examples/segment-logs', '--json', '--fail-on', 'renamed', '--no-progress'].map((a) => `'${a}'`).join(' ')
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', `${quoted} | (sleep 1.5; cat); exit \${PIPESTATUS[0]}`], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'ignore'],
      })
      let stdout = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout }))
    })
    assert.equal(r.code, 1)
    assert.ok(r.stdout.length > 65_536, `${r.stdout.length} bytes`)
    assert.ok((JSON.parse(r.stdout) as { totals: { messages: number } }).totals.messages > 0)
  })

  it('replay --dry-run --json prints the report only; the summary is not on stderr', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson([track('Signed Up'), track('Signed Up')]))
    const r = await runCli(['replay', dir, '--dry-run', '--json', '--state-dir', join(tempDir(), 'state')])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout) as {
      messages: number
      sent: number
      wouldSend: number
      dryRun: boolean
      subscriptions: Array<{ byEndpoint: Record<string, { sent: number; wouldSend: number }> }>
    }
    // Nothing was sent: `sent` says 0, `wouldSend` what a live run would send (the same shape as a live report).
    assert.deepEqual([report.messages, report.sent, report.wouldSend, report.dryRun], [2, 0, 2, true])
    assert.deepEqual(
      report.subscriptions.flatMap((s) => Object.values(s.byEndpoint)),
      [{ sent: 0, wouldSend: 2, deadLettered: 0 }],
    )
    assert.doesNotMatch(r.stderr, /Replay finished/)
  })
})

describe('replay confirmation', () => {
  it('shows how many kept messages match no subscription (nothing is sent for them)', () => {
    const text = confirmationText({
      key: '…a1b2',
      target: 'us',
      report: {
        messages: 10,
        filtered: { types: 2 },
        timeRange: { from: '2024-05-01T00:00:00.000Z', to: '2024-05-02T00:00:00.000Z' },
        subscriptions: { 'Track Calls': 5, 'Identify Calls': 1 },
      },
      unmatched: 2,
    })
    assert.match(text, /^ {2}10 messages \(2 filtered out\)/m)
    assert.match(text, /^ {2}Track Calls: 5 messages$/m)
    assert.match(text, /^ {2}matching no subscription \(not sent\): 2 messages$/m)
  })

  it('on a terminal: the prompt shows the count, and declining is Error:/Hint: with exit 1 (through script(1) for a pty)', async function () {
    if (spawnSync('script', ['--version']).error) this.skip()
    const cmd = [
      process.execPath,
      BIN,
      'replay',
      EXAMPLE,
      '--api-key',
      'abcdef123456',
      '--endpoint-url',
      'http://127.0.0.1:9',
      '--state-dir',
      join(tempDir(), 'state'),
      '--no-progress',
    ]
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (out += d))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, out }))
      child.stdin.end('n\n')
    })
    assert.equal(r.code, 1, r.out)
    assert.match(r.out, /^ {2}Track Calls: \d+ messages\r?$/m)
    assert.match(r.out, /^ {2}matching no subscription \(not sent\): 94 messages\r?$/m) // the example's group and alias calls
    assert.match(r.out, /Error: not confirmed: nothing was sent\r?\nHint: Answer y/)
    assert.ok(!r.out.includes('abcdef123456'), 'the key is never shown')
  })

  it("the count comes from reading the archive with the run's subscriptions", async () => {
    const dir = tempDir()
    writeFile(
      join(dir, 'a.ndjson'),
      ndjson([
        track('Signed Up'),
        { type: 'group', groupId: 'g1', userId: 'user-1', messageId: 'g-1' },
        { type: 'alias', userId: 'user-2', previousId: 'anon-2', messageId: 'a-1' },
      ]),
    )
    const subs = compileSubscriptions(await loadMappings(undefined))
    const { report, unmatched } = await inspectArchives({ inputs: [dir], subscriptions: subs.map((s) => ({ name: s.name, match: s.match })) })
    assert.equal(report.kept, 3)
    assert.equal(unmatched, 2) // the presets map neither group nor alias
  })
})

describe('errors: a disk that refuses a write', () => {
  it('migrate --out on a full disk (/dev/full): the flag, the file and the disk named; exit 2, since 1 is a --verify finding', async function () {
    if (!existsSync('/dev/full')) this.skip()
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--out', '/dev/full'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(
      r.stderr,
      /^Error: --out \/dev\/full: cannot be written: no space left on the device \(ENOSPC\)\nHint: Give --out a file in a folder that exists and has free space/m,
    )
    assert.doesNotMatch(r.stderr, /not an error segamp expected/)
  })

  it('where no writer names its file, the disk is named as the cause, not a bug of segamp', () => {
    const e = asSegampError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 'usage')
    assert.equal(e.message, 'a file could not be written: no space left on the device (ENOSPC)')
    assert.match(e.hint ?? '', /^Free space where this command writes/)
    assert.equal(e.exitCode, 1)
  })
})

/**
 * oclif words a flag value that does not parse as "Parsing --max-eps \n\tExpected an integer …":
 * a trailing space, a line break and a tab in the middle of one error. Shown as one line that
 * starts with the flag, as every other flag error does.
 */
describe('a flag value that does not parse', () => {
  it('is one line naming the flag: "--max-eps: expected an integer greater than or equal to 1 but received: 0"', async () => {
    const r = await runCli(['replay', 'examples/segment-logs', '--dry-run', '--max-eps', '0'])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.startsWith('Error: --max-eps: expected an integer greater than or equal to 1 but received: 0\nHint: '), r.stderr)
  })
})
