/** Flag combinations that would do nothing are usage errors (exit 2) with a message, not silent no-ops. */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('replay: flag combinations that do nothing are rejected', () => {
  it('--out without --dry-run: exit 2, names --dry-run, writes nothing', async () => {
    const dir = tempDir('segamp-flags-')
    const out = join(dir, 'requests.ndjson')
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--out', out, '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--out: --dry-run|when using --out: --dry-run/)
    assert.equal(existsSync(out), false)
    assert.equal(existsSync(join(dir, 'state')), false)
  })

  it('--out with --dry-run still writes the requests', async () => {
    const dir = tempDir('segamp-flags-')
    const out = join(dir, 'requests.ndjson')
    const r = await runCli(['replay', EXAMPLE, '--dry-run', '--out', out, '--no-progress', '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(existsSync(out))
  })

  it('--sandbox --dry-run: exit 2, says they cannot be combined', async () => {
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--dry-run', '--state-dir', join(tempDir('segamp-flags-'), 'state')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--dry-run=true cannot also be provided when using --sandbox/)
    assert.doesNotMatch(r.stdout, /Sandbox ingested/)
  })

  for (const [label, doc] of [
    ['{"subscriptions":[]}', { subscriptions: [] }],
    ['an empty preset list', []],
    ['only disabled subscriptions', { subscriptions: [{ name: 'Off', actionSlug: 'logEvent', trigger: 'type = "track"', enabled: false, settings: {} }] }],
  ] as const) {
    for (const command of ['replay', 'inspect', 'diff-mappings']) {
      it(`${command} --mappings with ${label}: usage error naming the file`, async () => {
        const dir = tempDir('segamp-flags-')
        const file = join(dir, 'mappings.json')
        writeFileSync(file, JSON.stringify(doc))
        const extra = {
          replay: ['--sandbox', '--no-progress', '--state-dir', join(dir, 'state')],
          inspect: ['--no-progress', '--state-dir', join(dir, 'state')],
          'diff-mappings': [],
        }[command]!
        const r = await runCli([command, EXAMPLE, '--mappings', file, ...extra])
        assert.equal(r.code, 2, r.stderr + r.stdout)
        const text = r.stderr.replace(/\s*›\s*/g, ' ')
        assert.ok(text.includes(file), text)
        assert.match(text, /has no enabled subscription.*every message would be filtered/)
      })
    }
  }
})

describe('diff-mappings and migrate: two outputs, or an output and an input, on one file', () => {
  // The later write replaced the earlier with exit 0: a JUnit file CI then read as SARIF, or the
  // generated configuration replaced by the verification's Markdown.
  const CLASSIC = join(ROOT, 'examples', 'classic-settings.json')

  it('diff-mappings --out and --report, or two --report, naming one file: exit 2 naming both, nothing written', async () => {
    const dir = tempDir('segamp-same-file-')
    const f = join(dir, 'segamp.xml')
    for (const args of [
      ['--format', 'junit', '--out', f, '--report', `sarif=${f}`],
      ['--report', `html=${f}`, '--report', `sarif=${join(dir, '.', 'segamp.xml')}`],
    ]) {
      const r = await runCli(['diff-mappings', EXAMPLE, ...args])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, /^Error: .*segamp\.xml .*segamp\.xml: the same file twice; the second write would replace the first$/m)
      assert.match(r.stderr, /^Hint: Give each report a file of its own/m)
      assert.equal(existsSync(f), false)
    }
  })

  it('an output over an input (--mappings, --classic): exit 2, the input untouched', async () => {
    const dir = tempDir('segamp-same-file-')
    const mappings = join(dir, 'actions.json')
    writeFileSync(mappings, readFileSync(join(ROOT, 'examples', 'github', 'actions-mappings.json')))
    const before = readFileSync(mappings, 'utf8')
    const r = await runCli(['diff-mappings', EXAMPLE, '--mappings', mappings, '--report', `json=${mappings}`])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--report json=\S*actions\.json would write over --mappings \S*actions\.json, which this command reads/)
    assert.equal(readFileSync(mappings, 'utf8'), before)
  })

  it('migrate --out and --report naming one file: exit 2, no configuration replaced by a report', async () => {
    const dir = tempDir('segamp-same-file-')
    const out = join(dir, 'actions-config.json')
    const r = await runCli(['migrate', '--classic', CLASSIC, '--out', out, '--verify', EXAMPLE, '--report', `markdown=${out}`])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: --out \S*actions-config\.json and --report markdown=\S*actions-config\.json: the same file twice/m)
    assert.equal(existsSync(out), false)
    const csv = await runCli(['migrate', '--classic', CLASSIC, '--names', 'actions', '--out', out, '--rename-map-out', out])
    assert.equal(csv.code, 2, csv.stderr)
    assert.equal(existsSync(out), false)
  })
})

describe('migrate --rename-map-out without a rename map', () => {
  it('--names classic (the default) keeps the Classic names: exit 2 naming --names actions, instead of exit 0 and no file', async () => {
    const dir = tempDir('segamp-renames-')
    const csv = join(dir, 'renames.csv')
    const r = await runCli(['migrate', '--classic', join(ROOT, 'examples', 'classic-settings.json'), '--out', join(dir, 'config.json'), '--rename-map-out', csv])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^Error: --rename-map-out: with --names classic .*no rename map to write/m)
    assert.match(r.stderr, /^Hint: Add --names actions/m)
    assert.equal(existsSync(csv), false)
    // With --names actions it is written.
    const ok = await runCli([
      'migrate',
      '--classic',
      join(ROOT, 'examples', 'classic-settings.json'),
      '--names',
      'actions',
      '--out',
      join(dir, 'config.json'),
      '--rename-map-out',
      csv,
    ])
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(readFileSync(csv, 'utf8'), /^classic,actions\n/)
  })
})
