/** Small pure helpers reproducing the lookup semantics of Segment's 2017 integration stack. */

export type Obj = Record<string, unknown>

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Normalises a key or dotted path the way `obj-case` does: drop non-alphanumerics (keeping dots), lower-case. */
const normCache = new Map<string, string>()

export function normalizeKey(path: string): string {
  let n = normCache.get(path)
  if (n === undefined) {
    n = /^[a-z0-9.]*$/.test(path) ? path : path.replace(/[^a-zA-Z0-9.]+/g, '').toLowerCase()
    if (normCache.size >= 50000) normCache.clear()
    normCache.set(path, n)
  }
  return n
}

/**
 * Locates `path` in `obj` with obj-case semantics (keys compared after normalisation, first match in
 * key order wins; keys may themselves contain dots). Returns the parent object and matched key.
 * `normPath` must already be normalised.
 */
function locate(obj: unknown, normPath: string): { parent: Obj; key: string } | undefined {
  let cur: unknown = obj
  let path = normPath
  for (;;) {
    if (!isObj(cur) && !Array.isArray(cur)) return undefined
    let found: string | undefined
    let rest = ''
    // fast path: the next path segment is itself a key (exact spelling wins over case variants)
    const dot = path.indexOf('.')
    const seg = dot < 0 ? path : path.slice(0, dot)
    if (Object.prototype.hasOwnProperty.call(cur, seg)) {
      const child = (cur as Obj)[seg]
      if (dot < 0) return { parent: cur as Obj, key: seg }
      if (child == null) return undefined
      cur = child
      path = path.slice(dot + 1)
      continue
    }
    const first = path.charCodeAt(0)
    for (const key in cur as Obj) {
      // cheap pre-filter: a key whose first character is alphanumeric must match the path's first character
      const k0 = key.charCodeAt(0)
      const lower = k0 >= 65 && k0 <= 90 ? k0 + 32 : k0
      if (((lower >= 97 && lower <= 122) || (lower >= 48 && lower <= 57)) && lower !== first) continue
      const nk = normalizeKey(key)
      if (path.startsWith(nk)) {
        const temp = path.slice(nk.length)
        if (temp.length === 0 || temp.charAt(0) === '.') {
          found = key
          rest = temp.slice(1)
          break
        }
      }
    }
    if (found === undefined) return undefined
    const child = (cur as Obj)[found]
    if (rest.length === 0) return { parent: cur as Obj, key: found }
    if (child == null) return undefined
    cur = child
    path = rest
  }
}

/** obj-case `find`: value at a (pre-normalised) path, or undefined. */
export function ocFind(obj: unknown, normPath: string): unknown {
  const loc = locate(obj, normPath)
  return loc ? loc.parent[loc.key] : undefined
}

/** obj-case `del` on a shallow object: removes the first key matching `normKey` (returns true if removed). */
export function ocDel(obj: Obj, normKey: string): boolean {
  for (const key in obj) {
    if (normalizeKey(key) === normKey) {
      delete obj[key]
      return true
    }
  }
  return false
}

/**
 * Copy of `obj` without the first key matching each of `normKeys` (obj-case `del`, applied once per key).
 * Builds a new object instead of deleting (keeps objects in fast mode).
 */
export function omitOc(obj: Obj, normKeys: readonly string[]): Obj {
  const out: Obj = {}
  let pending: Set<string> | undefined = new Set(normKeys)
  for (const key in obj) {
    if (pending) {
      const nk = normalizeKey(key)
      if (pending.has(nk)) {
        pending.delete(nk)
        if (pending.size === 0) pending = undefined
        continue
      }
    }
    out[key] = obj[key]
  }
  return out
}

/** Plain dotted-path lookup (exact keys). */
export function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj
  for (const p of path) {
    if (!isObj(cur)) return undefined
    cur = cur[p]
  }
  return cur
}

