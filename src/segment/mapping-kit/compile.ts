/**
 * The mapping-kit compiler: a mapping (docs/actions-amplitude.md part B) is turned once into a tree of closures.
 *
 * Every compiled node has two entry points:
 *  - `raw(payload)`   = what Segment's `resolve(mapping, payload)` returns (undefined keys
 *                        kept, event sub-objects shared) — consumed by directives that look
 *                        at resolved values (`@merge`'s Object.assign, `@if` conditions, ...);
 *  - `clean(payload)` = `removeUndefined(raw(payload))`, built directly where possible
 *                        (objects skip undefined keys, event sub-objects are deep-copied).
 * Guards that Segment checks per event on raw mapping values are evaluated here once;
 * a failing guard compiles to a node that throws the same Error when (and only when) it runs.
 */

import { compileGet, getDynamic, type Getter } from './get.js'
import { compileLiquid, LIQUID_MAX_LENGTH } from './liquid.js'
import { cleanNulls, flattenObject, isObject, realTypeOf, removeUndefined } from './util.js'
import { formatMappingError, MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH, toPointer, validateResolvedMapping, type MappingError } from './validate.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (payload: any) => unknown

export interface CompiledNode {
  raw: Fn
  clean: Fn
}

export const ROOT_MAPPING_FIELD_KEY = '__segment_internal_directive'

/** Thrown for a mapping that fails validation; `errors` lists every problem found. */
export class MappingValidationError extends Error {
  readonly errors: MappingError[]
  constructor(errors: MappingError[]) {
    super(errors.map(formatMappingError).join('\n'))
    this.name = 'MappingValidationError'
    this.errors = errors
  }
}

function withDefaultClean(raw: Fn): CompiledNode {
  return { raw, clean: (p) => removeUndefined(raw(p)) }
}

function constant(value: unknown): CompiledNode {
  const f: Fn = () => value
  return { raw: f, clean: f }
}

const UNDEFINED = constant(undefined)

function thrower(message: string): CompiledNode {
  const f: Fn = () => {
    throw new Error(message)
  }
  return { raw: f, clean: f }
}

/** Runtime notion of a directive: plain object, ≥1 `@` key, other keys only `@…` or `_metadata`. */
function isDirective(obj: Record<string, unknown>, keys: string[]): boolean {
  let hasDirective = false
  for (const k of keys) {
    if (k.startsWith('@')) hasDirective = true
    else if (k !== '_metadata') return false
  }
  return hasDirective
}

/** Compiles any mapping value (resolve semantics, no validation). */
export function compileNode(mapping: unknown): CompiledNode {
  const isArr = Array.isArray(mapping)
  if (!isArr && !isObject(mapping)) return constant(mapping)
  if (!isArr) {
    const obj = mapping as Record<string, unknown>
    const keys = Object.keys(obj)
    if (isDirective(obj, keys)) return compileDirective(obj, keys)
    return compileObject(obj, keys)
  }
  return compileArray(mapping as unknown[])
}

function compileArray(arr: unknown[]): CompiledNode {
  const n = arr.length
  const children: (CompiledNode | undefined)[] = new Array(n)
  let dense = true
  for (let i = 0; i < n; i++) {
    if (i in arr) children[i] = compileNode(arr[i])
    else dense = false
  }
  if (dense) {
    const cs = children as CompiledNode[]
    return {
      raw: (p) => {
        const out = new Array(n)
        for (let i = 0; i < n; i++) out[i] = cs[i].raw(p)
        return out
      },
      clean: (p) => {
        const out = new Array(n)
        for (let i = 0; i < n; i++) out[i] = cs[i].clean(p)
        return out
      },
    }
  }
  // sparse mapping array: holes stay holes (as with Array.prototype.map)
  return {
    raw: (p) => {
      const out = new Array(n)
      for (let i = 0; i < n; i++) {
        const c = children[i]
        if (c) out[i] = c.raw(p)
      }
      return out
    },
    clean: (p) => {
      const out = new Array(n)
      for (let i = 0; i < n; i++) {
        const c = children[i]
        if (c) out[i] = c.clean(p)
      }
      return out
    },
  }
}

