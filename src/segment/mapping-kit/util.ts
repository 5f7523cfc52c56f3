/**
 * Small value helpers shared by the mapping-kit compiler. Their semantics follow
 * docs/actions-amplitude.md part B: `realTypeOf`, `removeUndefined`, `@flatten`,
 * `@excludeWhenNull` null cleaning.
 */

const objectToString = Object.prototype.toString
const ObjectProto = Object.prototype

/** `Object.prototype.toString` tag, lower-cased: 'object', 'array', 'null', 'string', ... */
export function realTypeOf(value: unknown): string {
  return objectToString.call(value).slice(8, -1).toLowerCase()
}

/** True when `realTypeOf(value) === 'object'`, with a fast path for ordinary plain objects. */
export function isObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  if (Object.getPrototypeOf(value) === ObjectProto && typeof (value as Record<symbol, unknown>)[Symbol.toStringTag] !== 'string') {
    return true
  }
  return realTypeOf(value) === 'object'
}

/**
 * Deep copy that deletes object keys whose value is `undefined` (objects only; array
 * elements are kept, holes stay holes). Objects are copied with `Object.assign({}, …)`
 * and arrays with `.map`, exactly as the pipeline's final clean-up step does.
 */
export function removeUndefined(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(removeUndefinedItem)
  if (!isObject(value)) return value
  const cleaned: Record<string, unknown> = Object.assign({}, value)
  const keys = Object.keys(cleaned)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const v = cleaned[key]
    if (v === undefined) delete cleaned[key]
    else if (typeof v === 'object' && v !== null) cleaned[key] = removeUndefined(v)
  }
  return cleaned
}

function removeUndefinedItem(item: unknown): unknown {
  return removeUndefined(item)
}

/** Defines an own enumerable data property (also for the key `__proto__`). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    target[key] = value
  }
}

/**
 * `@flatten`: objects (and arrays unless `ignoreArrays`) become `{ "a<sep>b": leaf }`;
 * a key path starts without separator while the prefix is '' (so a top-level primitive
 * yields `{ "": value }`). Later duplicate keys overwrite earlier ones in place.
 */
export function flattenObject(input: unknown, separator: string, ignoreArrays: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  flattenInto(out, input, '', separator, ignoreArrays)
  return out
}

function flattenInto(out: Record<string, unknown>, input: unknown, prefix: string, sep: string, ignoreArrays: boolean): void {
  if (isObject(input) || (!ignoreArrays && Array.isArray(input))) {
    const entries = Object.entries(input as object)
    for (let i = 0; i < entries.length; i++) {
      const [key, value] = entries[i]
      flattenInto(out, value, prefix ? `${prefix}${sep}${key}` : key, sep, ignoreArrays)
    }
    return
  }
  defineOwn(out, prefix, input)
}

/**
 * `@excludeWhenNull` on a non-null value: plain objects are shallow-copied with every
 * `null` key set to `undefined` (recursively into nested plain objects, not arrays).
 */
export function cleanNulls(value: unknown): unknown {
  if (!isObject(value)) return value
  const cleaned: Record<string, unknown> = Object.assign({}, value)
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const v = value[key]
    if (v === null) cleaned[key] = undefined
    else if (isObject(v)) cleaned[key] = cleanNulls(v)
  }
  return cleaned
}

/** "a"/"an" by first letter, as the validator's messages use it. */
export function indefiniteArticle(s: string): string {
  switch (s.charAt(0)) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
      return 'an'
    default:
      return 'a'
  }
}
