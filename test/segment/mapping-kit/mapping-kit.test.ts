import { strict as assert } from 'node:assert'
import { compileMapping, defaultValues, formatMappingError, MappingValidationError, transform, validateMapping } from '../../../src/segment/mapping-kit/index.js'
import { core, runCore, runOurs, type Outcome } from '../../helpers/mapping-kit.js'

const EV = {
  type: 'track',
  event: 'Clicked',
  name: 'Home',
  userId: 'u1',
  anonymousId: 'anon',
  num: 5,
  zero: 0,
  empty: '',
  nul: null,
  f: false,
  t: true,
  arr: [1, 2],
  obj: { k: 'v', n: null, deep: { n: null, x: 1 }, list: [null, 1] },
  a: { b: { f: [{ g: 'G0' }, { g: 'G1' }] } },
  '[txt] non': 'literal-key',
  $: { obj: { x: 'dollar' } },
  integrations: { 'Actions Amplitude': { session_id: 123 } },
  html: '<b>&</b>',
  braces: '{{name}}',
  json: '{"a":1}',
  badjson: '{a:1',
  products: [{ price: 1, sku: 'A' }, { price: 2 }, null, 7],
  single: { price: 3 },
  str: 'abc',
  upper: 'MiXeD',
  dotted: 'a.b.c',
}

type Expect = { value: unknown } | { errors: string[] }
interface Case {
  name: string
  mapping: unknown
  event?: unknown
  expect: Expect
}

const v = (value: unknown): Expect => ({ value })
const errs = (...errors: string[]): Expect => ({ errors })

