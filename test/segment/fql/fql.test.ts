import { strict as assert } from 'node:assert'
import { analyzeTrigger, compileTrigger, compileTriggerWithWarnings, TriggerError, TriggerEvaluationError } from '../../../src/segment/fql/index.js'
import { assertAgrees, EVENTS, parseFql } from '../../helpers/fql.js'

/** Every edge case of docs/actions-amplitude.md part C (and a few more), checked against Segment's own parseFql + validate. */
const TABLE: string[] = [
  // Quick Setup presets and plain conditions
  'type = "track" and event != "Order Completed"',
  'type = "track" and event = "Order Completed"',
  'type = "identify"',
  'type = "page"',
  'type = "screen"',
  'type = "group"',
  'type = "alias"',
  'type = "track" or type = "page" or type = "screen"',
  'type = "identify" or type = "page" or type = "screen" or type = "track"',
  // strict string =, numbers only for < >
  'properties.price = 10',
  'properties.price = "10"',
  'properties.price != 10',
  'properties.price != "10"',
  'properties.price > 10',
  'properties.price >= 10',
  'properties.price < 10',
  'properties.price <= 0',
  'properties.price < "10"',
  'properties.price > "abc"',
  'properties.price < null',
  'properties.price > true',
  'properties.price = -1.5',
  'properties.price = +10',
  'properties.price = -',
  'properties.price != -',
  'properties.price = 1.',
  'properties.price = 1.2.3',
  'properties.price = .5',
  'properties.price = 5abc',
  'event < 5',
  'userId > 1',
  'event = 5',
  'userId = 5',
  'properties.price>10',
  'properties.price <=5',
  'properties.price <5',
  'type="track"',
  'type ="track"',
  'type= "track"',
  'type!="track"',
  'type != "track"',
  'type !="track"',
  'type == "track"',
  // exists / null / booleans
  'properties.price != null',
  'properties.price = null',
  'traits.email = null',
  'traits.email != null',
  'name != null',
  'name = null',
  'userId != null',
  'userId = null',
  'userId = true',
  'userId = false',
  'userId != true',
  'event = null',
  'event != null',
  'type != null',
  'type = true',
  'name = true',
  'properties.flag = true',
  'properties.flag = false',
  'properties.flag != true',
  'properties.flag = "true"',
  'traits.flag = true',
  'context.ip != null',
  'properties.price = nul',
  'userId = nul\\l',
  'properties.flag != nul\\l',
  // field paths
  'context.library.name = "analytics.js"',
  'context.library.name != "analytics.js"',
  'context.traits.plan = "pro"',
  'traits.nested.x = "y"',
  'properties.a.b = "x"',
  'properties.a.b = 1',
  'properties.a.b.c = 1',
  'properties.product\\ 1.price = 3',
  'properties.a\\ b = "sp"',
  'properties.a\\.b = 1',
  'traits.a\\.b = 1',
  'properties.arr\\[0\\] = "q"',
  'properties.arr.0 = "q"',
  'properties.s.length = 3',
  'properties.s.length > 2',
  'properties.a.b != null',
  'properties = "x"',
  'properties != null',
  'properties.properties = "nested"',
  'propertiesx = 1',
  'properties\\. = 1',
  'properties\\.\\. = 1',
  'type = "x" and properties\\.\\. = 1',
  'properties.\\[\\] != null',
  'properties.constructor != null',
  'properties.__proto__ != null',
  'traits.email = "a@b.c"',
  'traits.age > 18',
  'traits.age = "30"',
  'event.foo = "x"',
  'type.x = "track"',
  'userId.x = "u1"',
  '_x = 1 and type = "track"',
  '\\type = "track"',
  't\\ype = "track"',
  // unknown fields
  'anonymousId = "x" and type = "track"',
  'anonymousId = "x"',
  'type = "track" and anonymousId = "x"',
  'anonymousId = "x" or type = "identify"',
  'messageId != null and event = "Order Completed"',
  'constructor = 1 and type = "track"',
  'toString = 1 and type = "track"',
  '__proto__ = 1 and type = "track"',
  'hasOwnProperty.x = 1 or type = "page"',
  'constructor',
  'constructor =',
  'not type = "track"',
  'lowercase(event) = "x"',
  'true',
  'type = "track" and true',
  // strings
  "type = 'track'",
  "event = 'Order Completed'",
  'event = "Order \'Completed\'"',
  'event = "a\\"b"',
  'event = "a\\"',
  'event = "a"b"',
  'event = "x"and type = "track"',
  'event = "x")',
  'event = ""',
  'event = "a""b"',
  'event = "Order Completed" and',
  'event = "unterminated',
  'event = \'x"',
  // and/or mixes and parentheses
  'type = "track" and event = "Order Completed" or type = "page"',
  'type = "page" or type = "track" and event = "Order Completed"',
  'type = "track" or type = "page" and event = "x" or event = "y"',
  '(type = "track" or type = "page") and event = "Order Completed"',
  'type = "identify" or (type = "track" and event = "Order Completed")',
  '(type = "track" and event = "Order Completed") or (type = "page" and name = "Home")',
  '(type = "track")',
  '((type = "track"))',
  '((type = "track") or type = "page")',
  '(type = "track" or (type = "page"))',
  '(type = "track"',
  'type = "track")',
  '()',
  '() and type = "track"',
  'type = "track" and ()',
  'type = "track" or ()',
  '(type)',
  '(type = ( )',
  'type = (',
  '(anonymousId = "x") and type = "track"',
  '(contains(event, "Order") or type = "page") and type = "track"',
  '(type = "track" and contains(event, "Order"))',
  'type = "track" and and event = "x"',
  'type = "track" or',
  'and type = "track"',
  'type = "track" event = "x"',
  'type = "track" AND event = "x"',
  'type = "track" && event = "x"',
  // functions
  'contains(event, "Order")',
  '!contains(event, "Order")',
  'contains(properties.s, "b")',
  '!contains(properties.s, "b")',
  'contains(traits.email, "@")',
  'contains(context.library.name, "analytics")',
  'contains(name, "Ho")',
  'contains(userId, "u")',
  'contains(type, "tr")',
  'contains(event.x, "a")',
  'contains(anonymousId, "x")',
  'contains(propertiesx, "x")',
  'contains(event, 5)',
  "contains(event, 'Order')",
  'contains(event "Order")',
  'contains event, "Order"',
  'contains',
  'contains(',
  'contains(event',
  'contains(event,',
  'contains(event, "x"',
  'match(event, "Order*")',
  'match(event, "*Completed")',
  '!match(event, "Order*")',
  '!match(event, "*Completed")',
  'match(event, "Ord*er")',
  'match(event, "Order")',
  'match(event, "*Ord*")',
  'match(event, "*")',
  'match(event, "")',
  "match(event, 'Order*')",
  'match(properties.s, "ab*")',
  'match(traits.email, "*.c")',
  'match(context.library.name, "analytics*")',
  'match(type, "tr*")',
  'match(name, "Ho*")',
  'match(userId, "*1")',
  'match(event, 5)',
  'match',
  'match(event',
  '!type = "track"',
  '!(type = "track")',
  '! contains(event, "x")',
  '!contains(event, "Order") and type = "track"',
  'type = "track" and !match(event, "Order*")',
  'contains(event, "a") or match(event, "*x")',
  // lexer oddities
  '',
  '   ',
  'type = "track" # comment',
  'type = "track"\r\n',
  'type = "track"\n and\tevent = "x"',
  'type = "track" and event = ax',
  'type = "track" and event = an',
  'type = "track" or event = o',
  'type = "track" and event = nu',
  'type = "track" and an',
  'an',
  'ax',
  'properties.x = a\\',
  'properties.x = \\',
  'type = "track" and event = and',
  'event = or',
  'event = null and type = "track"',
  'event = type',
  'type = ,',
  'type = ]',
  'type = [',
  'type = .',
  'type =',
  'type',
  'event',
  'properties.x',
  'properties.x !',
  'type = "track" !',
  'type = "track" ! ',
  'type = "t"!= "x"',
  'a.b.c = 1 and type = "track"',
  'type = "track", event = "x"',
  'type = "track" ] event = "x"',
  'typé = "track"',
  'type = "tràck"',
  'properties.\\é = 1',
  'event = "😀" or type = "track"',
]

