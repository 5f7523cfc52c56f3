/**
 * The compiled message → record path (src/segment/subscriptions/direct.ts) against the exact path
 * (applySubscription: resolve → removeEmptyValues → AJV → perform), differentially: for every
 * message of the corpus and every subscription, either the compiled path falls back (returns
 * undefined) or its records are byte-identical (JSON.stringify, so key order too) to the exact
 * path's, which must then have succeeded. Not by example:
 * - corpus: the bundled example archive, the events of the Actions Amplitude test cases
 *   (the oracle's fixtures), and 100,000 messages generated deterministically by
 *   scripts/generate-example-archive.js (seed 23);
 * - mappings: every Quick Setup preset, the groupIdentifyUser / mapUser defaults, and every custom
 *   mapping of the test fixtures (the Actions Amplitude cases, as given and merged into the
 *   defaults, and the subscriptions `migrate` generates from the Classic settings fixtures);
 * - a fast-check property over generated hostile messages (values AJV would coerce, empty strings,
 *   nulls, dates in other shapes, `__proto__` keys, arrays where strings are expected, …).
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import { ACTION_SLUGS, DEFAULT_SUBSCRIPTIONS, PRESETS, defaultValues, type ActionSlug } from '../../../src/segment/actions-amplitude/index.js'
import { validateMapping } from '../../../src/segment/mapping-kit/index.js'
import { applySubscription, compileSubscriptions, insertIdBase, type CompiledSubscription, type SubscriptionSpec } from '../../../src/segment/subscriptions/index.js'
import { ACTIONS_CASES } from '../actions-amplitude/actions-amplitude.cases.js'
import { migrateClassic } from '../../../src/migrate/index.js'
import { runCli } from '../../helpers/cli.js'
import type { SegmentMessage } from '../../../src/types.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const NOW = Date.UTC(2024, 4, 9, 12, 0, 0)
const now = (): number => NOW
type Obj = Record<string, unknown>

function readLines(dir: string): Obj[] {
  const out: Obj[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else {
        const text = name.endsWith('.gz') ? gunzipSync(readFileSync(p)).toString('utf8') : readFileSync(p, 'utf8')
        for (const line of text.split('\n')) if (line.trim()) out.push(JSON.parse(line) as Obj)
      }
    }
  }
  walk(dir)
  return out
}

/** Every subscription of the fixtures that Segment would accept, compiled. */
function allSubscriptions(): CompiledSubscription[] {
  const specs: SubscriptionSpec[] = [
    ...PRESETS.map((p) => ({ name: p.name, actionSlug: p.partnerAction, trigger: p.subscribe, enabled: true, mapping: p.mapping })),
    {
      name: 'group defaults',
      actionSlug: 'groupIdentifyUser',
      trigger: DEFAULT_SUBSCRIPTIONS.groupIdentifyUser,
      enabled: true,
      mapping: { ...defaultValues('groupIdentifyUser'), group_type: 'company', group_value: { '@path': '$.groupId' } },
    },
    ...ACTION_SLUGS.map((slug) => ({ name: `${slug} defaults`, actionSlug: slug, trigger: 'type = "track"', enabled: true, mapping: defaultValues(slug) })),
  ]
  ACTIONS_CASES.forEach((c, i) => {
    if (!c.mapping) return
    specs.push({ name: `case ${i}`, actionSlug: c.action, trigger: 'type = "track"', enabled: true, mapping: c.mapping })
    specs.push({
      name: `case ${i} + defaults`,
      actionSlug: c.action,
      trigger: 'type = "track"',
      enabled: true,
      mapping: { ...defaultValues(c.action as ActionSlug), ...c.mapping },
    })
  })
  // The subscriptions `migrate` generates from the Classic settings fixtures, with both namings, and
  // with every option that changes a mapping switched on.
  const classic = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'classic-settings.json'), 'utf8')) as Obj
  const everything = {
    ...classic,
    trackAllPages: true,
    trackRevenuePerProduct: true,
    trackUtmProperties: true,
    trackReferrer: true,
    mapQueryParams: { ref_source: 'user_properties' },
    groupTypeTrait: 'plan',
    groupValueTrait: 'company',
    sendAlias: true,
    traitsToSetOnce: ['first_seen'],
    traitsToIncrement: ['logins'],
    traitsToAppend: ['tags'],
    traitsToPrepend: ['recent'],
  }
  for (const settings of [classic, JSON.parse(readFileSync(join(ROOT, 'examples', 'classic-settings.json'), 'utf8')) as Obj, everything]) {
    for (const names of ['classic', 'actions'] as const) {
      for (const sub of migrateClassic(settings, { names }).subscriptions) {
        specs.push({ name: `migrate ${names}: ${sub.name} #${specs.length}`, actionSlug: sub.actionSlug, trigger: sub.trigger, enabled: true, mapping: sub.settings as Obj })
      }
    }
  }
  const ok = specs.filter((s) => validateMapping(s.mapping).length === 0)
  return compileSubscriptions({ source: 'test', subscriptions: ok, skipped: [], warnings: [], notes: [] })
}

