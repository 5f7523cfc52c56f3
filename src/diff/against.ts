/**
 * `diff-mappings --against EXPORT`: what Amplitude holds (an Export API export) takes the place
 * of the Classic emulation. Pure: pairing of stored events with archived messages, the
 * alignment of stored events with what a sender controls, and the extra findings
 * (`only-in-amplitude`, `only-in-archive`, ambiguous pairings, emulation agreement).
 * See docs/amplitude-export.md ("Comparing against an export").
 */
import { diffMessage } from './engine.js'
import { redactSecrets } from './redact.js'
import type { ActionsRecord, ClassicRecord, DiffReport, FindingKind, MessageFinding } from './types.js'
import { FINDING_KINDS } from './types.js'
import { AMPLITUDE_ADDED_FIELDS, AMPLITUDE_RULES, type SenderShape } from '../amplitude/export-api/format.js'

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export const AGAINST_KINDS = ['only-in-amplitude', 'only-in-archive'] as const
export type AgainstKind = (typeof AGAINST_KINDS)[number]

// Pairing: src/diff/against-pairing.ts (pure) and src/diff/against-service.ts (bucket by bucket).

// ---------------------------------------------------------------------------------------------
// Alignment: compare what the sender controls

const GEO = ['country', 'region', 'city', 'dma', 'location_lat', 'location_lng'] as const
/** Fields Amplitude fills when the sender sent none. */
const FILLED = [...GEO, 'ip', 'time', 'event_id', 'session_id'] as const
/** Fields a sender may send that an export never shows (or shows only as Amplitude's own derivation). */
export const NOT_IN_EXPORTS = [
  'idfv',
  'android_id',
  'android_app_set_id',
  'device_type',
  'device_family',
  'user_agent',
  'plan',
  'ingestion_metadata',
  'partner_id',
  'api_properties',
] as const
/** Endpoints whose calls never appear in an export. */
export const NOT_EXPORTED = new Set(['groupidentify', 'usermap'])

export function endpointName(endpoint: string): string {
  let ep = endpoint
  while (ep.startsWith('/')) ep = ep.slice(1)
  if (ep.startsWith('2/')) ep = ep.slice(2)
  return ep
}

const NOT_IN_EXPORTS_SET: ReadonlySet<string> = new Set(NOT_IN_EXPORTS)

/** A copy of `o` without the keys in `drop` (built fresh: `delete` would slow every later read). */
function without(o: Obj, drop: ReadonlySet<string>, last: readonly string[] = []): Obj {
  const out: Obj = {}
  for (const k in o) if (!drop.has(k) && !last.includes(k)) out[k] = o[k]
  for (const k of last) if (o[k] !== undefined && !drop.has(k)) out[k] = o[k]
  return out
}

interface Flat {
  values: Obj
  presenceOnly: Set<string>
}

/** Sender user_properties as the values they leave on the user: plain keys and $set as values, other operations by key. */
export function flattenUserProperties(up: unknown): Flat {
  const values: Obj = {}
  const presenceOnly = new Set<string>()
  if (!isObj(up)) return { values, presenceOnly }
  for (const [k, v] of Object.entries(up)) {
    if (!k.startsWith('$')) {
      values[k] = v
      continue
    }
    if (!isObj(v) || k === '$unset' || k === '$clearAll') continue
    for (const [p, val] of Object.entries(v)) {
      values[p] = val
      if (k !== '$set') presenceOnly.add(p)
    }
  }
  return { values, presenceOnly }
}

interface SenderRecord {
  endpoint: string
  record: Obj
}

export interface Aligned<S extends SenderRecord> {
  stored: ClassicRecord[]
  sender: S[]
}

/**
 * Makes stored records and sender records comparable (see `AMPLITUDE_RULES`): sender
 * user_properties flattened; stored user_properties and groups cut to what the senders set;
 * fields Amplitude fills dropped from stored records when no sender record has them.
 */
