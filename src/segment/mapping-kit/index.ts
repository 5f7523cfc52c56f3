/**
 * mapping-kit, compiled: Segment's mapping language (docs/actions-amplitude.md part B)
 * compiled once into closures. `compileMapping(m)(event)` returns the same value as
 * actions-core `transform(m, event)`.
 *
 * Owns the directives (`@path`, `@template`, `@if`, `@literal`, …), their validation with the
 * JSON path of each error, and the compiled resolvers. It must never know an action or a
 * destination (that is actions-amplitude/), and never differ from actions-core: the tests run
 * both on the same inputs.
 */

import { checkData, compileTransform, MappingValidationError, prepareMapping } from './compile.js'
import { type MappingError } from './validate.js'

export { MappingValidationError, ROOT_MAPPING_FIELD_KEY } from './compile.js'
export { formatMappingError, knownDirectives, type MappingError } from './validate.js'

/**
 * Every validation error of `mapping` (after `__segment_internal_directive` processing),
 * in Segment's order; `[]` when valid. Never throws.
 */
export function validateMapping(mapping: unknown): MappingError[] {
  return prepareMapping(mapping).errors
}

/**
 * Validates then compiles `mapping`. Throws `MappingValidationError` (with `.errors`) when
 * invalid. The returned function throws `data must be an object, got <type>` for
 * non-object events and any per-event error Segment's resolver would throw.
 */
export function compileMapping(mapping: unknown): (event: Record<string, unknown>) => Record<string, unknown> {
  return compileTransform(mapping, false) as (event: Record<string, unknown>) => Record<string, unknown>
}

type Cached = { fn: (data: unknown) => unknown } | { error: MappingValidationError }
const cache = new WeakMap<object, Cached>()

/**
 * Drop-in for actions-core `transform(mapping, event)`. Compiled mappings are cached by
 * mapping object identity: do not mutate a mapping after passing it here.
 */
export function transform(mapping: unknown, event: unknown): Record<string, unknown> {
  if (typeof mapping !== 'object' || mapping === null) {
    return compileTransform(mapping, true)(event) as Record<string, unknown>
  }
  let entry = cache.get(mapping)
  if (entry === undefined) {
    try {
      entry = { fn: compileTransform(mapping, false) }
    } catch (e) {
      if (!(e instanceof MappingValidationError)) throw e
      entry = { error: e }
    }
    cache.set(mapping, entry)
  }
  if ('error' in entry) {
    // the data check comes first, as in actions-core
    checkData(event === undefined ? {} : event)
    throw entry.error
  }
  return entry.fn(event) as Record<string, unknown>
}

/**
 * `defaultValues(fields)` (docs/actions-amplitude.md B.5): `{ key: field.default }` for every field, in key order,
 * whose `default` is not `undefined` (`null`, `false`, `0`, `''` are kept). Values are
 * copied by reference.
 */
export function defaultValues(fields: Record<string, { default?: unknown }>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(fields)) {
    const value = fields[key].default
    if (value !== undefined) out[key] = value
  }
  return out
}
