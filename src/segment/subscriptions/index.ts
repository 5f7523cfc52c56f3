/**
 * Mapping files → compiled subscriptions. A subscription is compiled once (trigger → predicate,
 * mapping → resolver, action → validator + perform) and then run per message.
 *
 * Accepted shapes (README.md, "Mapping files"):
 *   {"subscriptions":[{"name","actionSlug","trigger","enabled","settings"}]}   (Public API)
 *   [{"name","subscribe","partnerAction","mapping"}]                            (preset shape)
 *   a Terraform file (*.tf): its segment_destination_subscription resources (terraform.ts)
 * Without a file, the Actions Amplitude Quick Setup presets.
 *
 * Owns reading and checking mapping files (errors at file:line and JSON path), compiling each
 * subscription, the compiled message → record path with its fallback to the exact path
 * (`direct.ts`), and notes on configurations (mixed user properties). It must never route,
 * batch or send: a subscription is a function of a message, run by src/pipeline/map/.
 */
import { createHash } from 'node:crypto'
import { UsageError } from '../../errors.js'
import { readFile } from 'node:fs/promises'
import type { AmplitudeRecord, SegmentMessage } from '../../types.js'
import { editDistance, visible, withoutBom } from '../../text.js'
import { jsonErrorPlace, jsonSyntaxError } from '../../json-syntax.js'
import { compileMapping, knownDirectives, validateMapping } from '../mapping-kit/index.js'
import { compileDirect, type DirectFn } from './direct.js'
import { MIXED_EFFECT, mixedOperationFields } from './mixed-user-properties.js'
import { analyzeTrigger, compileTrigger } from '../fql/index.js'
import { readTerraformDocument } from './terraform.js'
import { lintSettings } from './settings-lint.js'
import {
  ACTIONS,
  ACTION_SLUGS,
  PRESETS,
  compileAction,
  defaultValues,
  isActionSlug,
  type ActionSettings,
  type ActionSlug,
  type CompiledAction,
} from '../actions-amplitude/index.js'

export interface SubscriptionSpec {
  name: string
  actionSlug: string
  trigger: string
  enabled: boolean
  mapping: Record<string, unknown>
  /** Where it is in its file, as JSON paths (`/subscriptions/0/trigger`, `/subscriptions/0/settings`), for the findings about it. */
  at?: { trigger: string; mapping: string }
}

export interface CompiledSubscription {
  name: string
  actionSlug: ActionSlug
  trigger: string
  match: (message: SegmentMessage) => boolean
  resolve: (message: SegmentMessage) => Record<string, unknown>
  action: CompiledAction
  /**
   * The compiled message → record path (direct.ts); `null` where the exact path always runs
   * (SEGAMP_MAP=exact, a mapping with Segment's root directive, a hand-built subscription without one).
   */
  direct?: DirectFn | null
  /** Per-subscription salt for derived insert_ids (stable across runs and resumes). */
  insertIdSalt: string
  /** What it was compiled from (a worker thread compiles the same subscription again from these). */
  spec: SubscriptionSpec
  settings: ActionSettings
}

export interface MappingProblem {
  subscription: string
  path: string
  message: string
}

/** A mapping file Segment would reject: every problem, by subscription and JSON path. */
/** Every problem of a mappings file: a usage error (exit 2). */
export class MappingFileError extends UsageError {
  constructor(
    readonly source: string,
    readonly problems: MappingProblem[],
  ) {
    super(
      // Names, paths and triggers are the file's text: control characters (colour sequences too) escaped.
      `${visible(source)}: ${problems.length} problem(s) in the mappings; nothing was read:\n` +
        problems.map((p) => `  - ${visible(p.subscription)}: ${visible(p.path || '/')} ${visible(p.message)}`).join('\n'),
      {
        code: 'mapping-file',
        hint: 'Fix the problems listed (each names its subscription and JSON path in the file); --mappings takes Segment Public API subscriptions {"subscriptions":[...]} or a list of presets.',
      },
    )
    this.name = 'MappingFileError'
  }
}