describe('FQL triggers — differential edge-case table vs @segment/destination-subscriptions', () => {
  for (const fql of TABLE) {
    it(JSON.stringify(fql), () => assertAgrees(fql, EVENTS))
  }

  it('length limits of the lexer (strings, identifiers, numbers at 99 999 / 100 000 characters)', () => {
    for (const n of [99_998, 99_999, 100_000]) {
      assertAgrees(`event = "${'x'.repeat(n)}"`, EVENTS.slice(0, 3))
      assertAgrees(`properties.${'p'.repeat(n - 11)} != null`, EVENTS.slice(0, 3))
      assertAgrees(`properties.price = 1${'0'.repeat(n - 1)}`, EVENTS.slice(0, 3))
    }
  })
})

describe('FQL triggers — API', () => {
  it('compiles the Quick Setup trigger', () => {
    const m = compileTrigger('type = "track" and event != "Order Completed"')
    assert.equal(m({ type: 'track', event: 'Product Viewed' }), true)
    assert.equal(m({ type: 'track', event: 'Order Completed' }), false)
    assert.equal(m({ type: 'identify' }), false)
  })

  it("throws TriggerError with fql, reason, position and Segment's message", () => {
    assert.throws(
      () => compileTrigger('properties.price>10'),
      (e: unknown) => {
        assert.ok(e instanceof TriggerError)
        assert.equal(e.fql, 'properties.price>10')
        assert.equal(e.position, 17)
        assert.equal(e.segmentMessage, "Cannot read properties of undefined (reading 'type')")
        assert.equal(
          e.reason,
          'expected termination character after identifier, got > at character 17 (near `…roperties.price>10`); separate `price` from what follows with a space (e.g. `properties.price > 10`), or escape the character with `\\`',
        )
        return true
      },
    )
  })

  it('an undefined event never matches (like validate)', () => {
    assert.equal(compileTrigger('event != "x"')(undefined as unknown as Record<string, unknown>), false)
  })

  it("the compiled predicate throws where Segment's evaluator throws", () => {
    const m = compileTrigger('type = "x" and properties\\.\\. = 1')
    assert.equal(m({ type: 'y' }), false)
    assert.throws(() => m({ type: 'x' }), TriggerEvaluationError)
    assert.throws(() => compileTrigger('() or type = "x"')({ type: 'x' }), TriggerEvaluationError)
  })

  it('compileTriggerWithWarnings returns the predicate and the warnings', () => {
    const { match, warnings } = compileTriggerWithWarnings('anonymousId = "x" and type = "track"')
    assert.equal(match({ type: 'track' }), true)
    assert.equal(warnings.length, 1)
  })

  it('analyzeTrigger: ok with no warnings for a clean trigger', () => {
    assert.deepStrictEqual(analyzeTrigger('type = "track" and event != "Order Completed"'), {
      fql: 'type = "track" and event != "Order Completed"',
      ok: true,
      warnings: [],
    })
  })

  it('every table entry: analyzeTrigger.ok equals "Segment accepts"', () => {
    for (const fql of TABLE) {
      const a = analyzeTrigger(fql)
      assert.equal(a.ok, !parseFql(fql).error, fql)
      assert.equal(a.ok ? a.error : typeof a.error, a.ok ? undefined : 'string', fql)
    }
  })
})

