/**
 * Conformance of the Classic web-mode emulation with the analytics.js Amplitude integration's own
 * tests (table in test/segment/classic/classic-web.cases.ts).
 *
 * The emulation's records are read back as the amplitude-js calls that produced them
 * (docs/classic-assumptions.md, "Web mode"):
 *   event record → logEvent(event_type, event_properties), or logEventWithGroups(…, groups)
 *   SDK revenue record with api_properties → logRevenue(price, quantity, productId)
 *   SDK revenue record without → logRevenueV2(Revenue{price, quantity, productId, revenueType,
 *     event properties}) and the logEvent('revenue_amount', …) it makes
 *   /identify with groups → setGroup(type, value); other /identify → identify(operations), each
 *     operation as identify.set/setOnce/add(key, value), setUserProperties(props) when only $set,
 *     setUserId(user_id)
 *   device_id on a record → setDeviceId(id); app_version → setVersionName(version)
 * and the test's sinon assertions are applied to that call list.
 */
import { strict as assert } from 'node:assert'
import { classicRecords, type ClassicRecord } from '../../../src/segment/classic/index.js'
import { NOT_EXPRESSIBLE, TEST_OPTIONS, WEB_CASES, type Call, type Step, type WebCase } from './classic-web.cases.js'
import { equals, matchesObject, type Obj } from '../../helpers/matchers.js'

const OPERATIONS: Record<string, string> = { $set: 'set', $setOnce: 'setOnce', $add: 'add' }

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The amplitude-js calls that produce these records, in order. */
export function sdkCalls(records: readonly ClassicRecord[]): Call[] {
  const calls: Call[] = []
  for (const { endpoint, record: r, sdkGenerated } of records) {
    if (r.device_id !== undefined) calls.push(['setDeviceId', r.device_id])
    if (r.app_version !== undefined) calls.push(['setVersionName', r.app_version])
    if (endpoint === '/identify') {
      if (r.user_id != null) calls.push(['setUserId', r.user_id])
      if (isObj(r.groups)) {
        for (const [type, value] of Object.entries(r.groups)) calls.push(['setGroup', type, value])
        continue
      }
      const ops = isObj(r.user_properties) ? r.user_properties : {}
      calls.push(['identify', ops])
      if (Object.keys(ops).length === 1 && isObj(ops.$set)) calls.push(['setUserProperties', ops.$set])
      for (const [op, bucket] of Object.entries(ops)) {
        if (isObj(bucket)) for (const [k, v] of Object.entries(bucket)) calls.push([`identify.${OPERATIONS[op] ?? op}`, k, v])
      }
    } else if (sdkGenerated) {
      if (isObj(r.api_properties)) {
        const a = r.api_properties
        calls.push(['logRevenue', a.price, a.quantity, a.productId])
      } else {
        const { $price, $quantity, $productId, $revenueType, ...eventProps } = (r.event_properties ?? {}) as Obj
        calls.push(['logRevenueV2', { price: $price, quantity: $quantity, productId: $productId ?? null, revenueType: $revenueType ?? null, eventProps }])
        calls.push(['logEvent', r.event_type, r.event_properties])
      }
    } else if (r.groups !== undefined) {
      calls.push(['logEventWithGroups', r.event_type, r.event_properties, r.groups])
    } else {
      calls.push(['logEvent', r.event_type, r.event_properties])
    }
  }
  return calls
}

/** sinon calledWith: the name, and each given argument deep-equal (identify: a partial match, like sinon.match). */
function callMatches(actual: Call, expected: Call): boolean {
  if (actual[0] !== expected[0]) return false
  for (let i = 1; i < expected.length; i++) {
    const ok = expected[0] === 'identify' ? matchesObject(actual[i], expected[i]) : equals(actual[i], expected[i])
    if (!ok) return false
  }
  return true
}

function checkStep(c: WebCase, step: Step): void {
  const settings = { ...TEST_OPTIONS, ...(c.settings ?? {}), ...(step.settings ?? {}) }
  const records = step.messages.flatMap((m) => classicRecords(structuredClone(m), settings, { mode: 'web' }))
  const calls = sdkCalls(records)
  const shown = `\nSDK calls: ${JSON.stringify(calls)}`
  const count = (e: Call) => calls.filter((a) => callMatches(a, e)).length
  for (const e of step.called ?? []) assert.ok(count(e) > 0, `expected a call ${JSON.stringify(e)}${shown}`)
  for (const e of step.notCalled ?? []) assert.equal(count(e), 0, `expected no call ${JSON.stringify(e)}${shown}`)
  for (const { call, times } of step.count ?? []) assert.equal(count(call), times, `calls ${JSON.stringify(call)}${shown}`)
  if (step.deviceIdUnknown) {
    assert.ok(records.length > 0, 'no record to carry a device id')
    for (const r of records) {
      assert.equal(r.record.device_id, undefined, `a device_id was guessed: ${JSON.stringify(r)}`)
      assert.deepEqual(r.unknown, ['device_id'])
    }
  }
  if (step.eventsWithoutUserProperties) {
    const events = records.filter((r) => r.endpoint === '/httpapi')
    assert.ok(events.length > 0)
    for (const r of events) assert.equal('user_properties' in r.record, false, JSON.stringify(r))
  }
}

describe('conformance: analytics.js Amplitude integration tests (index.test.js), Classic web mode', () => {
  for (const c of WEB_CASES) {
    it(c.title, () => {
      for (const step of c.steps) checkStep(c, step)
    })
  }

  it('counts: 61 tests = 51 expressible cases + 10 with nothing a record could show; 10 source rules', () => {
    const fromTests = WEB_CASES.filter((c) => !c.title.startsWith('source rule:'))
    assert.equal(fromTests.length + NOT_EXPRESSIBLE.length, 61)
    assert.deepEqual(
      { cases: fromTests.length, notExpressible: NOT_EXPRESSIBLE.length, sourceRules: WEB_CASES.length - fromTests.length },
      { cases: 51, notExpressible: 10, sourceRules: 10 },
    )
    assert.equal(new Set([...WEB_CASES, ...NOT_EXPRESSIBLE].map((c) => c.title)).size, 71, 'unique titles')
  })
})
