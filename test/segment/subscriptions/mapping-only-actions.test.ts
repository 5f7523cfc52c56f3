/**
 * `replay --only` naming an action the configuration lacks (groupIdentifyUser, mapUser with the
 * Quick Setup presets): the action is added as Segment's UI adds it, and the README's
 * "purchases and groups" example really sends group identifications.
 */
import { strict as assert } from 'node:assert'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { loadMappings, selectOnlyActions } from '../../../src/segment/subscriptions/index.js'
import { ACTIONS, defaultValues } from '../../../src/segment/actions-amplitude/index.js'
import { UsageError } from '../../../src/pipeline/route/filters.js'
import { startSandbox, type Sandbox } from '../../../src/amplitude/sandbox/index.js'
import { ROOT, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

/** Every message of the example archive (gzip NDJSON files under the day folders). */
function exampleMessages(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else for (const line of gunzipSync(readFileSync(p)).toString('utf8').split('\n')) if (line.trim()) out.push(JSON.parse(line))
    }
  }
  walk(EXAMPLE)
  return out
}

describe('--only adds an action the configuration lacks', () => {
  it('adds groupIdentifyUser with its default trigger and field defaults, keeps the named preset, drops the rest', async () => {
    const presets = await loadMappings()
    const { loaded, notes } = selectOnlyActions(presets, ['logPurchase', 'groupIdentifyUser'])
    assert.deepEqual(
      loaded.subscriptions.map((s) => [s.name, s.actionSlug, s.trigger]),
      [
        ['Order Completed Calls', 'logPurchase', 'type = "track" and event = "Order Completed"'],
        ['Group Identify User', 'groupIdentifyUser', 'type = "group"'],
      ],
    )
    const group = loaded.subscriptions[1]!
    assert.equal(ACTIONS.groupIdentifyUser.defaultSubscription, 'type = "group"')
    // Every field default, plus the two required fields Segment leaves empty.
    assert.deepEqual(group.mapping, { ...defaultValues('groupIdentifyUser'), group_type: '[Segment] Group', group_value: { '@path': '$.groupId' } })
    assert.deepEqual(notes, [
      '--only groupIdentifyUser: the presets have no Group Identify User subscription; added one as Segment\'s UI does: trigger type = "group", field defaults (and group_type "[Segment] Group", group_value groupId)',
    ])
  })

  it('adds mapUser with trigger type = "alias" and its defaults; an action already present adds nothing', async () => {
    const { loaded, notes } = selectOnlyActions(await loadMappings(), ['mapUser', 'identifyUser'])
    assert.deepEqual(
      loaded.subscriptions.map((s) => [s.name, s.actionSlug, s.trigger, s.mapping]),
      [
        ['Identify Calls', 'identifyUser', 'type = "identify"', defaultValues('identifyUser')],
        ['Map User', 'mapUser', 'type = "alias"', { user_id: { '@path': '$.previousId' }, global_user_id: { '@path': '$.userId' } }],
      ],
    )
    assert.equal(notes.length, 1)
    assert.match(notes[0]!, /^--only mapUser: the presets have no Map User subscription; added one .*trigger type = "alias", field defaults$/)
  })

  it('an unknown slug is a usage error naming the valid ones', async () => {
    assert.throws(
      () => selectOnlyActions({ source: 'presets', subscriptions: [], skipped: [], warnings: [], notes: [] }, ['logPurchase', 'groupIdentify']),
      (e: unknown) => {
        assert.ok(e instanceof UsageError)
        assert.match((e as Error).message, /^--only groupIdentify: not an Actions Amplitude action \(one of logEvent, .*groupIdentifyUser/)
        return true
      },
    )
  })

  describe('the README example on the example archive', () => {
    let sandbox: Sandbox
    before(async () => {
      sandbox = await startSandbox({ apiKeys: ['only-test-key-0123456789'] })
    })
    after(async () => sandbox.close())

    it('replay --only logPurchase,groupIdentifyUser sends one group identification per group call, and says what it added', async () => {
      const messages = exampleMessages()
      // The example routes some calls away from Amplitude (integrations flags): those are filtered.
      const routed = (m: Record<string, unknown>) => {
        const i = (m.integrations ?? {}) as Record<string, unknown>
        return !(i.All === false && !i.Amplitude && !i['Actions Amplitude']) && i.Amplitude !== false && i['Actions Amplitude'] !== false
      }
      const groups = messages.filter((m) => m.type === 'group' && routed(m))
      assert.ok(groups.length > 50, `the example has group calls (${groups.length})`)
      const state = tempDir('segamp-only-state-')
      const r = await runCli(
        [
          'replay',
          EXAMPLE,
          '--only',
          'logPurchase,groupIdentifyUser',
          '--endpoint-url',
          sandbox.url,
          '--api-key',
          'only-test-key-0123456789',
          '--yes',
          '--no-progress',
          '--state-dir',
          state,
        ],
        { timeoutMs: 90_000 },
      )
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /--only groupIdentifyUser: the presets have no Group Identify User subscription; added one/)
      const paths = new Set(sandbox.requests.map((q) => q.path))
      assert.ok(paths.has('/groupidentify'), `sandbox paths: ${[...paths].join(', ')}`)
      assert.equal(sandbox.groupIdentifications.length, groups.length)
      assert.deepEqual(sandbox.groupIdentifications.map((g) => [g.group_type, g.group_value]).sort(), groups.map((g) => ['[Segment] Group', g.groupId]).sort())
      // Group properties come from the call's traits (the field default).
      const first = groups[0]!
      const sent = sandbox.groupIdentifications.find((g) => g.group_value === first.groupId && JSON.stringify(g.group_properties) === JSON.stringify(first.traits))
      assert.ok(sent, `group_properties of ${String(first.groupId)}: ${JSON.stringify(sandbox.groupIdentifications.slice(0, 2))}`)
      // The user is associated with the group through /identify.
      assert.ok(sandbox.identifications.some((i) => JSON.stringify(i.groups) === JSON.stringify({ '[Segment] Group': first.groupId })))
      // And the purchases went out too.
      assert.ok(sandbox.events.some((e) => e.event.event_type === 'Order Completed'))
    })

    it('the same command with --sandbox reports the group identifications it ingested', async () => {
      const r = await runCli(['replay', EXAMPLE, '--sandbox', '--only', 'logPurchase,groupIdentifyUser', '--no-progress', '--state-dir', tempDir('segamp-only-sb-')], {
        timeoutMs: 90_000,
      })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`group identifications: ${sandbox.groupIdentifications.length};`))
    })
  })
})
