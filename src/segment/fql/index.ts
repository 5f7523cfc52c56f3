/**
 * FQL triggers (Actions subscriptions) with exactly the semantics of Segment's
 * `validate(parseFql(fql), event)` from `@segment/destination-subscriptions`
 * (lexer `@segment/fql-ts` 1.10.1), quirks included. See docs/actions-amplitude.md part C.
 *
 * Owns parsing an FQL trigger into a predicate, and its analysis: rejected with the reason and
 * position, or accepted with warnings where it silently means something else than it reads. It
 * must never "fix" Segment's semantics: a trigger matches here exactly when it matches in Segment.
 */
import { UsageError } from '../../errors.js'
import { compileAst, TriggerEvaluationError, type Predicate } from './compile.js'
import { parseTrigger, type GroupNode } from './parser.js'

export { TriggerEvaluationError }
export type { Predicate }
export type { AstNode, ConditionNode, GroupNode } from './parser.js'

export interface TriggerAnalysis {
  fql: string
  ok: boolean
  error?: string
  warnings: string[]
}

/** Thrown by compileTrigger when Segment would reject the trigger (parseFql returns an error). */
/** A trigger Segment would reject too: a usage error (the mappings file is the user's). */
export class TriggerError extends UsageError {
  /** Message Segment reports for this subscription: `Invalid subscription : <segmentMessage>`. */
  readonly segmentMessage: string
  /** 1-based character position the reason refers to. */
  readonly position: number
  constructor(
    readonly fql: string,
    readonly reason: string,
    segmentMessage: string,
    position: number,
  ) {
    super(`Invalid trigger ${JSON.stringify(fql)}: ${reason}`, {
      code: 'trigger',
      hint: 'Segment would reject this trigger too: fix it in the mappings file (FQL: event = "Order Completed", type = "track" and properties.total > 10, contains(event, "Order")).',
    })
    this.name = 'TriggerError'
    this.segmentMessage = segmentMessage
    this.position = position
  }
}

/** Check a trigger: rejected (with reason and position) or accepted (with warnings about silent meaning changes). */
export function analyzeTrigger(fql: string): TriggerAnalysis {
  const r = parseTrigger(fql)
  if (r.error) return { fql, ok: false, error: r.error.reason, warnings: [] }
  return { fql, ok: true, warnings: r.warnings }
}

/** Parse into Segment's AST shape (what `parseFql` returns for valid triggers); throws TriggerError otherwise. */
export function parseTriggerAst(fql: string): GroupNode {
  const r = parseTrigger(fql)
  if (r.error || !r.ast) {
    const e = r.error!
    throw new TriggerError(fql, e.reason, e.segmentMessage, e.pos + 1)
  }
  return r.ast
}

/** Compile once; returns the predicate and the warnings. Throws TriggerError when Segment would reject. */
export function compileTriggerWithWarnings(fql: string): { match: Predicate; warnings: string[] } {
  const r = parseTrigger(fql)
  if (r.error || !r.ast) {
    const e = r.error!
    throw new TriggerError(fql, e.reason, e.segmentMessage, e.pos + 1)
  }
  // The predicate keeps its FQL text, so it can be compiled again elsewhere (a worker thread).
  const match = Object.assign(compileAst(r.ast, fql), { fql })
  return { match, warnings: r.warnings }
}

/**
 * Compile a trigger into a predicate equal to `validate(parseFql(fql), event)`.
 * Throws TriggerError when Segment would reject the trigger. The predicate throws
 * TriggerEvaluationError exactly where Segment's evaluator throws (e.g. `()`).
 */
export function compileTrigger(fql: string): Predicate {
  return compileTriggerWithWarnings(fql).match
}
