/**
 * The Export API's event format (docs/amplitude-export.md): times, zip entry names, and the
 * conversion of a stored (exported) event back into the shape a sender posts to the ingestion
 * APIs, keeping only what the sender controls. Pure.
 */

/** `2024-05-06 10:00:00.123000` (UTC, microseconds), as Amplitude writes times in exports. */
export function exportTime(ms: number): string {
  const iso = new Date(ms).toISOString() // 2024-05-06T10:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`
}

/**
 * An export time → epoch ms; undefined when unreadable. Exports write `2024-05-06 10:00:00.123000`
 * (UTC, microseconds); copies of them may have no fraction, more digits (nanoseconds), a `T`, or a
 * zone (`Z`, `+02:00`, `+0200`). A time without a zone is UTC, whatever the machine's time zone:
 * `Date.parse` would read such a string as local time, so it is used only for text that names its
 * zone (RFC 2822 `… GMT`).
 */
export function parseExportTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string' || value === '') return undefined
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ?(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim())
  if (m) {
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0
    const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms)
    const zone = m[8]?.toUpperCase()
    if (zone === undefined || zone === 'Z') return t
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    return t - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000
  }
  if (!/(?:GMT|UTC|Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) return undefined
  const t = Date.parse(value)
  return Number.isFinite(t) ? t : undefined
}

/** Zip entry of one hour's file: `<project>/<project>_<YYYY-MM-DD>_<H>#<n>.json.gz` (hour not padded). */
export function entryName(project: number | string, hourMs: number, n: number): string {
  const d = new Date(hourMs)
  return `${project}/${project}_${d.toISOString().slice(0, 10)}_${d.getUTCHours()}#${n}.json.gz`
}

/** Top-level revenue fields of the ingestion APIs and the event property Amplitude stores each under. */
export const REVENUE_FIELDS: ReadonlyArray<[string, string]> = [
  ['revenue', '$revenue'],
  ['price', '$price'],
  ['quantity', '$quantity'],
  ['productId', '$productId'],
  ['revenueType', '$revenueType'],
]

/** Export field → ingestion field, where Amplitude renames what the sender sent. */
export const RENAMED_FIELDS: ReadonlyArray<[string, string]> = [
  ['$insert_id', 'insert_id'],
  ['version_name', 'app_version'],
  ['device_carrier', 'carrier'],
  ['ip_address', 'ip'],
]

/**
 * Fields that exist only on Amplitude's side: never compared, listed in the report's model.
 * `user_properties`, `groups` and location fields have their own rules (`AMPLITUDE_RULES`).
 */
export const AMPLITUDE_ADDED_FIELDS: ReadonlyArray<[string, string]> = [
  ['server_upload_time', 'when Amplitude received the request (the Export API range is by this time)'],
  ['server_received_time', 'Amplitude receive time'],
  ['client_upload_time', 'upload time; for server-side senders the same as server time'],
  ['client_event_time', 'copy of event_time'],
  ['processed_time', 'Amplitude processing time'],
  ['user_creation_time', "the user's first event in the project"],
  ['uuid', "Amplitude's id of the stored event"],
  ['amplitude_id', "Amplitude's id of the merged user"],
  ['app', 'the project id'],
  ['$schema', 'export format version'],
  ['data', 'Amplitude bookkeeping (path, first-event flags, group ids)'],
  ['data_type', 'Amplitude bookkeeping'],
  ['amplitude_event_type', 'Amplitude-generated event kinds'],
  ['amplitude_attribution_ids', 'attribution bookkeeping'],
  ['is_attribution_event', 'attribution bookkeeping'],
  ['sample_rate', 'sampling bookkeeping'],
  ['device_type', 'derived by Amplitude from the device/OS fields'],
  ['device_family', 'derived by Amplitude from the device/OS fields'],
  ['group_properties', "the groups' current properties, stamped on every event"],
  ['global_user_properties', 'Amplitude bookkeeping'],
  ['$insert_key', 'Amplitude bookkeeping'],
  ['partner_id', 'Amplitude bookkeeping'],
  ['plan', 'tracking plan bookkeeping'],
  ['source_id', 'Amplitude bookkeeping'],
  ['raw_event_type', 'Amplitude bookkeeping'],
]

/** Comparison rules for fields both sides have, but which Amplitude fills or rewrites. */
export const AMPLITUDE_RULES: readonly string[] = [
  '$insert_id is the insert_id the sender sent (renamed), used for pairing and not compared; version_name is app_version, device_carrier is carrier, ip_address is ip.',
  'event_time is the time the sender sent (compared for presence only, as in the emulation diff); an event sent without time gets the upload time.',
  'Revenue sent as top-level revenue/price/quantity/productId/revenueType is stored as the event properties $revenue/$price/$quantity/$productId/$revenueType; they are moved back before comparing.',
  "user_properties on a stored event are the user's accumulated properties after the event, not what the event sent: only keys the Actions (or emulated Classic) records of the same message set are compared; $setOnce/$add/$append/$prepend/$unset/$remove keys are compared for presence only.",
  "groups on a stored event are the user's groups (as arrays): only group types the other side sends are compared, one-element arrays as their value.",
  "Location enrichment (country, region, city, dma, location_lat, location_lng), the uploader's IP address, event_id and session_id -1 are ignored when the other side sent none.",
  'null fields of a stored event count as not sent (exports list every field, null when empty); so do empty groups, user_properties and event_properties objects.',
  'Fields an export does not carry are left out of the sender records: idfv, android_id, android_app_set_id, device_type, device_family, user_agent, plan, ingestion_metadata, partner_id, api_properties.',
  'Events named $identify are /identify calls (identify records, or group associations for group calls); /groupidentify and /usermap calls do not appear in exports, so those records are left out on both sides.',
]

const ADDED: ReadonlySet<string> = new Set(AMPLITUDE_ADDED_FIELDS.map(([k]) => k))
const RENAMED: ReadonlyMap<string, string> = new Map(RENAMED_FIELDS)

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** What a stored event was: an event (httpapi) or an /identify call. */
export interface SenderShape {
  endpoint: '/httpapi' | '/identify'
  record: Record<string, unknown>
}

/**
 * A stored event as the sender's record: Amplitude-only fields and nulls removed, renamed fields
 * back under their ingestion names, `event_time` → `time` (ms), `$revenue`… back to top level.
 * `$identify` events become /identify records (without event_type, event_properties, event_id).
 */
export function storedToSender(event: Record<string, unknown>): SenderShape {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(event)) {
    if (v === null || v === undefined || ADDED.has(k)) continue
    if (k === 'event_time') {
      const t = parseExportTime(v)
      if (t !== undefined) out.time = t
      continue
    }
    out[RENAMED.get(k) ?? k] = v
  }
  if (out.session_id === -1) delete out.session_id
  for (const k of ['groups', 'user_properties', 'event_properties']) if (isObj(out[k]) && Object.keys(out[k] as object).length === 0) delete out[k]
  if (isObj(out.event_properties)) {
    let props: Record<string, unknown> | undefined
    for (const [top, prop] of REVENUE_FIELDS) {
      if (prop in out.event_properties) {
        props ??= { ...out.event_properties }
        if (props[prop] !== null && props[prop] !== undefined) out[top] = props[prop]
        delete props[prop]
      }
    }
    if (props) out.event_properties = props
  }
  if (out.event_type === '$identify') {
    delete out.event_type
    delete out.event_properties
    delete out.event_id
    return { endpoint: '/identify', record: out }
  }
  return { endpoint: '/httpapi', record: out }
}