export interface LoadedMappings {
  /** "presets" or the file path. */
  source: string
  subscriptions: SubscriptionSpec[]
  /** Disabled subscriptions that were skipped. */
  skipped: string[]
  /** Accepted, but Segment will do something other than it looks like (trigger quirks, …). */
  warnings: string[]
  /**
   * About the configuration, not an error: subscriptions that can produce events mixing plain
   * user properties with operations. Shown by `inspect`; `replay` counts the events instead.
   */
  notes: string[]
}

export function presetSubscriptions(): SubscriptionSpec[] {
  return PRESETS.map((p) => ({ name: p.name, actionSlug: p.partnerAction, trigger: p.subscribe, enabled: true, mapping: p.mapping }))
}

export async function loadMappings(file?: string): Promise<LoadedMappings> {
  if (!file) return checkSubscriptions('presets', presetSubscriptions())
  let text: string
  try {
    text = withoutBom(await readFile(file, 'utf8'))
  } catch (error) {
    throw new MappingFileError(file, [{ subscription: '(file)', path: '', message: `cannot be read: ${(error as Error).message}` }])
  }
  let doc: unknown
  let places: Array<{ trigger: string; mapping: string }> | undefined
  if (/\.tf$/i.test(file)) {
    // Segment's Terraform provider resources, as `migrate --format terraform` writes them
    const tf = readTerraformDocument(text, file)
    if (tf.problems.length > 0) throw new MappingFileError(file, tf.problems)
    doc = tf.doc
    places = tf.places
  } else {
    try {
      doc = JSON.parse(text)
    } catch (error) {
      const e = jsonSyntaxError(text, error)
      // A YAML copy of a subscription list (what some teams keep in git) is named as such.
      const yaml = /\.ya?ml$/i.test(file) ? ' (a YAML file: mapping files are JSON; convert it, e.g. `yq -o=json . FILE`)' : ''
      throw new MappingFileError(file, [{ subscription: '(file)', path: '', message: `is not JSON at ${jsonErrorPlace(file, e)}: ${e.problem}${yaml}` }])
    }
  }
  const specs = parseMappingDocument(doc, file)
  if (places) specs.forEach((spec, i) => (spec.at = places[i]))
  if (!specs.some((s) => s.enabled)) {
    // Nothing would run: every message would be filtered and the command would "succeed".
    const disabled = specs.length > 0 ? ` (${specs.length} disabled)` : ''
    throw new MappingFileError(file, [
      {
        subscription: '(file)',
        path: Array.isArray(doc) ? '' : '/subscriptions',
        message: `has no enabled subscription${disabled}, so every message would be filtered: add one (or set "enabled": true), or leave out --mappings to use the Quick Setup presets`,
      },
    ])
  }
  return checkSubscriptions(file, specs)
}

/** Segment's `has an invalid directive: @paht`, with what to write instead (`did you mean @path?`). */
function withDirectiveSuggestion(message: string): string {
  const bad = /^has an invalid directive: (@\S+)$/.exec(message)?.[1]
  if (!bad) return message
  const known = knownDirectives()
  const near = known.find((d) => d.toLowerCase() === bad.toLowerCase() || editDistance(d, bad) <= 2)
  return `${message} (${near ? `did you mean ${near}? ` : ''}the directives are ${known.join(', ')})`
}

/** The keys of a subscription that change what it does, by shape (a misspelling of one is an error). */
const SUBSCRIPTION_KEYS = ['name', 'actionSlug', 'trigger', 'enabled', 'settings']
const PRESET_KEYS = ['name', 'subscribe', 'partnerAction', 'mapping', 'enabled']

/**
 * Keys that are a misspelling of a meaningful key the subscription lacks (`setings`, `Enabled`):
 * left as they are, the subscription would run without its settings, or run although disabled.
 */
