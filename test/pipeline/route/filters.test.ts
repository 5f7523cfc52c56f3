/**
 * The route stage's filters alone: Segment's integrations routing, --since/--until and messages
 * without a usable time, --types, --where (a compiled FQL condition), and the order they apply in.
 */
import { strict as assert } from 'node:assert'
import { compileTrigger } from '../../../src/segment/fql/index.js'
import { compileFilters, messageTime, parseTimeFlag, parseTypes, routedAway, UsageError } from '../../../src/pipeline/route/filters.js'
import type { SegmentMessage } from '../../../src/types.js'

const msg = (m: Record<string, unknown>) => m as unknown as SegmentMessage

describe('filters', () => {
  it('honours Segment integrations routing', () => {
    assert.equal(routedAway({ All: false }), true)
    assert.equal(routedAway({ All: false, Amplitude: true }), false)
    assert.equal(routedAway({ All: false, 'Actions Amplitude': { session_id: 1 } }), false)
    assert.equal(routedAway({ Amplitude: false }), true)
    assert.equal(routedAway({ 'Actions Amplitude': false }), true)
    assert.equal(routedAway({ amplitude: false }), true)
    assert.equal(routedAway({ All: true, Mixpanel: false }), false)
    assert.equal(routedAway(undefined), false)
  })

  it('--since is inclusive, --until exclusive, on timestamp then originalTimestamp then receivedAt', () => {
    const f = compileFilters({ since: '2024-05-06T00:00:00Z', until: '1715040000000' })
    assert.equal(f({ type: 'track', timestamp: '2024-05-06T00:00:00.000Z' }), undefined)
    assert.equal(f({ type: 'track', timestamp: '2024-05-05T23:59:59.999Z' }), 'since')
    assert.equal(f({ type: 'track', timestamp: '2024-05-07T00:00:00.000Z' }), 'until')
    assert.equal(f({ type: 'track', originalTimestamp: '2024-05-06T12:00:00.000Z' }), undefined)
    assert.equal(f({ type: 'track', receivedAt: '2024-05-08T12:00:00.000Z' }), 'until')
    assert.equal(f({ type: 'track' }), 'no-timestamp')
  })

  it('rejects a --since that is not a time with a message that says what to use', () => {
    assert.throws(
      () => compileFilters({ since: 'yesterday' }),
      /--since "yesterday" is not a time: use a date \(2024-05-07, 20240507\), a time \(2024-05-07T13:00:00Z, 20240507T13\) or epoch seconds or milliseconds/,
    )
  })

  it('a --until that is not after --since is a usage error (a swapped range would filter every message and exit 0)', () => {
    assert.throws(
      () => compileFilters({ since: '2024-05-08', until: '2024-05-07' }),
      (e: unknown) => e instanceof UsageError && /--until 2024-05-07 is not after --since 2024-05-08/.test((e as Error).message) && (e as UsageError).exitCode === 2,
    )
    assert.throws(() => compileFilters({ since: '20240507', until: '20240507' }), UsageError)
    assert.doesNotThrow(() => compileFilters({ since: '20240507', until: '20240508' }))
  })

  it('--types keeps the listed types only', () => {
    const f = compileFilters({ types: ['track', 'identify'] })
    assert.equal(f(msg({ type: 'track' })), undefined)
    assert.equal(f(msg({ type: 'identify' })), undefined)
    assert.equal(f(msg({ type: 'page' })), 'types')
    assert.equal(f(msg({ type: 'group' })), 'types')
    // An empty list filters nothing.
    assert.equal(compileFilters({ types: [] })(msg({ type: 'alias' })), undefined)
  })

  it('--where keeps the messages its FQL condition matches', () => {
    const f = compileFilters({ where: compileTrigger('event = "Order Completed" or properties.revenue > 10') as (m: Record<string, unknown>) => boolean })
    assert.equal(f(msg({ type: 'track', event: 'Order Completed' })), undefined)
    assert.equal(f(msg({ type: 'track', event: 'Viewed', properties: { revenue: 11 } })), undefined)
    assert.equal(f(msg({ type: 'track', event: 'Viewed', properties: { revenue: 10 } })), 'where')
    assert.equal(f(msg({ type: 'identify' })), 'where')
  })

  it('no-timestamp only when a time window is asked for; an unusable time counts as none', () => {
    assert.equal(compileFilters({})(msg({ type: 'track' })), undefined)
    assert.equal(compileFilters({ types: ['track'] })(msg({ type: 'track' })), undefined)
    const f = compileFilters({ until: '2030-01-01' })
    assert.equal(f(msg({ type: 'track', timestamp: 'not a date' })), 'no-timestamp')
    assert.equal(f(msg({ type: 'track', timestamp: 9999999999999999 })), 'no-timestamp')
    assert.equal(f(msg({ type: 'track', timestamp: null, receivedAt: '2024-05-06T00:00:00Z' })), undefined)
    assert.equal(compileFilters({ since: '0' })(msg({ type: 'track', timestamp: {} })), 'no-timestamp')
  })

  it('the message time: timestamp, else originalTimestamp, else receivedAt; epoch numbers too', () => {
    assert.equal(messageTime(msg({ type: 'track', timestamp: '2024-05-06T00:00:00.000Z', receivedAt: '2024-05-07T00:00:00.000Z' })), Date.UTC(2024, 4, 6))
    assert.equal(messageTime(msg({ type: 'track', timestamp: 'garbage', originalTimestamp: '2024-05-06T00:00:01.000Z' })), Date.UTC(2024, 4, 6, 0, 0, 1))
    assert.equal(messageTime(msg({ type: 'track', receivedAt: 1714953600000 })), 1714953600000)
    assert.equal(messageTime(msg({ type: 'track', timestamp: 8.64e15 + 1 })), undefined)
    assert.equal(messageTime(msg({ type: 'track' })), undefined)
  })

  it('messageTime reads a date and time without a zone as UTC, whatever the machine time zone', () => {
    const tz = process.env.TZ
    process.env.TZ = 'America/New_York'
    try {
      assert.equal(messageTime(msg({ type: 'track', timestamp: '2024-05-06T10:00:00.250' })), Date.UTC(2024, 4, 6, 10, 0, 0, 250))
      assert.equal(messageTime(msg({ type: 'track', timestamp: '2024-05-06 10:00' })), Date.UTC(2024, 4, 6, 10))
      // a written zone or offset is honoured
      assert.equal(messageTime(msg({ type: 'track', timestamp: '2024-05-06T12:00:00+02:00' })), Date.UTC(2024, 4, 6, 10))
      assert.equal(messageTime(msg({ type: 'track', timestamp: '2024-05-06T10:00:00Z' })), Date.UTC(2024, 4, 6, 10))
    } finally {
      if (tz === undefined) delete process.env.TZ
      else process.env.TZ = tz
    }
  })

  it('--ignore-integrations keeps what Segment routed away', () => {
    assert.equal(compileFilters({})(msg({ type: 'track', integrations: { Amplitude: false } })), 'integrations')
    assert.equal(compileFilters({ ignoreIntegrations: true })(msg({ type: 'track', integrations: { Amplitude: false } })), undefined)
  })

  it('one reason per message, in order: integrations, types, time, where', () => {
    const f = compileFilters({ since: '2024-05-06', types: ['track'], where: () => false })
    const old = { timestamp: '2024-01-01T00:00:00Z' }
    assert.equal(f(msg({ type: 'page', integrations: { All: false }, ...old })), 'integrations')
    assert.equal(f(msg({ type: 'page', ...old })), 'types')
    assert.equal(f(msg({ type: 'track', ...old })), 'since')
    assert.equal(f(msg({ type: 'track' })), 'no-timestamp')
    assert.equal(f(msg({ type: 'track', timestamp: '2024-05-06T00:00:00Z' })), 'where')
  })

  it('time flags: ISO 8601 or epoch milliseconds', () => {
    assert.equal(parseTimeFlag('--until', '2024-05-01'), Date.UTC(2024, 4, 1))
    assert.equal(parseTimeFlag('--until', ' 1714521600000 '), 1714521600000)
    assert.equal(parseTimeFlag('--since', '2024-05-01T12:00:00+02:00'), Date.UTC(2024, 4, 1, 10))
    assert.throws(
      () => parseTimeFlag('--until', ''),
      (e: Error) => e instanceof UsageError && e.message.startsWith('--until "" is not a time'),
    )
  })

  it('--types takes a comma list or repeats, and names an unknown type', () => {
    assert.equal(parseTypes(undefined), undefined)
    assert.deepEqual(parseTypes('track, page'), ['track', 'page'])
    assert.deepEqual(parseTypes(['track', 'identify,group', ' ']), ['track', 'identify', 'group'])
    assert.throws(
      () => parseTypes('track,Page,purchase'),
      (e: Error) => e instanceof UsageError && e.message === '--types: unknown type "Page", "purchase"; use any of track,page,screen,identify,group,alias',
    )
  })
})
