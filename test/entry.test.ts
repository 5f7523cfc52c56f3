import { strict as assert } from 'node:assert'
import { createRequire } from 'node:module'
import { transform, compileMapping, compileTrigger, classicRecords } from '../src/index.js'

const require = createRequire(import.meta.url)
const core = require('@segment/actions-core') as { transform: (m: unknown, e: unknown) => unknown }
const subs = require('@segment/destination-subscriptions') as { parseFql: (s: string) => unknown; validate: (ast: unknown, e: unknown) => boolean }

describe('programmatic entry (package main export)', () => {
  const event = { type: 'page', name: 'Home', properties: { title: 'Welcome' }, context: { page: { referrer: '' } } }
  const mapping = { event_type: { '@template': 'Viewed {{name}}' }, props: { '@path': '$.properties' }, ref: { '@path': '$.context.page.referrer' }, gone: { '@path': '$.nope' } }

  it('transform(mapping, event) equals @segment/actions-core transform', () => {
    assert.deepStrictEqual(transform(mapping, event), core.transform(mapping, event))
    assert.deepStrictEqual(transform(mapping, event), { event_type: 'Viewed Home', props: { title: 'Welcome' }, ref: '' })
  })

  it('compileMapping returns a reusable function', () => {
    const fn = compileMapping(mapping)
    assert.deepStrictEqual(fn({ ...event, name: 'Pricing' }).event_type, 'Viewed Pricing')
    assert.deepStrictEqual(fn(event).event_type, 'Viewed Home')
  })

  it('compileTrigger agrees with destination-subscriptions validate(parseFql(...))', () => {
    const fql = 'type = "track" and event != "Order Completed"'
    const match = compileTrigger(fql)
    for (const e of [{ type: 'track', event: 'A' }, { type: 'track', event: 'Order Completed' }, { type: 'page' }]) {
      assert.equal(match(e), subs.validate(subs.parseFql(fql), e))
    }
  })

  it('classicRecords returns what Classic sent, [] when nothing', () => {
    const page = { type: 'page', name: 'Analytics', category: 'Docs', userId: 'user-1', timestamp: '2024-05-06T00:00:00.000Z', properties: {} }
    const out = classicRecords(page, { apiKey: 'k', trackNamedPages: true, trackCategorizedPages: true }, { mode: 'cloud' })
    assert.equal(out.length, 1)
    assert.equal(out[0].endpoint, '/httpapi')
    assert.equal(out[0].record.event_type, 'Viewed Docs Analytics Page')
    assert.deepStrictEqual(classicRecords({ type: 'alias', userId: 'a', previousId: 'b' }, { apiKey: 'k' }, { mode: 'cloud' }), [])
  })
})
