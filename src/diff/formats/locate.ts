/**
 * Where a subscription lives in the file that defines it, as line numbers: a mappings file
 * (`{"subscriptions":[...]}` or a preset list, parsed with jsonc-parser, which keeps offsets) or
 * a Terraform file in the shape `migrate --format terraform` writes (one
 * `segment_destination_subscription` resource per subscription, settings in `jsonencode(...)`).
 * Pure: text in, lines out. Annotations, SARIF and the HTML report point at these lines.
 */
import { parseTree, type Node } from 'jsonc-parser'
import { hclStringValue, terraformSubscriptionBlocks } from '../../segment/subscriptions/terraform.js'

export interface SourceLocation {
  /** The file as given (the caller makes it relative to the repository). */
  file: string
  /** 1-based. */
  line: number
}

export interface Locator {
  file: string
  /**
   * The line of a subscription's mapping field (a top-level key of its settings/mapping), else
   * of its trigger; undefined when the file has no subscription of that name.
   */
  subscription(name: string, field?: string): SourceLocation | undefined
  /** The line where the subscription list starts (for findings no subscription produced). */
  list(): SourceLocation
}

interface SubscriptionLines {
  name: string
  start: number
  trigger?: number
  fields: Map<string, number>
}

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return starts
}

/** 1-based line of a character offset. */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo + 1
}

function property(obj: Node | undefined, key: string): Node | undefined {
  if (obj?.type !== 'object') return undefined
  return obj.children?.find((p) => p.children?.[0]?.value === key)
}

function fromJson(text: string): { list: number; subs: SubscriptionLines[] } {
  const root = parseTree(text, [], { allowTrailingComma: true })
  const starts = lineStarts(text)
  const listProp = root?.type === 'object' ? property(root, 'subscriptions') : undefined
  const list = root?.type === 'array' ? root : listProp?.children?.[1]
  const subs: SubscriptionLines[] = []
  for (const [i, entry] of (list?.type === 'array' ? (list.children ?? []) : []).entries()) {
    if (entry.type !== 'object') continue
    const nameNode = property(entry, 'name')?.children?.[1]
    const name = typeof nameNode?.value === 'string' && nameNode.value !== '' ? nameNode.value : `#${i}`
    const trigger = property(entry, 'trigger') ?? property(entry, 'subscribe')
    const mapping = (property(entry, 'settings') ?? property(entry, 'mapping'))?.children?.[1]
    const fields = new Map<string, number>()
    for (const p of mapping?.type === 'object' ? (mapping.children ?? []) : []) {
      const key = p.children?.[0]
      if (typeof key?.value === 'string') fields.set(key.value, lineOf(starts, key.offset))
    }
    subs.push({ name, start: lineOf(starts, entry.offset), trigger: trigger === undefined ? undefined : lineOf(starts, trigger.offset), fields })
  }
  const listLine = listProp ? lineOf(starts, listProp.offset) : list ? lineOf(starts, list.offset) : 1
  return { list: listLine, subs }
}

/** The subscription resources of a Terraform file (read as segment/subscriptions/terraform.ts reads them). */
function fromTerraform(text: string): { list: number; subs: SubscriptionLines[] } {
  const subs = terraformSubscriptionBlocks(text).map((b, i) => ({
    name: hclStringValue(b.attributes.get('name')?.value ?? '') ?? `#${i}`,
    start: b.start,
    trigger: b.attributes.get('trigger')?.line,
    fields: b.fields,
  }))
  return { list: subs[0]?.start ?? 1, subs }
}

/** A locator for `text`, the content of `file`: Terraform when the name ends in `.tf`, else JSON. */
export function locatorFor(file: string, text: string): Locator {
  const { list, subs } = /\.tf$/i.test(file) ? fromTerraform(text) : fromJson(text)
  const byName = new Map<string, SubscriptionLines>()
  for (const s of subs) if (!byName.has(s.name)) byName.set(s.name, s)
  return {
    file,
    subscription(name, field) {
      const s = byName.get(name)
      if (s === undefined) return undefined
      const line = (field === undefined ? undefined : s.fields.get(field)) ?? s.trigger ?? s.start
      return { file, line }
    },
    list: () => ({ file, line: list }),
  }
}