const cases: Case[] = [
  // ---- B.1 model
  { name: 'raw values are returned as-is', mapping: { a: 1, b: 'x', c: true, d: null, e: [1, 'y'] }, expect: v({ a: 1, b: 'x', c: true, d: null, e: [1, 'y'] }) },
  { name: '_metadata next to a directive is ignored', mapping: { a: { '@path': '$.name', _metadata: { label: 'x' } } }, expect: v({ a: 'Home' }) },
  { name: 'unknown directive is a validation error', mapping: { a: { '@oops': 1 } }, expect: errs('/a has an invalid directive: @oops.') },
  { name: 'directive + other key', mapping: { a: { '@path': '$.x', b: 1 } }, expect: errs('/a should only have one @-prefixed key but it has 2 keys.') },
  {
    name: 'two directives (count is @-keys only)',
    mapping: { a: { '@path': '$.x', '@template': 'y', _metadata: 1 } },
    expect: errs('/a should only have one @-prefixed key but it has 2 keys.'),
  },
  { name: 'other-key count includes _metadata', mapping: { a: { '@path': '$.x', b: 1, _metadata: 1 } }, expect: errs('/a should only have one @-prefixed key but it has 3 keys.') },
  { name: 'array elements are resolved; undefined stays', mapping: { a: [{ '@path': '$.name' }, { '@path': '$.missing' }, 3] }, expect: v({ a: ['Home', undefined, 3] }) },
  {
    name: 'nested objects resolved, undefined keys removed, null kept, empty object stays',
    mapping: { a: { b: { '@path': '$.nul' }, c: { '@path': '$.missing' } }, d: { e: { '@path': '$.missing' } } },
    expect: v({ a: { b: null }, d: {} }),
  },
  { name: 'data must be an object (array)', mapping: { a: 1 }, event: [], expect: errs('data must be an object, got array') },
  { name: 'data must be an object (string)', mapping: { a: 1 }, event: 'x', expect: errs('data must be an object, got string') },
  { name: 'data must be an object (null)', mapping: { a: 1 }, event: null, expect: errs('data must be an object, got null') },
  { name: 'data check precedes mapping validation', mapping: { a: { '@oops': 1 } }, event: 5, expect: errs('data must be an object, got number') },
  { name: 'undefined data defaults to {}', mapping: { a: { '@path': '$.x' }, b: 1 }, event: undefined, expect: v({ b: 1 }) },
  {
    name: 'root __segment_internal_directive: @transform gets the other keys as mapping',
    mapping: { __segment_internal_directive: { '@transform': { apply: { x: { '@path': '$.name' } } } }, out: { '@path': '$.x' } },
    expect: v({ out: 'Home' }),
  },
  {
    name: 'root directive with two keys',
    mapping: { __segment_internal_directive: { '@a': {}, '@b': {} } },
    expect: errs('The root mapping must only have a single directive object'),
  },
  { name: 'root directive value not an object', mapping: { __segment_internal_directive: { '@path': '$.x' } }, expect: errs('The root directive must be an object') },
  { name: 'root directive null', mapping: { __segment_internal_directive: null }, expect: errs('Cannot convert undefined or null to object') },
  {
    name: 'root directive mapping is validated',
    mapping: { __segment_internal_directive: { '@transform': { apply: {} } }, x: { '@nope': 1 } },
    expect: errs('/@transform/mapping/x has an invalid directive: @nope.'),
  },
  { name: 'a directive at the root returns its value', mapping: { '@path': '$.name' }, expect: v('Home') },
  // ---- B.2 paths
  { name: '$. is removed once only', mapping: { a: { '@path': '$.$.obj.x' } }, expect: v({ a: 'dollar' }) },
  { name: '"$." and "" are the root', mapping: { a: { '@path': '$.' }, b: { '@path': '' } }, event: { z: 1 }, expect: v({ a: { z: 1 }, b: { z: 1 } }) },
  { name: '"." is the root', mapping: { a: { '@path': '.' } }, event: { z: 1 }, expect: v({ a: { z: 1 } }) },
  {
    name: 'bracket and dot indexes',
    mapping: { a: { '@path': '$.a.b.f[0].g' }, b: { '@path': 'a.b.f.1.g' }, c: { '@path': "['a'].b.f[1]['g']" }, d: { '@path': '["a"]["b"].f.0.g' } },
    expect: v({ a: 'G0', b: 'G1', c: 'G1', d: 'G0' }),
  },
  {
    name: '[txt] non is a literal key; spaces allowed',
    mapping: { a: { '@path': '$.[txt] non' }, b: { '@path': '$.integrations.Actions Amplitude.session_id' } },
    expect: v({ a: 'literal-key', b: 123 }),
  },
  { name: "$['obj']['x'] does not reach obj.x ($ is a key)", mapping: { a: { '@path': "$['obj']['x']" } }, event: { obj: { x: 1 } }, expect: v({}) },
  { name: "$['obj']['x'] reads the key $", mapping: { a: { '@path': "$['obj']['x']" } }, expect: v({ a: 'dollar' }) },
  {
    name: 'falsy intermediates are returned',
    mapping: { a: { '@path': '$.zero.b' }, b: { '@path': '$.empty.b' }, c: { '@path': '$.nul.b' }, d: { '@path': '$.f.b' } },
    expect: v({ a: 0, b: '', c: null, d: false }),
  },
  { name: 'primitive properties are reachable', mapping: { a: { '@path': '$.str.length' }, b: { '@path': '$.str[1]' } }, expect: v({ a: 3, b: 'b' }) },
  { name: 'missing path removes the key', mapping: { a: { '@path': '$.nope.deeper' }, b: 1 }, expect: v({ b: 1 }) },
  { name: 'template placeholders keep $.', mapping: { a: { '@template': '[{{$.name}}]' } }, expect: v({ a: '[]' }) },
  // ---- B.3 validation
  { name: '@if must be an object', mapping: { a: { '@if': 'x' } }, expect: errs('/a/@if should be an object but it is a string.') },
  { name: '@if keys validated (directive in then)', mapping: { a: { '@if': { exists: 1, then: { '@x': 1 } } } }, expect: errs('/a/@if/then has an invalid directive: @x.') },
  {
    name: '@case operator must be a string, value a string or directive',
    mapping: { a: { '@case': { operator: 1, value: 2 } } },
    expect: errs('/a/@case/operator should be a string but it is a number.', '/a/@case/value should be a string or a mapping directive but it is a number.'),
  },
  {
    name: '@replace pattern too long',
    mapping: { a: { '@replace': { pattern: 'abcdefghijk', value: 'x' } } },
    expect: errs('/a/@replace/pattern should be a string of length 10 or less.'),
  },
  { name: '@replace pattern empty', mapping: { a: { '@replace': { pattern: '', value: 'x' } } }, expect: errs('/a/@replace/pattern should be a string of length 1 or greater.') },
  {
    name: '@replace missing fields, bad booleans',
    mapping: { a: { '@replace': { replacement: 'abcdefghijk', ignorecase: 'yes', global: 1 } } },
    expect: errs(
      '/a/@replace should have field "pattern" but it doesn\'t.',
      '/a/@replace/replacement should be a string of length 10 or less.',
      '/a/@replace should have field "value" but it doesn\'t.',
      '/a/@replace/ignorecase should be a boolean but it is a string.',
      '/a/@replace/global should be a boolean but it is a number.',
    ),
  },
  { name: '@arrayPath must be an array', mapping: { a: { '@arrayPath': '$.x' } }, expect: errs('/a/@arrayPath should be an array but it is a string.') },
  {
    name: '@arrayPath path must be string or directive (stops there)',
    mapping: { a: { '@arrayPath': [1, { b: { '@x': 1 } }] } },
    expect: errs('/a/@arrayPath should be a string or a mapping directive but it is a number.'),
  },
  {
    name: '@arrayPath shape validated (no index in path)',
    mapping: { a: { '@arrayPath': ['$.x', { b: { '@x': 1 } }] } },
    expect: errs('/a/@arrayPath/b has an invalid directive: @x.'),
  },
  { name: '@path must be a string or directive', mapping: { a: { '@path': 5 } }, expect: errs('/a/@path should be a string or a mapping directive but it is a number.') },
  {
    name: '@template must be a string or directive (articles)',
    mapping: { a: { '@template': [1] }, b: { '@template': {} }, c: { '@template': null } },
    expect: errs(
      '/a/@template should be a string or a mapping directive but it is an array.',
      '/b/@template should be a string or a mapping directive but it is an object.',
      '/c/@template should be a string or a mapping directive but it is a null.',
    ),
  },
  {
    name: '@json mode checked case-insensitively',
    mapping: { a: { '@json': { mode: 'x', value: 1 } }, b: { '@json': { mode: 'ENCODE', value: { '@path': '$.num' } } } },
    expect: errs('/a/@json/mode should be one of encode, decode but it is "x".'),
  },
  {
    name: '@json required fields',
    mapping: { a: { '@json': {} } },
    expect: errs('/a/@json should have field "value" but it doesn\'t.', '/a/@json should have field "mode" but it doesn\'t.'),
  },
  {
    name: '@flatten requires value; separator string',
    mapping: { a: { '@flatten': { separator: 1 } } },
    expect: errs('/a/@flatten/separator should be a string but it is a number.', '/a/@flatten should have field "value" but it doesn\'t.'),
  },
  {
    name: '@merge direction + objects',
    mapping: { a: { '@merge': { direction: 'up' } } },
    expect: errs('/a/@merge/direction should be one of left, right but it is "up".', '/a/@merge should have field "objects" but it doesn\'t.'),
  },
  {
    name: '@merge objects validated without path (first error only)',
    mapping: { a: { '@merge': { direction: 'LEFT', objects: [{ k: { '@x': 1 } }, 'str'] } } },
    expect: errs('/k has an invalid directive: @x.'),
  },
  { name: '@merge object of wrong type', mapping: { a: { '@merge': { objects: [{}, 'str'] } } }, expect: errs('/ should be a object or a mapping directive but it is a string.') },
  {
    name: '@transform requires apply and mapping objects',
    mapping: { a: { '@transform': { apply: 'x' } } },
    expect: errs('/a/@transform/apply should be a object or a mapping directive but it is a string.', '/a/@transform should have field "mapping" but it doesn\'t.'),
  },
  { name: '@liquid must be a string', mapping: { a: { '@liquid': 5 } }, expect: errs('/a/@liquid should be a string but it is a number.') },
  {
    name: 'directive option objects: all keys validated first',
    mapping: { a: { '@if': { exists: { '@a': 1 }, x: { '@b': 1 }, then: 5 } } },
    expect: errs('/a/@if/exists has an invalid directive: @a.', '/a/@if/x has an invalid directive: @b.'),
  },
  {
    name: 'field expecting a boolean gets a directive',
    mapping: { a: { '@replace': { pattern: 'a', value: 'b', global: { '@path': '$.t' } } } },
    expect: errs('/a/@replace/global should be a boolean but it is a directive.'),
  },
  {
    name: 'errors from several keys are all reported',
    mapping: { a: { '@oops': 1 }, b: { c: { '@path': 5 } }, d: { '@if': 1 } },
    expect: errs(
      '/a has an invalid directive: @oops.',
      '/b/c/@path should be a string or a mapping directive but it is a number.',
      '/d/@if should be an object but it is a number.',
    ),
  },
  { name: 'raw array elements are not validated (runtime error)', mapping: { a: [{ '@oops': 1 }] }, expect: errs('@oops is not a valid directive, got undefined') },
  {
    name: 'raw array element with directive + key is a plain object',
    mapping: { a: [{ '@path': '$.name', k: { '@path': '$.name' } }] },
    expect: v({ a: [{ '@path': '$.name', k: 'Home' }] }),
  },
  // ---- B.4 @path / @template
  { name: '@path with a directive value', mapping: { a: { '@path': { '@template': '$.{{dotted}}' } } }, event: { dotted: 'x.y', x: { y: 42 } }, expect: v({ a: 42 }) },
  { name: '@path resolving to a non-string throws', mapping: { a: { '@path': { '@path': '$.num' } } }, expect: errs('@path: expected string, got number') },
  {
    name: '@template value stringification',
    mapping: { a: { '@template': '{{t}}|{{num}}|{{arr}}|{{obj}}|{{nul}}|{{missing}}|{{zero}}' } },
    expect: v({ a: 'true|5|1,2|[object Object]|||0' }),
  },
  {
    name: '@template: triple first, no escaping, extra brace literal, trimmed keys',
    mapping: { a: { '@template': '{{{ html }}} {{ html }} {{name}}}' } },
    expect: v({ a: '<b>&</b> <b>&</b> Home}' }),
  },
  { name: '@template: triple-brace values are rescanned for {{ }}', mapping: { a: { '@template': 'x{{{braces}}}' } }, expect: v({ a: 'xHome' }) },
  { name: '@template: missing value keeps key (Viewed )', mapping: { event_type: { '@template': 'Viewed {{name}}' } }, event: {}, expect: v({ event_type: 'Viewed ' }) },
  {
    name: '@template with a directive value; non-string throws',
    mapping: { a: { '@template': { '@path': '$.braces' } }, b: { '@template': { '@path': '$.num' } } },
    expect: errs('@template: expected string, got number'),
  },
  // @literal
  {
    name: '@literal resolves nested directives',
    mapping: { a: { '@literal': { k: { '@path': '$.name' } } }, b: { '@literal': false }, c: { '@literal': '' } },
    expect: v({ a: { k: 'Home' }, b: false, c: '' }),
  },
  // @if
  {
    name: '@if exists: "", 0, false count as existing',
    mapping: {
      a: { '@if': { exists: { '@path': '$.empty' }, then: 1, else: 2 } },
      b: { '@if': { exists: { '@path': '$.zero' }, then: 1, else: 2 } },
      c: { '@if': { exists: { '@path': '$.f' }, then: 1, else: 2 } },
      d: { '@if': { exists: { '@path': '$.nul' }, then: 1, else: 2 } },
    },
    expect: v({ a: 1, b: 1, c: 1, d: 2 }),
  },
  {
    name: '@if blank: 0, false, "", [] are blank; [1,2] is not',
    mapping: {
      a: { '@if': { blank: { '@path': '$.zero' }, then: 'y', else: 'n' } },
      b: { '@if': { blank: { '@path': '$.f' }, then: 'y', else: 'n' } },
      c: { '@if': { blank: { '@path': '$.empty' }, then: 'y', else: 'n' } },
      d: { '@if': { blank: [], then: 'y', else: 'n' } },
      e: { '@if': { blank: { '@path': '$.arr' }, then: 'y', else: 'n' } },
    },
    expect: v({ a: 'n', b: 'n', c: 'n', d: 'n', e: 'y' }),
  },
  { name: '@if exists:false throws', mapping: { a: { '@if': { exists: false, then: 1 } } }, expect: errs('@if requires an "exists" key or a "blank" key') },
  { name: '@if exists:0 with truthy blank uses exists', mapping: { a: { '@if': { exists: 0, blank: 'x', then: 'T' } } }, expect: v({ a: 'T' }) },
  {
    name: '@if falsy else is ignored; missing then gives undefined',
    mapping: {
      a: { '@if': { exists: { '@path': '$.missing' }, then: 1, else: 0 } },
      b: { '@if': { exists: { '@path': '$.missing' }, else: null } },
      c: { '@if': { exists: { '@path': '$.name' } } },
      d: { '@if': { exists: { '@path': '$.missing' }, else: '' } },
    },
    expect: v({}),
  },
  {
    name: '@if device_id default',
    mapping: { device_id: { '@if': { exists: { '@path': '$.context.device.id' }, then: { '@path': '$.context.device.id' }, else: { '@path': '$.anonymousId' } } } },
    expect: v({ device_id: 'anon' }),
  },
  // @arrayPath
  {
    name: '@arrayPath maps items; relative paths with or without $.',
    mapping: { a: { '@arrayPath': ['$.products', { p: { '@path': 'price' }, q: { '@path': '$.sku' } }] } },
    expect: v({ a: [{ p: 1, q: 'A' }, { p: 2 }, { p: null, q: null }, {}] }),
  },
  { name: '@arrayPath single object becomes a 1-element array', mapping: { a: { '@arrayPath': ['$.single', { p: { '@path': 'price' } }] } }, expect: v({ a: [{ p: 3 }] }) },
  {
    name: '@arrayPath without shape / empty shape returns root',
    mapping: { a: { '@arrayPath': ['$.products'] }, b: { '@arrayPath': ['$.str', { x: 1 }] }, c: { '@arrayPath': ['$.single', {}] }, d: { '@arrayPath': ['$.missing', { x: 1 }] } },
    expect: v({ a: EV.products, b: 'abc', c: { price: 3 } }),
  },
  { name: '@arrayPath with a directive path', mapping: { a: { '@arrayPath': [{ '@path': '$.arr' }, { v: { '@path': '$.' } }] } }, expect: v({ a: [{ v: 1 }, { v: 2 }] }) },
  // @case
  {
    name: '@case lower/upper; non-strings unchanged',
    mapping: {
      a: { '@case': { operator: 'lower', value: { '@path': '$.upper' } } },
      b: { '@case': { operator: 'upper', value: 'x' } },
      c: { '@case': { operator: 'upper', value: { '@path': '$.num' } } },
    },
    expect: v({ a: 'mixed', b: 'X', c: 5 }),
  },
  { name: '@case missing operator throws at runtime', mapping: { a: { '@case': { value: 'x' } } }, expect: errs('@case requires a "operator" key') },
  { name: '@case falsy value gives undefined', mapping: { a: { '@case': { operator: 'lower', value: '' } } }, expect: v({}) },
  {
    name: '@case bad operator on a string throws',
    mapping: { a: { '@case': { operator: 'title', value: 'x' } } },
    expect: errs('operator key should have a value of "lower" or "upper"'),
  },
  // @replace
  {
    name: '@replace literal pattern, global default',
    mapping: { a: { '@replace': { pattern: '.', replacement: '-', value: { '@path': '$.dotted' } } } },
    expect: v({ a: 'a-b-c' }),
  },
  {
    name: '@replace global:false, ignorecase, pattern2',
    mapping: { a: { '@replace': { pattern: 'x', replacement: 'y', global: false, ignorecase: true, value: 'XxX', pattern2: 'y', replacement2: 'z' } } },
    expect: v({ a: 'zxX' }),
  },
  {
    name: '@replace stringifies numbers/booleans; null/missing → ""',
    mapping: {
      a: { '@replace': { pattern: '5', replacement: 'five', value: { '@path': '$.num' } } },
      b: { '@replace': { pattern: 'u', value: { '@path': '$.t' } } },
      c: { '@replace': { pattern: 'a', value: { '@path': '$.nul' } } },
      d: { '@replace': { pattern: 'a', value: { '@path': '$.missing' } } },
    },
    expect: v({ a: 'five', b: 'tre', c: '', d: '' }),
  },
  {
    name: '@replace runtime length guard (unvalidated array element)',
    mapping: { a: [{ '@replace': { pattern: 'abcdefghijk', value: 'x' } }] },
    expect: errs('@replace requires a "pattern" less than 10 characters'),
  },
  { name: '@replace replacement $& is special', mapping: { a: { '@replace': { pattern: 'b', replacement: '[$&]', value: 'abc' } } }, expect: v({ a: 'a[b]c' }) },
  // @json
  {
    name: '@json encode/decode',
    mapping: {
      a: { '@json': { mode: 'encode', value: { '@path': '$.obj.deep' } } },
      b: { '@json': { mode: 'decode', value: { '@path': '$.json' } } },
      c: { '@json': { mode: 'decode', value: { '@path': '$.badjson' } } },
      d: { '@json': { mode: 'decode', value: { '@path': '$.num' } } },
      e: { '@json': { mode: 'encode', value: { '@path': '$.nul' } } },
      f: { '@json': { mode: 'encode', value: { '@path': '$.missing' } } },
    },
    expect: v({ a: '{"n":null,"x":1}', b: { a: 1 }, c: '{a:1', d: 5, e: 'null' }),
  },
  { name: '@json mode ENCODE passes validation but yields nothing', mapping: { a: { '@json': { mode: 'ENCODE', value: 'x' } } }, expect: v({}) },
  { name: '@json falsy value throws at runtime', mapping: { a: { '@json': { mode: 'encode', value: 0 } } }, expect: errs('@json requires a "value" key') },
  // @flatten
  {
    name: '@flatten objects and arrays',
    mapping: { a: { '@flatten': { separator: '.', value: { '@path': '$.obj' } } } },
    expect: v({ a: { k: 'v', n: null, 'deep.n': null, 'deep.x': 1, 'list.0': null, 'list.1': 1 } }),
  },
  {
    name: '@flatten omitArrays; array root; primitive',
    mapping: {
      a: { '@flatten': { separator: '_', omitArrays: true, value: { '@path': '$.obj' } } },
      b: { '@flatten': { separator: '.', value: [{ fazz: 1 }] } },
      c: { '@flatten': { separator: '.', value: 7 } },
    },
    expect: v({ a: { k: 'v', n: null, deep_n: null, deep_x: 1, list: [null, 1] }, b: { '0.fazz': 1 }, c: { '': 7 } }),
  },
  { name: '@flatten without separator throws at runtime', mapping: { a: { '@flatten': { value: 1 } } }, expect: errs('@flatten requires a "separator" key') },
  // @merge
  {
    name: '@merge right: later wins; left: earlier wins',
    mapping: { r: { '@merge': { direction: 'right', objects: [{ a: 1, b: 1 }, { b: 2 }] } }, l: { '@merge': { direction: 'left', objects: [{ a: 1, b: 1 }, { b: 2 }] } } },
    expect: v({ r: { a: 1, b: 2 }, l: { b: 1, a: 1 } }),
  },
  { name: '@merge without direction throws at runtime', mapping: { a: { '@merge': { objects: [{ a: 1 }] } } }, expect: errs('@merge requires a "direction" key') },
  {
    name: '@merge: undefined in a later object erases the key; strings spread',
    mapping: { a: { '@merge': { direction: 'right', objects: [{ k: 1 }, { k: { '@path': '$.missing' } }, { '@path': '$.str' }] } } },
    expect: v({ a: { 0: 'a', 1: 'b', 2: 'c' } }),
  },
  {
    name: '@merge direction LEFT (validation case-insensitive, runtime exact)',
    mapping: { a: { '@merge': { direction: 'LEFT', objects: [{ b: 1 }, { b: 2 }] } } },
    expect: v({ a: { b: 2 } }),
  },
  // @transform
  {
    name: '@transform applies then maps',
    mapping: { a: { '@transform': { apply: { x: { '@path': '$.name' }, y: { '@path': '$.missing' } }, mapping: { out: { '@path': '$.x' }, all: { '@path': '$.' } } } } },
    expect: v({ a: { out: 'Home', all: { x: 'Home' } } }),
  },
  // @excludeWhenNull
  {
    name: '@excludeWhenNull',
    mapping: {
      a: { '@excludeWhenNull': { '@path': '$.nul' } },
      b: { '@excludeWhenNull': { '@path': '$.obj' } },
      c: { '@excludeWhenNull': { '@template': '{{nul}}' } },
      d: { '@excludeWhenNull': { '@json': { mode: 'encode', value: { '@path': '$.nul' } } } },
      e: { '@excludeWhenNull': 0 },
    },
    expect: v({ b: { k: 'v', deep: { x: 1 }, list: [null, 1] }, c: '', d: 'null', e: 0 }),
  },
  // @liquid
  { name: '@liquid renders; "" stays ""', mapping: { a: { '@liquid': '{{ name | upcase }}-{{ num | plus: 1 }}' }, b: { '@liquid': '' } }, expect: v({ a: 'HOME-6', b: '' }) },
  { name: '@liquid longer than 1000 chars', mapping: { a: { '@liquid': 'x'.repeat(1001) } }, expect: errs('liquid template values are limited to 1000 characters') },
  // ---- runtime guards (reachable inside raw arrays, which validation skips)
  { name: 'runtime: @if not an object', mapping: { a: [{ '@if': 'x' }] }, expect: errs('@if requires an object with an "exists" key') },
  { name: 'runtime: @arrayPath not an array', mapping: { a: [{ '@arrayPath': 'x' }] }, expect: errs('@arrayPath expected array, got string') },
  { name: 'runtime: @template not a string', mapping: { a: [{ '@template': 5 }] }, expect: errs('@template: expected string, got number') },
  { name: 'runtime: @liquid not a string', mapping: { a: [{ '@liquid': 5 }] }, expect: errs('liquid template value must be a string') },
  { name: 'runtime: @case not an object', mapping: { a: [{ '@case': 'x' }] }, expect: errs('@case requires an object with a "operator" key') },
  { name: 'runtime: @merge without objects', mapping: { a: [{ '@merge': { direction: 'right' } }] }, expect: errs('@merge requires a "objects" key') },
  { name: 'runtime: @merge objects not an array', mapping: { a: [{ '@merge': { direction: 'right', objects: 'x' } }] }, expect: errs('@merge: expected opts.array, got string') },
  { name: 'runtime: @transform apply not an object', mapping: { a: [{ '@transform': { apply: 'x', mapping: {} } }] }, expect: errs('@transform "apply" key should be an object') },
  { name: 'runtime: @flatten separator not a string', mapping: { a: [{ '@flatten': { separator: 5, value: 1 } }] }, expect: errs('@flatten requires a string separator') },
  {
    name: 'runtime: @transform validates apply per event',
    mapping: { a: [{ '@transform': { apply: { b: { '@oops': 1 } }, mapping: {} } }] },
    expect: errs('/b has an invalid directive: @oops.'),
  },
  {
    name: 'runtime: @transform on a primitive arrayPath item',
    mapping: { a: { '@arrayPath': ['$.arr', { v: { '@transform': { apply: {}, mapping: {} } } }] } },
    expect: errs('data must be an object, got number'),
  },
  { name: 'runtime: untaken branch never throws', mapping: { a: { '@if': { exists: { '@path': '$.missing' }, then: [{ '@oops': 1 }], else: 'ok' } } }, expect: v({ a: 'ok' }) },
  {
    name: 'runtime: @json unknown mode still resolves value first',
    mapping: { a: [{ '@json': { mode: 'x', value: { '@template': 5 } } }] },
    expect: errs('@template: expected string, got number'),
  },
  // ---- B.6 no coercion
  {
    name: 'no coercion: numbers, nulls and "" kept',
    mapping: { a: { '@path': '$.num' }, b: { '@path': '$.nul' }, c: { '@path': '$.empty' } },
    expect: v({ a: 5, b: null, c: '' }),
  },
]

