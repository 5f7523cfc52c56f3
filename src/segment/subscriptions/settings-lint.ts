/**
 * What a hand-edited mapping says that the user did not mean, although Segment's validator accepts
 * it (pure). Each would otherwise be a silent difference in the records sent:
 *
 * - a field the action does not have (`colour`, `event_typ`): no record carries it;
 * - a required field left out or empty: every message the trigger matches fails the action's
 *   schema and is dead-lettered, as Segment would not send it;
 * - an `@template` whose `{{` no `}}` closes: the text is sent as written (`{{event`);
 * - an `@if` with neither `exists` nor `blank` (`exits`): it resolves to nothing.
 *
 * Each finding names the JSON path in the file (`/subscriptions/0/settings/event_type`).
 */
import { ACTIONS, type ActionSlug } from '../actions-amplitude/index.js'
import { nearestName } from '../../text.js'

/** A field name Segment adds on its own (Reverse ETL's sync mode), never the user's typo. */
const SEGMENT_INTERNAL = /^__segment_internal/

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)

function pointer(base: string, key: string): string {
  return `${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
}

/** Warnings for one subscription's settings; `base` is their JSON path in the file. */
export function lintSettings(slug: ActionSlug, settings: Record<string, unknown>, base: string): string[] {
  const action = ACTIONS[slug]
  const fields = Object.keys(action.fields)
  const out: string[] = []
  for (const key of Object.keys(settings)) {
    if (key.startsWith('@') || SEGMENT_INTERNAL.test(key) || fields.includes(key)) continue
    const near = nearestName(key, fields)
    out.push(
      `${pointer(base, key)}: ${action.title} (${slug}) has no field ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; Segment ignores it, so no record carries it: ${near ? `rename it to ${JSON.stringify(near)}` : "rename it to one of the action's fields"} or remove it`,
    )
  }
  for (const [key, field] of Object.entries(action.fields)) {
    // An object field with named properties only (UTM Properties, User Agent Data): a misspelt key is sent under its wrong name, or not at all.
    const value = settings[key]
    if (!field.properties || field.additionalProperties || value === null || typeof value !== 'object' || Array.isArray(value)) continue
    const known = Object.keys(field.properties)
    for (const sub of Object.keys(value)) {
      if (sub.startsWith('@') || known.includes(sub)) continue
      const near = nearestName(sub, known)
      out.push(
        `${pointer(pointer(base, key), sub)}: ${field.label} has no property ${JSON.stringify(sub)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; its properties are ${known.join(', ')}`,
      )
    }
  }
  if (!Object.keys(settings).some((k) => k.startsWith('@'))) {
    for (const [key, field] of Object.entries(action.fields)) {
      if (!field.required || !isEmpty(settings[key])) continue
      const example = field.default !== undefined ? JSON.stringify(field.default) : '"a value" or {"@path": "$.traits.…"}'
      out.push(
        `${pointer(base, key)}: ${action.title} requires ${JSON.stringify(key)} (${field.label}) and it is ${key in settings ? 'empty' : 'missing'}, so every message the trigger matches fails the action's schema and is dead-lettered, never sent (as Segment would not send it); map it, e.g. ${JSON.stringify(key)}: ${example}`,
      )
    }
  }
  walkDirectives(settings, base, out)
  return out
}

/** `@template` and `@if` anywhere in the mapping (inside other directives and objects too). */
function walkDirectives(node: unknown, at: string, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => walkDirectives(v, `${at}/${i}`, out))
    return
  }
  if (node === null || typeof node !== 'object') return
  const o = node as Record<string, unknown>
  const template = o['@template']
  if (typeof template === 'string') {
    const problem = templateProblem(template)
    if (problem) out.push(`${at}/@template: ${JSON.stringify(template)} ${problem}`)
  }
  const cond = o['@if']
  if (cond !== null && typeof cond === 'object' && !Array.isArray(cond)) {
    const keys = Object.keys(cond)
    if (!keys.includes('exists') && !keys.includes('blank')) {
      const other = keys.filter((k) => k !== 'then' && k !== 'else')
      const near = other.map((k) => [k, nearestName(k, ['exists', 'blank'])] as const).find(([, n]) => n)
      out.push(
        `${at}/@if: has neither "exists" nor "blank"${near ? ` (${JSON.stringify(near[0])}: did you mean ${JSON.stringify(near[1])}?)` : ''}, so it resolves to nothing for every message; give the condition as "exists": {"@path": …}`,
      )
    }
  }
  for (const [k, v] of Object.entries(o)) walkDirectives(v, pointer(at, k), out)
}

/** Why a template is not what it looks like: a `{{` that no `}}` closes (Segment sends that text as written). */
export function templateProblem(t: string): string | undefined {
  for (let i = t.indexOf('{{'); i !== -1;) {
    const close = t.indexOf('}}', i + 2)
    const inner = close === -1 ? '' : t.slice(i + 2, close).replace(/^\{/, '')
    if (close === -1 || inner.includes('{') || inner.trim() === '') {
      const shown = t.slice(i, i + 40)
      return `has a {{ at character ${i + 1} that no }} closes (${JSON.stringify(shown)}): Segment sends that text as written, not a value of the message; close it, e.g. {{event}} or {{properties.name}}`
    }
    i = t.indexOf('{{', close + 2 + (t[close + 2] === '}' ? 1 : 0))
  }
  return undefined
}