const CODEGEN_MAX_KEYS = 256

function compileObject(obj: Record<string, unknown>, keys: string[]): CompiledNode {
  const n = keys.length
  const children = keys.map((k) => compileNode(obj[k]))
  const rawFns = children.map((c) => c.raw)
  const cleanFns = children.map((c) => c.clean)
  // `resolved["__proto__"] = v` hits the prototype setter (as in Segment's resolver), so the
  // key never survives the final copy: `clean` evaluates it and drops it.
  const keep = keys.map((k) => k !== '__proto__')
  const raw: Fn = (p) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) out[keys[i]] = rawFns[i](p)
    return out
  }
  const generated = n <= CODEGEN_MAX_KEYS ? generateCleanObject(keys, cleanFns) : null
  if (generated !== null) return { raw, clean: generated }
  return {
    raw,
    clean: (p) => {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        const v = cleanFns[i](p)
        if (v !== undefined && keep[i]) out[keys[i]] = v
      }
      return out
    },
  }
}

/**
 * Straight-line object builder for the hot `clean` path: one property store per key, keys
 * as string literals (JSON.stringify); no mapping value is ever inlined into the code.
 * Much faster than a loop of keyed stores.
 */
const objectMakers = new Map<string, (...fns: Fn[]) => Fn>()

/** `null` when code generation from strings is disallowed (then a loop is used instead). */
function generateCleanObject(keys: string[], cleanFns: Fn[]): Fn | null {
  const signature = JSON.stringify(keys)
  let make = objectMakers.get(signature)
  if (make === undefined) {
    try {
      make = makeCleanObjectFactory(keys)
    } catch {
      return null
    }
    if (objectMakers.size >= 5000) objectMakers.clear()
    objectMakers.set(signature, make)
  }
  return make(...cleanFns)
}

function makeCleanObjectFactory(keys: string[]): (...fns: Fn[]) => Fn {
  const params = keys.map((_, i) => `f${i}`)
  const body = keys.map((k, i) => (k === '__proto__' ? `f${i}(p);` : `v = f${i}(p); if (v !== undefined) o[${JSON.stringify(k)}] = v;`)).join('\n')
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...params, `'use strict'; return function clean(p) { const o = {}; let v; ${body} return o }`) as (...fns: Fn[]) => Fn
}

type DirectiveCompiler = (value: unknown) => CompiledNode

const directiveCompilers: Record<string, DirectiveCompiler> = Object.create(null)

function compileDirective(obj: Record<string, unknown>, keys: string[]): CompiledNode {
  const name = keys.find((k) => k.startsWith('@')) as string
  const compiler = directiveCompilers[name]
  if (compiler === undefined) return thrower(`${name} is not a valid directive, got undefined`)
  return compiler(obj[name])
}

// ---------------------------------------------------------------------------------------
// @path / @template (string directives: the value is resolved, then must be a string)

directiveCompilers['@path'] = (value) => {
  if (typeof value === 'string') {
    const g = compileGet(value.replace('$.', ''))
    return { raw: g, clean: (p) => removeUndefined(g(p)) }
  }
  const inner = compileNode(value)
  return withDefaultClean((p) => {
    const path = inner.raw(p)
    if (typeof path !== 'string') throw new Error(`@path: expected string, got ${realTypeOf(path)}`)
    return getDynamic(p, path.replace('$.', ''))
  })
}

const TRIPLE_RE = /\{\{\{([^}]+)\}\}\}/g
const DOUBLE_RE = /\{\{([^}]+)\}\}/g

type Renderer = (data: unknown) => string

function placeholderString(value: unknown): string {
  return value === undefined || value === null ? '' : `${value}`
}

/** Splits a template on one placeholder syntax: literals[i] precede getters[i]; one extra trailing literal. */
function splitTemplate(t: string, re: RegExp, generate: boolean): { literals: string[]; getters: Getter[] } {
  const literals: string[] = []
  const getters: Getter[] = []
  const rx = new RegExp(re.source, 'g')
  let last = 0
  let m: RegExpExecArray | null
  while ((m = rx.exec(t)) !== null) {
    literals.push(t.slice(last, m.index))
    getters.push(compileGet(m[1].trim(), generate))
    last = m.index + m[0].length
  }
  literals.push(t.slice(last))
  return { literals, getters }
}

