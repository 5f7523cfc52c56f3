/**
 * The route stage's filters alone: Segment's integrations routing, --since/--until and messages
 * without a usable time, --types, --where (a compiled FQL condition), and the order they apply in.
 */
import { strict as assert } from 'node:assert'
import { compileTrigger } from '../../src/mapping/fql/index.js'
import { compileFilters, messageTime, parseTimeFlag, parseTypes, routedAway, UsageError } from '../../src/route/filters.js'
import type { SegmentMessage } from '../../src/types.js'

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
    assert.throws(() => compileFilters({ since: 'yesterday' }), /--since "yesterday" is not a time: use ISO 8601 \(2024-05-01 or 2024-05-01T12:00:00Z\) or epoch milliseconds/)
  })
})