function misspeltKeys(e: Record<string, unknown>, known: readonly string[], name: string, at: string): MappingProblem[] {
  const out: MappingProblem[] = []
  for (const key of Object.keys(e)) {
    if (known.includes(key)) continue
    const meant = known.find((k) => !(k in e) && (k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2))
    if (meant)
      out.push({
        subscription: name,
        path: `${at}/${key}`,
        message: `is not a key of a subscription: did you mean ${JSON.stringify(meant)}? (the subscription has none, so it would run without it)`,
      })
  }
  return out
}

/** Reads either accepted shape into subscription specs; structural problems throw. */
export function parseMappingDocument(doc: unknown, source: string): SubscriptionSpec[] {
  const problems: MappingProblem[] = []
  const out: SubscriptionSpec[] = []
  const list = Array.isArray(doc) ? doc : (doc as { subscriptions?: unknown })?.subscriptions
  if (!Array.isArray(list)) {
    throw new MappingFileError(source, [
      { subscription: '(file)', path: '', message: 'must be {"subscriptions":[...]} (Segment Public API) or a preset list [{"name","subscribe","partnerAction","mapping"}]' },
    ])
  }
  const base = Array.isArray(doc) ? '' : '/subscriptions'
  list.forEach((entry, i) => {
    const at = `${base}/${i}`
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ subscription: `#${i}`, path: at, message: 'must be an object' })
      return
    }
    const e = entry as Record<string, unknown>
    const preset = 'partnerAction' in e || 'subscribe' in e
    const name = typeof e.name === 'string' && e.name ? e.name : `#${i}`
    const slug = preset ? e.partnerAction : e.actionSlug
    const trigger = preset ? e.subscribe : e.trigger
    const mapping = preset ? e.mapping : e.settings
    const slugKey = preset ? 'partnerAction' : 'actionSlug'
    const triggerKey = preset ? 'subscribe' : 'trigger'
    const mappingKey = preset ? 'mapping' : 'settings'
    problems.push(...misspeltKeys(e, preset ? PRESET_KEYS : SUBSCRIPTION_KEYS, name, at))
    if (e.enabled !== undefined && typeof e.enabled !== 'boolean') {
      // "false" (a string) would run the subscription: the Public API takes a boolean.
      problems.push({ subscription: name, path: `${at}/enabled`, message: `must be true or false, without quotes (got ${JSON.stringify(e.enabled)})` })
    }
    if (e.enabled === false) {
      // Disabled subscriptions are skipped, not validated (Segment does not run them).
      out.push({ name, actionSlug: String(slug), trigger: String(trigger ?? ''), enabled: false, mapping: {} })
      return
    }
    if (typeof slug !== 'string' || !isActionSlug(slug)) {
      problems.push({ subscription: name, path: `${at}/${slugKey}`, message: `must be one of ${ACTION_SLUGS.join(', ')} (got ${JSON.stringify(slug)})` })
    }
    if (typeof trigger !== 'string' || trigger.trim() === '') {
      problems.push({ subscription: name, path: `${at}/${triggerKey}`, message: 'must be an FQL string, e.g. type = "track"' })
    }
    if (mapping !== undefined && (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping))) {
      problems.push({ subscription: name, path: `${at}/${mappingKey}`, message: 'must be an object (the mapping)' })
    }
    out.push({
      name,
      actionSlug: String(slug),
      trigger: String(trigger ?? ''),
      enabled: e.enabled !== false,
      mapping: (mapping as Record<string, unknown>) ?? {},
      at: { trigger: `${at}/${triggerKey}`, mapping: `${at}/${mappingKey}` },
    })
  })
  if (problems.length > 0) throw new MappingFileError(source, problems)
  return out
}

