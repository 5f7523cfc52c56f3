/** One text line → a Segment message, or the reason it was rejected. Pure. */
import { SEGMENT_TYPES, type SegmentMessage } from '../../types.js'

const TYPES: ReadonlySet<string> = new Set(SEGMENT_TYPES)

/** Rejection categories: the key of `rejectedByReason`; `detail` says exactly what was wrong. */
export type RejectCategory = 'invalid JSON' | 'not a JSON object' | 'missing type' | 'unknown type' | 'invalid CSV' | 'line too long' | 'unprocessable'

/** The rejection of a line longer than the reader's cap (its text was never read whole). */
export function tooLongLine(length: number, max: number): { ok: false; category: RejectCategory; reason: string } {
  return {
    ok: false,
    category: 'line too long',
    reason: `line too long: ${length.toLocaleString('en-US')} characters, over the ${max.toLocaleString('en-US')}-character limit (Segment messages are at most 32 KB); not read`,
  }
}

export type ParsedLine = { ok: true; message: SegmentMessage } | { ok: false; category: RejectCategory; reason: string }

export function parseMessageLine(text: string): ParsedLine {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, category: 'invalid JSON', reason: `invalid JSON: ${(error as Error).message}` }
  }
  return checkMessage(value)
}

export function checkMessage(value: unknown): ParsedLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    return { ok: false, category: 'not a JSON object', reason: `not a JSON object: the line is ${kind}` }
  }
  const type = (value as { type?: unknown }).type
  if (type === undefined || type === null || type === '') {
    return { ok: false, category: 'missing type', reason: 'missing type: the message has no "type" field' }
  }
  if (typeof type !== 'string' || !TYPES.has(type)) {
    return {
      ok: false,
      category: 'unknown type',
      reason: `unknown type: ${JSON.stringify(type)} is not one of ${SEGMENT_TYPES.join(', ')}`,
    }
  }
  return { ok: true, message: value as SegmentMessage }
}

/** Largest part of a rejected line kept in rejected.ndjson. */
export const REJECTED_TEXT_LIMIT = 64 * 1024

export function clipText(text: string): string {
  return text.length > REJECTED_TEXT_LIMIT ? text.slice(0, REJECTED_TEXT_LIMIT) : text
}

/** Rejected lines are kept as text, with a source `writeKey` redacted: see src/text.ts. */
export { redactSecretsInText } from '../../text.js'