/** Segment facade `currency()`: numbers as-is (0 → none), strings parsed after removing `$`. */
export function currency(val: unknown): number | undefined {
  if (!val) return undefined
  if (typeof val === 'number') return val
  if (typeof val !== 'string') return undefined
  const n = parseFloat(val.replace(/\$/g, ''))
  return Number.isNaN(n) ? undefined : n
}

const ISO_NO_TZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/**
 * Epoch milliseconds of a Segment timestamp, as `new-date` parses it: numbers below 31557600000 are
 * seconds; 13-digit strings are milliseconds, 10-digit strings seconds; ISO strings without an offset
 * are read as UTC. Undefined when missing or invalid.
 */
export function toEpochMs(v: unknown): number | undefined {
  if (v == null || v === '') return undefined
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime()
  if (typeof v === 'number') return Number.isFinite(v) ? (v < 31557600000 ? v * 1000 : v) : undefined
  if (typeof v !== 'string') return undefined
  const s = v.trim()
  if (/^\d{13}$/.test(s)) return Number(s)
  if (/^\d{10}$/.test(s)) return Number(s) * 1000
  const t = Date.parse(ISO_NO_TZ.test(s) ? s + 'Z' : s)
  return Number.isNaN(t) ? undefined : t
}

/** Drops top-level null/undefined values (the `reject` module). */
export function rejectNullish(o: Obj): Obj {
  for (const k of Object.keys(o)) if (o[k] == null) delete o[k]
  return o
}

let languageNames: Intl.DisplayNames | undefined
let regionNames: Intl.DisplayNames | undefined

/**
 * ISO 3166 short names as the 2017 `country-list` package spelled them, where they differ from
 * CLDR/ICU English display names.
 */
const ISO_COUNTRY_NAMES: Record<string, string> = {
  BO: 'Bolivia, Plurinational State of',
  BN: 'Brunei Darussalam',
  CD: 'Congo, the Democratic Republic of the',
  CG: 'Congo',
  CZ: 'Czech Republic',
  FM: 'Micronesia, Federated States of',
  IR: 'Iran, Islamic Republic of',
  KP: "Korea, Democratic People's Republic of",
  KR: 'Korea, Republic of',
  LA: "Lao People's Democratic Republic",
  MD: 'Moldova, Republic of',
  MK: 'Macedonia, the Former Yugoslav Republic of',
  PS: 'Palestine, State of',
  RU: 'Russian Federation',
  SY: 'Syrian Arab Republic',
  TW: 'Taiwan, Province of China',
  TZ: 'Tanzania, United Republic of',
  VE: 'Venezuela, Bolivarian Republic of',
  VN: 'Viet Nam',
  HK: 'Hong Kong',
  MO: 'Macao',
  CI: "Côte d'Ivoire",
  VA: 'Holy See (Vatican City State)',
  FK: 'Falkland Islands (Malvinas)',
}

const localeCache = new Map<string, { language: string; country: string } | null>()

/**
 * `locale-string` parse: `xx-YY` → `{ language: 'English', country: 'United States' }`; both parts are
 * required (`en`, `en_US` → undefined). Names come from ICU, with ISO spellings for a few countries.
 */
export function parseLocale(locale: unknown): { language: string; country: string } | undefined {
  if (typeof locale !== 'string' || !locale) return undefined
  const cached = localeCache.get(locale)
  if (cached !== undefined) return cached ?? undefined
  let result: { language: string; country: string } | null = null
  const parts = locale.split('-')
  const lang = parts[0]
  const ctry = parts[1]
  if (lang && ctry && /^[a-z]{2}$/.test(lang) && /^[A-Za-z]{2}$/.test(ctry)) {
    languageNames ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' })
    regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })
    const code = ctry.toUpperCase()
    let language: string | undefined
    let country: string | undefined
    try {
      language = languageNames.of(lang)
      country = ISO_COUNTRY_NAMES[code] ?? regionNames.of(code)
    } catch {
      language = undefined
    }
    if (language && country && country !== 'Unknown Region' && language !== lang && code !== 'ZZ') {
      result = { language, country }
    }
  }
  if (localeCache.size < 10000) localeCache.set(locale, result)
  return result ?? undefined
}