function concatRenderer(literals: string[], getters: Getter[]): Renderer {
  const n = getters.length
  if (n === 0) {
    const s = literals[0]
    return () => s
  }
  if (n === 1) {
    const [l0, l1] = literals
    const g0 = getters[0]
    return (d) => l0 + placeholderString(g0(d)) + l1
  }
  if (n === 2) {
    const [l0, l1, l2] = literals
    const [g0, g1] = getters
    return (d) => l0 + placeholderString(g0(d)) + l1 + placeholderString(g1(d)) + l2
  }
  return (d) => {
    let s = literals[0]
    for (let i = 0; i < n; i++) s += placeholderString(getters[i](d)) + literals[i + 1]
    return s
  }
}

function doubleReplacer(data: unknown): (match: string, key: string) => string {
  return (_match, key) => placeholderString(getDynamic(data, key.trim()))
}

/**
 * `{{{ key }}}` is replaced first, then `{{ key }}` over the result (values may add
 * placeholders). `generate`: emit dedicated getter functions (compile-time templates only).
 */
export function compileTemplate(t: string, generate = true): Renderer {
  const triple = splitTemplate(t, TRIPLE_RE, generate)
  if (triple.getters.length === 0) {
    const double = splitTemplate(t, DOUBLE_RE, generate)
    return concatRenderer(double.literals, double.getters)
  }
  const first = concatRenderer(triple.literals, triple.getters)
  return (d) => first(d).replace(DOUBLE_RE, doubleReplacer(d))
}

const dynamicTemplates = new Map<string, Renderer>()

/** Templates only known per event (directive-valued `@template`): closures, bounded cache. */
function dynamicTemplate(t: string): Renderer {
  let r = dynamicTemplates.get(t)
  if (r === undefined) {
    r = compileTemplate(t, false)
    if (dynamicTemplates.size >= 1000) dynamicTemplates.clear()
    dynamicTemplates.set(t, r)
  }
  return r
}

directiveCompilers['@template'] = (value) => {
  if (typeof value === 'string') {
    const r = compileTemplate(value)
    const f: Fn = (p) => r(p === undefined ? {} : p)
    return { raw: f, clean: f }
  }
  const inner = compileNode(value)
  const f: Fn = (p) => {
    const t = inner.raw(p)
    if (typeof t !== 'string') throw new Error(`@template: expected string, got ${realTypeOf(t)}`)
    return dynamicTemplate(t)(p === undefined ? {} : p)
  }
  return { raw: f, clean: f }
}

// ---------------------------------------------------------------------------------------

directiveCompilers['@literal'] = (value) => compileNode(value)

/** The condition of `@if`: `exists` (neither undefined nor null) or `blank` (nor the empty string). */
export function compileIfCondition(opts: Record<string, unknown>): (p: unknown) => boolean {
  if (opts.exists !== undefined) {
    const e = compileNode(opts.exists).raw
    return (p) => {
      const v = e(p)
      return v !== undefined && v !== null
    }
  }
  const b = compileNode(opts.blank).raw
  return (p) => {
    const v = b(p)
    // eslint-disable-next-line eqeqeq
    return v !== undefined && v !== null && (v as string) != ''
  }
}

directiveCompilers['@if'] = (opts) => {
  if (!isObject(opts)) return thrower('@if requires an object with an "exists" key')
  if (!opts.exists && !opts.blank) return thrower('@if requires an "exists" key or a "blank" key')
  const cond = compileIfCondition(opts)
  const thenN = opts.then !== undefined ? compileNode(opts.then) : UNDEFINED
  const elseN = opts.else ? compileNode(opts.else) : UNDEFINED
  const thenRaw = thenN.raw
  const thenClean = thenN.clean
  const elseRaw = elseN.raw
  const elseClean = elseN.clean
  return {
    raw: (p) => (cond(p) ? thenRaw(p) : elseRaw(p)),
    clean: (p) => (cond(p) ? thenClean(p) : elseClean(p)),
  }
}

