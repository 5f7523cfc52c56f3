/**
 * The compiled message → record path: one function per subscription that goes from a Segment
 * message straight to the Amplitude records, without the exact path's intermediate objects
 * (mapping-kit's resolved mapping with its deep copies of event sub-objects, removeEmptyValues'
 * copy, AJV's validation pass).
 *
 * How it stays equal to the exact path (`applySubscription`: resolve → removeEmptyValues → AJV →
 * perform), which remains the reference:
 * - each root field of the mapping is produced by a small producer: `@path` reads the message in
 *   place (no copy), literal objects are built key by key, `@if` picks a producer; anything else
 *   (`@template`, `@arrayPath`, `@case`, `@liquid`, …) runs mapping-kit's exact node for that field;
 * - the payload perform() sees is built directly, in the same key order as the exact path's:
 *   mapping order, `undefined` and `''` left out, `null` left out where the field does not allow it,
 *   fields the action does not define left out (AJV's removeAdditional), then the derived insert_id;
 * - every value is checked against the field's JSON schema with a guard that holds only where
 *   removeEmptyValues would change nothing and AJV would neither coerce, remove nor reject. Where
 *   a guard cannot prove that (a value AJV would coerce, an empty string inside an object, a
 *   date-like string that is not ISO 8601 with `Z`, a required field missing, a `__proto__` key
 *   that the exact path's copy drops, a producer that throws, …) the function returns `undefined`
 *   and the caller runs the exact path for that message: the fallback, counted in the report;
 * - perform() is the action's own (perform.ts): the same code builds the records from the payload.
 * The differential tests (test/segment/subscriptions/direct.test.ts) compare both paths byte for
 * byte over the oracle corpus and generated messages.
 */
import type { AmplitudeRecord, SegmentMessage } from '../../types.js'
import { compileIfCondition, compileNode, ROOT_MAPPING_FIELD_KEY } from '../mapping-kit/compile.js'
import { compileGet } from '../mapping-kit/get.js'
import { isObject } from '../mapping-kit/util.js'
import { actionJsonSchema, type ActionSlug, type JsonSchema } from '../actions-amplitude/index.js'
import { parsedDate } from '../actions-amplitude/helpers.js'
import { performGroupIdentifyUser, performIdentifyUser, performLogEvent, performLogEventV2, performLogPurchase, performMapUser } from '../actions-amplitude/perform.js'

type Obj = Record<string, unknown>

/** Records of the message, or `undefined` when equality with the exact path is not proven. */
export type DirectFn = (message: SegmentMessage, defaultInsertId: string, now?: () => number) => AmplitudeRecord[] | undefined

interface Producer {
  fn: (message: unknown) => unknown
  /** The value may be (or hold) an object of the message itself, not a copy. */
  shared: boolean
}

const NOTHING: Producer = { fn: () => undefined, shared: false }

function onlyKey(obj: Obj, key: string): boolean {
  const keys = Object.keys(obj)
  return keys.length === 1 && keys[0] === key
}

/** A producer for one mapping value: the same value the exact path's resolved mapping holds. */
function producer(m: unknown): Producer {
  if (!isObject(m)) {
    if (Array.isArray(m)) return exact(m)
    return { fn: () => m, shared: false }
  }
  const keys = Object.keys(m)
  if (keys.length === 0) return exact(m)
  if (onlyKey(m, '@path') && typeof m['@path'] === 'string') {
    return { fn: compileGet((m['@path'] as string).replace('$.', '')), shared: true }
  }
  if (onlyKey(m, '@if')) return ifProducer(m['@if'])
  if (keys.some((k) => k.startsWith('@') || k === '_metadata')) return exact(m)
  return objectProducer(m, keys)
}

function exact(m: unknown): Producer {
  return { fn: compileNode(m).clean, shared: false }
}

function ifProducer(opts: unknown): Producer {
  if (!isObject(opts) || (!opts.exists && !opts.blank)) return exact({ '@if': opts })
  const cond = compileIfCondition(opts)
  const then = opts.then !== undefined ? producer(opts.then) : NOTHING
  const otherwise = opts.else ? producer(opts.else) : NOTHING
  const t = then.fn
  const o = otherwise.fn
  return { fn: (p) => (cond(p) ? t(p) : o(p)), shared: then.shared || otherwise.shared }
}

/** A literal object: its keys in order, `undefined` values and the key `__proto__` left out. */
function objectProducer(m: Obj, keys: string[]): Producer {
  const kept = keys.filter((k) => k !== '__proto__')
  if (kept.length !== keys.length) return exact(m)
  const children = kept.map((k) => producer(m[k]))
  const fns = children.map((c) => c.fn)
  const n = kept.length
  return {
    fn: (p) => {
      const out: Obj = {}
      for (let i = 0; i < n; i++) {
        const v = fns[i](p)
        if (v !== undefined) out[kept[i]] = v
      }
      return out
    },
    shared: children.some((c) => c.shared),
  }
}

