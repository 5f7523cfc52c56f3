/**
 * Issue 16: `migrate --from-segment`, `--apply` and `--format terraform`, over real HTTP against a
 * local stand-in for Segment's Public API (test/helpers/segment-public-api.ts).
 */
import { strict as assert } from 'node:assert'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliResult } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { FakeSegmentApi, ACTIONS_METADATA_ID } from '../helpers/segment-public-api.js'
import { migrateClassic } from '../../src/migrate/index.js'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const TOKEN = 'sgp_TEST_TOKEN_5f3a9cKQ2'
const CLASSIC = { ...JSON.parse(readFileSync('examples/classic-settings.json', 'utf8')), apiKey: 'amp-api-key-LIVE-7781', secretKey: 'amp-secret-LIVE-9912' }
const generated = migrateClassic(CLASSIC, { names: 'classic' })

const outputs: CliResult[] = []
const dirs: string[] = []

async function cli(api: FakeSegmentApi, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await runCli(['migrate', '--segment-api-url', api.url, ...args], { env: { SEGMENT_PUBLIC_API_TOKEN: TOKEN, ...env } })
  outputs.push(r)
  return r
}

function dir(): string {
  const d = tempDir('segamp-seg-')
  dirs.push(d)
  return d
}

describe('migrate --from-segment (Segment Public API)', function () {
  this.timeout(120_000)
  let api: FakeSegmentApi
  afterEach(async () => api?.stop())

  it('reads the Classic settings (following pagination) and writes the same configuration as --classic', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, withActions: true, maxPage: 2 }).start()
    const d = dir()
    const r = await cli(api, ['--from-segment', 'dst_classic', '--out', join(d, 'config.json')])
    assert.equal(r.code, 0, r.stderr)
    const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'))
    assert.deepEqual(cfg.subscriptions, generated.subscriptions)
    assert.deepEqual(cfg.destination.settings, { apiKey: '${AMPLITUDE_API_KEY}', secretKey: '${AMPLITUDE_SECRET_KEY}', endpoint: 'north_america' })
    const get = api.requests.find((q) => q.path === '/destinations/dst_classic')!
    assert.equal(get.auth, `Bearer ${TOKEN}`)
    // Source with 4 destinations, pages of 2: two list calls, the cursor passed back.
    const lists = api.requests.filter((q) => q.path === '/sources/src_web/connected-destinations')
    assert.equal(lists.length, 2)
    assert.match(decodeURIComponent(lists[1]!.query), /pagination\[cursor\]=/)
    assert.equal(api.writes().length, 0)
    assert.match(r.stderr, /existing Actions Amplitude destination dst_actions/)
  })

  it('refuses a destination that is not Amplitude (Classic), and explains 401 and 404', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, withActions: true }).start()
    const notAmp = await cli(api, ['--from-segment', 'dst_mixpanel'])
    assert.equal(notAmp.code, 2)
    assert.match(notAmp.stderr, /Mixpanel .*not Amplitude \(Classic\)/)
    assert.match(notAmp.stderr, /^Hint: In the Segment UI, open the source's Amplitude \(Classic\) destination/m)
    const actions = await cli(api, ['--from-segment', 'dst_actions'])
    assert.equal(actions.code, 2)
    assert.match(actions.stderr, /already an Actions Amplitude destination/)
    assert.match(actions.stderr, /^Hint: In the Segment UI, open the source's Amplitude \(Classic\) destination/m)
    // A wrong --actions-destination names the ones the source has, and the hint says what to do with them.
    const wrongActions = await cli(api, ['--from-segment', 'dst_classic', '--actions-destination', 'dst_webhook'])
    assert.equal(wrongActions.code, 2)
    assert.match(wrongActions.stderr, /--actions-destination dst_webhook: not an Actions Amplitude destination of source src_web \(it has: dst_actions\)/)
    assert.match(wrongActions.stderr, /^Hint: Pass one of the ids listed, or leave out --actions-destination/m)
    const missing = await cli(api, ['--from-segment', 'dst_nope'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /404 Not Found at http:\/\/127\.0\.0\.1:\d+\/destinations\/dst_nope/)
    // Running the same command again gets the same 404: the hint says what to check instead.
    assert.match(missing.stderr, /^Hint: Check the destination id/m)
    assert.doesNotMatch(missing.stderr, /Run the same command again/)
    const badToken = await cli(api, ['--from-segment', 'dst_classic'], { SEGMENT_PUBLIC_API_TOKEN: 'sgp_WRONG_TOKEN_1234' })
    assert.equal(badToken.code, 1)
    assert.match(badToken.stderr, /401 Unauthorized/)
    assert.ok(!badToken.stderr.includes('sgp_WRONG_TOKEN_1234'))
    const userinfo = await runCli(['migrate', '--from-segment', 'dst_classic', '--segment-api-url', api.url.replace('//', '//proxyuser:proxyPASS@')], {
      env: { SEGMENT_PUBLIC_API_TOKEN: TOKEN },
    })
    outputs.push(userinfo)
    assert.equal(userinfo.code, 2)
    assert.match(userinfo.stderr, /the URL carries a user:password\nHint: Remove the user:password part/)
    assert.ok(!userinfo.stderr.includes('proxyPASS'))
    const noToken = await cli(api, ['--from-segment', 'dst_classic'], { SEGMENT_PUBLIC_API_TOKEN: '' })
    assert.equal(noToken.code, 2)
    assert.match(noToken.stderr, /SEGMENT_PUBLIC_API_TOKEN/)
  })

  it('plans a new destination: created disabled, every subscription created', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC }).start()
    const r = await cli(api, ['--from-segment', 'dst_classic', '--out', join(dir(), 'c.json')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /destination\s+create\s+Actions Amplitude \(new\): created disabled/)
    for (const s of generated.subscriptions) assert.match(r.stderr, new RegExp(`subscription\\s+create\\s+${s.name.replace(/[()]/g, '\\$&')}\\s+${s.actionSlug}`))
    assert.match(r.stderr, new RegExp(`subscriptions ${generated.subscriptions.length} to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged`))
  })

  it('plans against an existing destination: by name, added / changed / kept', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, withActions: true }).start()
    const r = await cli(api, ['--from-segment', 'dst_classic', '--out', join(dir(), 'c.json')])
    assert.equal(r.code, 0, r.stderr)
    const n = generated.subscriptions.length
    assert.match(r.stderr, new RegExp(`by subscription name: ${n - 1} added, 1 changed, 1 only on the destination, 0 unchanged`))
    assert.match(r.stderr, /destination\s+unchanged\s+Amplitude \(Actions\) \(dst_actions\): disabled/)
    assert.match(r.stderr, /subscription\s+update\s+Track Calls\s+logEventV2\s+trigger, settings\.\S+/)
    assert.match(r.stderr, /subscription\s+keep\s+My custom subscription\s+logEvent\s+not generated by segamp; kept \(--prune deletes it\)/)
  })

  it('--apply creates a disabled destination under rate limiting; a rerun makes no write call', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, maxPage: 2, rateLimitEvery: 4 }).start()
    const first = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes'])
    assert.equal(first.code, 0, first.stderr)
    assert.ok(
      api.requests.some((q) => q.status === 429),
      'the server rate limited at least once',
    )
    assert.match(first.stderr, /rate limit \(429\).*waiting/)
    const created = [...api.destinations.values()].filter((d) => d.id.startsWith('dst_new_'))
    assert.equal(created.length, 1)
    const dest = created[0]!
    assert.equal(dest.enabled, false)
    assert.equal(dest.sourceId, 'src_web')
    assert.equal(dest.metadata.id, ACTIONS_METADATA_ID)
    assert.deepEqual(dest.settings, { apiKey: CLASSIC.apiKey, secretKey: CLASSIC.secretKey, endpoint: 'north_america' })
    const subs = api.subscriptions.get(dest.id)!
    assert.deepEqual(
      subs.map((s) => ({ name: s.name, actionSlug: s.actionSlug, trigger: s.trigger, enabled: s.enabled, settings: s.settings })),
      generated.subscriptions.map((s) => ({ name: s.name, actionSlug: s.actionSlug, trigger: s.trigger, enabled: s.enabled, settings: s.settings })),
    )
    // The Classic destination is never written.
    assert.deepEqual(
      api.writes().filter((q) => q.path.includes('dst_classic')),
      [],
    )
    assert.deepEqual(api.destinations.get('dst_classic')!.settings, CLASSIC)
    assert.equal(api.destinations.get('dst_classic')!.enabled, true)

    const before = api.requests.length
    const again = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(api.writes(before).length, 0)
    assert.match(again.stderr, /Nothing to apply/)
    assert.match(again.stderr, new RegExp(`subscriptions 0 to create, 0 to update, 0 to replace, 0 to delete, ${generated.subscriptions.length} unchanged`))
  })

  it('--apply on an existing destination updates by name, keeps the rest; --prune deletes it; no --yes without a terminal', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, withActions: true }).start()
    const noYes = await cli(api, ['--from-segment', 'dst_classic', '--apply'])
    assert.equal(noYes.code, 2)
    assert.match(noYes.stderr, /--yes/)
    assert.equal(api.writes().length, 0)

    const r = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes'])
    assert.equal(r.code, 0, r.stderr)
    const subs = api.subscriptions.get('dst_actions')!
    const track = subs.find((s) => s.name === 'Track Calls')!
    assert.equal(track.id, 'sub_track')
    assert.equal(track.trigger, generated.subscriptions[0]!.trigger)
    assert.deepEqual(track.settings, generated.subscriptions[0]!.settings)
    assert.ok(subs.some((s) => s.name === 'My custom subscription'))
    assert.equal(subs.length, generated.subscriptions.length + 1)
    assert.equal(api.destinations.get('dst_actions')!.enabled, false)

    const before = api.requests.length
    const pruned = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes', '--prune'])
    assert.equal(pruned.code, 0, pruned.stderr)
    assert.deepEqual(
      api.writes(before).map((q) => `${q.method} ${q.path}`),
      ['DELETE /destinations/dst_actions/subscriptions/sub_custom'],
    )
  })

  it('an --apply that stops half-way is finished by a rerun, without duplicates', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, failNth: { method: 'POST', pathEndsWith: '/subscriptions', n: 3 } }).start()
    const broken = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes'])
    // A 5xx may go away by itself and the rerun finishes the job: 75 (retry later), as replay's.
    assert.equal(broken.code, 75)
    assert.match(broken.stderr, /^Hint: Run the same command again/m)
    assert.match(
      broken.stderr,
      /creating subscription "Named Page Calls": 500 at http:\/\/127\.0\.0\.1:\d+\/destinations\/dst_new_1\/subscriptions \(Segment says: Internal server error\)/,
    )
    assert.equal(api.subscriptions.get('dst_new_1')!.length, 2)
    const rerun = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes'])
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.match(rerun.stderr, /destination\s+unchanged\s+Actions Amplitude \(dst_new_1\)/)
    assert.deepEqual(
      api.subscriptions.get('dst_new_1')!.map((s) => s.name),
      generated.subscriptions.map((s) => s.name),
    )
    assert.equal([...api.destinations.keys()].filter((k) => k.startsWith('dst_new_')).length, 1)
  })

  it('--verify gates --apply: a failing verification applies nothing', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC }).start()
    const failing = await cli(api, ['--from-segment', 'dst_classic', '--verify', 'examples/segment-logs', '--fail-on', 'properties', '--apply', '--yes'])
    assert.equal(failing.code, 1, failing.stderr)
    assert.match(failing.stderr, /found properties .*nothing applied/)
    assert.equal(api.writes().length, 0)
    const passing = await cli(api, ['--from-segment', 'dst_classic', '--verify', 'examples/segment-logs', '--apply', '--yes'])
    assert.equal(passing.code, 0, passing.stderr)
    assert.ok(api.writes().length > 0)
  })

  it('a Segment API that does not answer is retry-later (75); a 422 is a failure (1) whose hint does not promise a rerun fixes it', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC }).start()
    const url = api.url
    await api.stop()
    const down = await runCli(['migrate', '--segment-api-url', url, '--from-segment', 'dst_classic'], { env: { SEGMENT_PUBLIC_API_TOKEN: TOKEN } })
    outputs.push(down)
    assert.equal(down.code, 75, down.stderr)
    assert.match(down.stderr, /reading destination dst_classic: no answer from http:\/\/127\.0\.0\.1:\d+\/destinations\/dst_classic \(ECONNREFUSED\)/)
    assert.match(down.stderr, /^Hint: .*run the same command again/im)
    const srv = http.createServer((_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ errors: [{ type: 'validation', message: 'settings.apiKey is invalid', field: 'settings' }] }))
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const refused = await runCli(['migrate', '--segment-api-url', `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, '--from-segment', 'dst_classic'], {
      env: { SEGMENT_PUBLIC_API_TOKEN: TOKEN },
    })
    outputs.push(refused)
    srv.close()
    assert.equal(refused.code, 1, refused.stderr)
    assert.match(refused.stderr, /422 at .*\(Segment says: settings\.apiKey is invalid \(field settings\)\)/)
    assert.match(refused.stderr, /^Hint: Segment refused the request/m)
  })

  it('--apply --enable while the Classic destination is enabled says both now send every event (their insert_ids differ)', async () => {
    api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, withActions: true }).start()
    const r = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes', '--enable'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(api.destinations.get('dst_actions')!.enabled, true)
    assert.match(
      r.stderr,
      /The destination is enabled, and so is the Classic destination dst_classic: until you disable it in the Segment UI, Amplitude receives each event from both/,
    )
    // Classic disabled: nothing to warn about.
    api.destinations.get('dst_classic')!.enabled = false
    api.destinations.get('dst_actions')!.enabled = false
    const again = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes', '--enable'])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /The destination is enabled\.$/m)
  })

  it('403 on a write is reported with what to do', async () => {
    api = await new FakeSegmentApi({ token: 'sgp_ADMIN', readOnlyToken: TOKEN, classicSettings: CLASSIC }).start()
    const r = await cli(api, ['--from-segment', 'dst_classic', '--apply', '--yes'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /403 Forbidden at http:\/\/127\.0\.0\.1:\d+\/destinations: the token may not do this/)
  })

  after(() => {
    // The token never appears in any output or in any file segamp wrote.
    assert.ok(outputs.length > 10)
    for (const o of outputs) {
      assert.ok(!o.stdout.includes(TOKEN) && !o.stderr.includes(TOKEN), 'token in output')
      assert.ok(!o.stdout.includes(CLASSIC.secretKey) && !o.stderr.includes(CLASSIC.secretKey), 'secret key in output')
    }
    for (const d of dirs) {
      for (const f of readdirSync(d)) {
        const p = join(d, f)
        if (statSync(p).isFile()) {
          const text = readFileSync(p, 'utf8')
          assert.ok(!text.includes(TOKEN), `token in ${f}`)
          assert.ok(!text.includes(CLASSIC.secretKey) && !text.includes(CLASSIC.apiKey), `Amplitude key in ${f}`)
        }
      }
    }
  })
})