/** Validates triggers and mappings the way Segment does; collects every problem. */
export function checkSubscriptions(source: string, specs: SubscriptionSpec[]): LoadedMappings {
  const problems: MappingProblem[] = []
  const warnings: string[] = []
  const skipped: string[] = []
  const enabled: SubscriptionSpec[] = []
  const mixing = new Map<string, string[]>()
  for (const spec of specs) {
    if (!spec.enabled) {
      skipped.push(spec.name)
      continue
    }
    const analysis = analyzeTrigger(spec.trigger)
    if (!analysis.ok) problems.push({ subscription: spec.name, path: spec.at?.trigger ?? 'trigger', message: analysis.error ?? 'invalid trigger' })
    for (const w of analysis.warnings) warnings.push(`${spec.name}: trigger ${JSON.stringify(spec.trigger)}: ${w}`)
    const errors = validateMapping(spec.mapping)
    for (const e of errors)
      problems.push({ subscription: spec.name, path: spec.at ? spec.at.mapping + e.pointer : `mapping${e.path}`, message: withDirectiveSuggestion(e.message) })
    if (errors.length === 0 && isActionSlug(spec.actionSlug))
      for (const w of lintSettings(spec.actionSlug, spec.mapping, spec.at?.mapping ?? 'mapping')) warnings.push(`${spec.name}: ${w}`)
    const ops = mixedOperationFields(spec.actionSlug, spec.mapping).join('/')
    if (ops) (mixing.get(ops) ?? mixing.set(ops, []).get(ops)!).push(spec.name)
    enabled.push(spec)
  }
  const notes: string[] = []
  for (const [ops, names] of mixing) {
    notes.push(
      `${names.join(', ')}: user_properties is mapped together with ${ops}, so an event that has both carries plain properties and operations in one user_properties object. ${MIXED_EFFECT}; map the plain properties into setAlways ($set) to be sure they apply`,
    )
  }
  if (problems.length > 0) throw new MappingFileError(source, problems)
  return { source, subscriptions: enabled, skipped, warnings, notes }
}

/**
 * Required fields that Segment's UI leaves empty when one adds the action (the user must fill them
 * in before saving). segamp fills them the way the Classic destination grouped a call without
 * group traits: group type `[Segment] Group`, group value the call's `groupId`.
 */
const REQUIRED_FILL: Partial<Record<ActionSlug, { fields: Record<string, unknown>; note: string }>> = {
  groupIdentifyUser: {
    fields: { group_type: '[Segment] Group', group_value: { '@path': '$.groupId' } },
    note: 'group_type "[Segment] Group", group_value groupId',
  },
}

export interface OnlySelection {
  /** The configuration with --only applied: its subscriptions of those actions, plus any added. */
  loaded: LoadedMappings
  /** One line per action that had to be added. */
  notes: string[]
}

/**
 * `--only SLUG,...`: keeps the subscriptions of those actions. An action the configuration lacks
 * (e.g. groupIdentifyUser or mapUser with the Quick Setup presets) is added the way Segment's UI
 * adds it: its default trigger and its field defaults, named after the action (required fields
 * Segment leaves empty are filled as in REQUIRED_FILL). Unknown slugs throw.
 */
export function selectOnlyActions(loaded: LoadedMappings, only: readonly string[]): OnlySelection {
  const wanted = [...new Set(only.map((s) => s.trim()).filter(Boolean))]
  const unknown = wanted.filter((s) => !isActionSlug(s))
  if (unknown.length > 0) throw new UsageError(`--only ${unknown.join(',')}: not an Actions Amplitude action (one of ${ACTION_SLUGS.join(', ')})`)
  const kept = loaded.subscriptions.filter((s) => wanted.includes(s.actionSlug))
  const notes: string[] = []
  const added: SubscriptionSpec[] = []
  for (const slug of wanted as ActionSlug[]) {
    if (kept.some((s) => s.actionSlug === slug)) continue
    const action = ACTIONS[slug]
    const fill = REQUIRED_FILL[slug]
    added.push({ name: action.title, actionSlug: slug, trigger: action.defaultSubscription, enabled: true, mapping: { ...defaultValues(slug), ...(fill?.fields ?? {}) } })
    notes.push(
      `--only ${slug}: ${loaded.source === 'presets' ? 'the presets have' : `${loaded.source} has`} no ${action.title} subscription; added one as Segment's UI does: trigger ${action.defaultSubscription}, field defaults${fill ? ` (and ${fill.note})` : ''}`,
    )
  }
  const checkedAdded = added.length > 0 ? checkSubscriptions(loaded.source, added).subscriptions : []
  return { loaded: { ...loaded, subscriptions: [...kept, ...checkedAdded] }, notes }
}

