import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { analyzeTrigger, compileTrigger, TriggerError } from '../../../src/segment/fql/index.js'
import { assertAgrees, EVENTS, outcome, parseFql, validate } from '../../helpers/fql.js'

/** Runs per property (FQL_RUNS=20000 for a long soak). */
const RUNS = Number(process.env.FQL_RUNS ?? 300)

/** Mostly well-formed choices, sometimes odd ones. */
const pick = (good: string[], odd: string[], oddWeight = 1): fc.Arbitrary<string> =>
  fc.oneof({ weight: 14, arbitrary: fc.constantFrom(...good) }, { weight: oddWeight, arbitrary: fc.constantFrom(...odd) })

const FIELD = pick(
  [
    'type',
    'event',
    'name',
    'userId',
    'properties.price',
    'properties.s',
    'properties.a.b',
    'properties.flag',
    'traits.email',
    'traits.age',
    'traits.flag',
    'context.library.name',
    'context.ip',
  ],
  [
    'properties.a\\ b',
    'properties.arr\\[0\\]',
    'properties.\\.\\.',
    'properties\\.',
    'properties',
    'propertiesx',
    'anonymousId',
    'constructor',
    'toString',
    'not',
    'true',
    'contains',
    'match',
    'event.x',
    'AND',
  ],
  2,
)
const OP = pick(['=', '!=', '<', '<=', '>', '>=', '=', '!='], ['==', '!', 'contains', 'exists', '', '<=5', '=!'])
const VALUE = pick(
  ['"track"', '"identify"', '"page"', '"Order Completed"', '10', '-1.5', '0', '"10"', 'null', 'true', 'false', '""', '"Home"', '"u1"', '"abc"', '1.5', '"null"', '"true"', '11'],
  ["'track'", '"a\\"b"', '-', '+', '"Ord*"', '"*ed"', 'nul', 'an', 'and', 'or', '(', ')', '5abc', 'type', '"x"y"'],
  2,
)
const FN_FIELD = pick(['event', 'name', 'userId', 'properties.s', 'traits.email', 'context.library.name'], ['type', 'propertiesx', 'anonymousId', '"event"', '5'])
const FN_VALUE = pick(['"Order"', '"Order*"', '"*Completed"', '"a"', '"@"', '"analytics*"', '"*.c"', '"Ord"'], ['"Ord*er"', "'x*'", '5', '"*"', '""'])
const sep = pick([' '], ['', '  ', '\t', '\n'])
const CONJ = pick(['and', 'or'], ['AND', ',', '', 'and and', '&&'])

const condition = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(FIELD, sep, OP, sep, VALUE).map((p) => p.join('')) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        pick(['', '!'], ['! ', 'not ']),
        pick(['contains', 'match'], ['lowercase']),
        pick(['('], ['( ', ' ', '']),
        FN_FIELD,
        pick([', ', ','], [' ']),
        FN_VALUE,
        pick([')'], ['', ' )', '))']),
      )
      .map((p) => p.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom('()', '(', ')', '!', '"x"', 'null', 'type', 'an', 'ax') },
)

/** A trigger: conditions joined by conjunctions, optionally wrapped (maybe badly) in parentheses. */
const trigger = fc.array(fc.tuple(pick(['', '', '('], ['((', '!(']), condition, pick(['', '', ')'], ['))']), sep, CONJ, sep), { minLength: 1, maxLength: 4 }).map((parts) => {
  let s = ''
  parts.forEach(([open, cond, close, s1, conj, s2], i) => {
    s += open + cond + close
    if (i < parts.length - 1) s += s1 + conj + s2
  })
  return s
})

/** Mutations: random character insertions/deletions to reach lexer corners. */
const CHARS = [' ', '"', "'", '\\', '(', ')', ',', '.', '!', '=', '<', '>', '*', '-', '1', 'a', 'n', 'o', 'd', '[', ']', '\r', '#', 'é']
const mutated = fc.tuple(trigger, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...CHARS), fc.boolean()), { maxLength: 3 })).map(([s, muts]) => {
  for (const [at, ch, del] of muts) {
    const i = s.length === 0 ? 0 : at % (s.length + 1)
    s = del ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ch + s.slice(i)
  }
  return s
})

const ALPHABET = [...CHARS, 't', 'y', 'p', 'e', 'v', 'r', 's', 'i', 'c', 'u', 'l', 'x', '5', '0', '+', '\t', '\n']
const noise = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 30 }).map((a) => a.join(''))

