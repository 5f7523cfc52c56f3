/** Shared helpers for the mapping-kit tests: run actions-core and ours, normalise outcomes. */
import { createRequire } from 'node:module'
import { MappingValidationError, formatMappingError, transform } from '../../src/segment/mapping-kit/index.js'

const require = createRequire(import.meta.url)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const core: { transform: (m: unknown, d?: unknown) => any; defaultValues: (fields: unknown) => unknown } = require('@segment/actions-core')

export type Outcome = { value: unknown } | { errors: string[] }

function errorsOf(e: unknown): string[] {
  if (e instanceof MappingValidationError) return e.errors.map(formatMappingError)
  // aggregate-error instances iterate over their errors
  const it = e as { [Symbol.iterator]?: () => Iterator<Error>; message: string }
  if (e && typeof it[Symbol.iterator] === 'function') return [...(e as Iterable<Error>)].map((x) => x.message)
  return [(e as Error).message]
}

export function runCore(mapping: unknown, event: unknown): Outcome {
  try {
    return { value: core.transform(structuredCloneSafe(mapping), event) }
  } catch (e) {
    return { errors: errorsOf(e) }
  }
}

export function runOurs(mapping: unknown, event: unknown): Outcome {
  try {
    return { value: transform(structuredCloneSafe(mapping), event) }
  } catch (e) {
    return { errors: errorsOf(e) }
  }
}

/** Mappings are mutated by actions-core (`@replace` defaults, root directive): give each side its own copy. */
export function structuredCloneSafe<T>(v: T): T {
  try {
    return structuredClone(v)
  } catch {
    return v
  }
}