export function align<S extends SenderRecord>(stored: readonly SenderShape[], senders: readonly S[], messageType?: string): Aligned<S> {
  const upKeys = new Map<string, unknown>()
  const presence = new Set<string>()
  const groupTypes = new Map<string, unknown>()
  const present = new Set<string>()
  const sender = senders.map((s0) => {
    let s = s0
    if (NOT_IN_EXPORTS.some((f) => s.record[f] !== undefined)) s = { ...s, record: without(s.record, NOT_IN_EXPORTS_SET) }
    const r = s.record
    for (const f of FILLED) if (r[f] !== undefined && r[f] !== null) present.add(f)
    if (isObj(r.groups)) for (const [t, v] of Object.entries(r.groups)) if (!groupTypes.has(t)) groupTypes.set(t, v)
    if (r.user_properties === undefined) return s
    const flat = flattenUserProperties(r.user_properties)
    for (const [k, v] of Object.entries(flat.values)) if (!upKeys.has(k)) upKeys.set(k, v)
    for (const k of flat.presenceOnly) presence.add(k)
    return { ...s, record: { ...r, user_properties: flat.values } }
  })
  const drop = new Set<string>()
  for (const f of FILLED) if (!present.has(f)) drop.add(f)
  const out: ClassicRecord[] = stored.map((st) => {
    const r: Obj = without(st.record, drop, ['user_properties', 'groups'])
    if (isObj(r.user_properties)) {
      const cut: Obj = {}
      for (const [k, v] of Object.entries(r.user_properties)) {
        if (!upKeys.has(k)) continue
        cut[k] = presence.has(k) ? upKeys.get(k) : v
      }
      if (Object.keys(cut).length > 0 || upKeys.size > 0) r.user_properties = cut
      else r.user_properties = undefined
    }
    if (isObj(r.groups)) {
      // a group call's $identify is the association itself: keep its groups when the other side sends none
      const association = messageType === 'group' && st.endpoint === '/identify' && groupTypes.size === 0
      const cut: Obj = {}
      for (const [t, v] of Object.entries(r.groups)) {
        if (!groupTypes.has(t) && !association) continue
        cut[t] = Array.isArray(v) && v.length === 1 && !Array.isArray(groupTypes.get(t)) ? v[0] : v
      }
      r.groups = Object.keys(cut).length > 0 ? cut : undefined
      if (association && r.groups !== undefined) {
        const up: Obj = {}
        for (const t of Object.keys(cut)) up[t] = cut[t]
        r.user_properties = up
      }
    }
    return { endpoint: st.endpoint, record: r }
  })
  return { stored: out, sender }
}

// ---------------------------------------------------------------------------------------------
// Report

export interface AgainstExample {
  messageId: string | null
  file: string
  line: number
  records: Array<{ endpoint: string; record: Obj }>
}

export interface AgainstFinding {
  kind: AgainstKind | 'ambiguous'
  /** Event type (only-in-amplitude, ambiguous) or message name (only-in-archive). */
  name: string
  count: number
  examples: AgainstExample[]
}

export interface EmulationAgreement {
  classicMode: string
  /** Stored events paired with an archived message and compared with the emulation. */
  storedEvents: number
  /** Of those, paired with an emulated record of the same name and no property or revenue difference. */
  matched: number
  percent: number
  /** Messages per finding kind of the emulation-vs-stored comparison. */
  byKind: Record<FindingKind, number>
}

export interface AgainstSection {
  export: { inputs: string[]; files: number; events: number; problems: Array<{ file: string; reason: string }> }
  pairing: {
    byInsertId: number
    byKey: number
    /** `$identify` rows paired with an identify or group message received shortly before (`--identify-window`). */
    byWindow: number
    ambiguous: number
    unpaired: number
    /** Stored events read twice (the same uuid and content, e.g. in two overlapping exports): paired once, the copies skipped. */
    duplicateEvents: number
    /** Archived messages whose messageId was seen before (skipped: Amplitude kept one copy). */
    duplicateMessages: number
    /** Actions records to /groupidentify and /usermap, left out (never in an export). */
    notExportedRecords: number
  }
  /**
   * The span of the kept messages' times (ISO, inclusive; null when none had a time): a stored
   * event no message owns outside it is `outside-archive-span`, not `only-in-amplitude`. A
   * `$identify` row is inside from `identifyRowsFrom` (`--identify-window` after `from`).
   * `fromAt`/`toAt`: the message at each bound (`file:line`), so that one with a skewed clock,
   * which widens the span by as much, can be found.
   */
  archiveSpan: { from: string | null; to: string | null; identifyRowsFrom: string | null; fromAt: string | null; toAt: string | null }
  /** `outside-archive-span`: of the `unpaired` stored events, those outside `archiveSpan` (no finding, never a difference). */
  byKind: Record<AgainstKind | 'ambiguous' | 'outside-archive-span', number>
  findings: AgainstFinding[]
  emulation: EmulationAgreement
  amplitudeFields: Array<{ field: string; reason: string }>
}

export type AgainstReport = DiffReport & { against: AgainstSection }

function emptyByKind(): Record<FindingKind, number> {
  const o = {} as Record<FindingKind, number>
  for (const k of FINDING_KINDS) o[k] = 0
  return o
}

/** Stored records the emulation reproduced: in a `same` finding and in no properties/revenue/duplicated finding. */
export function matchedStored(findings: readonly MessageFinding[]): Set<ActionsRecord> {
  const same = new Set<ActionsRecord>()
  const off = new Set<ActionsRecord>()
  for (const f of findings) {
    for (const r of f.actionsRecords) {
      if (f.kind === 'same') same.add(r)
      else if (f.kind === 'properties' || f.kind === 'revenue' || f.kind === 'duplicated' || f.kind === 'renamed') off.add(r)
    }
  }
  for (const r of off) same.delete(r)
  return same
}