/** Exact texts of rejections. */
const ERRORS: Array<[string, string]> = [
  ['', 'the trigger is empty; write a condition such as `type = "track"`'],
  [
    'anonymousId = "x"',
    'Segment found no condition it understands (`anonymousId` at character 1 is not supported); conditions look like `<field> <op> <value>` with field one of type, event, name, userId, properties.<path>, traits.<path>, context.<path>, or contains(<field>, "v") / match(<field>, "v*")',
  ],
  ['type', '`type` at character 1 has no operator and value; write e.g. `type = "value"`'],
  ['(type = "track"', '`(` at character 1 is never closed; add the matching `)`'],
  [
    '((type = "track"))',
    '`(` at character 2 opens a second level of parentheses inside the group opened at character 1; Segment supports only one level (a group ends at the first `)`) — flatten the expression',
  ],
  ['contains', 'contains() at character 1 is missing its 1st argument; write contains(<field>, "value")'],
  ['match(event', 'match() at character 1 is missing its 2nd argument; write match(event, "value")'],
  [
    'event = "unterminated',
    'unterminated string at character 9 (near `event = "unterminated`); add the closing " (strings have no escape sequences; `\\"` does not escape the quote)',
  ],
  [
    'type = "track" && event = "x"',
    'invalid character "&" at character 16 (near `type = "track" && event = "x"`); outside quotes only field names, operators (= != < <= > >=), numbers, parentheses, commas and `!` are allowed; quote values with "…" and escape special characters in field names with `\\`',
  ],
  [
    'type!="track"',
    "expected '=' after '!', got '=' at character 5 (near `type!=\"track\"`); `!=` must be followed by a space (`!= \"x\"`); a lone `!` may only precede contains(…) or match(…)",
  ],
  ['properties.price = 1.', 'unexpected terminator after decimal point at character 21 (near `…rties.price = 1.`); write digits after the decimal point (`1.0`)'],
]

describe('FQL triggers — rejection reasons', () => {
  for (const [fql, reason] of ERRORS) {
    it(JSON.stringify(fql), () => {
      assert.ok(parseFql(fql).error, 'Segment rejects it too')
      assert.deepStrictEqual(analyzeTrigger(fql), { fql, ok: false, error: reason, warnings: [] })
    })
  }
})
