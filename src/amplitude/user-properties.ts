/**
 * Amplitude's `user_properties`: an object of plain properties, or of operations (`$set`,
 * `$setOnce`, `$add`, `$append`, `$unset`, …), not both (docs/amplitude-api.md, "User properties:
 * plain keys or operations"). Amplitude names no error for a mixed one: the request is accepted,
 * and which of its properties take effect is not documented. Pure.
 */

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A key of `user_properties` that is an operation (`$set`, `$setOnce`, …), not a property. */
export function isOperationKey(k: string): boolean {
  return k.startsWith('$')
}

/** True when a record's `user_properties` holds both plain keys and `$`-operations. */
export function carriesMixedUserProperties(record: Record<string, unknown>): boolean {
  const up = record.user_properties
  if (!isPlainObject(up)) return false
  let plain = false
  let ops = false
  for (const k in up) {
    if (isOperationKey(k)) ops = true
    else plain = true
    if (plain && ops) return true
  }
  return false
}
