/**
 * Issue 17: `migrate --format json` writes references to the Amplitude keys, not the keys, unless
 * --include-secrets; and the README's migrate example runs on the shipped example settings.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const SETTINGS = JSON.parse(readFileSync('examples/classic-settings.json', 'utf8'))

describe('migrate --format json: secrets', function () {
  this.timeout(60_000)

  it('writes ${AMPLITUDE_API_KEY} / ${AMPLITUDE_SECRET_KEY} by default and says how to fill them', async () => {
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!r.stdout.includes(SETTINGS.apiKey) && !r.stdout.includes(SETTINGS.secretKey), 'no key value in the output')
    const cfg = JSON.parse(r.stdout)
    assert.deepEqual(cfg.destination.settings, { apiKey: '${AMPLITUDE_API_KEY}', secretKey: '${AMPLITUDE_SECRET_KEY}', endpoint: 'north_america' })
    assert.equal(cfg.report.find((l: { setting: string }) => l.setting === 'apiKey').value, '${AMPLITUDE_API_KEY}')
    assert.match(r.stderr, /--include-secrets/)
    // Written to stdout: the example reads the pipe, and names no file the user never wrote.
    assert.match(r.stderr, /e\.g\. segamp migrate … \| AMPLITUDE_API_KEY=… AMPLITUDE_SECRET_KEY=… envsubst '\$AMPLITUDE_API_KEY \$AMPLITUDE_SECRET_KEY' > actions-config\.json;/)
    assert.doesNotMatch(r.stderr, /< actions-config\.json/)
    // The hint's command fills the keys and leaves the mappings' $set/$setOnce keys alone.
    const cmd = /envsubst '([^']+)'/.exec(r.stderr)
    assert.ok(cmd, r.stderr)
    let filled: string
    try {
      filled = execFileSync('envsubst', [cmd[1]!], { input: r.stdout, env: { ...process.env, AMPLITUDE_API_KEY: 'k1', AMPLITUDE_SECRET_KEY: 's1' } }).toString()
    } catch {
      return // no envsubst on this machine (gettext-base): the reference format is checked above
    }
    const back = JSON.parse(filled)
    assert.deepEqual(back.destination.settings, { apiKey: 'k1', secretKey: 's1', endpoint: 'north_america' })
    assert.deepEqual(back.subscriptions, cfg.subscriptions)
  })

  it('--out FILE: the example fills that file (a path with a space quoted for the shell)', async () => {
    const out = join(tempDir(), 'cfg.json')
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.stderr.includes(`envsubst '$AMPLITUDE_API_KEY $AMPLITUDE_SECRET_KEY' < ${out};`), r.stderr)
    assert.doesNotMatch(r.stderr, /segamp migrate … \|/)
    const spaced = join(tempDir(), 'my config.json')
    const s = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--out', spaced])
    assert.equal(s.code, 0, s.stderr)
    assert.ok(s.stderr.includes(`< '${spaced}';`), s.stderr)
  })

  it('--include-secrets writes the values', async () => {
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--include-secrets'])
    assert.equal(r.code, 0, r.stderr)
    const cfg = JSON.parse(r.stdout)
    assert.deepEqual(cfg.destination.settings, { apiKey: SETTINGS.apiKey, secretKey: SETTINGS.secretKey, endpoint: 'north_america' })
    assert.doesNotMatch(r.stderr, /envsubst/)
  })

  it('rejects flag combinations that do nothing', async () => {
    for (const args of [['--apply'], ['--yes'], ['--prune'], ['--format', 'terraform', '--include-secrets'], ['--enable']]) {
      const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', ...args])
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      // Each says what to do instead, not only "see --help".
      assert.doesNotMatch(r.stderr, /Hint: Run `segamp migrate --help`/, `${args.join(' ')}: ${r.stderr}`)
    }
    const neither = await runCli(['migrate'])
    assert.equal(neither.code, 2)
    assert.match(neither.stderr, /--classic FILE .* or --from-segment DESTINATION_ID/)
    assert.match(neither.stderr, /^Hint: e\.g\. segamp migrate --classic examples\/classic-settings\.json/m)
  })
})

describe('migrate --out and --rename-map-out into a folder that does not exist yet', function () {
  this.timeout(60_000)
  it('makes the folders, as diff-mappings --out and --report do (the README writes infra/segment/amplitude.tf)', async () => {
    const root = tempDir('segamp-migrate-out-')
    const tf = join(root, 'infra', 'segment', 'amplitude.tf')
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--format', 'terraform', '--out', tf])
    assert.equal(r.code, 0, r.stderr)
    assert.match(readFileSync(tf, 'utf8'), /resource "segment_destination_subscription"/)
    const cfg = join(root, 'out', 'actions-config.json')
    const csv = join(root, 'maps', 'renames.csv')
    const r2 = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--names', 'actions', '--out', cfg, '--rename-map-out', csv])
    assert.equal(r2.code, 0, r2.stderr)
    assert.ok(JSON.parse(readFileSync(cfg, 'utf8')).subscriptions.length > 0)
    assert.match(readFileSync(csv, 'utf8'), /^classic,actions\n/)
  })
})
