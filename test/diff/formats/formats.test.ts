/**
 * Issue 26: the CI formats of a diff report. Annotations escaped per GitHub's workflow-command
 * rules (hostile event names cannot start a command of their own); JUnit that parses, with test
 * and failure counts that match the JSON report; SARIF that validates against the vendored
 * SARIF 2.1.0 schema (test/fixtures/sarif/) with locations on real lines; the step summary under
 * GitHub's 1 MiB cap with examples cut first.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv04 from 'ajv-draft-04'
import addFormats from 'ajv-formats'
import { XMLParser } from 'fast-xml-parser'
import { runCli } from '../../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../../helpers/files.js'
import { escapeData, escapeProperty, fitStepSummary, renderAnnotations, renderOutputs } from '../../../src/diff/formats/github.js'
import { renderMarkdown } from '../../../src/diff/render.js'
import { locatorFor } from '../../../src/diff/formats/locate.js'
import { xmlSafe } from '../../../src/diff/formats/junit.js'
import type { DiffReport, Finding } from '../../../src/diff/types.js'
import { findingLabel, type CheckItem } from '../../../src/diff/formats/items.js'

const HOSTILE = '<img src=x onerror=alert(1)>'
const INJECT = 'Line one\n::error::injected, 100% :)'
const CDATA_END = 'Ends ]]> here'

/** Mappings whose Track Calls renames every event ("Renamed <event>"), so hostile names are failing findings. */
function hostileSetup(): { dir: string; mappings: string; archive: string; mappingsText: string } {
  const dir = tempDir('segamp-formats-')
  const example = JSON.parse(readFileSync('examples/github/actions-mappings.json', 'utf8')) as { subscriptions: Array<{ name: string; settings: Record<string, unknown> }> }
  const trackCalls = example.subscriptions.find((s) => s.name === 'Track Calls')!
  trackCalls.settings.event_type = { '@template': 'Renamed {{event}}' }
  const mappingsText = JSON.stringify({ subscriptions: [trackCalls] }, null, 2) + '\n'
  const mappings = writeFile(join(dir, 'mappings.json'), mappingsText)
  const messages = [HOSTILE, HOSTILE, HOSTILE, INJECT, CDATA_END, 'Plain'].map((e) => track(e))
  const archive = writeFile(join(dir, 'archive.ndjson'), ndjson(messages))
  return { dir, mappings, archive, mappingsText }
}

