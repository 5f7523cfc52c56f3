/**
 * Mapping validation (docs/actions-amplitude.md B.3), reproducing Segment's validator: the same checks, the
 * same messages, the same error order, and the same places where it stops at the first
 * error (sequential checks) or collects several (every key of an object, every field of
 * a directive's options). Each error carries Segment's path (its "stack", e.g.
 * `/event_type/@template`) and, additionally, an exact RFC 6901 pointer into the mapping
 * (Segment's stack omits array indexes and resets inside `@merge.objects`).
 */

import { indefiniteArticle, realTypeOf } from './util.js'

export interface MappingError {
  /** Segment's error path: `/` + stack joined by `/` (''-empty for non-validation errors such as root-directive errors). */
  path: string
  /** Segment's message text without path and final period, e.g. `has an invalid directive: @oops`. */
  message: string
  /** RFC 6901 JSON pointer to the offending value in the mapping as given ('' = whole mapping). */
  pointer: string
}

/** Segment's full error message: `/<path> <message>.` (or the bare message when there is no path). */
export function formatMappingError(e: MappingError): string {
  return e.path ? `${e.path} ${e.message}.` : e.message
}

export const MAX_PATTERN_LENGTH = 10
export const MAX_REPLACEMENT_LENGTH = 10

type Errs = MappingError[]
const OK: Errs = []

/** `st`: Segment's stack; `pt`: real pointer segments. */
interface Loc {
  st: string[]
  pt: string[]
}

function err(message: string, loc: Loc): Errs {
  return [{ path: '/' + loc.st.join('/'), message, pointer: toPointer(loc.pt) }]
}