/**
 * True when `value` holds an own `__proto__` key at any depth. JSON.parse makes one an ordinary
 * key; the exact path's copy (Object.assign) turns it into a prototype and drops it.
 */
function hasProtoKey(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (depth > 400) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasProtoKey(value[i], depth + 1)) return true
    return false
  }
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return true
  for (const k in value) {
    const v = (value as Obj)[k]
    if (typeof v === 'object' && v !== null && hasProtoKey(v, depth + 1)) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------
// guards: "removeEmptyValues changes nothing, AJV neither coerces, removes nor rejects"

type Guard = (v: unknown) => boolean

function typesOf(s: JsonSchema): string[] {
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type]
}

function isPlainObject(v: unknown): v is Obj {
  return Object.prototype.toString.call(v) === '[object Object]'
}

/**
 * A date-like string the exact path accepts for sure: ISO 8601 ending in `Z`, which dayjs hands
 * to `new Date()` (so it is valid exactly when Date.parse says so). Other shapes: not proven.
 */
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z$/

function isoWithZ(v: string): boolean {
  return ISO_Z.test(v) && !Number.isNaN(parsedDate(v))
}

function typeGuard(t: string, format: string | undefined): Guard | null {
  switch (t) {
    case 'string':
      if (format === undefined || format === 'text' || format === 'password') return (v) => typeof v === 'string'
      if (format === 'date-like') return (v) => typeof v === 'string' && isoWithZ(v)
      return null
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v)
    case 'integer':
      return (v) => typeof v === 'number' && Number.isInteger(v)
    case 'boolean':
      return (v) => typeof v === 'boolean'
    case 'null':
      return (v) => v === null
    default:
      return null
  }
}

/** The guard of a (non-root) value for schema `s`; a guard that is never true when unprovable. */
export function compileGuard(s: JsonSchema | undefined): Guard {
  if (s === undefined) return () => false
  const types = typesOf(s)
  if (types.length === 0) return () => false
  const enumValues = s.enum
  let base: Guard
  if (types.length === 1 && types[0] === 'array') base = arrayGuard(s)
  else if (types.includes('object')) {
    if (types.length !== 1) return () => false
    base = objectGuard(s)
  } else {
    const guards = types.map((t) => typeGuard(t, s.format))
    if (guards.some((g) => g === null)) return () => false
    const gs = guards as Guard[]
    base = gs.length === 1 ? gs[0] : (v) => gs.some((g) => g(v))
  }
  if (enumValues === undefined) return base
  return (v) => base(v) && enumValues.includes(v)
}

/** What removeEmptyValues keeps as it is (a value it would drop is not proven). */
function keptAsIs(s: JsonSchema): Guard {
  const types = typesOf(s)
  const nullOk = types.includes('null')
  const emptyOk = types.includes('string')
  return (v) => v !== undefined && (v !== null || nullOk) && (v !== '' || emptyOk)
}

function arrayGuard(s: JsonSchema): Guard {
  if (s.items === undefined) return () => false
  const kept = keptAsIs(s.items)
  const item = compileGuard(s.items)
  return (v) => {
    if (!Array.isArray(v)) return false
    for (let i = 0; i < v.length; i++) if (!(i in v) || !kept(v[i]) || !item(v[i])) return false
    return true
  }
}

function objectGuard(s: JsonSchema): Guard {
  const props = s.properties
  if (props === undefined) return isPlainObject
  const names = Object.keys(props)
  const guards = new Map(names.map((k) => [k, compileGuard(props[k])]))
  const kept = new Map(names.map((k) => [k, keptAsIs(props[k])]))
  const closed = s.additionalProperties === false
  const required = s.required ?? []
  return (v) => {
    if (!isPlainObject(v)) return false
    for (const k in v) {
      const g = guards.get(k)
      if (g === undefined) {
        if (closed) return false
        continue
      }
      const x = v[k]
      if (!kept.get(k)!(x) || !g(x)) return false
    }
    for (const r of required) if (v[r] === undefined) return false
    return true
  }
}

// ---------------------------------------------------------------------------------------

interface RootField {
  key: string
  produce: Producer
  guard: Guard
  /** removeEmptyValues drops a root `null` unless the field allows null. */
  nullOk: boolean
  /** The field is `multiple`: arrays whose items need no cleaning are shallow-copied items. */
  array: boolean
}

type Perform = (payload: Obj, now: () => number) => AmplitudeRecord[]

const PERFORM: Record<ActionSlug, Perform> = {
  logEvent: (p) => performLogEvent(p),
  logEventV2: (p) => performLogEventV2(p),
  logPurchase: (p) => performLogPurchase(p),
  identifyUser: (p) => performIdentifyUser(p),
  groupIdentifyUser: (p, now) => performGroupIdentifyUser(p, now),
  mapUser: (p) => performMapUser(p),
}