function check(c: Case, got: Outcome, who: string): void {
  if ('value' in c.expect) {
    assert.ok('value' in got, `${who} threw: ${JSON.stringify(got)}`)
    assert.deepStrictEqual(got.value, c.expect.value, who)
  } else {
    assert.ok('errors' in got, `${who} did not throw: ${JSON.stringify(got)}`)
    assert.deepStrictEqual(got.errors, c.expect.errors, who)
  }
}

describe('mapping-kit: docs/actions-amplitude.md part B edge cases (ours and actions-core)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const event = 'event' in c ? c.event : EV
      check(c, runOurs(c.mapping, event), 'ours')
      check(c, runCore(c.mapping, event), 'actions-core')
    })
  }

  it('@liquid disabled tags and filters fail like actions-core', () => {
    for (const t of ['{% for x in arr %}{{x}}{% endfor %}', '{{ arr | reverse }}', '{{ arr | map: "x" }}', '{% case name %}{% endcase %}', '{{ name ']) {
      const ours = runOurs({ a: { '@liquid': t } }, EV)
      const theirs = runCore({ a: { '@liquid': t } }, EV)
      assert.ok('errors' in ours, t)
      assert.deepStrictEqual(ours, theirs, t)
    }
  })
})

describe('mapping-kit: API', () => {
  it('defaultValues keeps null/false/0/"" defaults, drops undefined, keeps order and references', () => {
    const shared = { '@path': '$.x' }
    const fields = {
      a: { default: shared },
      b: {},
      c: { default: null },
      d: { default: false },
      e: { default: 0 },
      f: { default: '' },
      g: { default: undefined },
      h: { default: shared },
    }
    const out = defaultValues(fields)
    assert.deepStrictEqual(out, { a: shared, c: null, d: false, e: 0, f: '', h: shared })
    assert.deepStrictEqual(Object.keys(out), ['a', 'c', 'd', 'e', 'f', 'h'])
    assert.equal(out.a, shared)
    assert.deepStrictEqual(out, core.defaultValues(fields))
  })

  it('validateMapping lists every error with Segment path, message and exact pointer', () => {
    const errors = validateMapping({
      a: { '@oops': 1 },
      b: { '@merge': { direction: 'right', objects: [{}, { k: { '@path': 5 } }] } },
      c: { '@arrayPath': ['$.x', { y: { '@if': 'no' } }] },
    })
    assert.deepStrictEqual(errors, [
      { path: '/a', message: 'has an invalid directive: @oops', pointer: '/a' },
      { path: '/k/@path', message: 'should be a string or a mapping directive but it is a number', pointer: '/b/@merge/objects/1/k/@path' },
      { path: '/c/@arrayPath/y/@if', message: 'should be an object but it is a string', pointer: '/c/@arrayPath/1/y/@if' },
    ])
    assert.deepStrictEqual(validateMapping({ a: { '@path': '$.x' } }), [])
  })

  it('root directive errors point at the caller keys', () => {
    const errors = validateMapping({ __segment_internal_directive: { '@transform': { apply: {} } }, 'x/y': { '@nope': 1 } })
    assert.deepStrictEqual(errors, [{ path: '/@transform/mapping/x/y', message: 'has an invalid directive: @nope', pointer: '/x~1y' }])
  })

  it('compileMapping throws MappingValidationError with all errors', () => {
    assert.throws(
      () => compileMapping({ a: { '@oops': 1 }, b: { '@path': 1 } }),
      (e: unknown) => {
        assert.ok(e instanceof MappingValidationError)
        assert.equal(e.errors.length, 2)
        assert.equal(e.message, '/a has an invalid directive: @oops.\n/b/@path should be a string or a mapping directive but it is a number.')
        assert.equal(formatMappingError(e.errors[0]), '/a has an invalid directive: @oops.')
        return true
      },
    )
  })

  it('compiled function is reusable and returns fresh objects', () => {
    const fn = compileMapping({ p: { '@path': '$.properties' }, l: [1, { '@path': '$.x' }] })
    const ev = { properties: { a: { b: 1 } }, x: 2 }
    const r1 = fn(ev)
    const r2 = fn(ev)
    assert.deepStrictEqual(r1, { p: { a: { b: 1 } }, l: [1, 2] })
    assert.deepStrictEqual(r2, r1)
    assert.notEqual(r1.p, ev.properties)
    assert.notEqual((r1.p as { a: unknown }).a, ev.properties.a)
    assert.notEqual(r1.l, r2.l)
  })

  it('does not mutate the mapping (actions-core adds @replace defaults)', () => {
    const m = { a: { '@replace': { pattern: 'a', value: 'abc' } }, __segment_internal_directive: { '@if': { exists: 1, then: {} } } }
    const before = JSON.stringify(m)
    compileMapping(m)
    assert.equal(JSON.stringify(m), before)
  })

  it('transform caches per mapping object and still checks data first', () => {
    const bad = { a: { '@oops': 1 } }
    assert.throws(() => transform(bad, []), { message: 'data must be an object, got array' })
    assert.throws(() => transform(bad, {}), { message: '/a has an invalid directive: @oops.' })
    const good = { a: { '@path': '$.x' } }
    assert.deepStrictEqual(transform(good, { x: 1 }), { a: 1 })
    assert.deepStrictEqual(transform(good, { x: 2 }), { a: 2 })
  })
})