export function toPointer(segs: readonly string[]): string {
  let s = ''
  for (const seg of segs) s += '/' + seg.replace(/~/g, '~0').replace(/\//g, '~1')
  return s
}

function child(loc: Loc, st: string | null, pt: string | null): Loc {
  return { st: st === null ? loc.st : [...loc.st, st], pt: pt === null ? loc.pt : [...loc.pt, pt] }
}

function realTypeOrDirective(value: unknown): string {
  const type = realTypeOf(value)
  if (type === 'object' && Object.keys(value as object).some((k) => k.startsWith('@'))) return 'directive'
  return type
}

function a(type: string): string {
  return `${indefiniteArticle(type)} ${type}`
}

type Validator = (v: unknown, loc: Loc) => Errs

const directiveValidators: Record<string, Validator> = Object.create(null)

function validateDirective(obj: unknown, loc: Loc): Errs {
  const o = obj as Record<string, unknown>
  const keys = Object.keys(o)
  const directiveKeys = keys.filter((k) => k.startsWith('@'))
  if (directiveKeys.length > 1) {
    return err(`should only have one @-prefixed key but it has ${directiveKeys.length} keys`, loc)
  }
  const otherKeys = keys.filter((k) => !k.startsWith('@') && k !== '_metadata')
  if (otherKeys.length > 0) {
    return err(`should only have one @-prefixed key but it has ${keys.length} keys`, loc)
  }
  const key = directiveKeys[0]
  const fn = directiveValidators[key]
  if (typeof fn !== 'function') return err(`has an invalid directive: ${key}`, loc)
  return fn(o[key], child(loc, key, key))
}

function validateDirectiveOrRaw(v: unknown, loc: Loc): Errs {
  const type = realTypeOrDirective(v)
  switch (type) {
    case 'directive':
      return validateDirective(v, loc)
    case 'object':
    case 'array':
    case 'boolean':
    case 'string':
    case 'number':
    case 'null':
      return OK
    default:
      return err(`should be a mapping directive or a JSON value but it is ${a(type)}`, loc)
  }
}

function validateDirectiveOrString(v: unknown, loc: Loc): Errs {
  const type = realTypeOrDirective(v)
  if (type === 'directive') return validateDirective(v, loc)
  if (type === 'string') return OK
  return err(`should be a string or a mapping directive but it is ${a(type)}`, loc)
}

function validateDirectiveOrObject(v: unknown, loc: Loc): Errs {
  const type = realTypeOrDirective(v)
  if (type === 'directive') return validateDirective(v, loc)
  if (type === 'object') return validateObject(v, loc)
  return err(`should be a object or a mapping directive but it is ${a(type)}`, loc)
}

function chain(...validators: Validator[]): Validator {
  return (v, loc) => {
    for (const validate of validators) {
      const e = validate(v, loc)
      if (e.length) return e
    }
    return OK
  }
}

function validateStringLength(min: number, max: number): Validator {
  return (v, loc) => {
    if (typeof v === 'string' && v.length < min) return err(`should be a string of length ${min} or greater`, loc)
    if (typeof v === 'string' && v.length > max) return err(`should be a string of length ${max} or less`, loc)
    return OK
  }
}

function validateString(v: unknown, loc: Loc): Errs {
  const type = realTypeOrDirective(v)
  if (type !== 'string') return err(`should be a string but it is ${a(type)}`, loc)
  return OK
}

function validateAllowedStrings(...allowed: string[]): Validator {
  return (v, loc) => {
    const e = validateString(v, loc)
    if (e.length) return e
    const str = v as string
    if (!allowed.includes(str.toLowerCase())) {
      return err(`should be one of ${allowed.join(', ')} but it is ${JSON.stringify(str)}`, loc)
    }
    return OK
  }
}

function validateBoolean(v: unknown, loc: Loc): Errs {
  const type = realTypeOrDirective(v)
  if (type !== 'boolean') return err(`should be a boolean but it is ${a(type)}`, loc)
  return OK
}

function validateObject(value: unknown, loc: Loc): Errs {
  const type = realTypeOrDirective(value)
  if (type !== 'object') return err(`should be an object but it is ${a(type)}`, loc)
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
  const directiveKey = keys.find((k) => k.charAt(0) === '@')
  if (directiveKey) {
    return err(`shouldn't have directive (@-prefixed) keys but it has ${JSON.stringify(directiveKey)}`, loc)
  }
  let errors: Errs = OK
  for (const k of keys) {
    const e = validateMappingAt(obj[k], child(loc, k, k))
    if (e.length) errors = errors.concat(e)
  }
  return errors
}

interface FieldSpec {
  required?: Validator
  optional?: Validator
}

function validateObjectWithFields(input: unknown, fields: Record<string, FieldSpec>, loc: Loc): Errs {
  const e = validateObject(input, loc)
  if (e.length) return e
  const obj = input as Record<string, unknown>
  let errors: Errs = OK
  for (const prop of Object.keys(fields)) {
    const { required, optional } = fields[prop]
    let fe: Errs = OK
    if (required) {
      if (obj[prop] === undefined) fe = err(`should have field ${JSON.stringify(prop)} but it doesn't`, loc)
      else fe = required(obj[prop], child(loc, prop, prop))
    } else if (optional) {
      if (obj[prop] !== undefined) fe = optional(obj[prop], child(loc, prop, prop))
    }
    if (fe.length) errors = errors.concat(fe)
  }
  return errors
}

function validateArray(arr: unknown, loc: Loc): Errs {
  const type = realTypeOf(arr)
  if (type !== 'array') return err(`should be an array but it is ${a(type)}`, loc)
  return OK
}

directiveValidators['@if'] = (v, loc) =>
  validateObjectWithFields(
    v,
    {
      exists: { optional: validateDirectiveOrRaw },
      then: { optional: validateDirectiveOrRaw },
      else: { optional: validateDirectiveOrRaw },
    },
    loc,
  )

directiveValidators['@case'] = (v, loc) => validateObjectWithFields(v, { operator: { optional: validateString }, value: { optional: validateDirectiveOrString } }, loc)

directiveValidators['@replace'] = (v, loc) =>
  validateObjectWithFields(
    v,
    {
      pattern: { required: chain(validateString, validateStringLength(1, MAX_PATTERN_LENGTH)) },
      replacement: { optional: chain(validateString, validateStringLength(0, MAX_REPLACEMENT_LENGTH)) },
      value: { required: validateDirectiveOrString },
      ignorecase: { optional: validateBoolean },
      global: { optional: validateBoolean },
    },
    loc,
  )

directiveValidators['@arrayPath'] = (v, loc) => {
  let e = validateArray(v, loc)
  if (e.length) return e
  const data = v as unknown[]
  e = validateDirectiveOrString(data[0], child(loc, null, '0'))
  if (e.length) return e
  return validateMappingAt(data[1], child(loc, null, '1'))
}

directiveValidators['@path'] = (v, loc) => validateDirectiveOrString(v, loc)

directiveValidators['@json'] = (v, loc) =>
  validateObjectWithFields(v, { value: { required: validateDirectiveOrRaw }, mode: { required: validateAllowedStrings('encode', 'decode') } }, loc)

directiveValidators['@flatten'] = (v, loc) => validateObjectWithFields(v, { separator: { optional: validateString }, value: { required: validateDirectiveOrRaw } }, loc)

directiveValidators['@merge'] = (v, loc) => {
  const e = validateObjectWithFields(v, { direction: { optional: validateAllowedStrings('left', 'right') }, objects: { required: validateArray } }, loc)
  if (e.length) return e
  const objects = (v as Record<string, unknown>).objects as unknown[]
  // Segment validates these without its stack: paths restart at '/'.
  for (let i = 0; i < objects.length; i++) {
    if (!(i in objects)) continue
    const oe = validateDirectiveOrObject(objects[i], { st: [], pt: [...loc.pt, 'objects', String(i)] })
    if (oe.length) return oe
  }
  return OK
}

directiveValidators['@template'] = (v, loc) => validateDirectiveOrString(v, loc)
directiveValidators['@literal'] = (v, loc) => validateDirectiveOrRaw(v, loc)

directiveValidators['@transform'] = (v, loc) =>
  validateObjectWithFields(v, { apply: { required: validateDirectiveOrObject }, mapping: { required: validateDirectiveOrObject } }, loc)

directiveValidators['@excludeWhenNull'] = (v, loc) => validateDirectiveOrRaw(v, loc)
directiveValidators['@liquid'] = (v, loc) => validateString(v, loc)

function validateMappingAt(mapping: unknown, loc: Loc): Errs {
  switch (realTypeOrDirective(mapping)) {
    case 'directive':
      return validateDirective(mapping, loc)
    case 'object':
      return validateObject(mapping, loc)
    default:
      // arrays: only checked to be arrays (elements are not validated); others are valid
      return OK
  }
}

/**
 * Validates an already root-processed mapping. `pointerPrefix` locates it inside the
 * mapping the user supplied (e.g. `['__segment_internal_directive']`).
 */
export function validateResolvedMapping(mapping: unknown, pointerPrefix: string[] = []): MappingError[] {
  return validateMappingAt(mapping, { st: [], pt: pointerPrefix })
}

/** The directives Segment knows (`@path`, `@template`, …), for a suggestion beside its own message. */
export function knownDirectives(): string[] {
  return Object.keys(directiveValidators)
}
