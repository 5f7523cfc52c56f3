/** Secret redaction for everything a diff report shows (examples, model settings). */

export const REDACTED = '[redacted]'

/** Key names (compared lower-cased, without `_` and `-`) whose values are secrets. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['apikey', 'writekey', 'secretkey'])

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[_-]/g, ''))
}

/**
 * Deep copy of a JSON-like value where every non-empty value under a secret key
 * (`api_key`, `apiKey`, `writeKey`, `secretKey`, any casing) is replaced by `[redacted]`.
 */
export function redactSecrets<T>(value: T): T {
  return redact(value) as T
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v)
  }
  return out
}