// Events built from small pools so that conditions actually match.
const leaf = fc.constantFrom<unknown>(
  10,
  '10',
  -1.5,
  0,
  '',
  'track',
  'identify',
  'page',
  'Order Completed',
  'Order',
  'Ord*er',
  'rd*er',
  'x',
  'abc',
  'a"b',
  true,
  false,
  null,
  undefined,
  'null',
  'true',
  'eos',
  '5',
  5,
  'u1',
  'Home',
  'a@b.c',
  'analytics.js',
  "'track'",
  1e21,
  -0,
  11,
)
const obj = fc.dictionary(
  fc.constantFrom('price', 's', 'a', 'b', 'flag', 'a b', 'arr[0]', '.', 'properties', 'propertiesx', 'email', 'age', 'library', 'name', 'ip', 'x'),
  fc.oneof(leaf, fc.dictionary(fc.constantFrom('b', 'name', 'x', 'length'), leaf, { maxKeys: 3 })),
  { maxKeys: 5 },
)
const event = fc.record(
  {
    type: leaf,
    event: leaf,
    name: leaf,
    userId: leaf,
    anonymousId: leaf,
    properties: fc.oneof({ weight: 4, arbitrary: obj }, { weight: 1, arbitrary: leaf }),
    traits: fc.oneof({ weight: 4, arbitrary: obj }, { weight: 1, arbitrary: leaf }),
    context: fc.oneof({ weight: 4, arbitrary: obj }, { weight: 1, arbitrary: leaf }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, unknown>>

const stats = { accepted: 0, rejected: 0, matched: 0, evaluated: 0 }

function agreesOn(fql: string, events: Array<Record<string, unknown>>): void {
  assertAgrees(fql, events)
  const ast = parseFql(fql)
  if (ast.error) stats.rejected++
  else {
    stats.accepted++
    for (const ev of events) {
      stats.evaluated++
      if (outcome(() => validate(ast, ev)) === true) stats.matched++
    }
  }
  // analyzeTrigger must agree with Segment on acceptance, and never throw.
  const a = analyzeTrigger(fql)
  assert.equal(a.ok, !parseFql(fql).error)
}

describe('FQL triggers — property-based differential tests vs @segment/destination-subscriptions', () => {
  it('well-formed-ish triggers × random events agree exactly', () => {
    fc.assert(
      fc.property(trigger, fc.array(event, { minLength: 1, maxLength: 8 }), (fql, events) => agreesOn(fql, [...events, ...EVENTS.slice(0, 6)])),
      { numRuns: RUNS },
    )
  })

  it('mutated triggers (lexer corners) agree exactly', () => {
    fc.assert(
      fc.property(mutated, fc.array(event, { minLength: 1, maxLength: 4 }), (fql, events) => agreesOn(fql, events)),
      { numRuns: RUNS },
    )
  })

  it('random character noise agrees exactly (accept/reject and evaluation)', () => {
    fc.assert(
      fc.property(noise, fc.array(event, { minLength: 1, maxLength: 3 }), (fql, events) => agreesOn(fql, events)),
      { numRuns: RUNS },
    )
  })

  it('the generators cover both accepted and rejected triggers, matching and non-matching events', () => {
    // Guards the usefulness of the properties above (they ran first).
    assert.ok(stats.accepted > 150 && stats.rejected > 150, JSON.stringify(stats))
    assert.ok(stats.matched > stats.evaluated / 20 && stats.matched < stats.evaluated, JSON.stringify(stats))
    console.log(`      (${JSON.stringify(stats)})`)
  })

  it('Quick Setup triggers agree on random events', () => {
    const presets = [
      'type = "track" and event != "Order Completed"',
      'type = "track" and event = "Order Completed"',
      'type = "identify"',
      'type = "page"',
      'type = "screen"',
      'type = "group"',
      'type = "alias"',
    ]
    fc.assert(
      fc.property(fc.constantFrom(...presets), event, (fql, ev) => {
        const ast = parseFql(fql)
        assert.equal(
          outcome(() => compileTrigger(fql)(ev)),
          outcome(() => validate(ast, ev)),
        )
      }),
      { numRuns: RUNS },
    )
  })

  it("rejections always carry Segment's message and a position inside the trigger", () => {
    fc.assert(
      fc.property(fc.oneof(mutated, noise), (fql) => {
        try {
          compileTrigger(fql)
        } catch (e) {
          assert.ok(e instanceof TriggerError)
          assert.equal(e.segmentMessage, parseFql(fql).error.message)
          assert.ok(e.position >= 1 && e.position <= fql.length + 1, `position ${e.position} in ${JSON.stringify(fql)}`)
          if (fql.trim() !== '') assert.match(e.reason, /character \d+/)
        }
      }),
      { numRuns: RUNS },
    )
  })
})