export function compileSubscriptions(loaded: LoadedMappings, settings: ActionSettings = {}): CompiledSubscription[] {
  return loaded.subscriptions.map((spec) => {
    const slug = spec.actionSlug as ActionSlug
    const match = compileTrigger(spec.trigger) as (m: SegmentMessage) => boolean
    const resolve = compileMapping(spec.mapping) as (m: SegmentMessage) => Record<string, unknown>
    return {
      name: spec.name,
      actionSlug: slug,
      trigger: spec.trigger,
      match,
      resolve,
      action: compileAction(slug, settings),
      direct: process.env.SEGAMP_MAP === 'exact' ? null : compileDirect(slug, spec.mapping),
      insertIdSalt: createHash('sha1').update(`${spec.name}\u0000${slug}`).digest('hex').slice(0, 8),
      spec,
      settings,
    }
  })
}

export type SubscriptionOutcome = { subscription: CompiledSubscription; ok: true; records: AmplitudeRecord[] } | { subscription: CompiledSubscription; ok: false; reason: string }

/**
 * Runs one message through every matching subscription. An event the action's schema rejects
 * (e.g. missing group_type) comes back with Segment's reason instead of records.
 */
export function runSubscriptions(subs: CompiledSubscription[], message: SegmentMessage, opts: { now?: () => number } = {}): SubscriptionOutcome[] {
  const out: SubscriptionOutcome[] = []
  let base: string | undefined
  for (const sub of subs) {
    if (!sub.match(message)) continue
    base ??= insertIdBase(message)
    out.push(mapWithSubscription(sub, message, base, opts.now).outcome)
  }
  return out
}

/**
 * The one way a message is mapped by a subscription its trigger matched (replay, inspect, diff and
 * migrate --verify all come here): the compiled path (direct.ts) first, the exact path where it
 * cannot prove equality — a `fallback` when the subscription has a compiled path at all.
 */
export function mapWithSubscription(sub: CompiledSubscription, message: SegmentMessage, base: string, now?: () => number): { outcome: SubscriptionOutcome; fallback: boolean } {
  const direct = sub.direct?.(message, `${base}-${sub.insertIdSalt}`, now)
  if (direct !== undefined) return { outcome: { subscription: sub, ok: true, records: direct }, fallback: false }
  return { outcome: applySubscription(sub, message, base, now), fallback: Boolean(sub.direct) }
}

/**
 * One subscription's mapping and action on a message its trigger matched. `base` is the
 * message's insertIdBase (computed once per message, shared by its subscriptions).
 */
export function applySubscription(sub: CompiledSubscription, message: SegmentMessage, base: string, now?: () => number): SubscriptionOutcome {
  let resolved: Record<string, unknown>
  try {
    resolved = sub.resolve(message)
  } catch (error) {
    // Data nested beyond the stack is not a mapping Segment would reject: the message itself
    // cannot be processed, which the caller reports for that line.
    if (error instanceof RangeError && /call stack/i.test(error.message)) throw error
    return { subscription: sub, ok: false, reason: `mapping failed: ${(error as Error).message}` }
  }
  const result = sub.action.run(resolved, { defaultInsertId: `${base}-${sub.insertIdSalt}`, now })
  return result.ok ? { subscription: sub, ok: true, records: result.records } : { subscription: sub, ok: false, reason: result.reason }
}

/**
 * The deterministic base of a derived insert_id: the message's `messageId`, or, for a message
 * without one, a hash of its content (the same line always yields the same id).
 */
export function insertIdBase(message: SegmentMessage): string {
  if (typeof message.messageId === 'string' && message.messageId !== '') return message.messageId
  return 'sha1-' + createHash('sha1').update(JSON.stringify(message)).digest('hex').slice(0, 24)
}