describe('diff report CI formats (github, junit, sarif, step summary)', function () {
  this.timeout(120_000)
  const s = hostileSetup()
  const base = ['diff-mappings', s.archive, '--classic', 'examples/classic-settings.json', '--mappings', s.mappings, '--no-progress', '--fail-on', 'renamed']
  let json: DiffReport

  before(async () => {
    const r = await runCli([...base, '--format', 'json'])
    assert.equal(r.code, 1, r.stderr)
    json = JSON.parse(r.stdout) as DiffReport
  })

  it('workflow-command escaping: % CR LF in data; also : and , in properties', () => {
    assert.equal(escapeData('100% a\r\nb: c, d'), '100%25 a%0D%0Ab: c, d')
    assert.equal(escapeProperty('100% a\r\nb: c, d'), '100%25 a%0D%0Ab%3A c%2C d')
    assert.equal(renderOutputs({ a: 'x', b: 'two\nlines' }), 'a=x\nb<<SEGAMP_EOF\ntwo\nlines\nSEGAMP_EOF\n')
  })

  it('--format github: one line per annotation, hostile names escaped, at the event_type line of the mappings file', async () => {
    const r = await runCli([...base, '--format', 'github'])
    assert.equal(r.code, 1, r.stderr)
    const lines = r.stdout.trimEnd().split('\n')
    for (const l of lines) assert.match(l, /^::(error|warning|notice) /)
    const eventTypeLine = s.mappingsText.split('\n').findIndex((l) => l.trim().startsWith('"event_type"')) + 1
    const injected = lines.find((l) => l.includes('Line one'))!
    assert.ok(
      injected.startsWith(
        `::error file=${s.mappings.replace(/:/g, '%3A').replace(/,/g, '%2C')},line=${eventTypeLine},title=segamp renamed%3A Line one%0A%3A%3Aerror%3A%3Ainjected%2C 100%25 %3A) → Renamed Line one%0A%3A%3Aerror%3A%3Ainjected%2C 100%25 %3A)::`,
      ),
      injected,
    )
    assert.ok(injected.includes('::Classic sent "Line one\\n::error::injected, 100%25 :)"'), 'message names JSON-quoted, % in them escaped')
    assert.ok(!lines.some((l) => l.startsWith('::error::injected')))
    const hostile = lines.find((l) => l.includes('<img'))!
    assert.match(hostile, /^::error file=[^:]*,line=\d+,title=segamp renamed%3A <img src=x onerror=alert\(1\)> → Renamed <img/)
    assert.match(hostile, /in 3 messages/)
  })

  it('annotations: the 10 most frequent errors and warnings, and a notice counting the rest', () => {
    const item = (i: number, failing: boolean): CheckItem => ({
      kind: failing ? 'renamed' : 'properties',
      label: `E${i}`,
      classic: `E${i}`,
      actions: `E${i}`,
      count: i,
      failing,
      subscriptions: [],
      paths: [],
      examples: [],
      message: `m${i}`,
    })
    const items = [...Array.from({ length: 13 }, (_, i) => item(i + 1, true)), ...Array.from({ length: 12 }, (_, i) => item(i + 1, false))]
    const out = renderAnnotations(items)
    assert.equal(out.filter((l) => l.startsWith('::error ')).length, 10)
    assert.equal(out.filter((l) => l.startsWith('::warning ')).length, 10)
    assert.ok(out[0]!.endsWith('::m13'))
    assert.ok(out[9]!.endsWith('::m4'))
    assert.equal(
      out.at(-1),
      '::notice title=segamp%3A findings not annotated::3 more errors and 2 more warnings not annotated (GitHub shows 10 of each per step; the most frequent are shown): see the job summary and the reports',
    )
  })

  it('--format junit parses; one test case per finding, failures for the --fail-on kinds, counts as in the JSON report', async () => {
    const r = await runCli([...base, '--format', 'junit'])
    assert.equal(r.code, 1, r.stderr)
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(
      r.stdout,
    ) as {
      testsuites: {
        tests: string
        failures: string
        testsuite: Array<{ name: string; testcase: Array<{ name: string; classname: string; failure?: { message: string; '#text': string } }> }>
      }
    }
    const cases = xml.testsuites.testsuite.flatMap((t) => t.testcase)
    assert.equal(Number(xml.testsuites.tests), json.findings.length)
    assert.equal(cases.length, json.findings.length)
    const failing = json.findings.filter((f) => f.kind === 'renamed')
    assert.equal(Number(xml.testsuites.failures), failing.length)
    assert.equal(cases.filter((c) => c.failure !== undefined).length, failing.length)
    for (const f of json.findings) {
      const c = cases.find((x) => x.classname === `segamp.${f.kind}` && x.name === xmlSafe(findingLabel(f)))
      assert.ok(c, `a test case for ${f.kind} ${JSON.stringify(f.classic)}`)
    }
    const hostile = cases.find((c) => c.name === `${HOSTILE} → Renamed ${HOSTILE}`)!
    assert.ok(hostile.failure!['#text'].includes(`Classic /httpapi: {"user_id":"user-1234"`), 'examples in the failure text')
    assert.ok(
      cases.some((c) => c.name === 'Ends ]]\\u003e here → Renamed Ends ]]\\u003e here'),
      'CDATA end broken up',
    )
  })

  it('--format sarif validates against the SARIF 2.1.0 schema; rules per kind; locations on real lines', async () => {
    const r = await runCli([...base, '--format', 'sarif'])
    assert.equal(r.code, 1, r.stderr)
    const sarif = JSON.parse(r.stdout) as {
      version: string
      runs: Array<{
        tool: { driver: { rules: Array<{ id: string }> } }
        results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }>
      }>
    }
    const schema = JSON.parse(readFileSync('test/fixtures/sarif/sarif-schema-2.1.0.json', 'utf8')) as object
    const ajv = new Ajv04({ allErrors: true, strict: false })
    addFormats(ajv)
    const validate = ajv.compile(schema)
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5), null, 2))
    assert.equal(sarif.version, '2.1.0')
    const run = sarif.runs[0]!
    const kinds = [...new Set(json.findings.filter((f) => f.kind !== 'same').map((f) => f.kind))]
    assert.deepEqual(run.tool.driver.rules.map((x) => x.id).sort(), kinds.sort())
    assert.equal(run.results.length, json.findings.filter((f) => f.kind !== 'same').length)
    const lines = s.mappingsText.split('\n')
    for (const res of run.results) {
      const loc = res.locations[0]!.physicalLocation
      assert.ok(s.mappings.endsWith(decodeURIComponent(loc.artifactLocation.uri.split('/').pop()!)))
      const text = lines[loc.region.startLine - 1]
      assert.ok(text !== undefined, `line ${loc.region.startLine} exists`)
      if (res.ruleId === 'renamed') assert.equal(text.trim(), '"event_type": {')
      assert.equal(res.level, res.ruleId === 'renamed' ? 'error' : 'warning')
    }
  })

  it('locator: JSON by jsonc-parser offsets; Terraform resources, triggers and jsonencode keys', () => {
    const json = locatorFor(
      'm.json',
      '{\n  "subscriptions": [\n    {\n      "name": "A",\n      "trigger": "type = \\"track\\"",\n      "settings": {\n        "event_type": {"@path": "$.event"}\n      }\n    }\n  ]\n}\n',
    )
    assert.deepEqual(json.subscription('A', 'event_type'), { file: 'm.json', line: 7 })
    assert.deepEqual(json.subscription('A', 'nope'), { file: 'm.json', line: 5 })
    assert.equal(json.subscription('B'), undefined)
    assert.deepEqual(json.list(), { file: 'm.json', line: 2 })
    const tf = locatorFor(
      'a.tf',
      [
        'resource "segment_destination" "x" {',
        '  name = "Not a subscription"',
        '}',
        'resource "segment_destination_subscription" "a" {',
        '  name    = "A \\"quoted\\" $${x}"',
        '  trigger = "type = \\"track\\""',
        '  settings = jsonencode({',
        '    "event_type": { "@path": "$.event" },',
        '    user_id = { "@path" = "$.userId" }',
        '  })',
        '}',
      ].join('\n'),
    )
    assert.deepEqual(tf.subscription('A "quoted" ${x}', 'event_type'), { file: 'a.tf', line: 8 })
    assert.deepEqual(tf.subscription('A "quoted" ${x}', 'user_id'), { file: 'a.tf', line: 9 })
    assert.deepEqual(tf.subscription('A "quoted" ${x}'), { file: 'a.tf', line: 6 })
    assert.equal(tf.subscription('Not a subscription'), undefined)
    assert.deepEqual(tf.list(), { file: 'a.tf', line: 4 })
  })

  it('--sample N compares at most N messages; --report FORMAT=FILE writes more files; bad values are usage errors (exit 2)', async () => {
    const out = join(s.dir, 'sample')
    const r = await runCli([
      'diff-mappings',
      'examples/segment-logs',
      '--classic',
      'examples/classic-settings.json',
      '--sample',
      '50',
      '--format',
      'json',
      '--out',
      join(out, 'r.json'),
      '--report',
      `junit=${join(out, 'r.xml')}`,
      '--report',
      `markdown=${join(out, 'deep', 'r.md')}`,
      '--no-progress',
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as DiffReport).totals.messages, 50)
    assert.match(readFileSync(join(out, 'r.xml'), 'utf8'), /^<\?xml/)
    assert.match(readFileSync(join(out, 'deep', 'r.md'), 'utf8'), /^### segamp diff-mappings: /)
    const bad = await runCli(['diff-mappings', 'examples/segment-logs', '--report', 'pdf=x.pdf', '--no-progress'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--report pdf=x\.pdf: expected FORMAT=FILE with FORMAT one of table, json, markdown, github, junit, sarif, html/)
    const both = await runCli(['diff-mappings', 'examples/segment-logs', '--sample', '5', '--against', s.dir, '--no-progress'])
    assert.equal(both.code, 2)
    assert.match(both.stderr, /--sample: not with --against/)
    const noVerify = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--report', 'html=x.html'])
    assert.equal(noVerify.code, 2)
    assert.match(noVerify.stderr, /--report only means something with --verify ARCHIVE/)
  })

  it('step summary: under 1 MiB, examples cut first and said so', () => {
    const big = 'x'.repeat(20_000)
    const finding = (i: number): Finding => ({
      kind: 'properties',
      classic: `Event ${i}`,
      actions: `Event ${i}`,
      count: 1,
      paths: [{ path: 'event_properties.p', change: 'changed', count: 1 }],
      examples: [{ messageId: `m${i}`, file: 'a.ndjson', line: i, classic: [{ endpoint: '/httpapi', record: { event_type: `Event ${i}`, big } }], actions: [] }],
    })
    const report: DiffReport = {
      model: { classicMode: 'cloud', settings: {}, mappingsSource: 'presets' },
      totals: { messages: 200, classicEvents: 200, actionsEvents: 200, byKind: { dropped: 0, duplicated: 0, renamed: 0, revenue: 0, properties: 200, added: 0, same: 0 } },
      findings: Array.from({ length: 200 }, (_, i) => finding(i)),
    }
    const text = fitStepSummary((maxChars) => renderMarkdown(report, { failOn: [], maxChars }))
    assert.ok(Buffer.byteLength(text) < 1024 * 1024, `${Buffer.byteLength(text)} bytes`)
    assert.ok(Buffer.byteLength(text) > 500_000, 'uses the room it has')
    assert.match(text, /\| {2}\| properties \| `Event 199` \|/, 'every finding row kept')
    assert.match(text, /_Examples of \d+ more findings left out/)
  })
})

describe('GitHub Actions: a step summary file that cannot be written', () => {
  it('names $GITHUB_STEP_SUMMARY and its path (exit 2), and the step outputs (the verdict) are written first', async () => {
    const dir = tempDir('segamp-gh-summary-')
    writeFile(join(dir, 'not-a-dir'), '')
    const summary = join(dir, 'not-a-dir', 'summary.md')
    const outputs = writeFile(join(dir, 'outputs.txt'), '')
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--classic', 'examples/classic-settings.json', '--fail-on', 'renamed', '--no-progress'], {
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: outputs },
    })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: \$GITHUB_STEP_SUMMARY \(\S*summary\.md\): cannot append the job summary: /m)
    assert.match(r.stderr, /^Hint: /m)
    assert.match(readFileSync(outputs, 'utf8'), /^verdict=failed$/m)
  })
})
