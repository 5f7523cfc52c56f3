/**
 * s3:// inputs end to end, against a real S3-compatible server (s3rver, in-process on
 * 127.0.0.1) and a TCP proxy in front of it for injected faults. The CLI is the built one
 * (npm run build first), spawned with credentials for the test server only and the instance
 * metadata service disabled.
 */
import { strict as assert } from 'node:assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT } from '../../../helpers/cli.js'
import { gzip, ndjson, readNdjson, tempDir, track, writeFile } from '../../../helpers/files.js'
import { s3Env, s3ErrorXml, startFaultProxy, startS3, useS3TestCredentials, type FaultProxy, type S3TestServer } from '../../../helpers/s3.js'
import { openArchive } from '../../../../src/pipeline/decode/reader.js'
import { dayFolderPrunable, compareKeys, segmentDayOf, DAY_MS } from '../../../../src/pipeline/source/s3/layout.js'
import { describeS3Error, isTransient } from '../../../../src/pipeline/source/s3/errors.js'
import { startSandbox, type Sandbox } from '../../../../src/amplitude/sandbox/index.js'
import { writeArchive } from '../../../helpers/replay.js'
import { replay } from '../../../../src/replay/engine.js'
import { NO_THROTTLE } from '../../../../src/amplitude/sandbox/limits.js'
import { compileSubscriptions, loadMappings } from '../../../../src/segment/subscriptions/index.js'

const EXAMPLES = join(ROOT, 'examples', 'segment-logs')
const BUCKET = 'segment-archive'
const DELETED_KEY = 'segment-logs/3S7cr7ZP4LPQwanZptak4X/1715040000000/1715043600000.fa10a9ac.gz'
const GLACIER_KEY = 'segment-logs/3S7cr7ZP4LPQwanZptak4X/1715126400000/1715130000000.caf9d506.gz'

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function start(args: string[], env: NodeJS.ProcessEnv = s3Env(), input?: string): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...env, OCLIF_COLUMNS: '1000' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  child.stdin!.end(input ?? '')
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}
const cli = (args: string[], env?: NodeJS.ProcessEnv, input?: string): Promise<Exit> => start(args, env, input).done

