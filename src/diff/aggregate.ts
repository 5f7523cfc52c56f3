/**
 * Aggregates per-message findings over a whole archive into the JSON report of
 * `segamp diff-mappings`. Memory is bounded: counters, the distinct finding keys
 * and paths, and at most `examples` examples per finding.
 */
import { diffMessage } from './engine.js'
import { redactSecrets } from './redact.js'
import type {
  ActionsRecord,
  AssumptionCounts,
  ClassicRecord,
  DiffContext,
  DiffModel,
  DiffReport,
  Finding,
  FindingExample,
  FindingKind,
  MessageFinding,
  PathChange,
  PathCount,
} from './types.js'
import { FINDING_KINDS, emptyAssumptionCounts } from './types.js'

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

/**
 * The counted assumptions of a diff: what it could not compare, with how often. Listed first in
 * the report's `model.assumptions`.
 */
export function countedAssumptions(notes: AssumptionCounts): string[] {
  const out: string[] = []
  for (const [field, n] of Object.entries(notes.unknownFields).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n.records === 0) continue
    const sends = n.actionsSends > 0 ? `the ${field} its mapping resolves on ${plural(n.actionsSends, 'record')} (e.g. ${JSON.stringify(n.example)})` : ''
    const omits = n.actionsOmits > 0 ? `no ${field} on ${plural(n.actionsOmits, 'record')}` : ''
    const unpaired = n.records - n.actionsSends - n.actionsOmits
    const rest = unpaired > 0 ? `${plural(unpaired, 'record')} had no Actions counterpart` : ''
    out.push(
      `Classic web used an SDK-generated ${field} on ${plural(n.records, 'record')} (the browser SDK's own id, not in the archive: ` +
        `preferAnonymousIdForDeviceId off or no anonymousId), so ${field} is not compared there; Actions sends ` +
        ([sends, omits].filter((x) => x !== '').join(' and ') || 'nothing comparable') +
        (rest ? `; ${rest}` : '') +
        '.',
    )
  }
  for (const [reason, count] of Object.entries(notes.refusedClassic).sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`Classic sent ${plural(count, 'record')} Amplitude refuses (${reason}): it stored nothing for them, so they are left out of the comparison.`)
  }
  for (const [name, count] of Object.entries(notes.sdkEvents).sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(
      `Classic web also sent ${plural(count, `${JSON.stringify(name)} event`)} that Actions will not send (the browser SDK logged one per revenue call; ` +
        `Actions puts revenue on the event itself): charts and dashboards counting ${JSON.stringify(name)} will see none.`,
    )
  }
  return out
}

export interface MessageRef {
  messageId?: string | null
  file: string
  line: number
}

/** One finding as it is being counted. */
export interface Acc {
  kind: FindingKind
  reason?: string
  classic: string | null
  actions: string | null
  count: number
  paths: Map<string, PathCount>
  examples: FindingExample[]
}

const KIND_ORDER: ReadonlyMap<FindingKind, number> = new Map(FINDING_KINDS.map((k, i) => [k, i]))
const CHANGE_ORDER: Record<PathChange, number> = { 'only-classic': 0, 'only-actions': 1, changed: 2 }

function cmpName(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return a < b ? -1 : 1
}

/** Report order: kind (what matters first), count desc, Classic name, Actions name. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! ||
    b.count - a.count ||
    cmpName(a.classic, b.classic) ||
    cmpName(a.actions, b.actions) ||
    cmpName(a.reason ?? null, b.reason ?? null)
  )
}

function comparePaths(a: PathCount, b: PathCount): number {
  return b.count - a.count || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) || CHANGE_ORDER[a.change] - CHANGE_ORDER[b.change]
}

function emptyByKind(): Record<FindingKind, number> {
  const o = {} as Record<FindingKind, number>
  for (const k of FINDING_KINDS) o[k] = 0
  return o
}

function exampleClassic(r: ClassicRecord): ClassicRecord {
  return { endpoint: r.endpoint, record: redactSecrets(r.record) }
}

function exampleActions(r: ActionsRecord): ActionsRecord {
  return { subscription: r.subscription, actionSlug: r.actionSlug, endpoint: r.endpoint, record: redactSecrets(r.record) }
}

/** A DiffAggregator's content as plain data (see `DiffAggregator.state`). */
export interface AggregatorState {
  messages: number
  classicEvents: number
  actionsEvents: number
  byKind: Record<FindingKind, number>
  findings: Array<[string, Acc]>
}

export class DiffAggregator {
  private readonly maxExamples: number
  private messages = 0
  private classicEvents = 0
  private actionsEvents = 0
  private readonly byKind = emptyByKind()
  private readonly findings = new Map<string, Acc>()
  private readonly notes = emptyAssumptionCounts()

