/**
 * Payload pipeline steps that run between mapping resolution and perform (docs/actions-amplitude.md §0, steps 3–4):
 * JSON schema built from field definitions, empty-value removal, AJV 8 validation/coercion with
 * the custom `date-like` format, and Segment's human-readable validation error messages.
 */
import { createRequire } from 'node:module'
import type { Ajv as AjvType, ErrorObject, ValidateFunction } from 'ajv'
import dayjs from 'dayjs'
import type { FieldDefinition, FieldSet, FieldType } from './fields.js'

export interface JsonSchema {
  title?: string
  type?: string | string[]
  format?: string
  enum?: unknown[]
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  additionalProperties?: boolean
  required?: string[]
}

function jsonSchemaType(type: FieldType): string | string[] {
  if (type === 'datetime') return ['string', 'number']
  return type
}

/** Segment's fields-to-jsonschema semantics (without conditional requirements, unused by Amplitude). */
export function fieldsToJsonSchema(fields: FieldSet, additionalProperties = false): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  for (const [key, field] of Object.entries(fields)) {
    properties[key] = fieldToJsonSchema(field)
    if (field.required === true) required.push(key)
  }
  return { type: 'object', additionalProperties, properties, required }
}

function fieldToJsonSchema(field: FieldDefinition): JsonSchema {
  const baseType = jsonSchemaType(field.type)
  let schema: JsonSchema = { title: field.label, type: baseType }
  if (field.type === 'datetime') schema.format = 'date-like'
  if (field.choices) schema.enum = field.choices.map((c) => c.value)
  if (field.allowNull) {
    schema.type = ([] as string[]).concat(baseType, 'null')
    if (schema.enum) schema.enum = [...schema.enum, null]
  }
  if (field.multiple) {
    schema.items = { type: baseType }
    schema.type = 'array'
    if (schema.enum) {
      schema.items.enum = schema.enum
      delete schema.enum
    }
  }
  if (baseType === 'object' && field.properties) {
    const nested = fieldsToJsonSchema(field.properties, field.additionalProperties || false)
    if (field.multiple) schema.items = nested
    else schema = { ...schema, ...nested }
  }
  return schema
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Object.prototype.toString.call(v) === '[object Object]'
}

function shallowCopy(v: unknown): unknown {
  return isPlainObject(v) ? { ...v } : v
}

function typeIncludes(schema: JsonSchema, t: string): boolean {
  const st = schema.type
  if (st === undefined) return false
  return Array.isArray(st) ? st.includes(t) : st === t
}

/**
 * Segment's removeEmptyValues: acts only where the schema has a type/enum; `null` → absent when
 * the type does not allow null; `''` → absent when the type is not string, and at the root
 * always. Array items that clean to undefined are dropped (the kept items are NOT cleaned).
 */
export function removeEmptyValues(obj: unknown, schema: JsonSchema | undefined, isRoot = false): unknown {
  if (!schema || (schema.type === undefined && schema.enum === undefined)) return obj
  if (Array.isArray(obj)) {
    if (!schema.items) return obj
    // Segment keeps the original (uncleaned) items; they are shallow-copied here only so that
    // AJV's in-place coercion never mutates the caller's objects.
    const kept: unknown[] = []
    for (const item of obj) if (removeEmptyValues(item, schema.items) !== undefined) kept.push(shallowCopy(item))
    return kept
  }
  if (isPlainObject(obj)) {
    const props = schema.properties
    if (!props) return obj
    const out: Record<string, unknown> = { ...obj }
    for (const key of Object.keys(out)) {
      const v = removeEmptyValues(out[key], Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined)
      if (v === undefined || (v === '' && isRoot)) delete out[key]
      else out[key] = v
    }
    return out
  }
  if (obj === null && !typeIncludes(schema, 'null')) return undefined
  if (obj === '' && !typeIncludes(schema, 'string')) return undefined
  return obj
}

/** Segment's `date-like` format: dayjs-parsable; an all-digit (canonical number) string is unix seconds. */
export function isDateLike(data: string): boolean {
  if (String(Number(data)) === data) return dayjs.unix(Number(data)).isValid()
  return dayjs(data).isValid()
}

/**
 * AJV is loaded (its CommonJS build, synchronously) when the first schema is compiled, which is
 * when the exact path first validates a payload: a run the compiled path maps entirely never loads it.
 */
