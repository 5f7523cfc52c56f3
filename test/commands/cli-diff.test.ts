import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { runCli } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { unreadableTrouble } from '../../src/diff/present.js'

describe('segamp diff-mappings (CI use case, bundled example archive)', () => {
  it('--fail-on renamed,dropped,duplicated --format markdown: exit 1 and a markdown verdict with the findings table', async () => {
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--format', 'markdown', '--fail-on', 'renamed,dropped,duplicated', '--examples', '0'])
    assert.equal(r.code, 1, r.stderr)
    const md = r.stdout
    assert.match(md, /^### segamp diff-mappings: ❌ failed on dropped, renamed$/m)
    assert.match(md, /^Classic \(cloud\) vs Actions \(presets\): 588 messages, Classic sent 660 records, Actions sent 611 records$/m)
    assert.match(md, /^\| ❌ \| dropped \| `\[group\] \[Segment\] Group` \| — \| 72 \| {2}\|$/m)
    assert.match(md, /^\| ❌ \| renamed \| `Viewed Home Page` \| `Viewed Home` \| 16 \| {2}\|$/m)
    assert.match(md, /^\| ❌ \| renamed \| `Viewed Cart Screen` \| `Viewed Cart` \| 23 \| {2}\|$/m)
    assert.match(r.stderr, /--fail-on: found dropped, renamed/)
  })

  it('a rename map turns expected renames into same; without a failing kind the exit code is 0', async () => {
    const dir = tempDir()
    const renames = writeFile(
      join(dir, 'renames.csv'),
      'classic,actions\nViewed Cart Screen,Viewed Cart\nViewed Catalog Product Detail Screen,Viewed Product Detail\nViewed Home Page,Viewed Home\nViewed Home Screen,Viewed Home\nViewed Marketing Pricing Page,Viewed Pricing\nViewed Signup Page,Viewed Signup\nViewed Docs Analytics Page,Viewed Analytics\n',
    )
    const out = join(dir, 'report.json')
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--rename-map', renames, '--format', 'json', '--out', out, '--fail-on', 'renamed,duplicated'])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(report.totals.byKind.renamed, 0)
    assert.equal(report.totals.byKind.dropped, 72)
    assert.deepEqual(report.model.mappingsSource, 'presets')
    assert.equal(report.model.classicMode, 'cloud')
    assert.ok(report.model.assumptions.length > 5)
  })

  it('nothing read is trouble (exit 2), not a pass: a CI sync that brought no files must fail', async () => {
    // no such input: refused before reading (every command), naming it
    const r = await runCli(['diff-mappings', '/nonexistent/segment-logs', '--fail-on', 'renamed'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /nothing to read: \/nonexistent\/segment-logs: no such file or directory/)
    const m = await runCli(['migrate', '--classic', 'test/fixtures/classic-settings.json', '--verify', '/nonexistent/x', '--out', '/dev/null'])
    assert.equal(m.code, 2)
    assert.match(m.stderr, /nothing to read: \/nonexistent\/x: no such file or directory/)
    // an input that holds no message (a sync that wrote an empty file)
    const empty = writeFile(join(tempDir(), 'empty.ndjson'), '')
    const e = await runCli(['diff-mappings', empty, '--fail-on', 'renamed'])
    assert.equal(e.code, 2)
    assert.match(e.stderr, /nothing to compare: no message was read from .*empty\.ndjson/)
    const me = await runCli(['migrate', '--classic', 'test/fixtures/classic-settings.json', '--verify', empty, '--out', '/dev/null'])
    assert.equal(me.code, 2)
    assert.match(me.stderr, /--verify: nothing to compare/)
    // messages read, but every one filtered: said as such, not as "no message was read"
    const f = await runCli(['diff-mappings', 'examples/segment-logs', '--since', '2030-01-01'])
    assert.equal(f.code, 2)
    assert.match(f.stderr, /nothing to compare: every message read was filtered out from examples\/segment-logs \(600 parsed, 0 unreadable file\(s\), 600 filtered\)/)
  })

  it('an input file that cannot be read to the end is trouble (exit 2) after the report, even with --fail-on and no finding', async () => {
    const dir = tempDir()
    const lines = (tag: string, n: number) => ndjson(Array.from({ length: n }, (_, i) => track('Bought', { messageId: `${tag}-${i}`, userId: `user-${tag}-${i}` })))
    writeFile(join(dir, 'a.gz'), gzip(lines('a', 5)))
    const whole = gzip(lines('b', 400))
    writeFile(join(dir, 'b.gz'), whole.subarray(0, Math.floor(whole.length / 2)))
    const r = await runCli(['diff-mappings', dir, '--format', 'json', '--fail-on', 'dropped', '--no-progress'])
    assert.equal(r.code, 2, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.ok(report.totals.messages >= 5 && report.totals.messages < 405, `the report covers what was read: ${report.totals.messages}`)
    assert.match(r.stderr, new RegExp(`unreadable: ${join(dir, 'b.gz').replace(/[.]/g, '\\.')}: `))
    assert.match(
      r.stderr,
      /error: 1 input file\(s\) could not be read to the end \(listed above\): the report covers only what was read, so this run exits 2\. Replace those files, or leave them out of the input/,
    )
    // The same archive without the broken file passes the gate.
    const ok = await runCli(['diff-mappings', join(dir, 'a.gz'), '--format', 'json', '--fail-on', 'dropped', '--no-progress'])
    assert.equal(ok.code, 0, ok.stderr)
  })

  it('under GitHub Actions an unreadable input is in every report, and the verdict output is error, not passed', async () => {
    const dir = tempDir()
    const lines = (tag: string, n: number) => ndjson(Array.from({ length: n }, (_, i) => track('Bought', { messageId: `${tag}-${i}`, userId: `user-${tag}-${i}` })))
    writeFile(join(dir, 'a.gz'), gzip(lines('a', 5)))
    const whole = gzip(lines('b', 400))
    writeFile(join(dir, 'b.gz'), whole.subarray(0, Math.floor(whole.length / 2)))
    const [summary, output] = [join(dir, 'summary.md'), join(dir, 'output.txt')]
    const reports = ['json', 'junit', 'sarif', 'markdown', 'html', 'github'].flatMap((f) => ['--report', `${f}=${join(dir, `r.${f}`)}`])
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output }
    const r = await runCli(['diff-mappings', join(dir, 'a.gz'), join(dir, 'b.gz'), '--fail-on', 'dropped', '--no-progress', ...reports], { env })
    assert.equal(r.code, 2, r.stderr)
    // A later step reading the outputs must not see a pass over part of the data.
    assert.match(readFileSync(output, 'utf8'), /^verdict=error$/m)
    assert.match(readFileSync(output, 'utf8'), /^unreadable=1$/m)
    const b = join(dir, 'b.gz')
    assert.match(readFileSync(summary, 'utf8'), /could not be read to the end/)
    assert.ok(readFileSync(summary, 'utf8').includes(b), 'the step summary names the file')
    // the annotations (stdout, and the github report file) carry it as an error
    for (const text of [r.stdout, readFileSync(join(dir, 'r.github'), 'utf8')]) assert.match(text, /^::error title=segamp%3A input not read to the end::.*b\.gz: truncated gzip/m)
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).unreadableFiles.map((f: { file: string }) => f.file),
      [b],
    )
    assert.match(readFileSync(join(dir, 'r.junit'), 'utf8'), /<testcase classname="segamp\.input"[^>]*>\s*<error message="[^"]*b\.gz: truncated gzip/)
    const sarif = JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8'))
    assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false)
    assert.match(sarif.runs[0].invocations[0].toolExecutionNotifications[0].message.text, /b\.gz: truncated gzip/)
    assert.match(readFileSync(join(dir, 'r.markdown'), 'utf8'), /could not be read to the end/)
    assert.match(readFileSync(join(dir, 'r.html'), 'utf8'), /could not be read to the end/)
  })

  it('migrate --verify over an input that cannot be read to the end is trouble (exit 2), as diff-mappings', async () => {
    const dir = tempDir()
    const lines = (tag: string, n: number) => ndjson(Array.from({ length: n }, (_, i) => track('Bought', { messageId: `${tag}-${i}`, userId: `user-${tag}-${i}` })))
    writeFile(join(dir, 'a.gz'), gzip(lines('a', 5)))
    const whole = gzip(lines('b', 400))
    writeFile(join(dir, 'b.gz'), whole.subarray(0, Math.floor(whole.length / 2)))
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--out', join(dir, 'actions.json'), '--verify', dir])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, new RegExp(`unreadable: ${join(dir, 'b.gz').replace(/[.]/g, '\\.')}: truncated gzip`))
    assert.match(r.stderr, /error: 1 input file\(s\) could not be read to the end/)
  })

  it("the trouble line names a store's transient failure as such", () => {
    assert.match(unreadableTrouble([{ retryable: true }, {}]), /^error: 2 input file\(s\) .* The store failed past its retries: run the same command again later\.$/)
    assert.doesNotMatch(unreadableTrouble([{}]), /again later/)
  })

  it('messages the filters (or the integrations flags) leave out are counted by reason on stderr, so the lines read add up', async () => {
    const dir = tempDir()
    const lines = [
      track('Kept', { messageId: 'f-1', userId: 'user-00001' }),
      track('Not for Amplitude', { messageId: 'f-2', userId: 'user-00002', integrations: { All: false } }),
      { type: 'identify', messageId: 'f-3', userId: 'user-00003', traits: { plan: 'pro' }, timestamp: '2024-05-06T10:00:00.000Z' },
    ]
    const archive = writeFile(join(dir, 'a.ndjson'), ndjson(lines))
    const r = await runCli(['diff-mappings', archive, '--types', 'track', '--no-progress'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /: 1 message,/)
    // 3 lines = 1 compared + 2 filtered: the report said "1 messages" and nothing about the other two.
    assert.match(r.stderr, /^2 message\(s\) filtered, not compared \((types 1, integrations 1|integrations 1, types 1)\)$/m)
    const all = await runCli(['diff-mappings', archive, '--ignore-integrations-flags', '--no-progress'])
    assert.equal(all.code, 0, all.stderr)
    assert.doesNotMatch(all.stderr, /filtered/)
  })

  it('a report that cannot be written (--out on a full disk: /dev/full) names the file and why, not a bare ENOSPC', async function () {
    if (!existsSync('/dev/full')) this.skip()
    for (const args of [
      ['--out', '/dev/full', '--format', 'html'],
      ['--report', 'junit=/dev/full'],
    ]) {
      const r = await runCli(['diff-mappings', 'examples/segment-logs', ...args, '--no-progress'])
      assert.equal(r.code, 2, r.stderr)
      assert.match(
        r.stderr,
        /^Error: \/dev\/full: cannot write the report there: no space left on the device \(ENOSPC\)\nHint: Give --out \(or --report FORMAT=FILE\) a file in a folder with free space/m,
      )
    }
  })

  it('a bad --fail-on kind is a usage error naming the allowed kinds once', async () => {
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--fail-on', 'renamd'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Error: --fail-on: unknown kind renamd \(allowed: renamed, dropped, added, duplicated, properties, revenue, refused-by-amplitude\)/)
  })

  it('a --fail-on that names no kind (an empty CI variable) is a usage error, not a gate that always passes', async () => {
    for (const value of ['', ' , ']) {
      const r = await runCli(['diff-mappings', 'examples/segment-logs', '--fail-on', value, '--no-progress'])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, /Error: --fail-on ".*": names no finding kind, so nothing could fail the check/)
      assert.match(r.stderr, /Hint: .*leave --fail-on out/)
    }
  })

  it('trouble is exit 2: unreadable settings file', async () => {
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--classic', '/nonexistent/classic.json'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--classic \/nonexistent\/classic.json: cannot be read \(ENOENT\)/)
  })
})
