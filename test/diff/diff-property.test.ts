import { strict as assert } from 'node:assert'

import fc from 'fast-check'

import { diffMessage, type ActionsRecord, type ClassicRecord } from '../../src/diff/index.js'

const names = ['A', 'B', 'Viewed Home Page', 'Viewed Home', 'Viewed ']
const endpoints = ['httpapi', 'batch', 'identify', 'groupidentify', 'usermap']

const recordArb = fc.record({
  endpoint: fc.constantFrom(...endpoints),
  name: fc.constantFrom(...names),
  v: fc.integer({ min: 0, max: 2 }),
})

describe('diff engine properties', () => {
  it('every record is accounted for exactly once', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 6 }), fc.array(recordArb, { maxLength: 6 }), fc.boolean(), (cs, as, useMap) => {
        const classic: ClassicRecord[] = cs.map((c) => ({
          endpoint: `/${c.endpoint}`,
          record: { event_type: c.name, group_type: c.name, event_properties: { v: c.v } },
        }))
        const actions: ActionsRecord[] = as.map((a, i) => ({
          subscription: `S${i}`,
          actionSlug: 'logEventV2',
          endpoint: a.endpoint,
          record: { event_type: a.name, group_type: a.name, event_properties: { v: a.v } },
        }))
        const renameMap = useMap ? new Map([['Viewed Home Page', 'Viewed Home']]) : undefined
        const fs = diffMessage(classic, actions, { renameMap })
        const cCount = new Map<ClassicRecord, number>()
        const aCount = new Map<ActionsRecord, number>()
        const inDup = new Set<ActionsRecord>()
        for (const f of fs) {
          if (f.kind === 'same' || f.kind === 'renamed' || f.kind === 'dropped') {
            for (const r of f.classicRecords) cCount.set(r, (cCount.get(r) ?? 0) + 1)
          }
          if (f.kind === 'same' || f.kind === 'renamed' || f.kind === 'added') {
            for (const r of f.actionsRecords) aCount.set(r, (aCount.get(r) ?? 0) + 1)
          }
          if (f.kind === 'duplicated') for (const r of f.actionsRecords) inDup.add(r)
          if (f.kind === 'dropped') assert.equal(f.actions, null)
          if (f.kind === 'added') assert.equal(f.classic, null)
          if (f.kind === 'renamed') assert.notEqual(f.classic, f.actions)
        }
        for (const c of classic) assert.equal(cCount.get(c), 1)
        for (const a of actions) assert.ok(aCount.get(a) === 1 || (aCount.get(a) === undefined && inDup.has(a)))
        // one finding per key
        const keys = fs.map((f) => `${f.kind}|${f.record}|${f.classic}|${f.actions}`)
        assert.equal(new Set(keys).size, keys.length)
      }),
      { numRuns: 500 },
    )
  })
})
