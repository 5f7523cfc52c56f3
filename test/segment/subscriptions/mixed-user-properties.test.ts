/**
 * User properties that mix plain keys with operations: worded as Amplitude documents it (no
 * "rejects"), accepted and counted by the sandbox, counted per replay and reported once at the
 * end, noted per configuration by `inspect`, and silent on the default example run.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { countMixedUserProperties, MIXED_EFFECT, mixedUserPropertiesSummary } from '../../../src/segment/subscriptions/mixed-user-properties.js'
import { carriesMixedUserProperties } from '../../../src/amplitude/user-properties.js'
import { startSandbox, type Sandbox } from '../../../src/amplitude/sandbox/index.js'
import { ROOT, runCli } from '../../helpers/cli.js'
import { ndjson, tempDir, writeFile } from '../../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

function identify(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'identify',
    messageId: `mx-${i}`,
    userId: `user-${1000 + i}`,
    anonymousId: `anon-${1000 + i}`,
    timestamp: `2024-05-06T00:00:0${i}.000Z`,
    traits: { plan: 'pro' },
    ...extra,
  }
}

describe('mixed user properties', () => {
  it('a record mixes only when user_properties holds both plain keys and $-operations', () => {
    assert.equal(carriesMixedUserProperties({ user_properties: { plan: 'pro', $set: { utm_source: 'x' } } }), true)
    assert.equal(carriesMixedUserProperties({ user_properties: { plan: 'pro' } }), false)
    assert.equal(carriesMixedUserProperties({ user_properties: { $set: { plan: 'pro' }, $setOnce: { a: 1 } } }), false)
    assert.equal(carriesMixedUserProperties({ event_type: 'x' }), false)
    assert.equal(countMixedUserProperties([{ record: { record: { user_properties: { a: 1, $add: { n: 1 } } } } }, { record: { record: { user_properties: { a: 1 } } } }]), 1)
    assert.equal(mixedUserPropertiesSummary(0), '')
  })

  it('no message says Amplitude "rejects" a mixed object (its docs name no error for it)', () => {
    assert.doesNotMatch(MIXED_EFFECT, /reject/i)
    assert.doesNotMatch(mixedUserPropertiesSummary(3), /reject/i)
    assert.match(mixedUserPropertiesSummary(1234), /^Note: 1,234 event\(s\) carried plain user_properties next to \$set\/\$setOnce operations\. /)
  })

  describe('sandbox', () => {
    let sandbox: Sandbox
    beforeEach(async () => {
      sandbox = await startSandbox()
    })
    afterEach(async () => sandbox.close())

    it('accepts a mixed event and a mixed identification, as Amplitude documents no error, and counts them', async () => {
      const mixed = { plan: 'pro', $setOnce: { initial_referrer: 'https://a.example' } }
      const ev = await fetch(`${sandbox.url}/2/httpapi`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          api_key: 'k',
          events: [
            { event_type: 'A', user_id: 'user-12345', user_properties: mixed },
            { event_type: 'B', user_id: 'user-12345', user_properties: { plan: 'x' } },
          ],
        }),
      })
      assert.equal(ev.status, 200)
      assert.equal(((await ev.json()) as { events_ingested: number }).events_ingested, 2)
      const id = await fetch(`${sandbox.url}/identify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ api_key: 'k', identification: JSON.stringify([{ user_id: 'user-12345', user_properties: mixed }]) }).toString(),
      })
      assert.equal(id.status, 200)
      assert.equal(sandbox.stats().mixedUserProperties, 2)
      assert.equal(sandbox.events.length, 2)
      assert.equal(sandbox.identifications.length, 1)
    })
  })

  it('replay counts the events that carried both and says so once, at the end; no per-run configuration warning', async () => {
    const dir = tempDir('segamp-mixed-')
    const archive = writeFile(
      join(dir, 'a.ndjson'),
      ndjson([
        identify(1, { context: { campaign: { source: 'newsletter', name: 'may' } } }),
        identify(2, { context: { page: { referrer: 'https://ref.example/x' } } }),
        identify(3),
        identify(4, { traits: {}, context: { campaign: { source: 'ads' } } }),
      ]),
    )
    const r = await runCli(['replay', archive, '--sandbox', '--no-progress', '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /Warning/)
    const lines = r.stderr.split('\n').filter((l) => /carried plain user_properties/.test(l))
    assert.deepEqual(lines, [mixedUserPropertiesSummary(2)])
    // After the tables: the last thing before the state line.
    assert.ok(r.stderr.indexOf(lines[0]!) > r.stderr.indexOf('By subscription'))
    assert.match(r.stdout, /Accepted with plain user_properties mixed with operations: 2 /)
    const json = await runCli(['replay', archive, '--sandbox', '--json', '--state-dir', join(dir, 'state2')])
    assert.equal(JSON.parse(json.stdout).mixedUserProperties, 2)
  })

  it('the default sandbox run of the example prints no warning; the events that mixed are counted once, at the end', async () => {
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--no-progress', '--state-dir', tempDir('segamp-mixed-ex-')], { timeoutMs: 90_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /Warning|warn/i)
    assert.match(r.stderr, /^Replay finished$/m)
    // Nothing about user properties before the summary (no per-run configuration lines).
    assert.doesNotMatch(r.stderr.slice(0, r.stderr.indexOf('Replay finished')), /user_properties/)
    // The example's identify calls with traits and a referrer or campaign do mix: the replay's count
    // (from the records it built) equals the sandbox's (from what it received).
    const sandboxCount = Number(/Accepted with plain user_properties mixed with operations: (\d+) /.exec(r.stdout)?.[1])
    assert.ok(sandboxCount > 0, r.stdout)
    const notes = r.stderr.split('\n').filter((l) => l.includes('user_properties'))
    assert.deepEqual(notes, [mixedUserPropertiesSummary(sandboxCount)])
  })

  it('inspect keeps the configuration note (stderr), worded without "rejects"', async () => {
    const r = await runCli(['inspect', EXAMPLE, '--no-progress', '--state-dir', tempDir('segamp-mixed-in-')])
    assert.equal(r.code, 0, r.stderr)
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('Note: '))
    assert.deepEqual(
      notes.map((l) => l.slice(6, l.indexOf(':', 6))),
      ['Track Calls, Page Calls, Screen Calls', 'Order Completed Calls, Identify Calls'],
    )
    for (const l of notes) {
      assert.ok(l.includes(MIXED_EFFECT), l)
      assert.doesNotMatch(l, /reject/i)
    }
    assert.doesNotMatch(r.stdout, /Note:/)
  })
})
