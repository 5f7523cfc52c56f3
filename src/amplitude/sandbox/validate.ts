/**
 * Pure validation of HTTP V2 / Batch events and of Identify-style records, following
 * docs/amplitude-api.md §2.2–2.3. Returns index maps in the shape of Amplitude's 400 bodies.
 */

/** Ids Amplitude refuses (compared case-insensitively). docs/amplitude-api.md §2.3. */
export const BLOCKED_IDS: ReadonlySet<string> = new Set([
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '""',
  '00000000-0000-0000-0000-000000000000',
  '{}',
  'lmy47d',
  '0',
  '-1',
])

/** Key used in events_with_missing_fields when an event has neither user_id nor device_id. */
export const MISSING_ID_FIELD = 'user_id or device_id'

export interface IndexMaps {
  invalidFields: Record<string, number[]>
  missingFields: Record<string, number[]>
  invalidIdLengths: Record<string, number[]>
}

export interface ValidationRules {
  minIdLength: number
  maxStringLength: number
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function push(map: Record<string, number[]>, field: string, index: number): void {
  const list = map[field] ?? (map[field] = [])
  if (list[list.length - 1] !== index) list.push(index)
}

const absent = (v: unknown): boolean => v === undefined || v === null
const isInteger = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v)
const isNumeric = (v: unknown): boolean => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
const isIntegerLike = (v: unknown): boolean => isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v.trim()) && Number.isSafeInteger(Number(v)))

export type IdVerdict = 'absent' | 'ok' | 'invalid' | 'short'

/** Classifies one user_id/device_id value. Empty strings count as absent. */
export function checkId(v: unknown, rules: ValidationRules): IdVerdict {
  if (absent(v) || v === '') return 'absent'
  if (typeof v !== 'string') return 'invalid'
  if (BLOCKED_IDS.has(v.trim().toLowerCase())) return 'invalid'
  if (v.length > rules.maxStringLength) return 'invalid'
  if (v.length < rules.minIdLength) return 'short'
  return 'ok'
}

/** Records problems with the user_id/device_id of `record` (at `index`) in `maps`. */
function validateIds(record: Record<string, unknown>, index: number, rules: ValidationRules, maps: IndexMaps): void {
  const u = checkId(record.user_id, rules)
  const d = checkId(record.device_id, rules)
  if (u === 'absent' && d === 'absent') {
    push(maps.missingFields, MISSING_ID_FIELD, index)
    return
  }
  if (u === 'invalid') push(maps.invalidFields, 'user_id', index)
  if (d === 'invalid') push(maps.invalidFields, 'device_id', index)
  if (u === 'short') push(maps.invalidIdLengths, 'user_id', index)
  if (d === 'short') push(maps.invalidIdLengths, 'device_id', index)
}

const OBJECT_FIELDS = ['event_properties', 'user_properties', 'groups', 'group_properties', 'plan', 'ingestion_metadata']
const INTEGER_FIELDS = ['event_id', 'session_id']
const FLOAT_FIELDS = ['price', 'revenue', 'location_lat', 'location_lng']

/**
 * Validates an events array (HTTP V2 / Batch). `events` is assumed to be an array;
 * non-object entries are reported under the field "event".
 */