async function waitFor(what: string, test: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A gzip object of `n` track messages (large enough that a cut lands mid-body). */
function bigObject(n: number, tag: string): Buffer {
  const lines = []
  for (let i = 0; i < n; i++)
    lines.push(
      track(`Event ${i % 7}`, {
        messageId: `${tag}-${i}`,
        userId: `user-${i % 50}`,
        timestamp: new Date(Date.UTC(2024, 4, 6) + i * 1000).toISOString(),
        properties: { i, pad: 'x'.repeat(40 + (i % 13)) },
      }),
    )
  return gzip(ndjson(lines))
}

describe('s3:// inputs (s3rver on 127.0.0.1)', function () {
  this.timeout(120_000)
  let s3: S3TestServer
  const proxies: FaultProxy[] = []
  const sandboxes: Sandbox[] = []
  const big = bigObject(20_000, 'big')
  let bigDir: string

  /** The library calls below run in this process: credentials for the test server only. */
  useS3TestCredentials()

  before(async () => {
    await waitFor('dist/ (run npm run build)', () => existsSync(join(ROOT, 'dist', 'commands', 'inspect.js')), 50_000)
    s3 = await startS3()
    await s3.createBucket(BUCKET)
    await s3.uploadDir(BUCKET, 'segment-logs/', EXAMPLES)
    await s3.createBucket('big-archive')
    await s3.put('big-archive', 'segment-logs/src/1714953600000/big.gz', big)
    bigDir = tempDir()
    writeFile(join(bigDir, 'segment-logs', 'src', '1714953600000', 'big.gz'), big)
  })
  after(async () => {
    for (const p of proxies) await p.close()
    for (const s of sandboxes) await s.close()
    await s3?.close()
  })
  const proxy = async (rules: Parameters<typeof startFaultProxy>[1] = []) => {
    const p = await startFaultProxy(s3.endpoint, rules)
    proxies.push(p)
    return p
  }
  const endpointArgs = (endpoint = s3.endpoint) => ['--s3-endpoint', endpoint, '--s3-path-style']

  it('inspect: the same archive from the server and from disk gives identical JSON', async () => {
    const [local, remote] = await Promise.all([
      cli(['inspect', EXAMPLES, '--format', 'json', '--state-dir', tempDir()]),
      cli(['inspect', `s3://${BUCKET}/segment-logs`, '--format', 'json', '--state-dir', tempDir(), ...endpointArgs()]),
    ])
    assert.equal(local.code, 0, local.stderr)
    assert.equal(remote.code, 0, remote.stderr)
    assert.equal(JSON.parse(remote.stdout).messages, 600)
    assert.equal(remote.stdout, local.stdout)
  })

  it('replay --dry-run --out: identical requests from the server and from disk; AWS_ENDPOINT_URL_S3 works like --s3-endpoint', async () => {
    const d = tempDir()
    const [local, remote] = await Promise.all([
      cli(['replay', EXAMPLES, '--dry-run', '--out', join(d, 'local.ndjson'), '--state-dir', join(d, 'l'), '--no-progress']),
      cli(
        ['replay', `s3://${BUCKET}/segment-logs/`, '--dry-run', '--out', join(d, 'remote.ndjson'), '--state-dir', join(d, 'r'), '--no-progress', '--s3-path-style'],
        s3Env({ AWS_ENDPOINT_URL_S3: s3.endpoint }),
      ),
    ])
    assert.equal(local.code, 0, local.stderr)
    assert.equal(remote.code, 0, remote.stderr)
    const requests = readFileSync(join(d, 'local.ndjson'), 'utf8')
    assert.ok(requests.split('\n').length > 2)
    assert.equal(readFileSync(join(d, 'remote.ndjson'), 'utf8'), requests)
  })

  it('diff-mappings and migrate --verify: the same report from the server and from disk', async () => {
    const classic = writeFile(join(tempDir(), 'classic.json'), JSON.stringify({ apiKey: 'classic-key-0123456789', trackAllPages: true }))
    const [dl, dr, ml, mr] = await Promise.all([
      cli(['diff-mappings', EXAMPLES, '--classic', classic, '--format', 'json', '--no-progress']),
      cli(['diff-mappings', `s3://${BUCKET}/segment-logs`, '--classic', classic, '--format', 'json', '--no-progress', ...endpointArgs()]),
      cli(['migrate', '--classic', classic, '--verify', EXAMPLES, '--sample', '250', '--format', 'json']),
      cli(['migrate', '--classic', classic, '--verify', `s3://${BUCKET}/segment-logs`, '--sample', '250', '--format', 'json', ...endpointArgs()]),
    ])
    assert.equal(dl.code, 0, dl.stderr)
    assert.equal(dr.code, dl.code, dr.stderr)
    const noPaths = (text: string) => text.replaceAll(`s3://${BUCKET}/segment-logs`, 'ARCHIVE').replaceAll(EXAMPLES, 'ARCHIVE')
    assert.ok(JSON.parse(dl.stdout).totals.messages > 0)
    assert.equal(noPaths(dr.stdout), noPaths(dl.stdout))
    assert.equal(mr.code, ml.code, mr.stderr)
    assert.equal(noPaths(mr.stdout), noPaths(ml.stdout))
    assert.equal(noPaths(mr.stderr), noPaths(ml.stderr))
  })

  it('mixes s3://, local paths and stdin in argument order', async () => {
    const stdin = ndjson([track('From Stdin', { messageId: 'stdin-1' })])
    const r = await cli(
      [
        'inspect',
        `s3://${BUCKET}/segment-logs/3S7cr7ZP4LPQwanZptak4X/1714953600000`,
        '-',
        join(EXAMPLES, '3S7cr7ZP4LPQwanZptak4X', '1715126400000'),
        '--format',
        'json',
        '--state-dir',
        tempDir(),
        ...endpointArgs(),
      ],
      undefined,
      stdin,
    )
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.files, 5)
    assert.equal(report.byEvent['From Stdin'], 1)
    const archive = await openArchive([`s3://${BUCKET}/segment-logs/3S7cr7ZP4LPQwanZptak4X/1714953600000`, '-', EXAMPLES], { s3: { endpoint: s3.endpoint, pathStyle: true } })
    assert.deepEqual(
      archive.sources.map((s) => s.path.replace(ROOT, '')),
      [
        `s3://${BUCKET}/segment-logs/3S7cr7ZP4LPQwanZptak4X/1714953600000/1714957200000.59d400fc.gz`,
        `s3://${BUCKET}/segment-logs/3S7cr7ZP4LPQwanZptak4X/1714953600000/1714960800000.b4da1902.gz`,
        '-',
        ...[
          '1714953600000/1714957200000.59d400fc.gz',
          '1714953600000/1714960800000.b4da1902.gz',
          '1715040000000/1715043600000.fa10a9ac.gz',
          '1715040000000/1715047200000.1d13e3d3.gz',
          '1715126400000/1715130000000.caf9d506.gz',
          '1715126400000/1715133600000.1318599f.gz',
        ].map((f) => `examples/segment-logs/3S7cr7ZP4LPQwanZptak4X/${f}`),
      ],
    )
    assert.ok(
      archive.sources.slice(0, 2).every((s) => typeof s.etag === 'string' && s.etag.length > 0 && s.size! > 0),
      'objects carry their ETag and size',
    )
    assert.ok(
      archive.sources.slice(3).every((s) => typeof s.mtimeMs === 'number'),
      'local files carry their mtime',
    )
  })

  it('lists like the local walk: same order, hidden files and folder markers skipped, a prefix is a folder', async () => {
    await s3.createBucket('layout-test')
    const local = tempDir()
    const files = ['logs/a/1.ndjson', 'logs/a/.complete', 'logs/a/sub/Thumbs.db', 'logs/a-b/3.ndjson', 'logs/ab/2.ndjson', 'logs/a/z/4.ndjson', 'logs/a.b']
    for (const f of files) {
      await s3.put('layout-test', f, ndjson([track('E', { messageId: f })]))
      writeFile(join(local, f), ndjson([track('E', { messageId: f })]))
    }
    await s3.put('layout-test', 'logs/a/dir/', '')
    const opts = { s3: { endpoint: s3.endpoint, pathStyle: true } }
    const remote = await openArchive(['s3://layout-test/logs'], opts)
    const disk = await openArchive([join(local, 'logs')], opts)
    const rel = (paths: string[], root: string) => paths.map((p) => p.slice(root.length))
    assert.deepEqual(
      rel(
        remote.sources.map((x) => x.path),
        's3://layout-test/',
      ),
      ['logs/a/1.ndjson', 'logs/a/z/4.ndjson', 'logs/a-b/3.ndjson', 'logs/a.b', 'logs/ab/2.ndjson'],
    )
    assert.deepEqual(
      rel(
        disk.sources.map((x) => x.path),
        local + '/',
      ),
      rel(
        remote.sources.map((x) => x.path),
        's3://layout-test/',
      ),
    )
    const folder = await openArchive(['s3://layout-test/logs/a'], opts)
    assert.deepEqual(
      folder.sources.map((x) => x.path),
      ['s3://layout-test/logs/a/1.ndjson', 's3://layout-test/logs/a/z/4.ndjson'],
    )
    const one = await openArchive(['s3://layout-test/logs/a.b'], opts)
    assert.deepEqual(
      one.sources.map((x) => x.path),
      ['s3://layout-test/logs/a.b'],
    )
  })

  it('--since with --prune-by-received prunes old received-day folders: fewer objects listed, the same requests', async () => {
    const since = '2024-05-08T06:00:00Z'
    const all = await openArchive([`s3://${BUCKET}/segment-logs`], { s3: { endpoint: s3.endpoint, pathStyle: true } })
    let pruned = 0
    const some = await openArchive([`s3://${BUCKET}/segment-logs`], {
      s3: { endpoint: s3.endpoint, pathStyle: true, pruneByReceived: true },
      since,
      onListing: (p) => (pruned = p.prunedFolders),
    })
    assert.equal(all.sources.length, 6)
    assert.equal(some.sources.length, 4, 'the 2024-05-06 folder ends more than a day before --since')
    assert.equal(pruned, 1)
    const d = tempDir()
    const [local, remote] = await Promise.all([
      cli(['replay', EXAMPLES, '--since', since, '--dry-run', '--out', join(d, 'local.ndjson'), '--state-dir', join(d, 'l'), '--no-progress']),
      cli([
        'replay',
        `s3://${BUCKET}/segment-logs`,
        '--since',
        since,
        '--prune-by-received',
        '--dry-run',
        '--out',
        join(d, 'remote.ndjson'),
        '--state-dir',
        join(d, 'r'),
        '--no-progress',
        ...endpointArgs(),
      ]),
    ])
    assert.equal(local.code, 0, local.stderr)
    assert.equal(remote.code, 0, remote.stderr)
    const requests = readFileSync(join(d, 'local.ndjson'), 'utf8')
    assert.ok(requests.length > 100)
    assert.equal(readFileSync(join(d, 'remote.ndjson'), 'utf8'), requests)
  })

  it('the pruning rule: a day folder is skipped only when it ends more than a day before --since', () => {
    const day = Date.UTC(2024, 4, 6)
    assert.equal(segmentDayOf(`segment-logs/src/${day}/`), day)
    assert.equal(segmentDayOf(`my/prefix/segment-logs/src/${day}`), day)
    assert.equal(segmentDayOf(`other/src/${day}/`), undefined)
    assert.equal(segmentDayOf(`segment-logs/src/${day + 1}/`), undefined, 'not a UTC midnight')
    assert.equal(dayFolderPrunable(day, day + 2 * DAY_MS), false, 'ends exactly a day before')
    assert.equal(dayFolderPrunable(day, day + 2 * DAY_MS + 1), true)
    assert.equal(dayFolderPrunable(day, day + DAY_MS), false)
    assert.deepEqual(['a/x', 'a-b/x', 'a.b', 'a/b/c'].sort(compareKeys), ['a/b/c', 'a/x', 'a-b/x', 'a.b'])
  })

  it("S3 failures are classed: configuration errors stop the run, one object's trouble does not, transient ones are retried", () => {
    const get = { op: 'get' as const, bucket: 'b', key: 'k.gz' }
    const sdk = (name: string, status: number) => Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode: status } })
    const sso = Object.assign(new Error('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login'), {
      name: 'CredentialsProviderError',
    })
    assert.equal(describeS3Error(sso, { ...get, profile: 'dev' }).kind, 'credentials-expired')
    assert.match(describeS3Error(sso, { ...get, profile: 'dev' }).message, /aws sso login --profile dev/)
    assert.deepEqual([describeS3Error(sdk('AccessDenied', 403), get).kind, describeS3Error(sdk('AccessDenied', 403), get).fatal], ['access-denied', true])
    assert.deepEqual([describeS3Error(sdk('NoSuchKey', 404), get).kind, describeS3Error(sdk('NoSuchKey', 404), get).fatal], ['object-deleted', false])
    assert.equal(describeS3Error(sdk('NoSuchBucket', 404), get).fatal, true)
    assert.equal(describeS3Error(sdk('SlowDown', 503), get).kind, 'transient')
    assert.ok(isTransient(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })))
    assert.ok(isTransient(sdk('InternalError', 500)))
    assert.ok(!isTransient(sdk('AccessDenied', 403)))
  })

  it('reads ahead a bounded number of objects (4 in flight), in key order', async () => {
    const p = await proxy()
    const archive = await openArchive([`s3://${BUCKET}/segment-logs`], { s3: { endpoint: p.endpoint, pathStyle: true } })
    const objectGets = () => p.requests.filter((r) => /^GET \/segment-archive\/segment-logs\//.test(r)).map((r) => r.split(' ')[1].replace(/\?.*$/, ''))
    const items = archive.items()
    const first = await items.next()
    assert.equal(first.value?.kind, 'file')
    await waitFor('read-ahead requests', () => objectGets().length >= 4, 10_000)
    await new Promise((r) => setTimeout(r, 300))
    const keys = archive.sources.map((s) => s.path.replace('s3://', '/'))
    assert.deepEqual(objectGets(), keys.slice(0, 4), 'the object being read and the next three, nothing further')
    await items.return(undefined)
  })

  it('a connection reset mid-object resumes with a Range request: nothing lost, nothing counted twice', async () => {
    const p = await proxy([{ match: /^GET \/big-archive\/segment-logs\/src\/1714953600000\/big\.gz/, cutAfterBytes: Math.floor(big.length / 3), once: true }])
    const d = tempDir()
    const [local, remote] = await Promise.all([
      cli(['replay', bigDir, '--dry-run', '--out', join(d, 'local.ndjson'), '--state-dir', join(d, 'l'), '--no-progress', '--json']),
      cli([
        'replay',
        's3://big-archive/segment-logs',
        '--dry-run',
        '--out',
        join(d, 'remote.ndjson'),
        '--state-dir',
        join(d, 'r'),
        '--no-progress',
        '--json',
        ...endpointArgs(p.endpoint),
      ]),
    ])
    assert.equal(local.code, 0, local.stderr)
    assert.equal(remote.code, 0, remote.stderr)
    const gets = p.requests.filter((r) => r.startsWith('GET /big-archive/segment-logs/src/1714953600000/big.gz'))
    assert.equal(gets.length, 2, 'one cut request and one resumed request')
    const range = /\r\nrange: bytes=(\d+)-\r\n/i.exec(gets[1])
    assert.ok(range, gets[1])
    assert.ok(Number(range[1]) > 0 && Number(range[1]) < big.length)
    assert.match(gets[1], /\r\nif-match: "[0-9a-f]+"\r\n/i, 'the resumed request is pinned to the version it started on')
    assert.doesNotMatch(gets[0], /if-match/i)
    assert.equal(JSON.parse(remote.stdout).messages, 20_000)
    assert.equal(readFileSync(join(d, 'remote.ndjson'), 'utf8'), readFileSync(join(d, 'local.ndjson'), 'utf8'))
  })

  it('a body that stalls is dropped after the stall timeout and resumed by Range', async () => {
    const p = await proxy([{ match: /^GET \/big-archive\/segment-logs\/src\/1714953600000\/big\.gz/, stallAfterBytes: Math.floor(big.length / 4), once: true }])
    const archive = await openArchive(['s3://big-archive/segment-logs'], { s3: { endpoint: p.endpoint, pathStyle: true, stallMs: 1500, resumeBaseMs: 10 } })
    let messages = 0
    const ids = new Set<string>()
    for await (const item of archive.items()) {
      if (item.kind === 'message') {
        messages++
        ids.add(String(item.message.messageId))
      }
      assert.notEqual(item.kind, 'unreadable')
    }
    assert.equal(messages, 20_000)
    assert.equal(ids.size, 20_000)
    const gets = p.requests.filter((r) => r.startsWith('GET /big-archive/segment-logs/src/1714953600000/big.gz'))
    assert.equal(gets.length, 2)
    assert.match(gets[1], /\r\nrange: bytes=\d+-\r\n/i)
  })

  it('an object replaced between a cut and its resume is unreadable, never spliced from two versions', async () => {
    const path = /^GET \/big-archive\/segment-logs\/src\/1714953600000\/big\.gz/
    const p = await proxy([
      { match: path, cutAfterBytes: Math.floor(big.length / 2), once: true },
      {
        match: /^GET \/big-archive\/segment-logs\/src\/1714953600000\/big\.gz[\s\S]*\r\nif-match: /i,
        respond: { status: 412, body: s3ErrorXml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold') },
      },
    ])
    const archive = await openArchive(['s3://big-archive/segment-logs'], { s3: { endpoint: p.endpoint, pathStyle: true, resumeBaseMs: 10 } })
    let messages = 0
    const unreadable: Array<{ file: string; reason: string }> = []
    for await (const item of archive.items()) {
      if (item.kind === 'message') messages++
      if (item.kind === 'unreadable') unreadable.push(item)
    }
    assert.ok(messages > 1000 && messages < 20_000, String(messages))
    assert.equal(unreadable.length, 1)
    assert.equal(unreadable[0].file, 's3://big-archive/segment-logs/src/1714953600000/big.gz')
    assert.match(unreadable[0].reason, /the object was replaced after it was listed/)
  })

  it('an object the store keeps failing past its retries: the rest is sent, exit 75 (not 3), and the same run later reads it', async () => {
    // Amplitude's per-device pace lifted: 20,000 events of 50 users would take minutes otherwise.
    const sb = await startSandbox({ limits: NO_THROTTLE })
    sandboxes.push(sb)
    const subscriptions = compileSubscriptions(await loadMappings())
    const object = /^GET \/big-archive\/segment-logs\/src\/1714953600000\/big\.gz/
    // The first read is cut a third of the way in; every resume by Range is answered 500.
    const p = await proxy([
      {
        match: /^GET \/big-archive\/segment-logs\/src\/1714953600000\/big\.gz[\s\S]*\r\nrange: /i,
        respond: { status: 500, body: s3ErrorXml('InternalError', 'We encountered an internal error.') },
      },
      { match: object, cutAfterBytes: Math.floor(big.length / 3) },
    ])
    const stateDir = tempDir()
    const options = (endpoint: string) => ({
      inputs: ['s3://big-archive/segment-logs'],
      archive: { s3: { endpoint, pathStyle: true, resumeBaseMs: 5, maxResumes: 2 } },
      subscriptions,
      mappingsSource: 'presets',
      runId: 'transient-s3',
      stateDir,
      apiKey: 'transient-test-key-0123',
      endpointUrl: sb.url,
      checkpointEveryMs: 20,
    })
    const first = await replay(options(p.endpoint))
    assert.equal(first.exitCode, 75)
    assert.deepEqual(
      first.unreadableFiles.map((u) => [u.file, u.retryable]),
      [['s3://big-archive/segment-logs/src/1714953600000/big.gz', true]],
    )
    assert.match(first.unreadableFiles[0].reason, /gave up after 3 attempts at byte \d+ of \d+: .*InternalError.*rerun to read the rest/)
    assert.ok(first.sent > 1000 && first.sent < 20_000, String(first.sent))
    assert.equal(sb.events.length, first.sent, 'what was read before the failure was sent')
    // The store is back: the same run resumes, reads the object from where its lines stopped, and is done.
    const second = await replay(options(s3.endpoint))
    assert.equal(second.exitCode, 0, JSON.stringify(second.unreadableFiles))
    assert.equal(second.resumed, true)
    assert.deepEqual(second.unreadableFiles, [])
    const ids = sb.events.map((e) => String(e.event.insert_id))
    assert.equal(ids.length, 20_000)
    assert.equal(new Set(ids).size, 20_000, 'each event once')
  })

  it('rejected lines name the object as s3://bucket/key:line', async () => {
    await s3.createBucket('rejects')
    await s3.put('rejects', 'day/a.ndjson', ndjson([track('Signed Up', { messageId: 'r1' })]) + '{oops\n')
    const state = tempDir()
    const r = await cli(['inspect', 's3://rejects/day', '--format', 'json', '--state-dir', state, ...endpointArgs()])
    assert.equal(r.code, 3, r.stderr)
    assert.deepEqual(
      readNdjson(join(state, 'rejected.ndjson')).map((x) => ({ ...(x as object), reason: undefined })),
      [{ file: 's3://rejects/day/a.ndjson', line: 2, reason: undefined, text: '{oops' }],
    )
  })

  describe('named errors and exit codes', () => {
    /** The single-command cases run at once (each CLI start costs seconds); each it() checks one. */
    const runs = new Map<string, Promise<Exit>>()
    const run = (name: string) => runs.get(name)!
    const keyPattern = (key: string) => key.replace(/\./g, '\\.')
    before(async () => {
      const listDenied = await proxy([{ match: /^GET \/segment-archive\/\?/, respond: { status: 403, body: s3ErrorXml('AccessDenied', 'Access Denied') } }])
      const expired = await proxy([{ match: /^GET \/segment-archive\/\?/, respond: { status: 400, body: s3ErrorXml('ExpiredToken', 'The provided token has expired.') } }])
      const deleted = await proxy([
        { match: new RegExp(`^GET /segment-archive/${keyPattern(DELETED_KEY)}`), respond: { status: 404, body: s3ErrorXml('NoSuchKey', 'The specified key does not exist.') } },
      ])
      const glacier = await proxy([
        {
          match: new RegExp(`^GET /segment-archive/${keyPattern(GLACIER_KEY)}`),
          respond: { status: 403, body: s3ErrorXml('InvalidObjectState', "The operation is not valid for the object's storage class") },
        },
      ])
      const inspect = (endpoint: string, extra: string[] = []) => ['inspect', `s3://${BUCKET}/segment-logs`, '--state-dir', tempDir(), ...extra, ...endpointArgs(endpoint)]
      runs.set('list-denied', cli(inspect(listDenied.endpoint)))
      runs.set('expired', cli(inspect(expired.endpoint), s3Env({ AWS_SESSION_TOKEN: 'expired-session-token' })))
      runs.set('absent', cli(inspect(s3.endpoint), s3Env({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined })))
      runs.set('no-profile', cli(inspect(s3.endpoint, ['--profile', 'no-such-profile']), s3Env({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined })))
      runs.set('rejected', cli(inspect(s3.endpoint), s3Env({ AWS_ACCESS_KEY_ID: 'WRONGKEY', AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' })))
      runs.set('deleted', cli(inspect(deleted.endpoint, ['--format', 'json'])))
      runs.set('glacier', cli(inspect(glacier.endpoint, ['--format', 'json'])))
      runs.set('bad-endpoint', cli(['inspect', `s3://${BUCKET}`, '--s3-endpoint', 'ftp://x']))
      runs.set('no-bucket', cli(['replay', 's3://', '--dry-run', ...endpointArgs()]))
      await Promise.all(runs.values())
    })

    it('no such bucket: exit 1 (inspect, replay), 2 (diff-mappings, migrate --verify)', async () => {
      const classic = writeFile(join(tempDir(), 'classic.json'), JSON.stringify({ apiKey: 'k' }))
      const [inspect, replay, diff, verify] = await Promise.all([
        cli(['inspect', 's3://no-such-bucket-here/segment-logs', '--state-dir', tempDir(), ...endpointArgs()]),
        cli(['replay', 's3://no-such-bucket-here', '--dry-run', '--state-dir', tempDir(), '--no-progress', ...endpointArgs()]),
        cli(['diff-mappings', 's3://no-such-bucket-here', '--no-progress', ...endpointArgs()]),
        cli(['migrate', '--classic', classic, '--verify', 's3://no-such-bucket-here', ...endpointArgs()]),
      ])
      assert.equal(inspect.code, 1, inspect.stderr)
      assert.match(inspect.stderr, /s3:\/\/no-such-bucket-here: no such bucket at http:\/\/127\.0\.0\.1:\d+; check the bucket name and --s3-endpoint/)
      assert.equal(replay.code, 1, replay.stderr)
      assert.match(replay.stderr, /no such bucket/)
      assert.equal(diff.code, 2, diff.stderr)
      assert.match(diff.stderr, /s3:\/\/no-such-bucket-here: no such bucket/)
      assert.equal(verify.code, 2, verify.stderr)
      assert.match(verify.stderr, /no such bucket/)
    })

    it('access denied when listing names the bucket and s3:ListBucket (exit 1)', async () => {
      const r = await run('list-denied')
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /access denied listing s3:\/\/segment-archive\/segment-logs \(AccessDenied\): the identity of the default credential chain needs s3:ListBucket on arn:aws:s3:::segment-archive/,
      )
    })

    it('access denied on an object names the key and s3:GetObject (exit 1); replay saves its checkpoint and the same command finishes once access is granted', async () => {
      const key = 'segment-logs/3S7cr7ZP4LPQwanZptak4X/1715040000000/1715043600000.fa10a9ac.gz'
      const denied = new RegExp(`^GET /segment-archive/${key.replace(/\./g, '\\.')}`)
      const p = await proxy([{ match: denied, respond: { status: 403, body: s3ErrorXml('AccessDenied', 'Access Denied') } }])
      const [r, planned] = await Promise.all([
        cli(['inspect', `s3://${BUCKET}/segment-logs`, '--state-dir', tempDir(), ...endpointArgs(p.endpoint)]),
        cli(['replay', `s3://${BUCKET}/segment-logs`, '--dry-run', '--json', '--state-dir', tempDir(), '--no-progress', ...endpointArgs()]),
      ])
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        new RegExp(
          `access denied reading s3://segment-archive/${key.replace(/\./g, '\\.')} \\(AccessDenied\\): the identity of the default credential chain needs s3:GetObject on arn:aws:s3:::segment-archive/`,
        ),
      )

      const total = JSON.parse(planned.stdout).planned as number
      const sb = await startSandbox()
      sandboxes.push(sb)
      const stateDir = tempDir()
      const args = [
        'replay',
        `s3://${BUCKET}/segment-logs`,
        '--endpoint-url',
        sb.url,
        '--api-key',
        'denied-test-key-0123456789',
        '--yes',
        '--state-dir',
        stateDir,
        '--no-progress',
        '--s3-path-style',
        '--s3-endpoint',
      ]
      const first = await cli([...args, p.endpoint])
      assert.equal(first.code, 1, first.stderr)
      assert.match(first.stderr, /access denied reading s3:\/\/segment-archive\/segment-logs\/3S7cr7ZP4LPQwanZptak4X\/1715040000000\/1715043600000\.fa10a9ac\.gz/)
      // The checkpoint holds what was acknowledged before the error (never a line of the denied object).
      const cp = JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8'))
      assert.equal(cp.done, false)
      assert.ok(cp.position === null || /\/1714953600000\//.test(cp.position.file), JSON.stringify(cp.position))
      // Permission granted: the same command goes on from the checkpoint.
      p.rules.length = 0
      const second = await cli([...args, p.endpoint])
      assert.equal(second.code, 0, second.stderr)
      const ids = [...sb.events.map((e) => e.event), ...sb.identifications, ...sb.groupIdentifications].map((x) => String((x as { insert_id?: unknown }).insert_id))
      assert.equal(new Set(ids).size, ids.length, 'nothing sent twice')
      assert.equal(ids.length, total)
      assert.equal(JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8')).resumed, true)
    })

    it('expired credentials (exit 1) say to refresh them', async () => {
      const r = await run('expired')
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /reading s3:\/\/segment-archive\/segment-logs: the AWS credentials of the default credential chain have expired \(ExpiredToken\); refresh them \(aws sso login/,
      )
      assert.ok(!r.stderr.includes('expired-session-token'))
    })

    it('absent credentials (exit 1) say where credentials come from', async () => {
      const r = await run('absent')
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with --profile or AWS_PROFILE/)
    })

    it('a --profile that gives no credentials is named (exit 1)', async () => {
      const r = await run('no-profile')
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /profile "no-such-profile" gave no AWS credentials: check that it exists in ~\/\.aws\/config or ~\/\.aws\/credentials .* aws sso login --profile no-such-profile/,
      )
    })

    it('rejected credentials (exit 1)', async () => {
      const r = await run('rejected')
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /the store rejected the AWS credentials of the default credential chain \(InvalidAccessKeyId\)/)
      assert.ok(!r.stderr.includes('wrong-secret-value'))
    })

    it('an object deleted mid-run is unreadable; every other object is read (exit 3)', async () => {
      const key = DELETED_KEY
      const r = await run('deleted')
      assert.equal(r.code, 3, r.stderr)
      const report = JSON.parse(r.stdout)
      assert.equal(report.files, 5)
      assert.ok(report.messages > 450 && report.messages < 600, String(report.messages))
      assert.deepEqual(
        report.unreadableFiles.map((u: { file: string }) => u.file),
        [`s3://${BUCKET}/${key}`],
      )
      assert.match(r.stderr, new RegExp(`unreadable: s3://segment-archive/${key.replace(/\./g, '\\.')}: the object was deleted after it was listed \\(NoSuchKey\\)`))
    })

    it('an archived (Glacier) object is unreadable with what to do; the others are read (exit 3)', async () => {
      const r = await run('glacier')
      assert.equal(r.code, 3, r.stderr)
      assert.equal(JSON.parse(r.stdout).files, 5)
      assert.match(
        r.stderr,
        /unreadable: s3:\/\/segment-archive\/segment-logs\/3S7cr7ZP4LPQwanZptak4X\/1715126400000\/1715130000000\.caf9d506\.gz: the object is in an archive storage class .* restore it/,
      )
    })

    it('a bad --s3-endpoint or an s3:// input without a bucket is a usage error (exit 2)', async () => {
      const r = await run('bad-endpoint')
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, /--s3-endpoint "ftp:\/\/x" is not an http\(s\) URL/)
      const noBucket = await run('no-bucket')
      assert.equal(noBucket.code, 2, noBucket.stderr)
      assert.match(noBucket.stderr, /s3:\/\/: no bucket; use s3:\/\/bucket or s3:\/\/bucket\/prefix/)
    })
  })

  it('signs for the region the bucket reports (x-amz-bucket-region)', async () => {
    const p = await proxy([{ match: /^HEAD \/segment-archive\/ /, respond: { status: 200, headers: { 'x-amz-bucket-region': 'eu-west-3' } } }])
    const archive = await openArchive([`s3://${BUCKET}/segment-logs`], { s3: { endpoint: p.endpoint, pathStyle: true } })
    assert.equal(archive.sources.length, 6)
    const list = p.requests.find((r) => r.startsWith('GET /segment-archive/?'))!
    assert.match(list, /Credential=S3RVER\/\d{8}\/eu-west-3\/s3\/aws4_request/i)
  })

  it('replay: SIGKILL mid-run, then the same command again: every event sent once', async () => {
    const a = writeArchive(tempDir(), { messages: 150, devices: 6 })
    await s3.createBucket('resume-archive')
    await s3.uploadDir('resume-archive', 'segment-logs/src/1714953600000/', a.dir)
    const sb = await startSandbox({ faults: { latencyMs: 60 } })
    sandboxes.push(sb)
    const stateDir = tempDir()
    const args = [
      'replay',
      's3://resume-archive/segment-logs',
      '--endpoint-url',
      sb.url,
      '--api-key',
      'resume-test-key-0123456789',
      '--yes',
      '--state-dir',
      stateDir,
      '--no-progress',
      '--batch-size',
      '5',
      '--concurrency',
      '1',
      ...endpointArgs(),
    ]
    const first = start(args)
    const checkpoint = () => {
      try {
        return JSON.parse(readFileSync(join(stateDir, 'checkpoint.json'), 'utf8')) as { done: boolean; position: { file: string; line: number } | null }
      } catch {
        return undefined
      }
    }
    await waitFor(
      'checkpoint progress',
      () => {
        const cp = checkpoint()
        return cp !== undefined && !cp.done && cp.position !== null
      },
      45_000,
    )
    first.child.kill('SIGKILL')
    assert.equal((await first.done).signal, 'SIGKILL')
    const sentBefore = sb.events.length
    assert.ok(sentBefore < 150, 'killed before the end')
    assert.match(checkpoint()!.position!.file, /^s3:\/\/resume-archive\/segment-logs\/src\/1714953600000\/part-[12]\.ndjson$/)
    sb.setFaults({})
    const second = await cli(args)
    assert.equal(second.code, 0, second.stderr)
    const ids = sb.events.map((e) => String(e.event.insert_id))
    assert.equal(ids.length, 150, 'every event once')
    assert.equal(new Set(ids).size, 150)
    const report = JSON.parse(readFileSync(join(stateDir, 'report.json'), 'utf8'))
    assert.equal(report.resumed, true)
    assert.equal(report.messages, 150)
    assert.equal(checkpoint()!.done, true)
  })
})
