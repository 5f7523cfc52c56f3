import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { validateMapping, formatMappingError } from '../../../src/segment/mapping-kit/index.js'
import { runCore, runOurs } from '../../helpers/mapping-kit.js'

/** MK_RUNS=<n> multiplies the run counts (for long local fuzzing sessions). */
const RUNS = Number(process.env.MK_RUNS ?? 1)

// ---- events -------------------------------------------------------------------------
const KEYS = ['a', 'b', 'c', 'name', 'x', '0', '1', 'k k', '$', 'products', 'n']
const keyArb = fc.constantFrom(...KEYS)
const leafArb = fc.oneof(
  fc.constantFrom('', 'abc', 'A.b', '{{a}}', '{{{name}}}', '{"a":1}', '[1,2]', '5', 'x y', 'ABC', 'a.b', 'xXx', 'a|b#c'),
  fc.integer({ min: -3, max: 12 }),
  fc.constantFrom(0, 1.5, -0),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined), // not JSON, but callers may build events in code
)
const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, leafArb, fc.dictionary(keyArb, tie('value'), { maxKeys: 4 }), fc.array(tie('value'), { maxLength: 3 })),
}))
const eventArb = fc.dictionary(keyArb, valueArb, { maxKeys: 6 })

// ---- paths & templates ----------------------------------------------------------------
const segArb = fc.constantFrom(...KEYS, 'length', 'missing')
const pathArb = fc.oneof(
  fc
    .tuple(fc.constantFrom('', '$.', '.', '$'), fc.array(fc.tuple(segArb, fc.constantFrom('dot', 'dot', 'idx', 'sq', 'dq')), { minLength: 1, maxLength: 3 }))
    .map(([prefix, parts]) =>
      parts.reduce((acc: string, [seg, form], i) => {
        if (form === 'idx') return acc + `[${i % 2}]`
        if (form === 'sq') return acc + `['${seg}']`
        if (form === 'dq') return acc + `["${seg}"]`
        return acc + (i === 0 ? '' : '.') + seg
      }, prefix as string),
    ),
  fc.constantFrom('', '.', '$.', '..', 'a..b', '[txt] non', "$['a']", 'a.$.b', 'a[0]', 'a.[b]', '["a"].b', "a['k k']", 'a.0.b', '$.a[1].name', ' a ', 'a"', "''"),
)
const templateArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('Viewed ', ' ', '-', '{', '}', '}}', '{{', 'x'),
      pathArb.map((p) => `{{${p}}}`),
      pathArb.map((p) => `{{{${p}}}}`),
      pathArb.map((p) => `{{ ${p} }}`),
    ),
    { maxLength: 4 },
  )
  .map((parts) => parts.join(''))
  .filter((t) => !t.includes('}}}}}')) // keep templates readable; regex behaviour is covered anyway