describe('mapping-kit: "__proto__" keys from JSON input behave like actions-core', () => {
  const J = (s: string): unknown => JSON.parse(s)
  const pairs: [string, unknown, unknown][] = [
    ['mapping key __proto__ with a string value is dropped', J('{"__proto__": {"@path": "$.name"}, "a": 1}'), { name: 'Home' }],
    ['mapping key __proto__ with an object value is dropped', J('{"__proto__": {"x": {"@path": "$.name"}}, "a": 1}'), { name: 'Home' }],
    ['event object with own __proto__ copied through @path', { p: { '@path': '$.properties' } }, J('{"properties": {"__proto__": {"a": 1}, "b": 2}}')],
    [
      'event __proto__ through @flatten',
      { f: { '@flatten': { separator: '.', value: { '@path': '$.properties' } } } },
      J('{"properties": {"__proto__": {"a": 1}, "b": {"__proto__": 3}}}'),
    ],
    [
      'event __proto__ through @merge',
      { m: { '@merge': { direction: 'right', objects: [{ '@path': '$.properties' }, { c: 1 }] } } },
      J('{"properties": {"__proto__": {"a": 1}, "b": 2}}'),
    ],
    ['event __proto__ through @excludeWhenNull', { m: { '@excludeWhenNull': { '@path': '$.properties' } } }, J('{"properties": {"__proto__": null, "b": null, "c": {"d": null}}}')],
    ['@path to __proto__ of an event', { m: { '@path': '$.properties.__proto__' } }, J('{"properties": {"__proto__": {"x": 1}}}')],
    ['@json decode producing __proto__', { m: { '@json': { mode: 'decode', value: { '@path': '$.s' } } } }, { s: '{"__proto__": {"x": 1}, "y": 2}' }],
    [
      'null-prototype event objects',
      { p: { '@path': '$.properties' }, a: { '@arrayPath': ['$.properties.list', { v: { '@path': 'k' } }] } },
      { properties: Object.assign(Object.create(null), { k: 1, list: [Object.assign(Object.create(null), { k: 2 })] }) },
    ],
  ]
  /** Own keys + prototype chain, structurally (prototypes built by two JSON.parse calls are not identical objects). */
  const describeValue = (x: unknown, depth = 0): unknown => {
    if (typeof x !== 'object' || x === null || depth > 5) return x
    const proto = Object.getPrototypeOf(x)
    const own = Object.getOwnPropertyNames(x).map((k) => [k, describeValue((x as Record<string, unknown>)[k], depth + 1)])
    const protoDesc = proto === Object.prototype ? 'Object' : proto === Array.prototype ? 'Array' : proto === null ? 'null' : describeValue(proto, depth + 1)
    return { own, proto: protoDesc }
  }
  for (const [name, mapping, event] of pairs) {
    it(name, () => {
      const ours = runOurs(mapping, event)
      const theirs = runCore(mapping, event)
      assert.ok('value' in ours && 'value' in theirs)
      assert.deepStrictEqual(describeValue(ours.value), describeValue(theirs.value))
    })
  }
})