  constructor(opts: { examples: number }) {
    this.maxExamples = Math.max(0, Math.floor(opts.examples))
  }

  /** Diffs one message and records its findings. Returns the message's findings. */
  add(msg: MessageRef, classic: readonly ClassicRecord[], actions: readonly ActionsRecord[], ctx: DiffContext = {}): MessageFinding[] {
    const found = diffMessage(classic, actions, { ...ctx, notes: this.notes })
    this.addFindings(msg, classic.length, actions.length, found)
    return found
  }

  /** Records findings computed elsewhere (`diffMessage`) for one message. */
  addFindings(msg: MessageRef, classicCount: number, actionsCount: number, found: readonly MessageFinding[]): void {
    this.messages++
    this.classicEvents += classicCount
    this.actionsEvents += actionsCount
    let seenKinds = 0
    for (const f of found) {
      const bit = 1 << KIND_ORDER.get(f.kind)!
      if ((seenKinds & bit) === 0) {
        seenKinds |= bit
        this.byKind[f.kind]++
      }
      // record kind is part of the key so that e.g. an event literally named "[identify]" stays apart
      const key = `${f.kind}\u0000${f.record}\u0000${f.classic ?? '\u0001'}\u0000${f.actions ?? '\u0001'}\u0000${f.reason ?? ''}`
      let acc = this.findings.get(key)
      if (acc === undefined) {
        acc = { kind: f.kind, classic: f.classic, actions: f.actions, count: 0, paths: new Map(), examples: [] }
        if (f.reason !== undefined) acc.reason = f.reason
        this.findings.set(key, acc)
      }
      acc.count++
      for (const p of f.paths) {
        const pk = `${p.change}\u0000${p.path}`
        const pc = acc.paths.get(pk)
        if (pc === undefined) acc.paths.set(pk, { path: p.path, change: p.change, count: 1 })
        else pc.count++
      }
      if (acc.examples.length < this.maxExamples) {
        acc.examples.push({
          messageId: msg.messageId ?? null,
          file: msg.file,
          line: msg.line,
          classic: f.classicRecords.map(exampleClassic),
          actions: f.actionsRecords.map(exampleActions),
        })
      }
    }
  }

  /**
   * What this aggregator holds, as plain data for another thread (`merge`): its counters, and per
   * finding its count, paths and first examples.
   */
  state(): AggregatorState {
    return { messages: this.messages, classicEvents: this.classicEvents, actionsEvents: this.actionsEvents, byKind: { ...this.byKind }, findings: [...this.findings] }
  }

  /**
   * Adds what another aggregator saw after everything this one saw (archive order): the result
   * is that of one aggregator given both runs of messages in turn (same counts, finding order and
   * first examples). Assumption notes are not merged: only `add` keeps them.
   */
  merge(other: AggregatorState): void {
    this.messages += other.messages
    this.classicEvents += other.classicEvents
    this.actionsEvents += other.actionsEvents
    for (const k of FINDING_KINDS) this.byKind[k] += other.byKind[k]
    for (const [key, acc] of other.findings) {
      let mine = this.findings.get(key)
      if (mine === undefined) {
        mine = { kind: acc.kind, classic: acc.classic, actions: acc.actions, count: 0, paths: new Map(), examples: [] }
        if (acc.reason !== undefined) mine.reason = acc.reason
        this.findings.set(key, mine)
      }
      mine.count += acc.count
      for (const [pk, p] of acc.paths) {
        const pc = mine.paths.get(pk)
        if (pc === undefined) mine.paths.set(pk, { ...p })
        else pc.count += p.count
      }
      for (const ex of acc.examples) if (mine.examples.length < this.maxExamples) mine.examples.push(ex)
    }
  }

  /** The report so far (the aggregator can go on afterwards). */
  report(model: DiffModel): DiffReport {
    const findings: Finding[] = []
    for (const acc of this.findings.values()) {
      findings.push({
        kind: acc.kind,
        classic: acc.classic,
        actions: acc.actions,
        count: acc.count,
        ...(acc.reason !== undefined ? { reason: acc.reason } : {}),
        paths: [...acc.paths.values()].map((p) => ({ ...p })).sort(comparePaths),
        examples: acc.examples.slice(),
      })
    }
    findings.sort(compareFindings)
    const m: DiffModel = {
      classicMode: model.classicMode,
      settings: redactSecrets(model.settings),
      mappingsSource: model.mappingsSource,
    }
    const counted = countedAssumptions(this.notes)
    if (model.assumptions !== undefined || counted.length > 0) m.assumptions = [...counted, ...(model.assumptions ?? [])]
    return {
      model: m,
      totals: {
        messages: this.messages,
        classicEvents: this.classicEvents,
        actionsEvents: this.actionsEvents,
        byKind: { ...this.byKind },
      },
      findings,
    }
  }
}
