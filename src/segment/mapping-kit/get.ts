/**
 * Path lookup (docs/actions-amplitude.md B.2), compiled: a path string is split once into segments and
 * turned into a specialised getter. Traversal is `prev && prev[key]`, so a falsy
 * intermediate value is the result (`0`, `''`, `null`, `false`), and properties of
 * primitives are reachable (`'abc'.length`).
 */

export type Getter = (obj: unknown) => unknown

/** Split on `.`, on `[` before a quote/digit, on `]` after a quote/digit. */
const SPLIT_RE = /\[(?="|'|\d)|\.|(?<="|'|\d)]+/g
const QUOTES_RE = /'|"/g

/** The key segments `get` walks for a string path ('' and '.' mean the root: `null`). */
export function pathSegments(path: string): string[] | null {
  if (path === '' || path === '.') return null
  return path
    .split(SPLIT_RE)
    .filter((s) => s)
    .map((s) => s.replace(QUOTES_RE, ''))
}

const identity: Getter = (obj) => obj

const generatedGetters = new Map<string, Getter>()

/**
 * Builds a getter for a string path (no `$.` handling here: callers strip it).
 * `generate` emits a dedicated function per path (own inline caches: property loads stay
 * monomorphic instead of sharing one megamorphic closure); use it for paths fixed at
 * compile time, not for paths that change per event.
 */
export function compileGet(path: string, generate = true): Getter {
  const segs = pathSegments(path)
  if (segs === null || segs.length === 0) return identity
  if (generate && segs.length <= 32) {
    const cached = generatedGetters.get(path)
    if (cached !== undefined) return cached
    let body = "'use strict'; return function get(o) { let v = o;"
    for (const seg of segs) body += ` if (!v) return v; v = v[${JSON.stringify(seg)}];`
    body += ' return v }'
    let g: Getter | undefined
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      g = new Function(body)() as Getter
    } catch {
      // code generation from strings disallowed: fall through to closures
    }
    if (g !== undefined) {
      if (generatedGetters.size >= 10000) generatedGetters.clear()
      generatedGetters.set(path, g)
      return g
    }
  }
  if (segs.length === 1) {
    const k0 = segs[0]
    return (o) => o && (o as Record<string, unknown>)[k0]
  }
  if (segs.length === 2) {
    const k0 = segs[0]
    const k1 = segs[1]
    return (o) => {
      const a = o && (o as Record<string, unknown>)[k0]
      return a && (a as Record<string, unknown>)[k1]
    }
  }
  const n = segs.length
  return (o) => {
    let v = o
    for (let i = 0; i < n; i++) {
      if (!v) return v
      v = (v as Record<string, unknown>)[segs[i]]
    }
    return v
  }
}

const dynamicCache = new Map<string, Getter>()
const DYNAMIC_CACHE_MAX = 10000

/** `get(obj, path)` for paths only known per event (directive-valued `@path`, re-scanned templates). */
export function getDynamic(obj: unknown, path: string): unknown {
  let g = dynamicCache.get(path)
  if (g === undefined) {
    g = compileGet(path, false)
    if (dynamicCache.size >= DYNAMIC_CACHE_MAX) dynamicCache.clear()
    dynamicCache.set(path, g)
  }
  return g(obj)
}
