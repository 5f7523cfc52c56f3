/**
 * The plan for `migrate --apply` (and the diff printed by `--from-segment`): the generated Actions
 * configuration against what the source's Actions Amplitude destination holds now, matched by
 * subscription name. Pure: data in, data out.
 */
import type { Subscription } from './mappings.js'

export interface ExistingDestination {
  id: string
  name?: string | null
  enabled: boolean
  sourceId: string
  settings: Record<string, unknown>
}

export interface ExistingSubscription {
  id: string
  name: string
  actionSlug: string
  enabled: boolean
  trigger: string
  settings: Record<string, unknown>
}

export interface GeneratedConfig {
  settings: Record<string, unknown>
  subscriptions: Subscription[]
}

export type StepKind = 'create' | 'update' | 'unchanged' | 'replace' | 'delete' | 'keep'

export interface DestinationStep {
  kind: 'create' | 'update' | 'unchanged'
  id?: string
  name: string
  enabled: boolean
  /** Destination settings keys to write (create: all managed keys; update: the ones that differ). */
  settings: Record<string, unknown>
  /** What differs, for display: keys only, never values (they may be secrets). */
  changes: string[]
  notes: string[]
}

export interface SubscriptionStep {
  kind: StepKind
  name: string
  actionSlug: string
  /** Existing subscription id (update, unchanged, replace, delete, keep). */
  id?: string
  /** The generated subscription (create, update, unchanged, replace). */
  generated?: Subscription
  /** Fields that differ: trigger, enabled, actionSlug, settings.<key>. */
  changes: string[]
}

export interface Plan {
  destination: DestinationStep
  subscriptions: SubscriptionStep[]
  /** Problems that stop --apply (e.g. two existing subscriptions with one name). */
  conflicts: string[]
}

export interface PlanOptions {
  /** Delete existing subscriptions the generated configuration does not have; allow replacements. */
  prune?: boolean
  /** Create the destination enabled, or enable an existing disabled one. */
  enable?: boolean
  /** Name of a destination to create. */
  name?: string
}

/** JSON with object keys sorted: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => [k, sortKeys(o[k])]),
    )
  }
  return v
}

/** A value the API shows masked (e.g. `••••1234`, `****`): it cannot be compared. */
export function isMasked(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && /^[*•]{3,}/.test(v)
}

function settingsChanges(want: Record<string, unknown>, have: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(want), ...Object.keys(have)])
  return [...keys].filter((k) => canonicalJson(want[k]) !== canonicalJson(have[k])).sort()
}

export function planMigration(
  generated: GeneratedConfig,
  existing: { destination: ExistingDestination; subscriptions: ExistingSubscription[] } | undefined,
  opts: PlanOptions = {},
): Plan {
  const conflicts: string[] = []
  let destination: DestinationStep
  if (existing === undefined) {
    destination = {
      kind: 'create',
      name: opts.name ?? 'Actions Amplitude',
      enabled: opts.enable === true,
      settings: { ...generated.settings },
      changes: Object.keys(generated.settings).sort(),
      notes: [],
    }
  } else {
    const d = existing.destination
    const toWrite: Record<string, unknown> = {}
    const changes: string[] = []
    const notes: string[] = []
    for (const [k, v] of Object.entries(generated.settings)) {
      const have = d.settings[k]
      if (isMasked(have)) {
        notes.push(`setting ${k}: shown masked by the API, so not compared and not written; check it in the Segment UI`)
        continue
      }
      if (canonicalJson(v) !== canonicalJson(have)) {
        toWrite[k] = v
        changes.push(`settings.${k}`)
      }
    }
    const enable = opts.enable === true && !d.enabled
    if (enable) changes.push('enabled')
    if (d.enabled) notes.push('this destination is enabled: subscription changes take effect on live traffic as soon as they are applied')
    destination = {
      kind: changes.length > 0 ? 'update' : 'unchanged',
      id: d.id,
      name: d.name ?? 'Actions Amplitude',
      enabled: d.enabled || enable,
      settings: toWrite,
      changes,
      notes,
    }
  }

  const byName = new Map<string, ExistingSubscription>()
  for (const s of existing?.subscriptions ?? []) {
    if (byName.has(s.name))
      conflicts.push(`destination ${existing!.destination.id} has more than one subscription named "${s.name}"; rename or remove one in the Segment UI, then rerun`)
    else byName.set(s.name, s)
  }
  const steps: SubscriptionStep[] = []
  const generatedNames = new Set<string>()
  for (const g of generated.subscriptions) {
    generatedNames.add(g.name)
    const have = byName.get(g.name)
    if (have === undefined) {
      steps.push({ kind: 'create', name: g.name, actionSlug: g.actionSlug, generated: g, changes: [] })
      continue
    }
    if (have.actionSlug !== g.actionSlug) {
      if (!opts.prune)
        conflicts.push(
          `subscription "${g.name}" (${have.id}) uses action ${have.actionSlug}, the generated one ${g.actionSlug}; an action cannot be changed in place: pass --prune to replace it (delete, then create), or rename it in the Segment UI`,
        )
      steps.push({ kind: 'replace', name: g.name, actionSlug: g.actionSlug, id: have.id, generated: g, changes: ['actionSlug'] })
      continue
    }
    const changes: string[] = []
    if (have.trigger !== g.trigger) changes.push('trigger')
    if (have.enabled !== g.enabled) changes.push('enabled')
    for (const k of settingsChanges(g.settings, have.settings ?? {})) changes.push(`settings.${k}`)
    steps.push({ kind: changes.length > 0 ? 'update' : 'unchanged', name: g.name, actionSlug: g.actionSlug, id: have.id, generated: g, changes })
  }
  for (const s of existing?.subscriptions ?? []) {
    if (generatedNames.has(s.name)) continue
    steps.push({ kind: opts.prune ? 'delete' : 'keep', name: s.name, actionSlug: s.actionSlug, id: s.id, changes: [] })
  }
  return { destination, subscriptions: steps, conflicts }
}

