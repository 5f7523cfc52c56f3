import { strict as assert } from 'node:assert'
import { migrateClassic } from '../../src/migrate/index.js'
import { verifyMigration } from '../../src/migrate/verify.js'
import { failingKinds } from '../../src/diff/index.js'
import { readFileSync, writeFileSync as require_write } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

/**
 * Issue 7 acceptance: for a matrix of Classic settings, the generated configuration run through
 * segamp's own Actions engine over the example archive yields the Classic emulation's event
 * names and counts (no renamed, dropped or duplicated finding).
 */
const MATRIX: Array<[string, Record<string, unknown>]> = [
  ['catalog defaults', { apiKey: 'k' }],
  ['trackAllPages', { apiKey: 'k', trackAllPages: true }],
  ['named + categorized pages', { apiKey: 'k', trackNamedPages: true, trackCategorizedPages: true }],
  ['no page tracking', { apiKey: 'k', trackNamedPages: false, trackCategorizedPages: false, trackAllPages: false }],
  ['trackRevenuePerProduct', { apiKey: 'k', trackRevenuePerProduct: true }],
  ['group type/value traits', { apiKey: 'k', groupTypeTrait: 'industry', groupValueTrait: 'name' }],
  ['sendAlias', { apiKey: 'k', sendAlias: true }],
  ['EU + batch endpoint', { apiKey: 'k', endpoint: 'europe', sendToBatchEndpoint: true }],
]

describe('migrate: generated configurations reproduce Classic on the example archive', function () {
  this.timeout(120_000)
  for (const [label, settings] of MATRIX) {
    it(`${label}: no renamed, dropped or duplicated events`, async () => {
      const migration = migrateClassic(settings, { names: 'classic' })
      const { report } = await verifyMigration({ inputs: ['examples/segment-logs'], classicSettings: settings, migration, examples: 1 })
      const failing = failingKinds(report, ['renamed', 'dropped', 'duplicated'])
      const detail = report.findings.filter((f) => ['renamed', 'dropped', 'duplicated'].includes(f.kind)).map((f) => `${f.kind} ${f.classic} → ${f.actions} (${f.count})`)
      assert.deepEqual(failing, [], detail.join('\n'))
      assert.equal(report.totals.messages, 588)
      // Same event names on both sides: every event finding pairs a name with itself; Actions adds
      // no event Classic did not send (only Group Identify User's /groupidentify record, by design).
      for (const f of report.findings) {
        if (f.classic !== null && !f.classic.startsWith('[')) assert.equal(f.actions, f.classic, `${f.kind}: ${f.classic} → ${f.actions}`)
        if (f.kind === 'added') assert.match(String(f.actions), /^\[group properties\] /, `added ${f.actions}`)
      }
    })
  }

  it('--names actions: Quick Setup names, with the observed renames in the rename map', async () => {
    const settings = { apiKey: 'k', trackNamedPages: true, trackCategorizedPages: true }
    const migration = migrateClassic(settings, { names: 'actions' })
    const { observedRenames } = await verifyMigration({ inputs: ['examples/segment-logs'], classicSettings: settings, migration, examples: 0 })
    const byClassic = Object.fromEntries(observedRenames.map((r) => [r.classic, r.actions]))
    assert.equal(byClassic['Viewed Home Page'], 'Viewed Home')
    assert.equal(byClassic['Viewed Marketing Pricing Page'], 'Viewed Pricing')
  })

  // Issue 10 item 11: --names actions --verify failed ("found renamed") on the renames it generates.
  it('--names actions --verify passes on its own renames, and again when given the CSV it wrote', async () => {
    const dir = tempDir()
    const csv = join(dir, 'renames.csv')
    const common = ['migrate', '--classic', 'examples/classic-settings.json', '--names', 'actions', '--verify', 'examples/segment-logs', '--out', join(dir, 'config.json')]
    const first = await runCli([...common, '--rename-map-out', csv])
    assert.equal(first.code, 0, first.stderr)
    assert.doesNotMatch(first.stderr, /found renamed/)
    assert.doesNotMatch(first.stdout, /^Renamed:/m)
    const rows = readFileSync(csv, 'utf8').trim().split('\n')
    assert.ok(rows.includes('Viewed Home Page,Viewed Home'), rows.join('\n'))
    assert.ok(rows.includes('Viewed Docs Analytics Page,Viewed Analytics'), rows.join('\n'))
    const second = await runCli([...common, '--rename-map', csv])
    assert.equal(second.code, 0, second.stderr)
    // A rename the naming rule does not explain is still a finding.
    const wrong = join(dir, 'wrong.csv')
    require_write(wrong, 'classic,actions\nViewed Home Page,Viewed Start\n')
    const third = await runCli([...common, '--rename-map', wrong])
    assert.equal(third.code, 1, third.stderr)
    assert.match(third.stderr, /found renamed/)
  })
})
