/**
 * Per-message diff between what the Classic emulation sent and what the Actions
 * subscriptions sent. Pure: a function of its arguments, no I/O.
 *
 * Pairing, per record kind (see `RecordKind`), inside one message:
 * 1. Classic records are looked up under their expected Actions name (the rename map applied to
 *    event names). Equal counts pair in order; Classic records beyond the Actions count are
 *    `dropped` (never offered as renames). When Actions sent a name more often than Classic,
 *    each Classic record takes the Actions record closest to it (fewest differing paths) and the
 *    surplus is a `duplicated` finding (e.g. Order Completed via Log Event and Log Purchase).
 * 2. Leftover Actions names (Classic sent nothing under that name) offer their first record for
 *    step 3; further records of the same name are `duplicated`.
 * 3. Leftover Classic records pair first with a leftover Actions record of the same raw name
 *    (`same`: the rename map expected a rename that did not happen), then with any leftover
 *    Actions record of the same kind (`renamed`), most shared words first, else in order.
 * 4. What is still unpaired is `dropped` (Classic only) or `added` (Actions only).
 * Every pair yields `same` (names equal, or an expected rename) or `renamed`, plus `properties`
 * and/or `revenue` when paths differ (see `diffRecords`, `IGNORED_PATHS`, `REVENUE_PATHS`).
 */
import type { ActionsRecord, AssumptionCounts, ClassicRecord, DiffContext, FindingKind, MessageFinding, PathDiff, RecordKind } from './types.js'
import { FINDING_KINDS } from './types.js'
import { refusal } from './refused.js'

export interface IgnoredPath {
  path: string
  /** `never`: not compared at all; `presence`: only reported when one side lacks it. */
  compare: 'never' | 'presence'
  reason: string
}

/** Top-level record paths the diff does not compare (or only compares for presence). */
export const IGNORED_PATHS: readonly IgnoredPath[] = [
  {
    path: 'event_type',
    compare: 'never',
    reason: 'the event name; compared by pairing (same/renamed/dropped/added), not as a property',
  },
  {
    path: 'insert_id',
    compare: 'never',
    reason: 'dedup key, not analytics data: Classic cloud sent none, Actions has no default, replay derives one from messageId (suffixed per Product Purchased)',
  },
  {
    path: 'time',
    compare: 'presence',
    reason:
      'both sides derive it from the message timestamp; groupIdentifyUser falls back to "now" when it is missing, so values are not comparable. A time sent by one side only is still reported',
  },
  {
    path: 'library',
    compare: 'never',
    reason:
      'names the sender, not the user: Classic sends "segment", Actions "segment" or the Segment library name (library2); stated once in the report model instead of on every event',
  },
  {
    path: 'use_batch_endpoint',
    compare: 'never',
    reason: 'Actions transport option that leaks into every event object; Amplitude ignores it',
  },
  {
    path: 'api_key',
    compare: 'never',
    reason: 'credential, never compared nor shown',
  },
]

const IGNORED: ReadonlyMap<string, IgnoredPath['compare']> = new Map(IGNORED_PATHS.map((p) => [p.path, p.compare]))

/** Revenue fields; a difference at one of these paths is a `revenue` finding, not `properties`. */
export const REVENUE_KEYS = ['revenue', 'price', 'quantity', 'productId', 'revenueType'] as const
export const REVENUE_PATHS: ReadonlySet<string> = new Set(REVENUE_KEYS.flatMap((k) => [k, `event_properties.${k}`]))

// ---------------------------------------------------------------------------------------------
// Record classification

