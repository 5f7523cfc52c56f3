/**
 * Terraform files as mapping files: the `segment_destination_subscription` resources of Segment's
 * Terraform provider (segmentio/segment), in the shape `segamp migrate --format terraform` writes
 * them (docs/terraform.md): a quoted `name` and `trigger`, `enabled = true|false`,
 * `action_id = local.amplitude_action_ids["<action slug>"]` and `settings = jsonencode(<JSON>)`.
 * Pure: text in, subscriptions (Public API shape) and line numbers out. Anything else in a
 * subscription resource (an HCL-style object in jsonencode, an action id literal) is a problem
 * named with its file:line, not a guess.
 */
/** What cannot be read, by subscription and attribute (index.ts turns these into a MappingFileError). */
export interface TerraformProblem {
  subscription: string
  path: string
  message: string
}

/** An HCL quoted string's value: the JSON escapes segamp writes, with `$${`/`%%{` undone. */
export function hclStringValue(quoted: string): string | undefined {
  try {
    const v: unknown = JSON.parse(quoted)
    return typeof v === 'string' ? unescapeTemplates(v) : undefined
  } catch {
    return undefined
  }
}

function unescapeTemplates(s: string): string {
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')
}

/** Brace/bracket/paren depth change of one line, outside quoted strings and comments. */
export function depthDelta(line: string): number {
  let d = 0
  let inString = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '#' || (c === '/' && line[i + 1] === '/')) break
    else if (c === '{' || c === '[' || c === '(') d++
    else if (c === '}' || c === ']' || c === ')') d--
  }
  return d
}

export interface TerraformSubscriptionBlock {
  /** 1-based line of `resource "segment_destination_subscription" "…" {`. */
  start: number
  /** The resource's attributes (depth 1): line and the text after `=`. */
  attributes: Map<string, { line: number; value: string }>
  /** Top-level keys of `settings = jsonencode({...})` and their lines. */
  fields: Map<string, number>
  /** The lines of the settings attribute, from `settings =` to its end. */
  settingsText?: string
}

const RESOURCE = /^\s*resource\s+"segment_destination_subscription"\s+"[^"]*"\s*\{/
const ATTRIBUTE = /^\s*("(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*)\s*[:=]/

/** Every `segment_destination_subscription` resource of a Terraform file, with its lines. */
export function terraformSubscriptionBlocks(text: string): TerraformSubscriptionBlock[] {
  const lines = text.split('\n')
  const blocks: TerraformSubscriptionBlock[] = []
  let current: TerraformSubscriptionBlock | undefined
  let depth = 0
  let settings: { depth: number; from: number } | undefined
  lines.forEach((line, i) => {
    if (current === undefined) {
      if (RESOURCE.test(line)) {
        current = { start: i + 1, attributes: new Map(), fields: new Map() }
        depth = depthDelta(line)
      }
      return
    }
    const attr = ATTRIBUTE.exec(line)
    if (attr && depth === 1) {
      current.attributes.set(attr[1]!, { line: i + 1, value: line.slice(attr[0].length).trim() })
      if (attr[1] === 'settings') settings = { depth: depth + 1, from: i }
    } else if (attr && settings && depth === settings.depth + 1) {
      const raw = attr[1]!
      const key = raw.startsWith('"') ? hclStringValue(raw) : raw
      if (key !== undefined && !current.fields.has(key)) current.fields.set(key, i + 1)
    }
    depth += depthDelta(line)
    if (settings && depth < settings.depth) {
      current.settingsText = lines.slice(settings.from, i + 1).join('\n')
      settings = undefined
    }
    if (depth <= 0) {
      blocks.push(current)
      current = undefined
    }
  })
  return blocks
}

const ACTION_ID = /^local\.amplitude_action_ids\[\s*"([^"]+)"\s*\]$/

/** The JSON inside `settings = jsonencode(…)`, parsed; undefined when it is not JSON. */
function jsonencoded(settingsText: string): unknown {
  const open = settingsText.indexOf('jsonencode(')
  const close = settingsText.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  try {
    return JSON.parse(unescapeTemplates(settingsText.slice(open + 'jsonencode('.length, close)))
  } catch {
    return undefined
  }
}

/**
 * A Terraform file's subscriptions as a Public API mapping document (`{"subscriptions":[…]}`),
 * with every attribute it cannot read, by resource and file:line.
 */
export function readTerraformDocument(
  text: string,
  source: string,
): { doc: { subscriptions: Array<Record<string, unknown>> }; problems: TerraformProblem[]; places: Array<{ trigger: string; mapping: string }> } {
  const problems: TerraformProblem[] = []
  const subscriptions: Array<Record<string, unknown>> = []
  // Where each subscription's trigger and settings are, for the findings about them (file:line, not a JSON path).
  const places: Array<{ trigger: string; mapping: string }> = []
  terraformSubscriptionBlocks(text).forEach((b, i) => {
    const at = (key: string): string => `${source}:${b.attributes.get(key)?.line ?? b.start}`
    const name = hclStringValue(b.attributes.get('name')?.value ?? '') ?? `#${i}`
    const problem = (key: string, message: string): void => void problems.push({ subscription: name, path: key, message: `${message} (${at(key)})` })
    const enabledText = b.attributes.get('enabled')?.value ?? 'true'
    if (enabledText !== 'true' && enabledText !== 'false') problem('enabled', 'must be true or false')
    const slug = ACTION_ID.exec(b.attributes.get('action_id')?.value ?? '')?.[1]
    if (slug === undefined) problem('action_id', 'must be local.amplitude_action_ids["<action slug>"], as segamp migrate --format terraform writes it')
    const trigger = hclStringValue(b.attributes.get('trigger')?.value ?? '')
    if (trigger === undefined) problem('trigger', 'must be a quoted FQL string')
    const settings = b.settingsText === undefined ? {} : jsonencoded(b.settingsText)
    if (settings === undefined) problem('settings', 'must be jsonencode(<JSON object>), as segamp migrate --format terraform writes it')
    subscriptions.push({ name, actionSlug: slug ?? '', enabled: enabledText !== 'false', trigger: trigger ?? '', settings: settings ?? {} })
    places.push({ trigger: `${at('trigger')} trigger`, mapping: `${at('settings')} settings` })
  })
  return { doc: { subscriptions }, problems, places }
}