directiveCompilers['@arrayPath'] = (data) => {
  if (!Array.isArray(data)) return thrower(`@arrayPath expected array, got ${realTypeOf(data)}`)
  const [path, itemShape] = data as unknown[]
  const rootFn: Fn = typeof path === 'string' ? compileGet(path.replace('$.', '')) : compileNode(path).raw
  const shapeOk = realTypeOf(itemShape) === 'object' && Object.keys(itemShape as object).length > 0
  if (!shapeOk) return { raw: rootFn, clean: (p) => removeUndefined(rootFn(p)) }
  const shape = compileNode(itemShape)
  const shapeRaw = shape.raw
  const shapeClean = shape.clean
  const mapRaw = (item: unknown) => shapeRaw(item)
  const mapClean = (item: unknown) => shapeClean(item)
  return {
    raw: (p) => {
      const root = rootFn(p)
      if (Array.isArray(root)) return root.map(mapRaw)
      if (isObject(root)) return [shapeRaw(root)]
      return root
    },
    clean: (p) => {
      const root = rootFn(p)
      if (Array.isArray(root)) return root.map(mapClean)
      if (isObject(root)) return [shapeClean(root)]
      return removeUndefined(root)
    },
  }
}

directiveCompilers['@case'] = (opts) => {
  if (!isObject(opts)) return thrower('@case requires an object with a "operator" key')
  if (!opts.operator) return thrower('@case requires a "operator" key')
  const operator = opts.operator
  if (!opts.value) return UNDEFINED
  const v = compileNode(opts.value).raw
  const bad = 'operator key should have a value of "lower" or "upper"'
  const transformString: (s: string) => string =
    operator === 'lower'
      ? (s) => s.toLowerCase()
      : operator === 'upper'
        ? (s) => s.toUpperCase()
        : () => {
            throw new Error(bad)
          }
  return withDefaultClean((p) => {
    const value = v(p)
    return typeof value === 'string' ? transformString(value) : value
  })
}

function escapePattern(pattern: string): string {
  return pattern.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&')
}

function replaceStep(pattern: string, replacement: string, flags: string): (s: string) => string {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return () => {
      throw new Error(`@replace requires a "pattern" less than ${MAX_PATTERN_LENGTH} characters`)
    }
  }
  if (replacement.length > MAX_REPLACEMENT_LENGTH) {
    return () => {
      throw new Error(`@replace requires a "replacement" less than ${MAX_REPLACEMENT_LENGTH} characters`)
    }
  }
  const re = new RegExp(escapePattern(pattern), flags)
  return (s) => s.replace(re, replacement)
}

directiveCompilers['@replace'] = (opts) => {
  if (!isObject(opts)) return thrower('@replace requires an object with a "pattern" key')
  if (!opts.pattern) return thrower('@replace requires a "pattern" key')
  // Segment writes these defaults into the mapping object; we only read them.
  const replacement = opts.replacement == null ? '' : opts.replacement
  const replacement2 = opts.pattern2 && opts.replacement2 == null ? '' : opts.replacement2
  const ignorecase = opts.ignorecase == null ? false : opts.ignorecase
  const isGlobal = opts.global == null ? true : opts.global
  const pattern = opts.pattern
  if (!opts.value) return UNDEFINED
  const v = compileNode(opts.value).raw
  const typesOk = typeof pattern === 'string' && typeof replacement === 'string' && typeof ignorecase === 'boolean' && typeof isGlobal === 'boolean'
  if (!typesOk) {
    const f: Fn = (p) => {
      v(p)
      return ''
    }
    return { raw: f, clean: f }
  }
  const flags = (isGlobal ? 'g' : '') + (ignorecase ? 'i' : '')
  const step1 = replaceStep(pattern, replacement, flags)
  const step2 = opts.pattern2 && typeof opts.pattern2 === 'string' && typeof replacement2 === 'string' ? replaceStep(opts.pattern2, replacement2, flags) : null
  const f: Fn = (p) => {
    let value = v(p)
    if (typeof value === 'boolean' || typeof value === 'number') value = String(value)
    if (typeof value !== 'string') return ''
    const out = step1(value)
    return step2 ? step2(out) : out
  }
  return { raw: f, clean: f }
}