export function validateEvents(events: unknown[], rules: ValidationRules): IndexMaps {
  const maps: IndexMaps = { invalidFields: {}, missingFields: {}, invalidIdLengths: {} }
  events.forEach((ev, i) => {
    if (!isPlainObject(ev)) {
      push(maps.invalidFields, 'event', i)
      return
    }
    if (absent(ev.event_type)) push(maps.missingFields, 'event_type', i)
    else if (typeof ev.event_type !== 'string' || ev.event_type === '' || ev.event_type.length > rules.maxStringLength) push(maps.invalidFields, 'event_type', i)
    validateIds(ev, i, rules, maps)
    if (!absent(ev.time) && !(isInteger(ev.time) && (ev.time as number) >= 0)) push(maps.invalidFields, 'time', i)
    for (const f of INTEGER_FIELDS) if (!absent(ev[f]) && !isInteger(ev[f])) push(maps.invalidFields, f, i)
    for (const f of OBJECT_FIELDS) if (!absent(ev[f]) && !isPlainObject(ev[f])) push(maps.invalidFields, f, i)
    for (const f of FLOAT_FIELDS) if (!absent(ev[f]) && !isNumeric(ev[f])) push(maps.invalidFields, f, i)
    if (!absent(ev.quantity) && !isIntegerLike(ev.quantity)) push(maps.invalidFields, 'quantity', i)
    if (!absent(ev.insert_id) && (typeof ev.insert_id !== 'string' || ev.insert_id.length > rules.maxStringLength)) push(maps.invalidFields, 'insert_id', i)
  })
  return maps
}

export function hasEntries(map: Record<string, unknown>): boolean {
  return Object.keys(map).length > 0
}

/**
 * Validates /identify identifications. Returns a human-readable problem for the first
 * bad record, or null when all are acceptable.
 */
export function validateIdentifications(items: unknown[], rules: ValidationRules): string | null {
  for (let i = 0; i < items.length; i++) {
    const it = items[i]
    if (!isPlainObject(it)) return `Invalid identification at index ${i}: not a JSON object`
    const maps: IndexMaps = { invalidFields: {}, missingFields: {}, invalidIdLengths: {} }
    validateIds(it, i, rules, maps)
    if (hasEntries(maps.missingFields)) return `Invalid identification at index ${i}: missing user_id or device_id`
    const bad = Object.keys(maps.invalidFields)[0]
    if (bad) return `Invalid identification at index ${i}: invalid ${bad}`
    const short = Object.keys(maps.invalidIdLengths)[0]
    if (short) return `Invalid identification at index ${i}: ${short} shorter than ${rules.minIdLength} characters`
    for (const f of ['user_properties', 'groups']) if (!absent(it[f]) && !isPlainObject(it[f])) return `Invalid identification at index ${i}: ${f} must be an object`
  }
  return null
}

/** Validates /groupidentify records. */
export function validateGroupIdentifications(items: unknown[]): string | null {
  for (let i = 0; i < items.length; i++) {
    const it = items[i]
    if (!isPlainObject(it)) return `Invalid group identification at index ${i}: not a JSON object`
    for (const f of ['group_type', 'group_value']) {
      const v = it[f]
      if (absent(v) || v === '') return `Invalid group identification at index ${i}: missing ${f}`
      if (typeof v !== 'string') return `Invalid group identification at index ${i}: ${f} must be a string`
    }
    if (!absent(it.group_properties) && !isPlainObject(it.group_properties)) return `Invalid group identification at index ${i}: group_properties must be an object`
  }
  return null
}

/** Number of group properties a /groupidentify request sets (operation objects counted by their keys). */
export function countGroupProperties(items: unknown[]): number {
  let n = 0
  for (const it of items) {
    if (!isPlainObject(it) || !isPlainObject(it.group_properties)) continue
    for (const [k, v] of Object.entries(it.group_properties)) {
      if (k.startsWith('$') && isPlainObject(v)) n += Object.keys(v).length
      else n += 1
    }
  }
  return n
}

/** Validates /usermap mappings. */
export function validateMappings(items: unknown[]): string | null {
  for (let i = 0; i < items.length; i++) {
    const it = items[i]
    if (!isPlainObject(it)) return `Invalid mapping at index ${i}: not a JSON object`
    if (typeof it.user_id !== 'string' || it.user_id === '') return `Invalid mapping at index ${i}: missing user_id`
    if (it.unmap === true) continue
    if (!absent(it.unmap) && typeof it.unmap !== 'boolean') return `Invalid mapping at index ${i}: unmap must be a boolean`
    if (typeof it.global_user_id !== 'string' || it.global_user_id === '') return `Invalid mapping at index ${i}: missing global_user_id`
  }
  return null
}