interface Item<R> {
  kind: RecordKind
  /** Name as sent. */
  name: string
  /** Classic: the name Actions is expected to send (rename map applied); Actions: name. */
  expected: string
  /** Position in its side's input. */
  index: number
  src: R
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function normalizeEndpoint(endpoint: string): string {
  let ep = endpoint
  while (ep.startsWith('/')) ep = ep.slice(1)
  if (ep.startsWith('2/')) ep = ep.slice(2)
  return ep
}

/** An identify record that only associates the user with groups (Classic group call). */
function isGroupAssociation(record: Record<string, unknown>): boolean {
  const groups = record.groups
  if (!isPlainObject(groups)) return false
  const keys = Object.keys(groups)
  if (keys.length === 0) return false
  const up = record.user_properties
  if (up === undefined || up === null) return true
  if (!isPlainObject(up)) return false
  // analytics.js's setGroup (Classic web) sets the group as an operation: {"$set": {<type>: <group>}}
  const set = up.$set
  const props = Object.keys(up).length === 1 && isPlainObject(set) ? set : up
  for (const k of Object.keys(props)) {
    if (k !== 'id' && !(k in groups)) return false
  }
  return true
}

function classify(endpoint: string, record: Record<string, unknown>, actionSlug?: string): { kind: RecordKind; name: string } {
  const ep = normalizeEndpoint(endpoint)
  switch (ep) {
    case 'httpapi':
    case 'batch': {
      const t = record.event_type
      return { kind: 'event', name: typeof t === 'string' ? t : t === undefined || t === null ? '(no event_type)' : String(t) }
    }
    case 'identify': {
      const group = actionSlug !== undefined ? actionSlug === 'groupIdentifyUser' : isGroupAssociation(record)
      if (group) {
        const groups = record.groups
        const types = isPlainObject(groups) ? Object.keys(groups).join(', ') : ''
        return { kind: 'group', name: `[group] ${types}`.trimEnd() }
      }
      return { kind: 'identification', name: '[identify]' }
    }
    case 'groupidentify': {
      const t = record.group_type
      return { kind: 'group-properties', name: `[group properties] ${t === undefined || t === null ? '' : String(t)}`.trimEnd() }
    }
    case 'usermap':
      return { kind: 'mapping', name: '[usermap]' }
    default:
      return { kind: 'other', name: `[${ep}]` }
  }
}

// ---------------------------------------------------------------------------------------------
// Record comparison

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/

function joinPath(prefix: string, key: string): string {
  if (IDENT.test(key)) return prefix === '' ? key : `${prefix}.${key}`
  return `${prefix}[${JSON.stringify(key)}]`
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  let n = 0
  for (const k of Object.keys(ao)) {
    if (ao[k] === undefined) continue
    n++
    if (!deepEqual(ao[k], bo[k])) return false
  }
  for (const k of Object.keys(bo)) if (bo[k] !== undefined) n--
  return n === 0
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>

/** Amplitude keeps properties at most 40 levels deep; deeper data is not compared (the message fails). */
export const MAX_COMPARED_DEPTH = 40

export class TooDeepError extends Error {}

function diffObjects(prefix: string, a: Record<string, unknown>, b: Record<string, unknown>, out: PathDiff[], depth = 0): void {
  if (depth > MAX_COMPARED_DEPTH) throw new TooDeepError(`nested more than ${MAX_COMPARED_DEPTH} levels deep at ${prefix} (Amplitude keeps at most ${MAX_COMPARED_DEPTH})`)
  for (const k of Object.keys(a)) {
    const va = a[k]
    if (va === undefined) continue
    const path = joinPath(prefix, k)
    const ign = prefix === '' ? IGNORED.get(path) : undefined
    if (ign === 'never') continue
    const vb = b[k]
    if (vb === undefined) {
      if (isPlainObject(va)) diffObjects(path, va, EMPTY, out, depth + 1)
      else out.push({ path, change: 'only-classic' })
    } else if (ign === 'presence') {
      continue
    } else if (isPlainObject(va) && isPlainObject(vb)) {
      diffObjects(path, va, vb, out, depth + 1)
    } else if (!deepEqual(va, vb)) {
      out.push({ path, change: 'changed' })
    }
  }
  for (const k of Object.keys(b)) {
    const vb = b[k]
    if (vb === undefined || a[k] !== undefined) continue
    const path = joinPath(prefix, k)
    if (prefix === '' && IGNORED.get(path) === 'never') continue
    if (isPlainObject(vb)) diffObjects(path, EMPTY, vb, out, depth + 1)
    else out.push({ path, change: 'only-actions' })
  }
}

/**
 * Differences between a Classic record and an Actions record, by JSON path. Nested objects are
 * compared key by key (a missing object counts as empty, so its keys are reported one by one);
 * arrays and scalars are compared as whole values (`changed`). `undefined` counts as absent,
 * `null` as a value. Paths in `IGNORED_PATHS` are skipped. Result sorted by path.
 */
export function diffRecords(classic: Record<string, unknown>, actions: Record<string, unknown>): PathDiff[] {
  const out: PathDiff[] = []
  diffObjects('', classic, actions, out)
  if (out.length > 1) out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
  return out
}

// ---------------------------------------------------------------------------------------------
// Findings of one message

const NULL_KEY = '\u0001'
const KIND_ORDER: ReadonlyMap<FindingKind, number> = new Map(FINDING_KINDS.map((k, i) => [k, i]))

class Collector {
  private readonly byKey = new Map<string, MessageFinding>()

  constructor(readonly notes?: AssumptionCounts) {}

  add(
    kind: FindingKind,
    record: RecordKind,
    classic: string | null,
    actions: string | null,
    classicRecords: readonly ClassicRecord[],
    actionsRecords: readonly ActionsRecord[],
    paths: readonly PathDiff[] = [],
  ): void {
    const key = `${kind}\u0000${record}\u0000${classic ?? NULL_KEY}\u0000${actions ?? NULL_KEY}`
    let f = this.byKey.get(key)
    if (f === undefined) {
      f = { kind, record, classic, actions, paths: [], classicRecords: [], actionsRecords: [] }
      this.byKey.set(key, f)
    }
    for (const r of classicRecords) if (!f.classicRecords.includes(r)) f.classicRecords.push(r)
    for (const r of actionsRecords) if (!f.actionsRecords.includes(r)) f.actionsRecords.push(r)
    for (const p of paths) {
      if (!f.paths.some((q) => q.path === p.path && q.change === p.change)) f.paths.push(p)
    }
  }

  list(): MessageFinding[] {
    const all = [...this.byKey.values()]
    for (const f of all) {
      if (f.paths.length > 1) f.paths.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.change < y.change ? -1 : 1))
    }
    // stable sort: kind order, then first occurrence
    return all.sort((x, y) => KIND_ORDER.get(x.kind)! - KIND_ORDER.get(y.kind)!)
  }
}