directiveCompilers['@json'] = (opts) => {
  if (!isObject(opts)) return thrower('@json requires an object with a "value" key')
  if (!opts.mode) return thrower('@json requires a "mode" key')
  if (!opts.value) return thrower('@json requires a "value" key')
  const v = compileNode(opts.value).raw
  if (opts.mode === 'encode') {
    const f: Fn = (p) => JSON.stringify(v(p))
    return { raw: f, clean: f }
  }
  if (opts.mode === 'decode') {
    return withDefaultClean((p) => {
      const value = v(p)
      if (typeof value === 'string') {
        try {
          return JSON.parse(value)
        } catch {
          return value
        }
      }
      return value
    })
  }
  const f: Fn = (p) => {
    v(p)
    return undefined
  }
  return { raw: f, clean: f }
}

directiveCompilers['@flatten'] = (opts) => {
  if (!isObject(opts)) return thrower('@flatten requires an object with a "separator" key')
  if (!opts.separator) return thrower('@flatten requires a "separator" key')
  const sep = compileNode(opts.separator).raw
  const v = compileNode(opts.value).raw
  const omitArrays = Boolean(opts.omitArrays)
  return withDefaultClean((p) => {
    const separator = sep(p)
    if (typeof separator !== 'string') throw new Error('@flatten requires a string separator')
    return flattenObject(v(p), separator, omitArrays)
  })
}

directiveCompilers['@merge'] = (opts) => {
  if (!isObject(opts)) return thrower('@merge requires an object with an "objects" key and a "direction" key')
  if (!opts.direction) return thrower('@merge requires a "direction" key')
  const dir = compileNode(opts.direction).raw
  const objects = opts.objects
  let failure: string | null = null
  if (!objects) failure = '@merge requires a "objects" key'
  else if (!Array.isArray(objects)) failure = `@merge: expected opts.array, got ${typeof objects}`
  if (failure !== null) {
    const message = failure
    const f: Fn = (p) => {
      dir(p)
      throw new Error(message)
    }
    return { raw: f, clean: f }
  }
  const arr = objects as unknown[]
  const n = arr.length
  const parts: (Fn | undefined)[] = []
  for (let i = 0; i < n; i++) parts.push(i in arr ? compileNode(arr[i]).raw : undefined)
  return withDefaultClean((p) => {
    const direction = dir(p)
    const resolved: unknown[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const part = parts[i]
      if (part) resolved[i] = part(p)
    }
    if (direction === 'left') resolved.reverse()
    return Object.assign({}, ...resolved)
  })
}

directiveCompilers['@transform'] = (opts) => {
  if (!isObject(opts)) return thrower('@transform requires an object with an "apply" key and a "mapping" key')
  if (!opts.mapping) return thrower('@transform requires a "mapping" key')
  if (!opts.apply) return thrower('@transform requires a "apply" key')
  if (!isObject(opts.apply)) return thrower('@transform "apply" key should be an object')
  const apply = compileTransform(opts.apply, true)
  const mapping = compileNode(opts.mapping)
  const mRaw = mapping.raw
  const mClean = mapping.clean
  return {
    raw: (p) => mRaw(apply(p)),
    clean: (p) => mClean(apply(p)),
  }
}

directiveCompilers['@excludeWhenNull'] = (value) => {
  const v = compileNode(value).raw
  return withDefaultClean((p) => {
    const resolved = v(p)
    if (resolved === null) return undefined
    return cleanNulls(resolved)
  })
}

directiveCompilers['@liquid'] = (value) => {
  if (typeof value !== 'string') return thrower('liquid template value must be a string')
  if (value.length === 0) return constant('')
  if (value.length > LIQUID_MAX_LENGTH) return thrower(`liquid template values are limited to ${LIQUID_MAX_LENGTH} characters`)
  const render = compileLiquid(value)
  const f: Fn = (p) => {
    const res = render(p)
    return typeof res !== 'string' ? 'error' : res
  }
  return { raw: f, clean: f }
}

