/**
 * Issue 26: a Terraform file is a mappings file. `diff-mappings --mappings amplitude.tf` reads the
 * segment_destination_subscription resources `migrate --format terraform` writes, exactly as
 * generated (names and triggers with `${`, `%{` and quotes included); what it cannot read is
 * named with its file:line.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrateClassic, type Subscription } from '../../../src/migrate/index.js'
import { renderTerraform } from '../../../src/migrate/terraform.js'
import { readTerraformDocument } from '../../../src/segment/subscriptions/terraform.js'
import { loadMappings, MappingFileError } from '../../../src/segment/subscriptions/index.js'
import { tempDir, writeFile } from '../../helpers/files.js'

const CLASSIC = JSON.parse(readFileSync('examples/classic-settings.json', 'utf8')) as Record<string, unknown>

describe('Terraform files as mappings files', () => {
  it('reads back every subscription migrate --format terraform wrote, values unchanged', () => {
    const result = migrateClassic({ ...CLASSIC, groupTypeTrait: 'industry', groupValueTrait: 'name', sendAlias: true }, { names: 'classic' })
    const odd: Subscription = {
      name: 'Odd "${name}" %{x} \\ name',
      actionSlug: 'logEventV2',
      enabled: false,
      trigger: 'type = "track" and event = "${literal} %{y}"',
      settings: { event_type: { '@template': '${{event}} %{z}' } },
    }
    const subscriptions = [...result.subscriptions, odd]
    const text = renderTerraform({ endpoint: 'north_america', subscriptions, origin: 'a test' })
    const { doc, problems } = readTerraformDocument(text, 'amplitude.tf')
    assert.deepEqual(problems, [])
    assert.deepEqual(
      doc.subscriptions,
      subscriptions.map((s) => ({ name: s.name, actionSlug: s.actionSlug, enabled: s.enabled, trigger: s.trigger, settings: s.settings })),
    )
  })

  it('loadMappings takes a .tf file; what it cannot read is listed with file:line', async () => {
    const dir = tempDir()
    const result = migrateClassic(CLASSIC, { names: 'classic' })
    const good = writeFile(join(dir, 'amplitude.tf'), renderTerraform({ endpoint: 'north_america', subscriptions: result.subscriptions, origin: 'a test' }))
    const loaded = await loadMappings(good)
    assert.deepEqual(
      loaded.subscriptions.map((s) => s.name),
      result.subscriptions.filter((s) => s.enabled).map((s) => s.name),
    )
    const bad = writeFile(
      join(dir, 'bad.tf'),
      [
        'resource "segment_destination_subscription" "x" {',
        '  name      = "X"',
        '  enabled   = maybe',
        '  action_id = "a1b2c3"',
        '  trigger   = "type = \\"track\\""',
        '  settings  = jsonencode({ event_type = { "@path" = "$.event" } })',
        '}',
      ].join('\n'),
    )
    await assert.rejects(loadMappings(bad), (e: unknown) => {
      assert.ok(e instanceof MappingFileError)
      assert.deepEqual(
        e.problems.map((p) => `${p.path}: ${p.message}`),
        [
          `enabled: must be true or false (${bad}:3)`,
          `action_id: must be local.amplitude_action_ids["<action slug>"], as segamp migrate --format terraform writes it (${bad}:4)`,
          `settings: must be jsonencode(<JSON object>), as segamp migrate --format terraform writes it (${bad}:6)`,
        ],
      )
      return true
    })
  })
})