// ---- mappings -------------------------------------------------------------------------
const rawArb = fc.oneof(
  fc.constantFrom('', 'x', 'lower', 'upper', 'left', 'right', 'encode', 'decode', '.', '$.a', 'a'),
  fc.integer({ min: -1, max: 3 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
)
const mapKeyArb = fc.constantFrom('a', 'b', 'c', 'x', 'k', '_metadata')
const none = { requiredKeys: [] as never[] }

const { mapping: mappingArb, object: objectMappingArb } = fc.letrec((tie) => ({
  mapping: fc.oneof(
    { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
    { arbitrary: rawArb, weight: 3 },
    { arbitrary: tie('directive'), weight: 6 },
    { arbitrary: tie('object'), weight: 2 },
    { arbitrary: tie('array'), weight: 1 },
  ),
  object: fc.dictionary(mapKeyArb, tie('mapping'), { maxKeys: 3, noNullPrototype: true }),
  array: fc.array(tie('mapping'), { maxLength: 2 }),
  directive: fc.oneof(
    { arbitrary: fc.oneof(pathArb, tie('directive'), rawArb).map((p) => ({ '@path': p })), weight: 6 },
    { arbitrary: fc.oneof(templateArb, tie('directive')).map((t) => ({ '@template': t })), weight: 3 },
    { arbitrary: tie('mapping').map((m) => ({ '@literal': m })), weight: 1 },
    {
      arbitrary: fc
        .record(
          {
            exists: fc.oneof(tie('mapping'), fc.constantFrom(false, 0, '')),
            blank: tie('mapping'),
            then: tie('mapping'),
            else: fc.oneof(tie('mapping'), fc.constantFrom(0, '', false, null)),
          },
          none,
        )
        .map((o) => ({ '@if': o })),
      weight: 3,
    },
    {
      arbitrary: fc.record({ blank: tie('mapping'), then: tie('mapping'), else: tie('mapping') }, { requiredKeys: ['blank'] }).map((o) => ({ '@if': o })),
      weight: 1,
    },
    {
      arbitrary: fc
        .oneof(fc.tuple(fc.oneof(pathArb, tie('directive')), fc.oneof(tie('object'), tie('mapping'))), fc.tuple(pathArb), fc.tuple(rawArb, tie('object')))
        .map((t) => ({ '@arrayPath': t })),
      weight: 3,
    },
    {
      arbitrary: fc.record({ operator: fc.oneof(fc.constantFrom('lower', 'upper', 'title'), rawArb), value: tie('mapping') }, none).map((o) => ({ '@case': o })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record(
          {
            pattern: fc.constantFrom('a', '.', 'x y', '$', '|', 'b', '#', 'abcdefghijk', '', 'A'),
            replacement: fc.constantFrom('', '-', '$&', 'XY', 'abcdefghijk'),
            value: tie('mapping'),
            ignorecase: fc.oneof(fc.boolean(), rawArb),
            global: fc.boolean(),
            pattern2: fc.constantFrom('b', '-', 'X'),
            replacement2: fc.constantFrom('', '+'),
          },
          { requiredKeys: ['pattern', 'value'] },
        )
        .map((o) => ({ '@replace': o })),
      weight: 2,
    },
    {
      arbitrary: fc.record({ mode: fc.constantFrom('encode', 'decode', 'ENCODE', 'x'), value: tie('mapping') }, none).map((o) => ({ '@json': o })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record(
          {
            separator: fc.oneof(fc.constantFrom('.', '_', '', 1), tie('directive')),
            value: tie('mapping'),
            omitArrays: fc.boolean(),
          },
          { requiredKeys: ['value'] },
        )
        .map((o) => ({ '@flatten': o })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record(
          {
            direction: fc.oneof(fc.constantFrom('left', 'right', 'LEFT', 'up'), tie('directive')),
            objects: fc.array(fc.oneof(tie('object'), tie('directive'), rawArb), { maxLength: 3 }),
          },
          { requiredKeys: ['objects'] },
        )
        .map((o) => ({ '@merge': o })),
      weight: 2,
    },
    {
      arbitrary: fc.record({ apply: fc.oneof(tie('object'), tie('directive')), mapping: fc.oneof(tie('object'), tie('directive')) }, none).map((o) => ({ '@transform': o })),
      weight: 1,
    },
    { arbitrary: tie('mapping').map((m) => ({ '@excludeWhenNull': m })), weight: 2 },
    {
      arbitrary: fc
        .constantFrom('', '{{a}}', '{{ name | upcase }}', '{% if a %}y{% else %}n{% endif %}', '{% for x in a %}{% endfor %}', '{{ a | size }}', '{{ b | reverse }}', '{{ n', 5)
        .map((s) => ({ '@liquid': s })),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom<unknown>(
        { '@oops': 1 },
        { '@path': '$.a', b: 1 },
        { '@path': 'a', '@template': '{{b}}' },
        { '@path': 'name', _metadata: { x: 1 } },
        { '@if': 'x' },
        { '@arrayPath': 'a' },
      ),
      weight: 1,
    },
  ),
}))

const topMappingArb = fc.oneof(
  { arbitrary: objectMappingArb, weight: 8 },
  { arbitrary: mappingArb, weight: 1 },
  {
    arbitrary: fc
      .tuple(fc.oneof(mappingArb, fc.constantFrom<unknown>({ '@transform': { apply: { a: { '@path': '$.b' } } } }, { '@if': { exists: 1 } })), objectMappingArb)
      .map(([root, rest]) => ({ ...rest, __segment_internal_directive: root })),
    weight: 1,
  },
)

const stats = new Map<string, number>()
after(() => {
  if (process.env.MK_STATS) console.log([...stats].sort((a, b) => b[1] - a[1]).slice(0, 40))
})

// ---- realistic: Amplitude preset mappings with perturbations over Segment-like events ----
const PRESET = {
  user_id: { '@path': '$.userId' },
  device_id: { '@if': { exists: { '@path': '$.context.device.id' }, then: { '@path': '$.context.device.id' }, else: { '@path': '$.anonymousId' } } },
  event_type: { '@template': 'Viewed {{name}}' },
  session_id: { '@path': '$.integrations.Actions Amplitude.session_id' },
  time: { '@path': '$.timestamp' },
  event_properties: { '@path': '$.properties' },
  user_properties: { '@path': '$.traits' },
  idfa: { '@if': { exists: { '@path': '$.context.device.advertisingId' }, then: { '@path': '$.context.device.advertisingId' }, else: { '@path': '$.context.device.idfa' } } },
  library2: { behavior: 'use_mapping', mapping: { '@path': '$.context.library.name' } },
  products: { '@arrayPath': ['$.properties.products', { price: { '@path': 'price' }, quantity: { '@path': 'quantity' }, productId: { '@path': 'productId' } }] },
  setOnce: { initial_referrer: { '@path': '$.context.page.referrer' }, initial_utm_source: { '@path': '$.context.campaign.source' } },
  use_batch_endpoint: false,
  userAgentData: { model: { '@path': '$.context.userAgentData.model' }, platformVersion: { '@path': '$.context.userAgentData.platformVersion' } },
}
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
const segmentEventArb = fc.record(
  {
    type: fc.constantFrom('track', 'page', 'identify'),
    event: maybe(fc.constantFrom('Order Completed', 'Clicked', '')),
    name: maybe(fc.constantFrom('Home', '', null)),
    userId: maybe(fc.constantFrom('u1', null, '', 12345)),
    anonymousId: maybe(fc.constantFrom('anon', null)),
    timestamp: maybe(fc.constantFrom('2024-01-01T00:00:00.000Z', 1700000000)),
    properties: maybe(
      fc.record({
        products: maybe(fc.oneof(fc.array(fc.oneof(valueArb, fc.record({ price: leafArb, quantity: leafArb, productId: leafArb })), { maxLength: 3 }), valueArb)),
        revenue: maybe(leafArb),
      }),
    ),
    traits: maybe(fc.dictionary(keyArb, valueArb, { maxKeys: 3 })),
    integrations: maybe(fc.record({ 'Actions Amplitude': maybe(fc.record({ session_id: leafArb })) })),
    context: maybe(
      fc.record({
        device: maybe(fc.record({ id: maybe(leafArb), advertisingId: maybe(leafArb), idfa: maybe(leafArb) })),
        library: maybe(fc.record({ name: leafArb })),
        page: maybe(fc.record({ referrer: leafArb })),
        campaign: maybe(fc.dictionary(fc.constantFrom('source', 'medium', 'name'), leafArb)),
        userAgentData: maybe(fc.record({ model: leafArb, platformVersion: leafArb })),
      }),
    ),
  },
  { requiredKeys: ['type'] },
)
const presetArb = fc.tuple(fc.subarray(Object.keys(PRESET)), fc.dictionary(fc.constantFrom(...Object.keys(PRESET)), mappingArb, { maxKeys: 2 })).map(([drop, overrides]) => {
  const m: Record<string, unknown> = { ...PRESET }
  for (const k of drop) delete m[k]
  return { ...m, ...overrides }
})

function assertSame(mapping: unknown, event: unknown): void {
  const ours = runOurs(mapping, event)
  const theirs = runCore(mapping, event)
  if (process.env.MK_STATS) {
    const k =
      'errors' in theirs
        ? 'ERR ' +
          theirs.errors
            .join(' | ')
            .replace(/\/[^ ]*/g, '/P')
            .slice(0, 80)
        : 'value ' + (JSON.stringify(theirs.value) ?? 'undef').length
    const key = k.startsWith('value') ? (k === 'value 2' ? 'value {}' : 'value nonempty') : k
    stats.set(key, (stats.get(key) ?? 0) + 1)
  }
  assert.deepStrictEqual(ours, theirs, `mapping ${JSON.stringify(mapping)}\nevent ${JSON.stringify(event)}`)
}

describe('mapping-kit: property-based differential vs actions-core transform', () => {
  it('@path on generated paths and events', () => {
    fc.assert(
      fc.property(pathArb, eventArb, (p, ev) => assertSame({ out: { '@path': p }, arr: { '@arrayPath': [p, { v: { '@path': 'a' } }] } }, ev)),
      { numRuns: 300 * RUNS },
    )
  })

  it('@template on generated templates and events', () => {
    fc.assert(
      fc.property(templateArb, eventArb, (t, ev) => assertSame({ out: { '@template': t } }, ev)),
      { numRuns: 300 * RUNS },
    )
  })

  it('generated nested mappings: same output or same errors', () => {
    fc.assert(
      fc.property(topMappingArb, eventArb, (m, ev) => assertSame(m, ev)),
      { numRuns: 500 * RUNS },
    )
  })

  it('one compiled mapping over several events', () => {
    fc.assert(
      fc.property(objectMappingArb, fc.array(eventArb, { minLength: 2, maxLength: 4 }), (m, evs) => {
        for (const ev of evs) assertSame(m, ev)
      }),
      { numRuns: 150 * RUNS },
    )
  })

  it('Amplitude preset mappings (perturbed) over Segment-like events', () => {
    fc.assert(
      fc.property(presetArb, segmentEventArb, (m, ev) => assertSame(m, ev)),
      { numRuns: 300 * RUNS },
    )
  })

  it('validateMapping lists exactly the errors actions-core throws', () => {
    fc.assert(
      fc.property(topMappingArb, (m) => {
        const errors = validateMapping(structuredClone(m)).map(formatMappingError)
        const theirs = runCore(m, {})
        // The reference running out of stack is no verdict to compare against: on a CI run,
        // actions-core answered {"__segment_internal_directive":[{"@arrayPath":"a"}]} with
        // "Maximum call stack size exceeded" where, called again alone, it names the @arrayPath error
        // segamp names: how deep its recursion gets depends on the stack the property runs on.
        fc.pre(!(theirs.errors?.length === 1 && theirs.errors[0] === 'Maximum call stack size exceeded'))
        if (errors.length > 0) assert.deepStrictEqual(theirs, { errors }, JSON.stringify(m))
        // valid: runtime behaviour must agree (raw arrays may still hit per-event validation in @transform)
        else assertSame(m, {})
      }),
      { numRuns: 400 * RUNS },
    )
  })
})
