/**
 * Compiles a parsed trigger AST into a closure with exactly the semantics of
 * Segment's `validate(ast, event)`: all parsing, path splitting and value
 * conversion happen once here; per-event work is property reads and compares.
 */
import { pathKeys, type AstNode, type ConditionNode, type GroupNode } from './parser.js'

export type Predicate = (event: Record<string, unknown>) => boolean
type Getter = (event: Record<string, unknown>) => unknown

/** Thrown while evaluating a trigger in the same situations where Segment's evaluator throws. */
export class TriggerEvaluationError extends TypeError {
  constructor(
    message: string,
    readonly fql: string,
  ) {
    super(message)
    this.name = 'TriggerEvaluationError'
  }
}

function getter(node: ConditionNode, fql: string): Getter {
  switch (node.type) {
    case 'event-type':
      return (e) => e.type
    case 'event':
      return (e) => e.event
    case 'name':
      return (e) => e.name
    case 'userId':
      return (e) => e.userId
  }
  const root = node.type === 'event-property' ? 'properties' : node.type === 'event-trait' ? 'traits' : 'context'
  const keys = pathKeys(node.name ?? '')
  if (keys === undefined) return () => undefined
  if (keys === null) {
    const msg = `Segment's evaluator throws on the path ${JSON.stringify(node.name)} of ${root} (it has no readable key)`
    return () => {
      throw new TriggerEvaluationError(msg, fql)
    }
  }
  // `get`: reduce((o, k) => o && o[k], root) — stops at the first falsy value and returns it.
  if (keys.length === 1) {
    const [k0] = keys
    return (e) => {
      const o = e[root] as any
      return o && o[k0]
    }
  }
  if (keys.length === 2) {
    const [k0, k1] = keys
    return (e) => {
      let o = e[root] as any
      o = o && o[k0]
      return o && o[k1]
    }
  }
  return (e) => {
    let o = e[root] as any
    for (let i = 0; i < keys.length && o; i++) o = o[keys[i]]
    return o
  }
}

/** Hand-specialized closures for the hottest shapes (Quick Setup triggers): no getter indirection. */
function fastPath(node: ConditionNode): Predicate | undefined {
  const s = String(node.value)
  if (node.type === 'event-type') {
    if (node.operator === '=') return (e) => e.type === s
    if (node.operator === '!=') return (e) => e.type !== s
  } else if (node.type === 'event') {
    if (node.operator === '=') return (e) => e.event === s
    if (node.operator === '!=') return (e) => e.event !== s
  }
  return undefined
}

function condition(node: ConditionNode, fql: string): Predicate {
  const fast = fastPath(node)
  if (fast) return fast
  const get = getter(node, fql)
  const expected = node.value
  const s = String(expected)
  const n = Number(expected)
  switch (node.operator) {
    case '=':
      return (e) => get(e) === s
    case '!=':
      return (e) => get(e) !== s
    case 'number_equals':
      return (e) => {
        const a = get(e)
        return typeof a === 'number' && a === n
      }
    case 'number_not_equals':
      return (e) => {
        const a = get(e)
        return typeof a === 'number' && a !== n
      }
    case '<':
      return (e) => {
        const a = get(e)
        return typeof a === 'number' && a < n
      }
    case '<=':
      return (e) => {
        const a = get(e)
        return typeof a === 'number' && a <= n
      }
    case '>':
      return (e) => {
        const a = get(e)
        return typeof a === 'number' && a > n
      }
    case '>=':
      return (e) => {
        const a = get(e)
        return typeof a === 'number' && a >= n
      }
    case 'contains':
      return (e) => {
        const a = get(e)
        return typeof a === 'string' && a.includes(s)
      }
    case 'not_contains':
      return (e) => {
        const a = get(e)
        return typeof a === 'string' && !a.includes(s)
      }
    case 'starts_with':
      return (e) => {
        const a = get(e)
        return typeof a === 'string' && a.startsWith(s)
      }
    case 'not_starts_with':
      return (e) => {
        const a = get(e)
        return typeof a === 'string' && !a.startsWith(s)
      }
    case 'ends_with':
      return (e) => {
        const a = get(e)
        return typeof a === 'string' && a.endsWith(s)
      }
    case 'not_ends_with':
      return (e) => {
        const a = get(e)
        return typeof a === 'string' && !a.endsWith(s)
      }
    case 'exists':
      return (e) => {
        const a = get(e)
        return a !== undefined && a !== null
      }
    case 'not_exists':
      return (e) => {
        const a = get(e)
        return a === undefined || a === null
      }
    case 'is_true':
      return (e) => get(e) === true
    case 'is_false':
      return (e) => get(e) === false
    default:
      // The value is still looked up first (which may throw), then the unknown operator fails.
      return (e) => {
        get(e)
        return false
      }
  }
}

function compileNode(node: AstNode | undefined, fql: string): Predicate {
  if (node === undefined) {
    const msg = "Segment's evaluator throws on the empty parentheses `()` in this trigger (Cannot read properties of undefined (reading 'type'))"
    return () => {
      throw new TriggerEvaluationError(msg, fql)
    }
  }
  if (node.type === 'group') return compileGroup(node, fql)
  return condition(node, fql)
}

function compileGroup(group: GroupNode, fql: string): Predicate {
  const parts = group.children.map((c) => compileNode(c, fql))
  if (group.operator === 'and') {
    if (parts.length === 1) return parts[0]
    if (parts.length === 2) {
      const [a, b] = parts
      return (e) => a(e) && b(e)
    }
    if (parts.length === 3) {
      const [a, b, c] = parts
      return (e) => a(e) && b(e) && c(e)
    }
    return (e) => {
      for (let i = 0; i < parts.length; i++) if (!parts[i](e)) return false
      return true
    }
  }
  if (group.operator === 'or') {
    if (parts.length === 1) return parts[0]
    if (parts.length === 2) {
      const [a, b] = parts
      return (e) => a(e) || b(e)
    }
    if (parts.length === 3) {
      const [a, b, c] = parts
      return (e) => a(e) || b(e) || c(e)
    }
    return (e) => {
      for (let i = 0; i < parts.length; i++) if (parts[i](e)) return true
      return false
    }
  }
  return () => false
}

/** Compile a parsed (valid) trigger AST; the result mirrors `validate(ast, event)`. */
export function compileAst(ast: GroupNode, fql: string): Predicate {
  const root = compileGroup(ast, fql)
  return (event) => (event === undefined ? false : root(event))
}
