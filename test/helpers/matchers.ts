/**
 * Jest's matcher semantics, as far as the conformance tables need them, applied to what goes on
 * the wire (JSON-parsed request bodies). Written for segamp; no Jest code.
 *
 * - `toEqual`: recursive equality; object members whose value is `undefined` count as absent
 *   (Jest does the same), arrays must have equal length, asymmetric matchers may appear anywhere
 *   in the expected value.
 * - `toMatchObject`: the expected object is a subset: every expected key must match recursively
 *   (nested objects are subsets too), arrays must have the same length and match element by
 *   element. Wire adaptation: JSON cannot carry `undefined`, so an expected `undefined` member
 *   means "absent on the wire" (Jest would also require the key to exist with value undefined,
 *   which a JSON body can never satisfy).
 * - inline snapshots of objects: the snapshot lists every key of the received value, so it is
 *   `toEqual` against the snapshot (an `undefined` member in the snapshot is a key JSON drops).
 * - `expect.objectContaining(o)`: every key of `o` equal (`toEqual` semantics) in the received
 *   object; `expect.arrayContaining(a)`: every element of `a` equals some received element.
 */

export type Obj = Record<string, unknown>

export class ObjectContaining {
  constructor(readonly sample: Obj) {}
}

export class ArrayContaining {
  constructor(readonly sample: unknown[]) {}
}

export const objectContaining = (sample: Obj): ObjectContaining => new ObjectContaining(sample)
export const arrayContaining = (sample: unknown[]): ArrayContaining => new ArrayContaining(sample)

function isPlain(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ObjectContaining) && !(v instanceof ArrayContaining)
}

function asymmetric(expected: unknown, actual: unknown): boolean | undefined {
  if (expected instanceof ObjectContaining) {
    if (typeof actual !== 'object' || actual === null) return false
    return Object.entries(expected.sample).every(([k, v]) => equals((actual as Obj)[k], v))
  }
  if (expected instanceof ArrayContaining) {
    if (!Array.isArray(actual)) return false
    return expected.sample.every((e) => actual.some((a) => equals(a, e)))
  }
  return undefined
}

/** Jest `toEqual` semantics (undefined members ignored). */
export function equals(actual: unknown, expected: unknown): boolean {
  const a = asymmetric(expected, actual)
  if (a !== undefined) return a
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => equals(actual[i], e))
  }
  if (isPlain(expected)) {
    if (!isPlain(actual)) return false
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)])
    for (const k of keys) if (!equals(actual[k], expected[k])) return false
    return true
  }
  return Object.is(actual, expected)
}

/** Jest `toMatchObject` semantics (see the module comment for `undefined`). */
export function matchesObject(actual: unknown, expected: unknown): boolean {
  const a = asymmetric(expected, actual)
  if (a !== undefined) return a
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesObject(actual[i], e))
  }
  if (isPlain(expected)) {
    if (!isPlain(actual)) return false
    return Object.entries(expected).every(([k, v]) => (v === undefined ? actual[k] === undefined : k in actual && matchesObject(actual[k], v)))
  }
  return Object.is(actual, expected)
}

export type Matcher = 'toMatchObject' | 'toEqual' | 'inlineSnapshot'

export function matches(matcher: Matcher, actual: unknown, expected: unknown): boolean {
  return matcher === 'toMatchObject' ? matchesObject(actual, expected) : equals(actual, expected)
}

/** Printable form of an expected value (matchers shown by name), for failure messages. */
export function show(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x: unknown) => {
      if (x instanceof ObjectContaining) return { 'expect.objectContaining': x.sample }
      if (x instanceof ArrayContaining) return { 'expect.arrayContaining': x.sample }
      return x === undefined ? '<undefined>' : x
    },
    2,
  )
}
