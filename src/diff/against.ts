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
import { AMPLITUDE_ADDED_FIELDS, AMPLITUDE_RULES, parseExportTime, type SenderShape } from '../export/format.js'

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export const AGAINST_KINDS = ['only-in-amplitude', 'only-in-archive'] as const
export type AgainstKind = (typeof AGAINST_KINDS)[number]

// ---------------------------------------------------------------------------------------------
// Pairing

/** What the pairing needs to know of one kept archive message (collected in a first pass). */
export interface MessageDescriptor {
  type: string
  event?: string
}

/** Pairing keys of a message: user id, anonymous id and device id, each with the time in ms. */
export function messageKeys(message: Obj, timeMs: number | undefined): string[] {
  if (timeMs === undefined) return []
  const out: string[] = []
  if (typeof message.userId === 'string' && message.userId !== '') out.push(`u:${message.userId}|${timeMs}`)
  if (typeof message.anonymousId === 'string' && message.anonymousId !== '') out.push(`d:${message.anonymousId}|${timeMs}`)
  const ctx = message.context
  const device = isObj(ctx) && isObj(ctx.device) ? ctx.device.id : undefined
  if (typeof device === 'string' && device !== '' && device !== message.anonymousId) out.push(`d:${device}|${timeMs}`)
  return out
}

/** Pairing keys of a stored event: user_id and device_id, each with event_time in ms. */
export function storedKeys(event: Obj): string[] {
  const t = parseExportTime(event.event_time)
  if (t === undefined) return []
  const out: string[] = []
  if (typeof event.user_id === 'string' && event.user_id !== '') out.push(`u:${event.user_id}|${t}`)
  if (typeof event.device_id === 'string' && event.device_id !== '') out.push(`d:${event.device_id}|${t}`)
  return out
}

/**
 * Message ids an insert id may carry, longest first: the whole id, then every prefix ending
 * before a `:` or `-` (Classic sent `<messageId>:<suffix>`, Actions replays `<messageId>-<hex>`).
 */
export function insertIdCandidates(insertId: string): string[] {
  const out = [insertId]
  for (let i = insertId.length - 1; i > 0; i--) {
    const c = insertId[i]
    if (c === ':' || c === '-') out.push(insertId.slice(0, i))
  }
  return out
}

export class PairingIndex {
  /** messageId → ordinal of its first kept message. */
  readonly byMessageId = new Map<string, number>()
  /** pairing key → ordinals of the messages with that key (at most a few kept). */
  readonly byKey = new Map<string, number[]>()
  readonly messages: MessageDescriptor[] = []

  add(message: Obj, timeMs: number | undefined): number {
    const ordinal = this.messages.length
    this.messages.push({ type: String(message.type), event: typeof message.event === 'string' ? message.event : undefined })
    if (typeof message.messageId === 'string' && message.messageId !== '' && !this.byMessageId.has(message.messageId)) {
      this.byMessageId.set(message.messageId, ordinal)
    }
    for (const k of messageKeys(message, timeMs)) {
      const l = this.byKey.get(k)
      if (l === undefined) this.byKey.set(k, [ordinal])
      else if (l.length < 8 && !l.includes(ordinal)) l.push(ordinal)
    }
    return ordinal
  }
}

export type Ownership =
  | { kind: 'owned'; ordinal: number; via: 'insert_id' | 'key' }
  | { kind: 'ambiguous'; candidates: number }
  | { kind: 'none' }

function compatible(eventType: unknown, d: MessageDescriptor): boolean {
  if (eventType === '$identify') return d.type === 'identify' || d.type === 'group'
  if (d.type === 'identify' || d.type === 'group' || d.type === 'alias') return false
  if (d.type === 'track') return d.event === eventType || eventType === 'Product Purchased'
  return true
}

/**
 * Which archived message a stored event belongs to: by `$insert_id` when one of its candidates
 * is a kept message's messageId; otherwise by user id / device id + event time in ms, with the
 * event type as tie-break when several messages share the key. Still several: ambiguous.
 */