/** True when applying the plan would change nothing. */
export function planIsEmpty(plan: Plan): boolean {
  return plan.destination.kind === 'unchanged' && plan.subscriptions.every((s) => s.kind === 'unchanged' || s.kind === 'keep')
}

export interface PlanCounts {
  create: number
  update: number
  unchanged: number
  replace: number
  delete: number
  keep: number
}

export function planCounts(plan: Plan): PlanCounts {
  const c: PlanCounts = { create: 0, update: 0, unchanged: 0, replace: 0, delete: 0, keep: 0 }
  for (const s of plan.subscriptions) c[s.kind]++
  return c
}

/** By-name diff of the generated configuration against the existing destination. */
export function subscriptionDiff(plan: Plan): { added: string[]; changed: string[]; removed: string[]; unchanged: string[] } {
  const pick = (...kinds: StepKind[]): string[] => plan.subscriptions.filter((s) => kinds.includes(s.kind)).map((s) => s.name)
  return { added: pick('create'), changed: pick('update', 'replace'), removed: pick('delete', 'keep'), unchanged: pick('unchanged') }
}

/** A list of changed fields for one line: the first few, then how many more. */
export function shortChanges(changes: readonly string[], max = 6): string {
  return changes.length <= max ? changes.join(', ') : `${changes.slice(0, max).join(', ')} … ${changes.length - max} more`
}

/** The plan as text lines (no secrets: settings are named, never shown). */
export function renderPlan(plan: Plan, where: { sourceId: string }): string {
  const d = plan.destination
  const lines: string[] = []
  const destLabel = d.id ? `${d.name} (${d.id})` : `${d.name} (new)`
  lines.push(`Plan for the Actions Amplitude destination on source ${where.sourceId}:`)
  const destDetail =
    d.kind === 'create'
      ? `created ${d.enabled ? 'ENABLED' : 'disabled'}; settings ${d.changes.join(', ')}`
      : d.kind === 'update'
        ? shortChanges(d.changes)
        : d.enabled
          ? 'enabled'
          : 'disabled'
  lines.push(`  ${'destination'.padEnd(12)} ${d.kind.padEnd(9)} ${destLabel}: ${destDetail}`)
  for (const n of d.notes) lines.push(`  ${''.padEnd(12)} ${''.padEnd(9)} note: ${n}`)
  const width = Math.max(0, ...plan.subscriptions.map((s) => s.name.length))
  for (const s of plan.subscriptions) {
    const detail =
      s.kind === 'update' || s.kind === 'replace'
        ? shortChanges(s.changes)
        : s.kind === 'keep'
          ? 'not generated by segamp; kept (--prune deletes it)'
          : s.kind === 'delete'
            ? 'not generated by segamp; deleted (--prune)'
            : ''
    lines.push(`  ${'subscription'.padEnd(12)} ${s.kind.padEnd(9)} ${s.name.padEnd(width)}  ${s.actionSlug}${detail ? `  ${detail}` : ''}`)
  }
  const c = planCounts(plan)
  lines.push(
    `Plan: destination ${d.kind}; subscriptions ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete, ${c.unchanged} unchanged` +
      (c.keep > 0 ? `, ${c.keep} kept (not generated; --prune deletes them)` : '') +
      '.',
  )
  for (const x of plan.conflicts) lines.push(`  conflict: ${x}`)
  return lines.join('\n') + '\n'
}