/** Emulated Classic records vs stored records of one message (the stored side in the Actions slot). */
export function emulationFindings(
  emulated: readonly ClassicRecord[],
  stored: readonly SenderShape[],
  messageType: string,
): { findings: MessageFinding[]; storedRecords: ActionsRecord[] } {
  const kept = emulated.filter((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)))
  const a = align(stored, kept, messageType)
  const storedRecords: ActionsRecord[] = a.stored.map((r) => ({
    subscription: 'Amplitude (stored)',
    actionSlug: messageType === 'group' && endpointName(r.endpoint) === 'identify' ? 'groupIdentifyUser' : 'stored',
    endpoint: r.endpoint,
    record: r.record,
  }))
  return { findings: diffMessage(a.sender, storedRecords, { checkIds: { classic: true, actions: false } }), storedRecords }
}

export function percent(n: number, d: number): number {
  return d === 0 ? 100 : Math.round((n / d) * 1000) / 10
}

/** An AgainstFindings' content as plain data (see `AgainstFindings.state`). */
export interface AgainstFindingsState {
  byKind: Record<AgainstKind | 'ambiguous', number>
  byName: Array<AgainstFinding & { orders: number[] }>
}

/**
 * The export's own findings, counted by (kind, name). Examples are the `maxExamples` with the
 * lowest `order` (the stored event's position in the export, or the message's in the archive),
 * whatever order they are added in: pairing bucket by bucket gives the same report.
 */
export class AgainstFindings {
  private readonly byName = new Map<string, AgainstFinding & { orders: number[] }>()
  readonly byKind: Record<AgainstKind | 'ambiguous', number> = { 'only-in-amplitude': 0, 'only-in-archive': 0, ambiguous: 0 }

  constructor(private readonly maxExamples: number) {}

  add(kind: AgainstKind | 'ambiguous', name: string, example: AgainstExample, order: number): void {
    this.byKind[kind]++
    const key = `${kind}\u0000${name}`
    let f = this.byName.get(key)
    if (!f) this.byName.set(key, (f = { kind, name, count: 0, examples: [], orders: [] }))
    f.count++
    if (this.maxExamples === 0 || (f.examples.length >= this.maxExamples && order >= f.orders[f.orders.length - 1]!)) return
    let i = f.orders.length
    while (i > 0 && f.orders[i - 1]! > order) i--
    f.orders.splice(i, 0, order)
    f.examples.splice(i, 0, { ...example, records: example.records.map((r) => ({ endpoint: r.endpoint, record: redactSecrets(r.record) })) })
    if (f.examples.length > this.maxExamples) {
      f.orders.pop()
      f.examples.pop()
    }
  }

  /** What this holds, as plain data for another thread (`merge`). */
  state(): AgainstFindingsState {
    return { byKind: { ...this.byKind }, byName: [...this.byName.values()] }
  }

  /**
   * Adds what another AgainstFindings counted: the same as if its findings had been added here
   * (examples are chosen by order, so the order of merging does not matter).
   */
  merge(other: AgainstFindingsState): void {
    for (const k of Object.keys(this.byKind) as Array<keyof AgainstFindings['byKind']>) this.byKind[k] += other.byKind[k]
    for (const o of other.byName) {
      const key = `${o.kind}\u0000${o.name}`
      let f = this.byName.get(key)
      if (!f) this.byName.set(key, (f = { kind: o.kind, name: o.name, count: 0, examples: [], orders: [] }))
      f.count += o.count
      const both = f.orders.map((order, i) => ({ order, example: f!.examples[i]! }))
      o.orders.forEach((order, i) => both.push({ order, example: o.examples[i]! }))
      both.sort((a, b) => a.order - b.order)
      const kept = both.slice(0, this.maxExamples)
      f.orders = kept.map((e) => e.order)
      f.examples = kept.map((e) => e.example)
    }
  }

  list(): AgainstFinding[] {
    const order = { 'only-in-amplitude': 0, 'only-in-archive': 1, ambiguous: 2 }
    return [...this.byName.values()]
      .map(({ orders: _, ...f }) => f)
      .sort((a, b) => order[a.kind] - order[b.kind] || b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
}

/** Name of an archived message in `only-in-archive` findings. */
export function messageName(message: Obj): string {
  const type = String(message.type)
  if (type === 'track') return typeof message.event === 'string' ? message.event : '(track without event)'
  if (type === 'page' || type === 'screen') return `[${type}]${typeof message.name === 'string' ? ` ${message.name}` : ''}`
  return `[${type}]`
}

export function amplitudeModelLines(): string[] {
  return [...AMPLITUDE_RULES, `Fields Amplitude adds, ignored: ${AMPLITUDE_ADDED_FIELDS.map(([f]) => f).join(', ')}.`]
}

export function emptyAgreement(classicMode: string): EmulationAgreement {
  return { classicMode, storedEvents: 0, matched: 0, percent: 100, byKind: emptyByKind() }
}