function countFor(notes: AssumptionCounts, field: string) {
  return (notes.unknownFields[field] ??= { records: 0, actionsSends: 0, actionsOmits: 0 })
}

function emitPair(out: Collector, c: Item<ClassicRecord>, a: Item<ActionsRecord>): void {
  const renamed = a.name !== c.expected && a.name !== c.name
  out.add(renamed ? 'renamed' : 'same', c.kind, c.name, a.name, [c.src], [a.src])
  const unknown = c.src.unknown
  let diffs = diffRecords(c.src.record, a.src.record)
  if (unknown !== undefined && unknown.length > 0) {
    // a value Classic had but nobody can know is not a property change: counted as an assumption
    diffs = diffs.filter((d) => !unknown.includes(d.path))
    if (out.notes !== undefined) {
      for (const f of unknown) {
        const n = countFor(out.notes, f)
        const v = a.src.record[f]
        if (v === undefined) n.actionsOmits++
        else {
          n.actionsSends++
          n.example ??= v
        }
      }
    }
  }
  if (diffs.length === 0) return
  const props: PathDiff[] = []
  const revenue: PathDiff[] = []
  for (const d of diffs) (REVENUE_PATHS.has(d.path) ? revenue : props).push(d)
  if (props.length > 0) out.add('properties', c.kind, c.name, a.name, [c.src], [a.src], props)
  if (revenue.length > 0) out.add('revenue', c.kind, c.name, a.name, [c.src], [a.src], revenue)
}

/**
 * How far apart two records are, to choose among several Actions records of one name: the
 * number of differing paths, plus a large penalty when only one side carries top-level revenue
 * (so that Log Purchase's Order Completed, not Log Event's, pairs with Classic's revenue event).
 */
function pairScore(c: Record<string, unknown>, a: Record<string, unknown>): number {
  const penalty = (c.revenue === undefined) !== (a.revenue === undefined) ? 1000 : 0
  return diffRecords(c, a).length + penalty
}

function words(name: string): Set<string> {
  return new Set(
    name
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== ''),
  )
}

/**
 * Rename pairs among leftover records of one kind. One each (the usual case): that pair.
 * Otherwise the pairs sharing the most words go first (web mode's `Viewed Docs Index Page`
 * pairs with `Viewed Index` rather than `Viewed Docs Page` does), ties in order of appearance.
 */
