/** Shared helpers for the FQL differential tests (reference = @segment/destination-subscriptions). */
import { strict as assert } from 'node:assert'
import { createRequire } from 'node:module'
import { compileTrigger, parseTriggerAst, TriggerError } from '../../src/segment/fql/index.js'

const require = createRequire(import.meta.url)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ref = require('@segment/destination-subscriptions') as {
  parseFql: (fql: string) => any
  validate: (ast: any, event: unknown) => boolean
}
export const parseFql = ref.parseFql
export const validate = ref.validate

export type Outcome = boolean | 'throws'
export const outcome = (f: () => boolean): Outcome => {
  try {
    return f()
  } catch {
    return 'throws'
  }
}

/** Asserts that our compiled trigger agrees exactly with Segment's parseFql + validate on every event. */
export function assertAgrees(fql: string, events: Array<Record<string, unknown>>): void {
  const expected = parseFql(fql)
  let match: ReturnType<typeof compileTrigger>
  try {
    match = compileTrigger(fql)
  } catch (e) {
    if (!(e instanceof TriggerError)) throw e
    assert.ok(expected.error, `we reject ${JSON.stringify(fql)} (${e.reason}) but Segment accepts it: ${JSON.stringify(expected)}`)
    assert.equal(e.segmentMessage, expected.error.message, `Segment's message for ${JSON.stringify(fql)}`)
    assert.equal(e.fql, fql)
    return
  }
  assert.ok(!expected.error, `we accept ${JSON.stringify(fql)} but Segment rejects it: ${expected.error?.message}`)
  assert.deepStrictEqual(parseTriggerAst(fql), expected, `AST of ${JSON.stringify(fql)}`)
  for (const event of events) {
    const want = outcome(() => validate(expected, event))
    const got = outcome(() => match(event))
    if (got !== want) {
      assert.fail(`${JSON.stringify(fql)} on ${JSON.stringify(event)}: got ${got}, Segment ${want}`)
    }
  }
}

/** A fixed pool of events that exercises type/value edge cases. */
export const EVENTS: Array<Record<string, unknown>> = [
  { type: 'track', event: 'Order Completed', userId: 'u1', properties: { price: 10, s: 'abc', a: { b: 'x' } } },
  { type: 'track', event: 'Order Completed Now', properties: { price: '10', s: 'xyz', a: { b: 1 } } },
  { type: 'track', event: 'Product Viewed', userId: 5, properties: { price: -1.5, s: '', a: 0, flag: true } },
  { type: 'track', event: 'Ord*er', userId: true, properties: { price: 0, flag: false, 'a b': 'sp', properties: 'nested' } },
  { type: 'track', event: 'rd*er', userId: false, properties: null },
  { type: 'track', event: 'null', userId: 'null', properties: { price: null, s: 'null', a: 'str' } },
  { type: 'track', event: 'eos', properties: { price: 11, s: 'true', a: { b: null } } },
  { type: 'track', event: '5', properties: { price: 9.5, s: 'false', flag: 'true' } },
  { type: 'track', event: 5, properties: { price: 1e21 } },
  { type: 'track', event: '', properties: 'str' },
  { type: 'track', event: true, properties: 0 },
  { type: 'track' },
  { type: 'identify', userId: 'u1', traits: { email: 'a@b.c', flag: true, age: 30, nested: { x: 'y' } } },
  { type: 'identify', userId: null, traits: { email: null, age: '30' } },
  { type: 'identify', traits: null },
  { type: 'identify', anonymousId: 'x', traits: { email: '', 'a.b': 1 } },
  { type: 'page', name: 'Home', properties: { url: 'https://x' }, context: { library: { name: 'analytics.js' }, ip: '1.2.3.4' } },
  { type: 'page', name: null, context: { library: { name: 'analytics-node' } } },
  { type: 'page', name: 'null', context: null },
  { type: 'screen', name: '', context: { library: 'str', ip: 5 } },
  { type: 'group', traits: { name: 'Acme' }, context: { traits: { plan: 'pro' } } },
  { type: 'alias', previousId: 'p', userId: 'u' },
  { type: "'track'", event: "'Order Completed'" },
  { type: 'null', event: null },
  { type: 5 as unknown as string },
  {},
  { properties: { arr: ['a', 'b'], obj: {}, num: 10, str: '10', t: true, f: false, n: null, z: 0, e: '' } },
  { properties: { 'arr[0]': 'q', arr: ['q'] }, traits: { arr: [{ x: 1 }] } },
]