// ---------------------------------------------------------------------------------------
// Root handling (`__segment_internal_directive`) + validation + top-level function

export interface PreparedMapping {
  /** The mapping that is validated and resolved (after root-directive processing). */
  mapping: unknown
  errors: MappingError[]
}

const ROOT_POINTER = toPointer([ROOT_MAPPING_FIELD_KEY])

/** Root processing as the pipeline does it, without mutating the caller's mapping. */
export function prepareMapping(mapping: unknown): PreparedMapping {
  const fail = (message: string, pointer: string): PreparedMapping => ({
    mapping: undefined,
    errors: [{ path: '', message, pointer }],
  })
  if (mapping === null || mapping === undefined) return fail('Cannot convert undefined or null to object', '')
  const src = mapping as Record<string, unknown>
  if (!Object.keys(src).includes(ROOT_MAPPING_FIELD_KEY)) {
    const toProcess = { ...src }
    return { mapping: toProcess, errors: validateResolvedMapping(toProcess) }
  }
  const customerMappings: Record<string, unknown> = {}
  for (const key in src) {
    if (key !== ROOT_MAPPING_FIELD_KEY) customerMappings[key] = src[key]
  }
  const root = src[ROOT_MAPPING_FIELD_KEY] as Record<string, unknown>
  if (root === null || root === undefined) return fail('Cannot convert undefined or null to object', ROOT_POINTER)
  const rootKeys = Object.keys(root)
  if (rootKeys.length > 1) return fail('The root mapping must only have a single directive object', ROOT_POINTER)
  const directiveKey = rootKeys[0]
  const rootDirective = root[directiveKey as string]
  if (!rootDirective || typeof rootDirective !== 'object') return fail('The root directive must be an object', ROOT_POINTER)
  let directiveCopy: unknown
  if (Array.isArray(rootDirective)) {
    const c = rootDirective.slice() as unknown[] & { mapping?: unknown }
    c.mapping = customerMappings
    directiveCopy = c
  } else {
    const c: Record<string, unknown> = { ...(rootDirective as Record<string, unknown>) }
    c.mapping = customerMappings
    directiveCopy = c
  }
  let toProcess: unknown
  if (Array.isArray(root)) {
    const c = root.slice()
    c[0] = directiveCopy
    toProcess = c
  } else {
    toProcess = { [directiveKey]: directiveCopy }
  }
  // Pointers into the injected customer mapping point back at the caller's top-level keys.
  const injected = toPointer([ROOT_MAPPING_FIELD_KEY, directiveKey, 'mapping'])
  const errors = validateResolvedMapping(toProcess, [ROOT_MAPPING_FIELD_KEY]).map((e) =>
    e.pointer === injected || e.pointer.startsWith(injected + '/') ? { ...e, pointer: e.pointer.slice(injected.length) } : e,
  )
  return { mapping: toProcess, errors }
}

/** Throws `data must be an object, got <type>` unless `realTypeOf(data) === 'object'`. */
export function checkData(data: unknown): void {
  if (!isObject(data)) {
    const t = realTypeOf(data)
    if (t !== 'object') throw new Error(`data must be an object, got ${t}`)
  }
}

export type CompiledTransform = (data?: unknown) => unknown

/**
 * Compiles `transform(mapping, data)`. With `lazyErrors`, mapping errors are thrown when
 * the function runs (after the data check), as `@transform` does per event; otherwise a
 * `MappingValidationError` is thrown right away.
 */
export function compileTransform(mapping: unknown, lazyErrors: boolean): CompiledTransform {
  const prepared = prepareMapping(mapping)
  if (prepared.errors.length > 0) {
    const errors = prepared.errors
    if (!lazyErrors) throw new MappingValidationError(errors)
    return (data) => {
      checkData(data === undefined ? {} : data)
      throw new MappingValidationError(errors)
    }
  }
  const clean = compileNode(prepared.mapping).clean
  return (data) => {
    if (data === undefined) data = {}
    checkData(data)
    return clean(data)
  }
}
