/** Types of the Classic-vs-Actions diff (`segamp diff-mappings`). Pure data. */

/**
 * What the Classic emulation sent for one message. Endpoints are accepted with or
 * without the leading slash (`/httpapi` or `httpapi`), so the structural types of
 * `src/segment/classic` and of the Actions pipeline both fit.
 */
export interface ClassicRecord {
  endpoint: string
  record: Record<string, unknown>
  /**
   * Top-level fields whose Classic value is unknowable (web mode: the browser SDK generated the
   * device_id). Absent from `record`, never compared; counted as an assumption instead.
   */
  unknown?: readonly string[]
  /**
   * An event the browser SDK logged on its own (web mode `revenue_amount`): never paired with an
   * Actions record; counted as an assumption instead.
   */
  sdkGenerated?: boolean
}

/** What one Actions subscription sent for one message. */
export interface ActionsRecord {
  subscription: string
  actionSlug: string
  endpoint: string
  record: Record<string, unknown>
  /** The request options the record travels with (`min_id_length`), when any. */
  options?: Record<string, unknown>
}

/**
 * `refused-by-amplitude`: Actions records Amplitude answers 400 for and stores nothing of (no
 * id, an id shorter than min_id_length, an id Amplitude never accepts); see src/diff/refused.ts.
 * Reported with their reason, never paired, and not a difference unless named in --fail-on.
 */
export const FINDING_KINDS = ['dropped', 'duplicated', 'renamed', 'revenue', 'properties', 'added', 'refused-by-amplitude', 'same'] as const
/** Finding kinds, in report order (what matters first). */
export type FindingKind = (typeof FINDING_KINDS)[number]

/** Kinds accepted by `--fail-on` (the contract's list; `same` is never a failure). */
export const FAIL_ON_KINDS = ['renamed', 'dropped', 'added', 'duplicated', 'properties', 'revenue', 'refused-by-amplitude'] as const
export type FailOnKind = (typeof FAIL_ON_KINDS)[number]

/**
 * What an Amplitude record is, by endpoint:
 * - `event`: httpapi / batch, named by `event_type`;
 * - `identification`: identify (user properties), named `[identify]`;
 * - `group`: the user→group association sent to identify (`groups` + the same pair in
 *   `user_properties`; Actions `groupIdentifyUser`), named `[group] <type>`;
 * - `group-properties`: groupidentify, named `[group properties] <group_type>`;
 * - `mapping`: usermap, named `[usermap]`;
 * - `other`: an endpoint not listed above, named `[<endpoint>]`.
 */
export type RecordKind = 'event' | 'identification' | 'group' | 'group-properties' | 'mapping' | 'other'

export type PathChange = 'only-classic' | 'only-actions' | 'changed'

export interface PathDiff {
  /** JSON path inside the record, e.g. `event_properties.plan`, `user_properties["[Segment] Group"]`. */
  path: string
  change: PathChange
}

export interface DiffContext {
  /** Expected renames, Classic name → Actions name (from `--rename-map`). Applied to event names. */
  renameMap?: ReadonlyMap<string, string>
  /** When given, the engine adds this message's assumption counts to it. */
  notes?: AssumptionCounts
  /**
   * Which sides' records are checked for ids Amplitude refuses (default neither: the services turn
   * it on, `compareArchives` for both sides). A side that holds
   * what Amplitude stored (`--against`) is not checked: Amplitude accepted it.
   */
  checkIds?: { classic: boolean; actions: boolean }
}

/** What the diff could not compare, counted (becomes counted assumptions in the report model). */
export interface AssumptionCounts {
  /** SDK-generated Classic events (`sdkGenerated`), by event name. */
  sdkEvents: Record<string, number>
  /** Per unknown Classic field (e.g. `device_id`). */
  unknownFields: Record<string, UnknownFieldCount>
  /** Classic records Amplitude would refuse (left out of the comparison), by reason. */
  refusedClassic: Record<string, number>
}

export interface UnknownFieldCount {
  /** Classic records whose value of the field was unknown. */
  records: number
  /** Of those, paired with an Actions record that sends the field… */
  actionsSends: number
  /** …or that does not. (The rest had no Actions counterpart.) */
  actionsOmits: number
  /** One value Actions sent, for the report. */
  example?: unknown
}

export function emptyAssumptionCounts(): AssumptionCounts {
  return { sdkEvents: {}, unknownFields: {}, refusedClassic: {} }
}

/**
 * One finding of one message. A message yields at most one finding per
 * (kind, record kind, classic name, actions name); `classicRecords`/`actionsRecords`
 * are the records involved (as given, not redacted).
 */
export interface MessageFinding {
  kind: FindingKind
  record: RecordKind
  /** Classic name; null for `added`. */
  classic: string | null
  /** Actions name; null for `dropped`. */
  actions: string | null
  /** Differing paths (`properties` and `revenue` findings only, else empty), sorted by path. */
  paths: PathDiff[]
  /** Why Amplitude refuses the records (`refused-by-amplitude` findings only). */
  reason?: string
  classicRecords: ClassicRecord[]
  actionsRecords: ActionsRecord[]
}

/** What the report says about how it was produced (`model` of the JSON report). */
export interface DiffModel {
  classicMode: string
  /** Classic destination settings; secrets are redacted in the report. */
  settings: Record<string, unknown>
  mappingsSource: string
  assumptions?: string[]
}

export interface PathCount {
  path: string
  change: PathChange
  /** Messages in which this path differed this way. */
  count: number
}

export interface FindingExample {
  messageId: string | null
  file: string
  line: number
  /** Classic records involved, secrets redacted. */
  classic: ClassicRecord[]
  /** Actions records involved, secrets redacted. */
  actions: ActionsRecord[]
}

export interface Finding {
  kind: FindingKind
  classic: string | null
  actions: string | null
  /** Messages with this finding. */
  count: number
  /** Why Amplitude refuses the records (`refused-by-amplitude` findings only). */
  reason?: string
  paths: PathCount[]
  examples: FindingExample[]
}

export interface DiffTotals {
  messages: number
  /** Records (events, identifications, group records, mappings) the Classic emulation sent. */
  classicEvents: number
  /** Records all Actions subscriptions sent. */
  actionsEvents: number
  /** Per finding kind: messages with at least one finding of that kind. Every kind is present. */
  byKind: Record<FindingKind, number>
}

export interface DiffReport {
  model: DiffModel
  totals: DiffTotals
  findings: Finding[]
}
