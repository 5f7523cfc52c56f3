/**
 * The key scheduler alone: plain records, a hand-driven clock, no pump, no HTTP.
 */
import { strict as assert } from 'node:assert'
import { KeyScheduler, SKIP_KEY, STOP, TAKE, TAKE_LAST, type KeyState, type Queued, type Returned } from '../../../src/pipeline/deliver/scheduler.js'
import type { AmplitudeEndpoint } from '../../../src/types.js'
import { FakeClock } from '../../helpers/fake-clock.js'

interface Rec extends Queued {
  name: string
}

let seq = 0
function rec(name: string, key: string, o: { endpoint?: AmplitudeEndpoint; userId?: string; deviceId?: string; bytes?: number } = {}): Rec {
  const endpoint = o.endpoint ?? 'httpapi'
  return { name, key, seq: seq++, group: endpoint, endpoint, bytes: o.bytes ?? 10, userId: o.userId, deviceId: o.deviceId ?? key }
}

function setup(): { s: KeyScheduler<Rec>; clock: FakeClock; wakes: number[] } {
  const clock = new FakeClock()
  const wakes: number[] = []
  const s = new KeyScheduler<Rec>(clock, (now) => wakes.push(now))
  return { s, clock, wakes }
}

/** Take what may leave now from the oldest ready key's group (at most `max` records). */
function takeNow(s: KeyScheduler<Rec>, clock: FakeClock, max = Infinity): { names: string[]; held: KeyState<Rec>[] } {
  const names: string[] = []
  const oldest = s.oldestReady(clock.now())
  if (!oldest) return { names, held: [] }
  const held = s.take(oldest.group!, clock.now(), (e) => {
    names.push(e.name)
    return names.length >= max ? TAKE_LAST : TAKE
  })
  return { names, held }
}

function back(entries: Rec[], delay: number): Map<string, Returned<Rec>> {
  const m = new Map<string, Returned<Rec>>()
  for (const e of entries) {
    const b = m.get(e.key) ?? { entries: [], delay }
    b.entries.push(e)
    m.set(e.key, b)
  }
  return m
}