interface Tally {
  runs: number
  fallbacks: number
  differences: string[]
}

/** Both paths on one (message, subscription): records byte-identical, or the compiled path fell back. */
function compare(sub: CompiledSubscription, message: Obj, t: Tally): void {
  t.runs++
  const base = insertIdBase(message as SegmentMessage)
  let exact: string
  try {
    const o = applySubscription(sub, message as SegmentMessage, base, now)
    exact = o.ok ? JSON.stringify(o.records) : `invalid: ${o.reason}`
  } catch (e) {
    exact = `throws: ${(e as Error).message}`
  }
  let direct: string | undefined
  try {
    const r = sub.direct!(message as SegmentMessage, `${base}-${sub.insertIdSalt}`, now)
    direct = r === undefined ? undefined : JSON.stringify(r)
  } catch (e) {
    direct = `throws: ${(e as Error).message}`
  }
  if (direct === undefined) {
    t.fallbacks++
    return
  }
  if (direct !== exact && t.differences.length < 5)
    t.differences.push(`${sub.name} on ${JSON.stringify(message).slice(0, 400)}\n  exact:    ${exact.slice(0, 600)}\n  compiled: ${direct.slice(0, 600)}`)
}

const SUBS = allSubscriptions()
const PRESET_SUBS = SUBS.slice(0, PRESETS.length + 1)
const EXAMPLE = readLines(join(ROOT, 'examples', 'segment-logs'))
const CASE_EVENTS = ACTIONS_CASES.map((c) => c.event as Obj)

describe('compiled message → record path (differential against the exact path)', function () {
  this.timeout(600_000)

  it('covers every fixture mapping: each subscription has a compiled path', () => {
    assert.ok(SUBS.length > 40, `only ${SUBS.length} subscriptions`)
    for (const s of SUBS) assert.ok(s.direct, `${s.name} has no compiled path`)
  })

  it('example archive and the oracle cases × every subscription: 0 differences, and the compiled path does the work', () => {
    const t: Tally = { runs: 0, fallbacks: 0, differences: [] }
    for (const m of [...EXAMPLE, ...CASE_EVENTS]) for (const s of SUBS) compare(s, m, t)
    assert.deepEqual(t.differences, [])
    const presets: Tally = { runs: 0, fallbacks: 0, differences: [] }
    for (const m of EXAMPLE) for (const s of PRESET_SUBS) if (s.match(m as SegmentMessage)) compare(s, m, presets)
    // The differential test means something only if the compiled path is taken: on the example
    // archive (presets, matched pairs) it must do almost all of the work.
    assert.ok(presets.fallbacks / presets.runs < 0.05, `fallback rate ${presets.fallbacks}/${presets.runs}`)
  })

  it('100,000 generated messages × the presets (matched) and every subscription on one in 25: 0 differences', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segamp-direct-'))
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'generate-example-archive.js'), '--out', dir, '--messages', '100000', '--plain', '--seed', '23'], {
        encoding: 'utf8',
      })
      assert.equal(r.status, 0, r.stderr)
      const messages = readLines(join(dir, 'segment-logs'))
      assert.equal(messages.length, 100_000)
      const t: Tally = { runs: 0, fallbacks: 0, differences: [] }
      messages.forEach((m, i) => {
        for (const s of PRESET_SUBS) if (s.match(m as SegmentMessage)) compare(s, m, t)
        if (i % 25 === 0) for (const s of SUBS.slice(PRESET_SUBS.length)) compare(s, m, t)
      })
      assert.deepEqual(t.differences, [])
      assert.ok(t.runs >= 100_000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('property: generated hostile messages × every subscription: records byte-identical or a fallback', () => {
    const paths = mappedPaths(SUBS)
    const leaf = fc.oneof(
      fc.constantFrom('', ' ', 'abc', '5', '1.5', 'true', 'null', 'iOS', 'android', 'Purchase', 'use_mapping', 'auto'),
      fc.constantFrom(
        '2024-05-06T07:08:09Z',
        '2024-05-06T07:08:09.123Z',
        '2024-05-06T07:08:09+00:00',
        '2024-05-06',
        '1715000000',
        '2024-02-30T00:00:00Z',
        '2024-13-01T00:00:00Z',
        'not a date',
        '2024-05-06T07:08:09z',
      ),
      fc.integer({ min: -3, max: 2_000_000_000_000 }),
      fc.constantFrom(0, -0, 1.5, 1e21, 12),
      fc.boolean(),
      fc.constant(null),
    )
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', maxDepth: 3 },
        leaf,
        fc.dictionary(fc.constantFrom('a', 'model', 'platformVersion', 'price', 'quantity', 'revenue', 'productId', '__proto__', 'behavior', 'mapping', 'x'), tie('value'), {
          maxKeys: 4,
        }),
        fc.array(tie('value'), { maxLength: 3 }),
      ),
    }))
    // Date-valued paths get more of the edits: the date-like guard is the subtlest one.
    const pathArb = fc.oneof(
      { arbitrary: fc.constantFrom(...paths), weight: 3 },
      { arbitrary: fc.constantFrom(['timestamp'], ['integrations', 'Actions Amplitude', 'session_id']), weight: 1 },
    )
    const changes = fc.array(fc.tuple(pathArb, value), { minLength: 1, maxLength: 5 })
    fc.assert(
      fc.property(fc.nat(EXAMPLE.length + CASE_EVENTS.length - 1), changes, (which, edits) => {
        const base = which < EXAMPLE.length ? EXAMPLE[which] : CASE_EVENTS[which - EXAMPLE.length]
        // Through JSON text, as a replay sees it: `__proto__` becomes an ordinary key.
        const message = JSON.parse(JSON.stringify(base)) as Obj
        for (const [path, v] of edits) setPath(message, path, v)
        const t: Tally = { runs: 0, fallbacks: 0, differences: [] }
        for (const s of SUBS) compare(s, JSON.parse(JSON.stringify(message)) as Obj, t)
        assert.deepEqual(t.differences, [])
      }),
      { numRuns: 1000, seed: 2323 },
    )
  })
})

