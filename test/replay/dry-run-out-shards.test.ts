/**
 * Shards of one dry run, each with --out: two of them writing the same file at once used to mix
 * their requests into one file (each opened it with truncation and wrote at its own offsets), both
 * exiting 0. The file is now held by the run writing it (`<out>.lock`), another run is exit 2 with
 * what to do, and `{shard}` in --out gives each shard its own file.
 */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { startSandbox } from '../../src/amplitude/sandbox/index.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

const requestsIn = (file: string): Array<{ url: string }> =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { url: string })

describe('replay --dry-run --out with shards', function () {
  this.timeout(60_000)

  it("an --out another live run is writing is exit 2 naming it and {shard}; the other run's file and lock are left alone", async () => {
    const dir = tempDir()
    const out = join(dir, 'requests.ndjson')
    writeFileSync(out, "the other run's lines\n")
    // This test's own process stands for the other shard: alive, and not the child.
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid }) + '\n')
    const r = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--shard', '1/2', '--out', out, '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(
      r.stderr.includes(`Error: --out ${out}: another segamp run (pid ${process.pid}) is writing it; two runs writing one --out (two shards) would mix their requests in one file`),
      r.stderr,
    )
    assert.match(r.stderr, /Hint: Give each run its own --out: with --shard or --shards, \{shard\} in it becomes the shard index \(--out requests-\{shard\}\.ndjson\)/)
    assert.equal(readFileSync(out, 'utf8'), "the other run's lines\n")
    assert.ok(existsSync(`${out}.lock`))
  })

  it('a lock left by a run that is gone is taken over, and released at the end', async () => {
    const dir = tempDir()
    const out = join(dir, 'requests.ndjson')
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: 2 ** 22 + 17 }) + '\n') // above Linux's pid_max: no such process
    const r = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--out', out, '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(requestsIn(out).length, 2)
    assert.ok(!existsSync(`${out}.lock`))
  })

  it('--out /dev/null (a device) is written as before, with no lock file beside it', async () => {
    const r = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--out', '/dev/null', '--state-dir', join(tempDir(), 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!existsSync('/dev/null.lock'))
  })

  it("{shard} in --out is the shard index: two shards, two files, together the unsharded requests' records", async () => {
    const dir = tempDir()
    const runs = await Promise.all(
      [0, 1].map((k) =>
        runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--shard', `${k}/2`, '--out', join(dir, 'requests-{shard}.ndjson'), '--state-dir', join(dir, `state-${k}`)]),
      ),
    )
    for (const r of runs) assert.equal(r.code, 0, r.stderr)
    const events = (file: string): number =>
      requestsIn(file).reduce(
        (n, q: { url: string; body?: string }) => n + (q.url.endsWith('/2/httpapi') ? (JSON.parse((q as { body: string }).body).events as unknown[]).length : 0),
        0,
      )
    assert.equal(events(join(dir, 'requests-0.ndjson')) + events(join(dir, 'requests-1.ndjson')), 507)
    assert.ok(!existsSync(join(dir, 'requests-{shard}.ndjson')))
    const none = await runCli(['replay', EXAMPLE, '--dry-run', '--no-progress', '--out', join(dir, 'requests-{shard}.ndjson'), '--state-dir', join(dir, 'state-x')])
    assert.equal(none.code, 2, none.stderr)
    assert.match(none.stderr, /--out .*requests-\{shard\}\.ndjson: \{shard\} needs --shard K\/N or --shards N/)
  })
})

describe('shards sharing one --state-dir', function () {
  this.timeout(60_000)

  it("a second shard given the first one's --state-dir is exit 2 saying each shard needs its own ({shard}), never advising --fresh, which would wipe the first shard's checkpoint", async () => {
    const sb = await startSandbox()
    try {
      const st = join(tempDir(), 'state')
      const live = (k: string, extra: string[] = []) =>
        runCli(['replay', EXAMPLE, '--endpoint-url', sb.url, '--api-key', 'key-0123456789abcdef', '--yes', '--no-progress', '--shard', k, '--state-dir', st, ...extra])
      const first = await live('0/2')
      assert.equal(first.code, 0, first.stderr)
      const checkpoint = readFileSync(join(st, 'checkpoint.json'), 'utf8')
      for (const [k, extra, which] of [
        ['1/2', [], 'shard 0/2'],
        ['0/2', ['--types', 'track'], 'shard 0/2 of another run'],
      ] as const) {
        const r = await live(k, [...extra])
        assert.equal(r.code, 2, r.stderr)
        assert.ok(r.stderr.includes(`${join(st, 'checkpoint.json')} belongs to ${which} (`), r.stderr)
        assert.match(r.stderr, /Hint: Give each shard its own state directory: \{shard\} in --state-dir becomes the shard index \(--state-dir .*state-\{shard\}\)/)
        assert.doesNotMatch(r.stderr, /--fresh/)
        assert.equal(readFileSync(join(st, 'checkpoint.json'), 'utf8'), checkpoint)
      }
    } finally {
      await sb.close()
    }
  })
})
