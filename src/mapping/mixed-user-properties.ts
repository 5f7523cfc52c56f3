/**
 * Detects subscriptions whose mapping makes Amplitude receive a `user_properties` object that
 * mixes plain keys with `$set`/`$setOnce`/`$add` operations, which Amplitude rejects
 * (amplitude-api.md §4 "Mixing rule"). Pure; works on any configuration, presets included.
 */

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
  identifyUser: ['utm_properties', 'referrer']
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
 * One warning per subscription whose mapping maps plain `user_properties` alongside fields the
 * action sends as user-property operations (logEventV2: setOnce/setAlways/add; logEvent,
 * logPurchase, identifyUser: utm_properties/referrer). Such events are rejected by Amplitude
 * whenever both sides resolve to something (e.g. traits present and a campaign or referrer).
 */
export function mixedUserPropertyWarnings(subscriptions: readonly MixedCheckSubscription[]): string[] {
  const out: string[] = []
  for (const sub of subscriptions) {
    const ops = mixedOperationFields(sub.actionSlug, sub.settings)
    if (ops.length === 0) continue
    out.push(
      `subscription "${sub.name}" (${sub.actionSlug}) maps user_properties alongside ${ops.join(', ')}: ` +
        'when both resolve, Amplitude receives plain user properties mixed with $set/$setOnce' +
        (sub.actionSlug === 'logEventV2' && ops.includes('add') ? '/$add' : '') +
        ' operations in one user_properties object, which it rejects; map the plain properties into setAlways ($set) or ' +
        'an all-operations user_properties object instead'
    )
  }
  return out
}