describe('compiled path: the fallback count in the replay report', function () {
  this.timeout(120_000)

  it('replay --json counts mappingFallbacks: a timestamp with an offset (not ISO with Z) takes the exact path, with the same --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segamp-fallback-'))
    try {
      mkdirSync(join(dir, 'in'))
      const base = { type: 'track', event: 'Clicked', userId: 'u-1', anonymousId: 'a-1', properties: { x: 1 } }
      writeFileSync(
        join(dir, 'in', 'a.ndjson'),
        [
          { ...base, messageId: 'm-1', timestamp: '2024-05-06T07:08:09.000Z' },
          { ...base, messageId: 'm-2', timestamp: '2024-05-06T09:08:09.000+02:00' },
          { ...base, messageId: 'm-3', timestamp: '2024-05-06T07:08:10.000Z' },
        ]
          .map((m) => JSON.stringify(m))
          .join('\n') + '\n',
      )
      const outs: string[] = []
      for (const mode of ['compiled', 'exact']) {
        const out = join(dir, `${mode}.ndjson`)
        const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--out', out, '--fresh', '--no-progress', '--json', '--state-dir', join(dir, mode)], {
          env: mode === 'exact' ? { SEGAMP_MAP: 'exact' } : {},
        })
        const report = JSON.parse(r.stdout)
        assert.equal(
          report.subscriptions.reduce((a: number, s: { messages: number }) => a + s.messages, 0),
          3,
        )
        assert.equal(report.mappingFallbacks, mode === 'exact' ? 0 : 1)
        outs.push(readFileSync(out, 'utf8'))
      }
      assert.equal(outs[0], outs[1])
      // the offset timestamp, as the exact path converts it (the --out body is JSON in a string)
      assert.equal(outs[0].split('\\"time\\":1714979289000').length, 3)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Every `@path` the subscriptions read (without `$.`), split into keys. */
function mappedPaths(subs: CompiledSubscription[]): string[][] {
  const out = new Map<string, string[]>()
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk)
    if (v === null || typeof v !== 'object') return
    for (const [k, x] of Object.entries(v)) {
      if (k === '@path' && typeof x === 'string' && x.startsWith('$.')) out.set(x, x.slice(2).split('.'))
      else walk(x)
    }
  }
  for (const s of subs) walk(s.spec.mapping)
  return [...out.values()]
}

function setPath(obj: Obj, path: string[], value: unknown): void {
  let o = obj
  for (const k of path.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object' || Array.isArray(o[k])) Object.defineProperty(o, k, { value: {}, enumerable: true, writable: true, configurable: true })
    o = o[k] as Obj
  }
  Object.defineProperty(o, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true })
}