const defaultNow = (): number => Date.now()

function shallowCopy(v: unknown): unknown {
  return isPlainObject(v) ? { ...v } : v
}

/**
 * Compiles the direct path of one subscription, or `null` where it never applies (a mapping with
 * Segment's root directive `__segment_internal_directive`: always the exact path).
 */
export function compileDirect(slug: ActionSlug, mapping: Obj): DirectFn | null {
  if (Object.keys(mapping).includes(ROOT_MAPPING_FIELD_KEY)) return null
  const schema = actionJsonSchema(slug)
  const props = schema.properties ?? {}
  const fields: RootField[] = []
  /** Mapping keys the action does not define: dropped by AJV, but evaluated (they may throw). */
  const extra: Array<(p: unknown) => unknown> = []
  for (const key of Object.keys(mapping)) {
    if (key === '__proto__') continue
    if (!Object.prototype.hasOwnProperty.call(props, key)) {
      extra.push(producer(mapping[key]).fn)
      continue
    }
    const fs = props[key]
    fields.push({ key, produce: producer(mapping[key]), guard: compileGuard(fs), nullOk: typesOf(fs).includes('null'), array: fs.type === 'array' })
  }
  const required = schema.required ?? []
  const hasInsertId = Object.prototype.hasOwnProperty.call(props, 'insert_id')
  const perform = PERFORM[slug]
  const build = generateBuild(fields, extra.length > 0, required, hasInsertId) ?? loopBuild(fields, required, hasInsertId)
  return (message, defaultInsertId, now) => {
    let payload: Obj | undefined
    try {
      payload = build(message, defaultInsertId, extra)
    } catch {
      return undefined
    }
    if (payload === undefined) return undefined
    return perform(payload, now ?? defaultNow)
  }
}

type Build = (message: SegmentMessage, defaultInsertId: string, extra: Array<(p: unknown) => unknown>) => Obj | undefined

/** The payload builder as a loop over the fields (where code generation from strings is not allowed). */
function loopBuild(fields: RootField[], required: string[], hasInsertId: boolean): Build {
  const n = fields.length
  return (message, defaultInsertId, extra) => {
    for (const f of extra) f(message)
    const payload: Obj = {}
    for (let i = 0; i < n; i++) {
      const f = fields[i]
      let v = f.produce.fn(message)
      if (v === undefined || v === '') continue
      if (v === null && !f.nullOk) continue
      if (!f.guard(v)) return undefined
      if (f.produce.shared && typeof v === 'object' && hasProtoKey(v)) return undefined
      if (f.array) v = (v as unknown[]).map(shallowCopy)
      payload[f.key] = v
    }
    for (const r of required) if (payload[r] === undefined) return undefined
    if (hasInsertId && payload.insert_id === undefined) payload.insert_id = defaultInsertId
    return payload
  }
}

/**
 * The same builder as straight-line code, one block per field with the key as a literal (property
 * stores the engine can specialise, instead of one megamorphic keyed store in a loop). Keys are
 * written with JSON.stringify; no mapping value is ever inlined. `null` when code generation from
 * strings is disallowed.
 */
function generateBuild(fields: RootField[], hasExtra: boolean, required: string[], hasInsertId: boolean): Build | null {
  const lines: string[] = []
  if (hasExtra) lines.push('for (const f of extra) f(m)')
  lines.push('const o = {}', 'let v')
  fields.forEach((f, i) => {
    const key = JSON.stringify(f.key)
    lines.push(`v = P${i}(m)`)
    lines.push(`if (v !== undefined && v !== '' && ${f.nullOk ? 'true' : 'v !== null'}) {`)
    lines.push(`  if (!G${i}(v)) return undefined`)
    if (f.produce.shared) lines.push("  if (typeof v === 'object' && v !== null && hasProtoKey(v)) return undefined")
    lines.push(f.array ? `  o[${key}] = v.map(shallowCopy)` : `  o[${key}] = v`)
    lines.push('}')
  })
  for (const r of required) lines.push(`if (o[${JSON.stringify(r)}] === undefined) return undefined`)
  if (hasInsertId) lines.push('if (o.insert_id === undefined) o.insert_id = id')
  lines.push('return o')
  const params = fields.flatMap((_, i) => [`P${i}`, `G${i}`])
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const make = new Function(...params, 'hasProtoKey', 'shallowCopy', `'use strict'; return function build(m, id, extra) {\n${lines.join('\n')}\n}`) as (...a: unknown[]) => Build
    return make(...fields.flatMap((f) => [f.produce.fn, f.guard]), hasProtoKey, shallowCopy)
  } catch {
    return null
  }
}