function renamePairs(cs: readonly Item<ClassicRecord>[], as: readonly Item<ActionsRecord>[]): [Item<ClassicRecord>, Item<ActionsRecord>][] {
  if (cs.length === 0 || as.length === 0) return []
  if (cs.length === 1 && as.length === 1) return [[cs[0]!, as[0]!]]
  const cw = cs.map((c) => words(c.name))
  const aw = as.map((a) => words(a.name))
  const cand: [number, number, number][] = []
  for (let i = 0; i < cs.length; i++) {
    for (let j = 0; j < as.length; j++) {
      let shared = 0
      for (const w of cw[i]!) if (aw[j]!.has(w)) shared++
      cand.push([shared, i, j])
    }
  }
  cand.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2])
  const usedC = new Set<number>()
  const usedA = new Set<number>()
  const pairs: [number, number][] = []
  for (const [, i, j] of cand) {
    if (usedC.has(i) || usedA.has(j)) continue
    usedC.add(i)
    usedA.add(j)
    pairs.push([i, j])
  }
  pairs.sort((x, y) => x[0] - y[0])
  return pairs.map(([i, j]) => [cs[i]!, as[j]!])
}

function groupBy<T extends { expected: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const it of items) {
    const l = m.get(it.expected)
    if (l === undefined) m.set(it.expected, [it])
    else l.push(it)
  }
  return m
}

function pairKind(cs: readonly Item<ClassicRecord>[], as: readonly Item<ActionsRecord>[], out: Collector): void {
  const aByName = groupBy(as)
  const leftC: Item<ClassicRecord>[] = []
  const leftA: Item<ActionsRecord>[] = []
  const pendingDup: Item<ActionsRecord>[][] = []
  const surplusC: Item<ClassicRecord>[] = []

  // 1. expected names
  for (const [expected, cList] of groupBy(cs)) {
    const list = aByName.get(expected)
    if (list === undefined) {
      leftC.push(...cList)
      continue
    }
    aByName.delete(expected)
    if (list.length <= cList.length) {
      for (let i = 0; i < cList.length; i++) {
        if (i < list.length) emitPair(out, cList[i]!, list[i]!)
        else surplusC.push(cList[i]!) // Actions sends this name, just fewer times: not a rename
      }
      continue
    }
    // more Actions than Classic records of this name: closest pairs, the surplus is duplicated
    const used = new Set<number>()
    for (const c of cList) {
      let best = -1
      let bestScore = Infinity
      for (let j = 0; j < list.length; j++) {
        if (used.has(j)) continue
        const score = pairScore(c.src.record, list[j]!.src.record)
        if (score < bestScore) {
          best = j
          bestScore = score
        }
      }
      used.add(best)
      emitPair(out, c, list[best]!)
    }
    const c0 = cList[0]!
    out.add(
      'duplicated',
      c0.kind,
      c0.name,
      expected,
      cList.map((x) => x.src),
      list.map((x) => x.src),
    )
  }
  // back to order of appearance
  if (leftC.length > 1) leftC.sort((x, y) => x.index - y.index)

  // 2. Actions names Classic did not send under their expected name
  for (const list of aByName.values()) {
    leftA.push(list[0]!)
    if (list.length > 1) pendingDup.push(list)
  }

  // 3. same raw name (expected rename did not happen), then positional renames
  const partner = new Map<Item<ActionsRecord>, Item<ClassicRecord>>()
  const restC: Item<ClassicRecord>[] = []
  for (const c of leftC) {
    const j = leftA.findIndex((a) => a.name === c.name && !partner.has(a))
    if (j >= 0) {
      partner.set(leftA[j]!, c)
      emitPair(out, c, leftA[j]!)
    } else restC.push(c)
  }
  const restA = leftA.filter((a) => !partner.has(a))
  for (const [c, a] of renamePairs(restC, restA)) {
    partner.set(a, c)
    emitPair(out, c, a)
  }
  // 4. unpaired
  const pairedC = new Set(partner.values())
  for (const c of surplusC) out.add('dropped', c.kind, c.name, null, [c.src], [])
  for (const c of restC) if (!pairedC.has(c)) out.add('dropped', c.kind, c.name, null, [c.src], [])
  for (const a of restA) if (!partner.has(a)) out.add('added', a.kind, null, a.name, [], [a.src])
  for (const list of pendingDup) {
    const c = partner.get(list[0]!)
    out.add(
      'duplicated',
      list[0]!.kind,
      c ? c.name : null,
      list[0]!.name,
      c ? [c.src] : [],
      list.map((x) => x.src),
    )
  }
}

/**
 * Records Amplitude refuses (src/diff/refused.ts) leave the comparison: Actions ones become one
 * `refused-by-amplitude` finding per (name, reason), Classic ones are counted in `ctx.notes`
 * (Amplitude refused them too, so nothing was lost). Undefined when no record is refused.
 */
