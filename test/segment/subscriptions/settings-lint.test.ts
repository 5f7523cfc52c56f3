/**
 * A user copies examples/github/actions-mappings.json and edits it. Every slip Segment's validator
 * lets through (a field the action does not have, a required field left out or empty, an unclosed
 * `{{`, an `@if` without its condition, `"enabled": "false"`, a misspelt `settings`) is an error or a
 * warning naming the JSON path in the file, never a silent difference in the records sent.
 */
import { strict as assert } from 'node:assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadMappings, MappingFileError } from '../../../src/segment/subscriptions/index.js'
import { ROOT, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'github', 'actions-mappings.json')

type Doc = { subscriptions: Array<Record<string, unknown> & { settings: Record<string, unknown> }> }

/** The example configuration with `edit` applied to its first subscription (Track Calls, logEventV2), written to a file. */
function edited(edit: (first: Doc['subscriptions'][number]) => void, name = 'mappings.json', index = 0): string {
  const doc = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Doc
  edit(doc.subscriptions[index]!)
  const file = join(tempDir(), name)
  writeFileSync(file, JSON.stringify(doc, null, 2))
  return file
}

async function warningsOf(file: string): Promise<string[]> {
  return (await loadMappings(file)).warnings
}

describe('mapping files: what Segment accepts but the user did not mean', () => {
  it('the example and the presets as they are: no warning', async () => {
    assert.deepEqual(await warningsOf(EXAMPLE), [])
    assert.deepEqual((await loadMappings()).warnings, [])
  })

  it('a field the action does not have is named with its JSON path and the nearest field', async () => {
    const w = await warningsOf(edited((s) => (s.settings.event_typ = { '@path': '$.event' })))
    assert.deepEqual(w, [
      'Track Calls: /subscriptions/0/settings/event_typ: Log Event V2 (logEventV2) has no field "event_typ" (did you mean "event_type"?); Segment ignores it, so no record carries it: rename it to "event_type" or remove it',
    ])
    const utm = await warningsOf(
      edited(
        (s) => {
          const u = s.settings.utm_properties as Record<string, unknown>
          u.utm_sourc = u.utm_source
          delete u.utm_source
        },
        'mappings.json',
        1,
      ),
    )
    assert.deepEqual(utm, [
      'Order Completed Calls: /subscriptions/1/settings/utm_properties/utm_sourc: UTM Properties has no property "utm_sourc" (did you mean "utm_source"?); its properties are utm_source, utm_medium, utm_campaign, utm_term, utm_content',
    ])
    const far = await warningsOf(edited((s) => (s.settings.colour = { '@path': '$.properties.colour' })))
    assert.match(
      far[0]!,
      /^Track Calls: \/subscriptions\/0\/settings\/colour: Log Event V2 \(logEventV2\) has no field "colour"; .* rename it to one of the action's fields or remove it$/,
    )
  })

  it('a required field left out or empty says every matched message will be dead-lettered, with the default to map', async () => {
    for (const [edit, how] of [
      [(s: Doc['subscriptions'][number]) => delete s.settings.event_type, 'missing'],
      [(s: Doc['subscriptions'][number]) => (s.settings.event_type = ''), 'empty'],
    ] as const) {
      assert.deepEqual(await warningsOf(edited(edit)), [
        `Track Calls: /subscriptions/0/settings/event_type: Log Event V2 requires "event_type" (Event Type) and it is ${how}, so every message the trigger matches fails the action's schema and is dead-lettered, never sent (as Segment would not send it); map it, e.g. "event_type": {"@path":"$.event"}`,
      ])
    }
  })

  it('an @template with a {{ no }} closes, an @if without exists or blank', async () => {
    const w = await warningsOf(
      edited((s) => {
        s.settings.event_type = { '@template': 'Viewed {{properties.name}' }
        s.settings.device_id = { '@if': { exits: { '@path': '$.context.device.id' }, then: { '@path': '$.context.device.id' }, else: { '@path': '$.anonymousId' } } }
      }),
    )
    assert.deepEqual(w, [
      'Track Calls: /subscriptions/0/settings/device_id/@if: has neither "exists" nor "blank" ("exits": did you mean "exists"?), so it resolves to nothing for every message; give the condition as "exists": {"@path": …}',
      'Track Calls: /subscriptions/0/settings/event_type/@template: "Viewed {{properties.name}" has a {{ at character 8 that no }} closes ("{{properties.name}"): Segment sends that text as written, not a value of the message; close it, e.g. {{event}} or {{properties.name}}',
    ])
    assert.deepEqual(await warningsOf(edited((s) => (s.settings.event_type = { '@template': '{{{event}}} on {{ context.page.path }}' }))), [])
  })

  it('"enabled": "false", a misspelt "settings" or "Enabled", and a directive error are errors at their JSON path in the file', async () => {
    const problems = async (file: string): Promise<string[]> => {
      const error = await loadMappings(file).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      )
      assert.ok(error instanceof MappingFileError)
      return error.problems.map((p) => `${p.path} ${p.message}`)
    }
    assert.deepEqual(await problems(edited((s) => (s.enabled = 'false'))), ['/subscriptions/0/enabled must be true or false, without quotes (got "false")'])
    assert.deepEqual(
      await problems(
        edited((s) => {
          s.setings = s.settings
          delete (s as Record<string, unknown>).settings
        }),
      ),
      ['/subscriptions/0/setings is not a key of a subscription: did you mean "settings"? (the subscription has none, so it would run without it)'],
    )
    assert.deepEqual(
      await problems(
        edited((s) => {
          delete s.enabled
          s.Enabled = false
        }),
      ),
      ['/subscriptions/0/Enabled is not a key of a subscription: did you mean "enabled"? (the subscription has none, so it would run without it)'],
    )
    assert.deepEqual(await problems(edited((s) => (s.settings.event_type = { '@paht': '$.event' }))), [
      '/subscriptions/0/settings/event_type has an invalid directive: @paht (did you mean @path? the directives are @if, @case, @replace, @arrayPath, @path, @json, @flatten, @merge, @template, @literal, @transform, @excludeWhenNull, @liquid)',
    ])
  })

  it('a YAML mapping file is named as YAML; a BOM and CRLF line ends are read as the same configuration', async () => {
    const dir = tempDir()
    const yaml = join(dir, 'mappings.yml')
    writeFileSync(yaml, 'subscriptions:\n  - name: Track Calls\n    actionSlug: logEventV2\n')
    await assert.rejects(loadMappings(yaml), (e: unknown) => e instanceof MappingFileError && /a YAML file: mapping files are JSON; convert it/.test(e.message))
    const text = readFileSync(EXAMPLE, 'utf8')
    const windows = join(dir, 'windows.json')
    writeFileSync(windows, '\ufeff' + text.replace(/\n/g, '\r\n'))
    const [a, b] = [await loadMappings(EXAMPLE), await loadMappings(windows)]
    assert.deepEqual(
      b.subscriptions.map((s) => s.mapping),
      a.subscriptions.map((s) => s.mapping),
    )
    assert.deepEqual(b.warnings, [])
  })

  it('a Terraform file: the findings name its file:line, not a JSON path it does not have', async () => {
    const tf = readFileSync(join(ROOT, 'examples', 'github', 'amplitude.tf'), 'utf8')
    assert.deepEqual(await warningsOf(join(ROOT, 'examples', 'github', 'amplitude.tf')), [])
    const file = join(tempDir(), 'amplitude.tf')
    writeFileSync(file, tf.replace('"event_type": {', '"event_typ": {'))
    const lines = tf.split('\n')
    const trackCalls = lines.findIndex((l) => l.includes('"Track Calls"'))
    const settingsLine = lines.findIndex((l, i) => i > trackCalls && /^\s*settings\s*=/.test(l)) + 1
    const w = await warningsOf(file)
    assert.match(
      w[0]!,
      new RegExp(
        `^Track Calls: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${settingsLine} settings/event_typ: Log Event V2 \\(logEventV2\\) has no field "event_typ" \\(did you mean "event_type"\\?\\)`,
      ),
    )
  })

  it('CLI: replay --dry-run prints the warning before anything is read; "enabled": "false" is exit 2 with nothing read', async () => {
    const file = edited((s) => (s.settings.event_type = { '@template': '{{event' }))
    const r = await runCli(['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--no-progress', '--mappings', file, '--state-dir', join(tempDir(), 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: Track Calls: \/subscriptions\/0\/settings\/event_type\/@template: "\{\{event" has a \{\{ at character 1 that no \}\} closes/)
    const off = await runCli(['replay', join(ROOT, 'examples', 'segment-logs'), '--dry-run', '--no-progress', '--mappings', edited((s) => (s.enabled = 'false'))])
    assert.equal(off.code, 2, off.stderr)
    assert.match(off.stderr, /Track Calls: \/subscriptions\/0\/enabled must be true or false, without quotes \(got "false"\)/)
    assert.doesNotMatch(off.stdout + off.stderr, /Replay finished/)
  })
})