export function ownerOf(event: Obj, index: PairingIndex): Ownership {
  const insertId = event.$insert_id
  if (typeof insertId === 'string' && insertId !== '') {
    for (const c of insertIdCandidates(insertId)) {
      const o = index.byMessageId.get(c)
      if (o !== undefined) return { kind: 'owned', ordinal: o, via: 'insert_id' }
    }
  }
  const owners = new Set<number>()
  for (const k of storedKeys(event)) for (const o of index.byKey.get(k) ?? []) owners.add(o)
  if (owners.size === 0) return { kind: 'none' }
  if (owners.size === 1) return { kind: 'owned', ordinal: [...owners][0]!, via: 'key' }
  const fit = [...owners].filter((o) => compatible(event.event_type, index.messages[o]!))
  if (fit.length === 1) return { kind: 'owned', ordinal: fit[0]!, via: 'key' }
  return { kind: 'ambiguous', candidates: fit.length > 0 ? fit.length : owners.size }
}

// ---------------------------------------------------------------------------------------------
// Alignment: compare what the sender controls

const GEO = ['country', 'region', 'city', 'dma', 'location_lat', 'location_lng'] as const
/** Fields Amplitude fills when the sender sent none. */
const FILLED = [...GEO, 'ip', 'time', 'event_id', 'session_id'] as const
/** Fields a sender may send that an export never shows (or shows only as Amplitude's own derivation). */
export const NOT_IN_EXPORTS = ['idfv', 'android_id', 'android_app_set_id', 'device_type', 'device_family', 'user_agent', 'plan', 'ingestion_metadata', 'partner_id', 'api_properties'] as const
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
    ambiguous: number
    unpaired: number
    /** Archived messages whose messageId was seen before (skipped: Amplitude kept one copy). */
    duplicateMessages: number
    /** Actions records to /groupidentify and /usermap, left out (never in an export). */
    notExportedRecords: number
  }
  byKind: Record<AgainstKind | 'ambiguous', number>
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
export function emulationFindings(emulated: readonly ClassicRecord[], stored: readonly SenderShape[], messageType: string): { findings: MessageFinding[]; storedRecords: ActionsRecord[] } {
  const kept = emulated.filter((r) => !NOT_EXPORTED.has(endpointName(r.endpoint)))
  const a = align(stored, kept, messageType)
  const storedRecords: ActionsRecord[] = a.stored.map((r) => ({
    subscription: 'Amplitude (stored)',
    actionSlug: messageType === 'group' && endpointName(r.endpoint) === 'identify' ? 'groupIdentifyUser' : 'stored',
    endpoint: r.endpoint,
    record: r.record,
  }))
  return { findings: diffMessage(a.sender, storedRecords), storedRecords }
}

export function percent(n: number, d: number): number {
  return d === 0 ? 100 : Math.round((n / d) * 1000) / 10
}

export class AgainstFindings {
  private readonly byName = new Map<string, AgainstFinding>()
  readonly byKind: Record<AgainstKind | 'ambiguous', number> = { 'only-in-amplitude': 0, 'only-in-archive': 0, ambiguous: 0 }

  constructor(private readonly maxExamples: number) {}

  add(kind: AgainstKind | 'ambiguous', name: string, example: AgainstExample): void {
    this.byKind[kind]++
    const key = `${kind}\u0000${name}`
    let f = this.byName.get(key)
    if (!f) this.byName.set(key, (f = { kind, name, count: 0, examples: [] }))
    f.count++
    if (f.examples.length < this.maxExamples) f.examples.push({ ...example, records: example.records.map((r) => ({ endpoint: r.endpoint, record: redactSecrets(r.record) })) })
  }

  list(): AgainstFinding[] {
    const order = { 'only-in-amplitude': 0, 'only-in-archive': 1, ambiguous: 2 }
    return [...this.byName.values()].sort((a, b) => order[a.kind] - order[b.kind] || b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
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
  return [
    ...AMPLITUDE_RULES,
    `Fields Amplitude adds, ignored: ${AMPLITUDE_ADDED_FIELDS.map(([f]) => f).join(', ')}.`,
  ]
}

export function emptyAgreement(classicMode: string): EmulationAgreement {
  return { classicMode, storedEvents: 0, matched: 0, percent: 100, byKind: emptyByKind() }
}
