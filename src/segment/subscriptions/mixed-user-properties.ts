/**
 * User properties that mix plain keys with operations (`$set`, `$setOnce`, `$add`, …) in one
 * `user_properties` object. Amplitude's Identify API documentation says such an object must hold
 * either plain properties or operations, never both, but names no error for a mixed one: the
 * request is accepted, and which of its properties take effect is not documented (see
 * docs/amplitude-api.md, "User properties: plain keys or operations"). Segment's own Quick Setup
 * presets can produce it (traits next to the UTM/referrer operations).
 *
 * Two views, both pure: per configuration (which subscriptions can produce such events; a note
 * for `inspect` and `migrate`) and per record (did this event actually carry both; counted once
 * per replay). What a mixed object is, is Amplitude's: src/amplitude/user-properties.ts.
 */
import { carriesMixedUserProperties } from '../../amplitude/user-properties.js'

/** What a configuration-level note says happens (one wording for every command). */
export const MIXED_EFFECT =
  "Amplitude's docs say a user_properties object holds either plain properties or operations ($set, $setOnce, …), not both; they name no error status for a mixed one, and which of its properties take effect is undocumented"

export interface MixedCheckSubscription {
  name: string
  actionSlug: string
  settings: Record<string, unknown>
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isDirective(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('@'))
}

/** A mapped value that can resolve to something (not absent, not null, not a literal empty object/string). */
function mapsSomething(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return false
  if (isPlainObject(v) && !isDirective(v)) return Object.values(v).some(mapsSomething)
  return true
}

/**
 * `user_properties` that resolves to plain keys: any mapping except a literal object whose keys
 * are all `$`-operations (or empty).
 */
function mapsPlainUserProperties(v: unknown): boolean {
  if (!mapsSomething(v)) return false
  if (isPlainObject(v) && !isDirective(v)) return Object.keys(v).some((k) => !k.startsWith('$') && mapsSomething(v[k]))
  return true
}

/** Mapped keys, per action, that the action turns into `$set`/`$setOnce`/`$add` next to `user_properties`. */
const OPERATION_FIELDS: Record<string, string[]> = {
  logEventV2: ['setOnce', 'setAlways', 'add'],
  logEvent: ['utm_properties', 'referrer'],
  logPurchase: ['utm_properties', 'referrer'],
  identifyUser: ['utm_properties', 'referrer'],
}

/**
 * The fields a subscription maps as user-property operations next to plain `user_properties`
 * (empty when it does not mix them).
 */
export function mixedOperationFields(actionSlug: string, settings: Record<string, unknown>): string[] {
  const fields = OPERATION_FIELDS[actionSlug]
  if (!fields || !isPlainObject(settings)) return []
  if (!mapsPlainUserProperties(settings.user_properties)) return []
  return fields.filter((f) => mapsSomething(settings[f]))
}

/**
 * One note per subscription whose mapping maps plain `user_properties` alongside fields the
 * action sends as user-property operations (logEventV2: setOnce/setAlways/add; logEvent,
 * logPurchase, identifyUser: utm_properties/referrer). An event mixes them only when both sides
 * resolve to something (e.g. traits present and a campaign or referrer).
 */
export function mixedUserPropertyWarnings(subscriptions: readonly MixedCheckSubscription[]): string[] {
  const out: string[] = []
  for (const sub of subscriptions) {
    const ops = mixedOperationFields(sub.actionSlug, sub.settings)
    if (ops.length === 0) continue
    out.push(
      `subscription "${sub.name}" (${sub.actionSlug}) maps user_properties alongside ${ops.join(', ')}: an event where both resolve carries plain user properties and operations in one object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
    )
  }
  return out
}

/** How many of these produced records (`{record: payload}`) carry mixed user properties. */
export function countMixedUserProperties(items: ReadonlyArray<{ record: { record: Record<string, unknown> } }>): number {
  let n = 0
  for (const it of items) if (carriesMixedUserProperties(it.record.record)) n++
  return n
}

/** The one end-of-replay line (empty when no event carried both). A note, not a warning: nothing failed. */
export function mixedUserPropertiesSummary(count: number): string {
  if (count <= 0) return ''
  return `Note: ${count.toLocaleString('en-US')} event(s) carried plain user_properties next to $set/$setOnce operations. ${MIXED_EFFECT}. \`segamp inspect\` names the subscriptions that map both; mapping the plain properties into setAlways ($set) avoids it.`
}
