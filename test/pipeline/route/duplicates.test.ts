/** The route stage's duplicate counter alone: counted, never dropped, with bounded memory. */
import { strict as assert } from 'node:assert'
import { DuplicateCounter } from '../../../src/pipeline/route/duplicates.js'

describe('DuplicateCounter', () => {
  it('a messageId seen before is a duplicate, every time it comes again', () => {
    const d = new DuplicateCounter()
    assert.deepEqual(
      ['a', 'b', 'a', 'c', 'a', 'b'].map((id) => d.see(id)),
      [false, false, true, false, true, true],
    )
    assert.equal(d.duplicates, 3)
  })

  it('a message without a usable messageId is never a duplicate', () => {
    const d = new DuplicateCounter()
    assert.deepEqual(
      [undefined, undefined, '', '', 7, 7, null, null].map((id) => d.see(id)),
      [false, false, false, false, false, false, false, false],
    )
    assert.equal(d.duplicates, 0)
  })

  it('remembers between window and 2 × window distinct ids, then forgets the oldest generation', () => {
    const d = new DuplicateCounter(3)
    for (const id of ['1', '2', '3']) assert.equal(d.see(id), false)
    // '4' starts a new generation; 1–3 are still remembered in the previous one.
    assert.equal(d.see('4'), false)
    assert.equal(d.see('1'), true)
    for (const id of ['5', '6']) assert.equal(d.see(id), false)
    // '7' rotates again: 1–3 are forgotten, 4–6 remembered.
    assert.equal(d.see('7'), false)
    assert.equal(d.see('2'), false)
    assert.equal(d.see('4'), true)
    assert.equal(d.duplicates, 2)
  })
})
