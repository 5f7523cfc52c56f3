/**
 * Micro-benchmark: compiled FQL predicate vs Segment's validate(parsedAst, event), in
 * predicates/s. Prints, never asserts: `node --import tsx bench/fql.bench.ts`
 * (also run by `npm run bench`, with the `kit` scenario).
 */
import { strict as assert } from 'node:assert'
import { compileTrigger } from '../src/segment/fql/index.js'
import { parseFql, validate } from '../test/helpers/fql.js'

const TRIGGERS = [
  'type = "track" and event != "Order Completed"',
  'type = "track" and event = "Order Completed"',
  'type = "identify"',
  'type = "page"',
  'type = "track" and (properties.price > 10 or contains(event, "Order")) and context.library.name != null',
]
const EVENTS: Array<Record<string, unknown>> = [
  { type: 'track', event: 'Order Completed', properties: { price: 12 }, context: { library: { name: 'analytics.js' } } },
  { type: 'track', event: 'Product Viewed', properties: { price: 5 }, context: { library: { name: 'analytics.js' } } },
  { type: 'identify', traits: { email: 'a@b.c' } },
  { type: 'page', name: 'Home' },
]

/** Each measurement gets its own freshly created loop function so call-site feedback is not shared. */
function rate(f: (e: Record<string, unknown>) => boolean): number {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const loop = new Function('f', 'E', 'n', 'let hits = 0; for (let i = 0; i < n; i++) if (f(E[i & 3])) hits++; return hits') as (
    f: (e: Record<string, unknown>) => boolean,
    E: unknown[],
    n: number,
  ) => number
  loop(f, EVENTS, 300_000) // warm-up
  const n = 3_000_000
  let best = 0
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint()
    const hits = loop(f, EVENTS, n)
    const ns = Number(process.hrtime.bigint() - t0)
    assert.ok(hits >= 0)
    best = Math.max(best, (n / ns) * 1e9)
  }
  return best
}

console.log('FQL triggers: compiled predicate vs validate(parsedAst, event)')
for (const fql of TRIGGERS) {
  const ast = parseFql(fql)
  const compiled = compileTrigger(fql)
  const ref = rate((e) => validate(ast, e))
  const ours = rate(compiled)
  console.log(`  ${(ours / 1e6).toFixed(1).padStart(6)} M/s vs ${(ref / 1e6).toFixed(1).padStart(5)} M/s (×${(ours / ref).toFixed(1)})  ${fql}`)
}