let ajv: AjvType | undefined

function ajvInstance(): AjvType {
  if (ajv) return ajv
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv')
  const a = new Ajv({
    coerceTypes: 'array',
    allErrors: true,
    allowUnionTypes: true,
    verbose: true,
    removeAdditional: true,
    logger: false,
  })
  a.addFormat('text', true)
  a.addFormat('password', true)
  a.addFormat('date-like', isDateLike)
  ajv = a
  return a
}

export function compileSchema(schema: JsonSchema): ValidateFunction {
  return ajvInstance().compile(schema)
}

/** Wrap non-array values of array-typed root fields (Segment's arrifyFields); null stays null. */
export function arrifyFields(obj: Record<string, unknown>, schema: JsonSchema): void {
  const props = schema.properties
  if (!props) return
  for (const key of Object.keys(obj)) {
    const fs = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined
    if (fs && fs.type === 'array') {
      const v = obj[key]
      if (v !== undefined && v !== null && !Array.isArray(v)) obj[key] = [shallowCopy(v)]
    }
  }
}

// ---- human-readable errors (same texts as @segment/ajv-human-errors with fieldLabels 'title') ----

const FORMAT_LABELS: Record<string, string> = {
  'date-time': 'date and time',
  time: 'time',
  date: 'date',
  email: 'email address',
  hostname: 'hostname',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  uri: 'URI',
  'uri-reference': 'URI Reference',
  'uri-template': 'URI-template',
  'json-pointer': 'JSON Pointer',
  'relative-json-pointer': 'relative JSON Pointer',
  regex: 'regular expression',
}

function article(s: string): string {
  return 'aeiou'.includes(s.charAt(0)) ? 'an' : 'a'
}

function humanizeList(arr: string[], conjunction: string): string {
  if (arr.length === 0) return 'nothing'
  if (arr.length === 1) return arr[0]!
  if (arr.length === 2) return `${arr[0]} ${conjunction} ${arr[1]}`
  return `${arr.slice(0, -1).join(', ')}, ${conjunction} ${arr[arr.length - 1]}`
}

function humanizeTypeOf(value: unknown): string {
  const raw = typeof value
  if (raw === 'object') {
    if (value === null) return 'null'
    if (Array.isArray(value)) return 'an array'
    return 'an object'
  }
  if (raw === 'undefined') return 'undefined'
  // 1e999 parses as Infinity: a number JSON cannot hold, which ajv refuses as "not a number".
  if (raw === 'number' && !Number.isFinite(value)) return `${String(value)}, not a finite number`
  return `${article(raw)} ${raw}`
}

function errorMessage(err: ErrorObject): string | null {
  const parent = err.parentSchema as JsonSchema | undefined
  const preamble = parent?.title ? parent.title : err.instancePath === '' ? 'the root value' : `the value at ${err.instancePath}`
  const params = err.params as Record<string, unknown>
  switch (err.keyword) {
    case 'enum': {
      const list = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v))
      return `${preamble} must be one of: ${humanizeList(list, 'or')}`
    }
    case 'type': {
      const t = params.type as string | string[]
      const list = Array.isArray(t) ? t : t.split(',')
      const expect = humanizeList(list, 'or')
      return `${preamble} must be ${article(expect)} ${expect} but it was ${humanizeTypeOf(err.data)}`
    }
    case 'format': {
      const f = String(params.format)
      return `${preamble} must be a valid ${FORMAT_LABELS[f] ?? f} string but it was not`
    }
    case 'required':
      return `${preamble} is missing the required field '${String(params.missingProperty)}'`
    case 'additionalProperties': {
      const allowed = Object.keys(parent?.properties ?? {}).join(', ')
      return `${preamble} has an unexpected property, ${String(params.additionalProperty)}, which is not in the list of allowed properties (${allowed})`
    }
    default:
      return `${preamble} ${err.message ?? ''}`
  }
}

/** Segment's AggregateAjvError message: each error capitalized, with a period, joined by spaces. */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  const parts: string[] = []
  for (const e of errors ?? []) {
    const m = errorMessage(e)
    if (m === null) continue
    parts.push(`${m.charAt(0).toUpperCase()}${m.slice(1)}.`)
  }
  return parts.join(' ')
}
