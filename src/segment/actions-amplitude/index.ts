/**
 * segamp's re-implementation of Segment's "Actions Amplitude" cloud destination actions:
 * field definitions, presets, and the removeEmptyValues → AJV validation → perform pipeline
 * that turns a resolved mapping into the Amplitude records Segment would send.
 *
 * Owns each action's fields, defaults and presets, the validation Segment applies (a payload
 * Segment refuses is an `invalid` result, not an error) and the payload rules of its perform
 * (user agent parsing, revenue, products, endpoints, options). It must never send anything or
 * batch records (src/pipeline/deliver/ does), and never differ from Segment's production
 * build: Segment's own test files are conformance tables in test/.
 */
import type { ValidateFunction } from 'ajv'
import type { AmplitudeRecord } from '../../types.js'
import { ACTIONS, isActionSlug, type ActionSlug } from './fields.js'
import { arrifyFields, compileSchema, fieldsToJsonSchema, formatAjvErrors, removeEmptyValues, type JsonSchema } from './schema.js'
import { performGroupIdentifyUser, performIdentifyUser, performLogEvent, performLogEventV2, performLogPurchase, performMapUser } from './perform.js'

export {
  ACTIONS,
  ACTION_SLUGS,
  DEFAULT_SUBSCRIPTIONS,
  PRESETS,
  SESSION_PRESET_NOTE,
  defaultValues,
  isActionSlug,
  type ActionDefinition,
  type ActionSlug,
  type FieldDefinition,
  type FieldSet,
  type FieldType,
  type Preset,
} from './fields.js'
export { AMPLITUDE_ENDPOINTS, endpointUrl, type AmplitudeRegion } from './helpers.js'
export { fieldsToJsonSchema, removeEmptyValues, isDateLike, type JsonSchema } from './schema.js'

export interface ActionSettings {
  apiKey?: string
  secretKey?: string
  endpoint?: 'north_america' | 'europe'
}

export type ActionResult = { ok: true; records: AmplitudeRecord[] } | { ok: false; reason: string }

export interface RunOptions {
  /** insert_id to use when the resolved payload has none (segamp deliberate difference). */
  defaultInsertId?: string
  /** Clock for groupIdentifyUser's missing `time` (Segment uses "now"); default Date.now. */
  now?: () => number
}

export interface CompiledAction {
  slug: ActionSlug
  run(resolvedMapping: Record<string, unknown>, opts?: RunOptions): ActionResult
}

interface CompiledSchema {
  schema: JsonSchema
  /** AJV's validator, compiled when the exact path first validates a payload of this action. */
  validator?: ValidateFunction
  hasInsertId: boolean
}

const compiled = new Map<ActionSlug, CompiledSchema>()

function schemaFor(slug: ActionSlug): CompiledSchema {
  let c = compiled.get(slug)
  if (!c) {
    const schema = fieldsToJsonSchema(ACTIONS[slug].fields)
    c = { schema, hasInsertId: 'insert_id' in ACTIONS[slug].fields }
    compiled.set(slug, c)
  }
  return c
}

function validatorOf(c: CompiledSchema): ValidateFunction {
  return (c.validator ??= compileSchema(c.schema))
}

/** JSON schema Segment derives from the action's fields (root: additionalProperties false). */
export function actionJsonSchema(slug: ActionSlug): JsonSchema {
  return schemaFor(slug).schema
}

type Payload = Record<string, unknown>

/**
 * Run removeEmptyValues + AJV validation/coercion on a resolved mapping; returns the validated
 * payload perform() sees, or Segment's validation error text.
 */
export function validatePayload(
  slug: ActionSlug,
  resolvedMapping: Record<string, unknown>,
  defaultInsertId?: string,
): { ok: true; payload: Payload } | { ok: false; reason: string } {
  const c = schemaFor(slug)
  const payload = removeEmptyValues(resolvedMapping, c.schema, true) as Payload
  const isObject = Object.prototype.toString.call(payload) === '[object Object]'
  if (isObject && defaultInsertId !== undefined && c.hasInsertId && payload.insert_id === undefined) {
    payload.insert_id = defaultInsertId
  }
  if (isObject) arrifyFields(payload, c.schema)
  const validate = validatorOf(c)
  if (!validate(payload)) return { ok: false, reason: formatAjvErrors(validate.errors) }
  return { ok: true, payload }
}

const defaultNow = (): number => Date.now()

export function compileAction(slug: ActionSlug, _settings: ActionSettings = {}): CompiledAction {
  if (!isActionSlug(slug)) throw new Error(`unknown Amplitude action: ${String(slug)}`)
  schemaFor(slug)
  return {
    slug,
    run(resolvedMapping, opts) {
      const v = validatePayload(slug, resolvedMapping, opts?.defaultInsertId)
      if (!v.ok) return v
      const p = v.payload
      switch (slug) {
        case 'logEvent':
          return { ok: true, records: performLogEvent(p) }
        case 'logEventV2':
          return { ok: true, records: performLogEventV2(p) }
        case 'logPurchase':
          return { ok: true, records: performLogPurchase(p) }
        case 'identifyUser':
          return { ok: true, records: performIdentifyUser(p) }
        case 'groupIdentifyUser':
          return { ok: true, records: performGroupIdentifyUser(p, opts?.now ?? defaultNow) }
        case 'mapUser':
          return { ok: true, records: performMapUser(p) }
      }
    },
  }
}
