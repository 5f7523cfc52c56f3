import { strict as assert } from 'node:assert'
import { analyzeTrigger, compileTriggerWithWarnings } from '../../../src/segment/fql/index.js'
import { parseFql } from '../../helpers/fql.js'

/** [trigger, exact warnings]: each says what Segment will actually do. */
const WARNINGS: Array<[string, string[]]> = [
  [
    'anonymousId = "x" and type = "track"',
    [
      '`anonymousId = "x"` at character 1: `anonymousId` is not a field Segment supports (type, event, name, userId, properties.<path>, traits.<path>, context.<path>); Segment drops this condition and evaluates the trigger without it',
    ],
  ],
  [
    'type = "track" and event = "Order Completed" or type = "page"',
    [
      '`and` at character 16 and `or` at character 46 are mixed at the top level; Segment has no precedence and combines all 3 conditions of this level with the last conjunction, `or` (any one of them must match); use one level of parentheses to group',
    ],
  ],
  [
    '(type = "track" or type = "page") and event = "A" or event = "B"',
    [
      '`and` at character 35 and `or` at character 51 are mixed at the top level; Segment has no precedence and combines all 3 conditions of this level with the last conjunction, `or` (any one of them must match); use one level of parentheses to group',
    ],
  ],
  ['!type = "track"', ['`!` at character 1: `!` only negates contains(…) or match(…); Segment ignores it here, so what follows is NOT negated']],
  [
    'not type = "track"',
    ['`not` at character 1: `not` is not a keyword (only lowercase `and`/`or` are, and there is no `not`); Segment ignores it, so what follows is NOT negated'],
  ],
  ["type = 'track'", ["`type = 'track'` at character 1: single quotes are part of the value: Segment compares with 'track' including the quotes; use double quotes"]],
  [
    'event = "a\\"b"',
    [
      '`event = "a\\` at character 1: strings have no escape sequences: Segment keeps the `\\` literally (and a `\\"` ends the string)',
      '`"b"` at character 12: the closing quote of the string at character 9 is not followed by a space, `,`, `)` or the end, so Segment\'s lexer reads it again as an opening quote; Segment ignores this part of the trigger (put a space after the closing quote)',
    ],
  ],
  [
    'event = null',
    ['`event = null` at character 1: Segment does not treat `null` as "missing" for `event`: it compares with the string "null", so this matches only the literal string "null"'],
  ],
  [
    'event != null',
    [
      '`event != null` at character 1: Segment does not treat `null` as "missing" for `event`: it compares with the string "null", so this matches every event whose value is not the string "null" (missing included)',
    ],
  ],
  ['userId = 123', ['`userId = 123` at character 1: Segment compares with the string "123"; a numeric userId never matches']],
  [
    'properties.price = "10"',
    ['`properties.price = "10"` at character 1: Segment compares strictly as the string "10": the number 10 does not match; write properties.price = 10 to compare numbers'],
  ],
  [
    'properties.flag = "true"',
    [
      '`properties.flag = "true"` at character 1: Segment compares strictly as the string "true": the boolean true does not match; write properties.flag = true to test the boolean',
    ],
  ],
  [
    'properties.price != 10',
    [
      "`properties.price != 10` at character 1: Segment's numeric `!=` only matches when properties.price is a number other than 10; events where it is missing, null or a string do not match",
    ],
  ],
  ['properties.price > "abc"', ['`properties.price > "abc"` at character 1: the value "abc" is not a number, so this condition never matches']],
  ['event > 5', ["`event > 5` at character 1: Segment's `>` only matches when `event` is a number; string values never match"]],
  [
    'type == "track"',
    [
      '`type ==` at character 1: the value is `=`, not a quoted string, number, true, false or null; Segment compares with the string "="',
      '`"track"` at character 9: Segment ignores this part of the trigger',
    ],
  ],
  [
    'properties.price <=5',
    [
      '`properties.price <=` at character 1: the value is `=`, not a quoted string, number, true, false or null; Segment compares with the string "=" (write `<=` followed by a space)',
      '`5` at character 20: Segment ignores this part of the trigger',
    ],
  ],
  [
    'match(event, "Ord*er")',
    [
      '`match(event, "Ord*er")` at character 1: match() supports only one leading or trailing `*`; Segment checks that event ends with "rd*er" (taken literally, first character dropped)',
    ],
  ],
  [
    'match(event, "Order")',
    [
      '`match(event, "Order")` at character 1: match() supports only one leading or trailing `*`; Segment checks that event ends with "rder" (taken literally, first character dropped)',
    ],
  ],
  [
    '!contains(event, "Order")',
    [
      '`!contains(event, "Order")` at character 1: Segment\'s negated contains() only matches when event is a string; events where it is missing, null or not a string do not match',
    ],
  ],
  [
    'contains(type, "tr") or type = "page"',
    [
      '`contains(type, "tr")` at character 1: Segment\'s contains() supports only event, name, userId, properties.<path>, traits.<path> and context.<path> as its field, not `type`; Segment drops this condition',
    ],
  ],
  [
    '(contains(event, "Order") or type = "page") and type = "track"',
    [
      '`contains(event, "Order"` at character 2: the `)` closing contains() also closes the parentheses opened at character 1 (Segment ends a group at its first `)`); the rest is evaluated outside the group',
      '`or` at character 27 and `and` at character 45 are mixed at the top level; Segment has no precedence and combines all 3 conditions of this level with the last conjunction, `and` (all of them must match); use one level of parentheses to group',
      '`)` at character 43: this `)` has no matching `(` (a group ends at its first `)`, including one that closes contains(…)/match(…)); Segment ignores it',
    ],
  ],
  ['type = "track")', ['`)` at character 15: this `)` has no matching `(` (a group ends at its first `)`, including one that closes contains(…)/match(…)); Segment ignores it']],
  [
    '() or type = "track"',
    ['`()` at character 1: these parentheses contain no condition Segment understands; Segment keeps an empty entry that makes every evaluation reaching it fail with an error'],
  ],
  [
    'properties\\.\\. != null or type = "track"',
    [
      '`properties\\.\\. != null` at character 1: the path "." has no key Segment can read; evaluating this condition throws in Segment, so every event reaching it fails with an error',
    ],
  ],
  ['properties = "x"', ['`properties = "x"` at character 1: `properties` has no `properties.` path; Segment looks up properties["properties"] instead']],
  [
    'type = "track" and event = ax',
    [
      '`event = ax` at character 20: the value is `a`, not a quoted string, number, true, false or null; Segment compares with the string "a"',
      "`ax` at character 28: Segment's lexer reads the end of the trigger as `a` (it drops the rest of a word starting like and/or/null)",
    ],
  ],
  [
    'event = "x"and type = "track"',
    [
      '`"and type = "track"` at character 11: the closing quote of the string at character 9 is not followed by a space, `,`, `)` or the end, so Segment\'s lexer reads it again as an opening quote; Segment ignores this part of the trigger (put a space after the closing quote)',
    ],
  ],
  [
    'constructor = 1 and type = "track"',
    [
      '`constructor = 1` at character 1: `constructor` is not a field Segment supports (type, event, name, userId, properties.<path>, traits.<path>, context.<path>); Segment drops this condition and evaluates the trigger without it',
    ],
  ],
  [
    'type = "track" AND event = "x"',
    [
      "`AND` at character 16: `AND` is not a keyword (only lowercase `and`/`or` are, and there is no `not`); Segment ignores it and combines the conditions with this level's last `and`/`or` (`and` if there is none)",
    ],
  ],
  [
    'lowercase(event = "x")',
    ['`lowercase` at character 1: Segment has no function `lowercase` (only contains and match); it ignores the name and reads the parentheses that follow as a plain group'],
  ],
  [
    'type = "track" and event = and',
    ['`event = and` at character 20: the value is `and`, not a quoted string, number, true, false or null; Segment compares with the string "and"'],
  ],
  ['type =', ['`type =` at character 1: the value is the end of the trigger, not a quoted string, number, true, false or null; Segment compares with the string "eos"']],
  [
    'contains(event "Order")',
    [
      '`contains(event "Order")` at character 1: Segment reads contains() arguments by position as `(`, field, `,`, value, `)`; here it took `event` as the field and `)` as the value',
      '`contains(event "Order")` at character 1: the value is `)`, not a quoted string; Segment uses ")"',
    ],
  ],
  ['type = "track", event = "x"', ['`,` at character 15: Segment ignores this part of the trigger']],
  [
    'type = "Track" or type = "page"',
    [
      '`type = "Track"` at character 1: "Track" is not a Segment event type (track, page, screen, identify, group, alias) and the comparison is case-sensitive, so this never matches',
    ],
  ],
  ['properties.price = -', ['`properties.price = -` at character 1: the value `-` is not a number, so this condition never matches']],
]

describe('FQL triggers — warning texts', () => {
  for (const [fql, warnings] of WARNINGS) {
    it(JSON.stringify(fql), () => {
      assert.ok(!parseFql(fql).error, 'Segment accepts it')
      assert.deepStrictEqual(analyzeTrigger(fql), { fql, ok: true, warnings })
      assert.deepStrictEqual(compileTriggerWithWarnings(fql).warnings, warnings)
    })
  }

  it('Quick Setup presets and clean triggers have no warnings', () => {
    for (const fql of [
      'type = "track" and event != "Order Completed"',
      'type = "track" and event = "Order Completed"',
      'type = "identify"',
      'type = "page"',
      'type = "screen"',
      'type = "group"',
      'type = "alias"',
      'type = "track" and (event = "A" or event = "B")',
      'properties.price > 10 and properties.price <= 100',
      'traits.email != null',
      'userId = true',
      'match(event, "Order*") or match(event, "*Completed")',
      'contains(context.library.name, "analytics")',
      'properties.product\\ 1.price = 3',
    ]) {
      assert.deepStrictEqual(analyzeTrigger(fql).warnings, [], fql)
    }
  })
})