describe('deliver: key scheduler', () => {
  beforeEach(() => (seq = 0))

  it("offers a key's records in push order, and none of its later records while some are in a request", () => {
    const { s, clock } = setup()
    const [a1, a2, a3] = [rec('a1', 'A'), rec('a2', 'A'), rec('a3', 'A')]
    s.push(a1)
    s.push(rec('b1', 'B'))
    s.push(a2)
    s.push(a3)
    // One request may hold several records of a key, in order; keys in the order they became ready.
    const first = takeNow(s, clock, 2)
    assert.deepEqual(first.names, ['a1', 'a2'])
    // A is held: its a3 waits for a1 and a2, B's record may leave.
    assert.deepEqual(takeNow(s, clock).names, ['b1'])
    s.push(rec('a4', 'A'))
    assert.equal(s.hasReady(), false)
    assert.deepEqual(takeNow(s, clock).names, [])
    // The request ends with a2 and a1 unresolved (any order): they go back before a3, in push order.
    s.release(first.held, back([a2, a1], 0), clock.now())
    assert.deepEqual(takeNow(s, clock).names, ['a1', 'a2', 'a3', 'a4'])
  })

  it('a key whose records came back with a delay waits, and so do records pushed behind it; others flow', () => {
    const { s, clock, wakes } = setup()
    const a1 = rec('a1', 'A')
    s.push(a1)
    const t = takeNow(s, clock)
    s.release(t.held, back([a1], 500), clock.now())
    s.push(rec('a2', 'A'))
    s.push(rec('b1', 'B'))
    assert.equal(s.parked, 2, 'a1 and a2 wait')
    assert.deepEqual(takeNow(s, clock).names, ['b1'])
    clock.advance(499)
    assert.deepEqual(takeNow(s, clock).names, [])
    assert.deepEqual(wakes, [])
    clock.advance(1)
    assert.equal(wakes.length, 1, 'the engine is woken when the pause ends')
    assert.equal(s.parked, 0)
    assert.deepEqual(takeNow(s, clock).names, ['a1', 'a2'])
  })

  it('a throttled device holds every key whose next record carries it, until the pause ends', () => {
    const { s, clock } = setup()
    s.push(rec('d1', 'dev-1')) // key = device dev-1
    s.push(rec('u1', 'user-9', { userId: 'user-9', deviceId: 'dev-1' })) // another key, same device
    s.push(rec('x1', 'dev-2'))
    s.push(rec('v1', 'user-8', { userId: 'user-8', deviceId: 'dev-3' }))
    s.throttleIds([], ['dev-1'], clock.now() + 1000)
    assert.deepEqual(takeNow(s, clock).names, ['x1', 'v1'])
    assert.equal(s.parked, 2)
    clock.advance(1000)
    assert.deepEqual(takeNow(s, clock).names, ['d1', 'u1'])
  })

  it('a throttled user holds its keys; a record without that user is not held', () => {
    const { s, clock } = setup()
    s.push(rec('p1', 'dev-5', { userId: 'user-1' }))
    s.push(rec('q1', 'dev-6', { userId: 'user-2' }))
    s.throttleIds(['user-1'], [], clock.now() + 200)
    assert.deepEqual(takeNow(s, clock).names, ['q1'])
    clock.advance(200)
    assert.deepEqual(takeNow(s, clock).names, ['p1'])
  })

  it('an endpoint pause holds the keys whose next record goes there; other endpoints flow', () => {
    const { s, clock } = setup()
    s.push(rec('m1', 'user-m', { endpoint: 'usermap' }))
    s.push(rec('e1', 'dev-1'))
    s.push(rec('m2', 'user-n', { endpoint: 'usermap' }))
    s.pauseEndpoint('usermap', clock.now() + 300, false)
    assert.deepEqual(takeNow(s, clock).names, ['e1'])
    // Pushed during the pause: held too.
    s.push(rec('m3', 'user-o', { endpoint: 'usermap' }))
    assert.equal(takeNow(s, clock).names.length, 0)
    // keepLonger never shortens a pause.
    s.pauseEndpoint('usermap', clock.now() + 100, true)
    clock.advance(150)
    s.push(rec('m4', 'user-p', { endpoint: 'usermap' }))
    assert.equal(takeNow(s, clock).names.length, 0)
    clock.advance(149)
    assert.equal(takeNow(s, clock).names.length, 0)
    clock.advance(1)
    assert.deepEqual(takeNow(s, clock).names, ['m1', 'm2', 'm3', 'm4'])
  })

  it('counts ready records per request group; take leaves other groups and stops where the packer says', () => {
    const { s, clock } = setup()
    for (let i = 0; i < 4; i++) s.push(rec(`e${i}`, `dev-${i}`, { bytes: 100 }))
    s.push(rec('i0', 'user-1', { endpoint: 'identify', bytes: 7 }))
    assert.deepEqual(
      [...s.readyGroups()].map(([g, t]) => [g, t.n, t.bytes]),
      [
        ['httpapi', 4, 400],
        ['identify', 1, 7],
      ],
    )
    // The packer refuses dev-1's record (too big, say) but takes on from the next key; STOP ends
    // it (e3 is not offered).
    const names: string[] = []
    s.take('httpapi', clock.now(), (e) => {
      if (e.name === 'e1') return SKIP_KEY
      if (e.name === 'e2') return STOP
      names.push(e.name)
      return TAKE
    })
    assert.deepEqual(names, ['e0'])
    assert.deepEqual(
      [...s.readyGroups()].map(([g, t]) => [g, t.n]),
      [
        ['httpapi', 3],
        ['identify', 1],
      ],
    )
  })

  it("a key's records of another group wait behind its head: one key never splits across requests out of order", () => {
    const { s, clock } = setup()
    s.push(rec('e1', 'user-1'))
    s.push(rec('i1', 'user-1', { endpoint: 'identify' }))
    s.push(rec('e2', 'user-1'))
    const t1 = takeNow(s, clock)
    assert.deepEqual(t1.names, ['e1'])
    assert.deepEqual(takeNow(s, clock).names, [])
    s.release(t1.held, undefined, clock.now())
    const t2 = takeNow(s, clock)
    assert.deepEqual(t2.names, ['i1'])
    s.release(t2.held, undefined, clock.now())
    assert.deepEqual(takeNow(s, clock).names, ['e2'])
  })

  it('oldestReady skips held keys; queued() lists what was not taken; stop() arms no more wake-ups', () => {
    const { s, clock, wakes } = setup()
    s.push(rec('a1', 'dev-a'))
    s.push(rec('b1', 'dev-b'))
    s.throttleIds([], ['dev-a'], clock.now() + 50)
    assert.equal(s.oldestReady(clock.now())?.key, 'dev-b')
    assert.deepEqual(
      s
        .queued()
        .map((e) => e.name)
        .sort(),
      ['a1', 'b1'],
    )
    s.stop()
    const b1 = takeNow(s, clock)
    s.release(b1.held, back([rec('b0', 'dev-b')], 1000), clock.now())
    clock.advance(5000)
    assert.deepEqual(wakes, [])
    assert.deepEqual(clock.pending(), [])
  })
})