function setAsideRefused(
  classic: readonly ClassicRecord[],
  actions: readonly ActionsRecord[],
  ctx: DiffContext,
): { classic: ClassicRecord[]; actions: ActionsRecord[]; findings: MessageFinding[] } | undefined {
  const check = ctx.checkIds
  if (check === undefined) return undefined
  // web mode: a device_id the browser SDK generated (unknown here) was a valid id
  const cWhy = check.classic ? classic.map((r) => refusal(r.endpoint, r.unknown?.includes('device_id') ? { ...r.record, device_id: 'sdk-generated' } : r.record)) : []
  const aWhy = check.actions ? actions.map((r) => refusal(r.endpoint, r.record, r.options)) : []
  if (!cWhy.some((w) => w !== undefined) && !aWhy.some((w) => w !== undefined)) return undefined
  const notes = ctx.notes
  cWhy.forEach((w) => {
    if (w !== undefined && notes !== undefined) notes.refusedClassic[w] = (notes.refusedClassic[w] ?? 0) + 1
  })
  const findings = new Map<string, MessageFinding>()
  aWhy.forEach((reason, i) => {
    if (reason === undefined) return
    const src = actions[i]!
    const { kind, name } = classify(src.endpoint, src.record, src.actionSlug)
    const key = `${kind}\u0000${name}\u0000${reason}`
    const f = findings.get(key)
    if (f) f.actionsRecords.push(src)
    else findings.set(key, { kind: 'refused-by-amplitude', record: kind, classic: null, actions: name, reason, paths: [], classicRecords: [], actionsRecords: [src] })
  })
  return {
    classic: classic.filter((_, i) => cWhy[i] === undefined),
    actions: actions.filter((_, i) => aWhy[i] === undefined),
    findings: [...findings.values()],
  }
}

/**
 * Compares what Classic and Actions sent for ONE message. Returns at most one finding per
 * (kind, record kind, classic name, actions name), ordered by `FINDING_KINDS`, then by first
 * occurrence. Two empty inputs give `[]`.
 */
export function diffMessage(classic: readonly ClassicRecord[], actions: readonly ActionsRecord[], ctx: DiffContext = {}): MessageFinding[] {
  if (classic.length === 0 && actions.length === 0) return []
  const refused = setAsideRefused(classic, actions, ctx)
  if (refused !== undefined) {
    const rest = diffMessage(refused.classic, refused.actions, { ...ctx, checkIds: { classic: false, actions: false } })
    return [...rest, ...refused.findings].sort((x, y) => KIND_ORDER.get(x.kind)! - KIND_ORDER.get(y.kind)!)
  }
  const renameMap = ctx.renameMap
  const kinds: RecordKind[] = []
  const cByKind = new Map<RecordKind, Item<ClassicRecord>[]>()
  const aByKind = new Map<RecordKind, Item<ActionsRecord>[]>()
  const notes = ctx.notes
  for (let i = 0; i < classic.length; i++) {
    const src = classic[i]!
    const { kind, name } = classify(src.endpoint, src.record)
    if (src.sdkGenerated) {
      // the browser SDK's own event: no Actions mapping can send it, so it is counted, not paired
      if (notes !== undefined) notes.sdkEvents[name] = (notes.sdkEvents[name] ?? 0) + 1
      continue
    }
    if (notes !== undefined && src.unknown !== undefined) for (const f of src.unknown) countFor(notes, f).records++
    const expected = kind === 'event' && renameMap !== undefined ? (renameMap.get(name) ?? name) : name
    let l = cByKind.get(kind)
    if (l === undefined) {
      cByKind.set(kind, (l = []))
      kinds.push(kind)
    }
    l.push({ kind, name, expected, index: i, src })
  }
  for (let i = 0; i < actions.length; i++) {
    const src = actions[i]!
    const { kind, name } = classify(src.endpoint, src.record, src.actionSlug)
    let l = aByKind.get(kind)
    if (l === undefined) {
      aByKind.set(kind, (l = []))
      if (!cByKind.has(kind)) kinds.push(kind)
    }
    l.push({ kind, name, expected: name, index: i, src })
  }
  const out = new Collector(ctx.notes)
  for (const kind of kinds) pairKind(cByKind.get(kind) ?? [], aByKind.get(kind) ?? [], out)
  return out.list()
}
