/**
 * Where a JSON file a flag names stops being JSON, said the way an editor finds it
 * (`file:line:column`), and what is wrong there, in JSON.parse's words without the excerpt of the
 * file it quotes: V8 quotes about ten characters either side of the fault (`..."apiKey": "f3a9…"`),
 * and the settings and mappings files segamp reads hold API keys. Pure. The offset is V8's when it gives one, else
 * jsonc-parser's (already the locator of diff reports): V8 gives none for an unexpected token.
 */
import { parse, type ParseError } from 'jsonc-parser'

export interface JsonSyntaxError {
  /** 1-based; undefined when no offset could be found. */
  line?: number
  /** 1-based, in characters of the line. */
  column?: number
  /** What is wrong, without any text of the file but a single offending character. */
  problem: string
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return { line: before.split('\n').length, column: offset - lineStart + 1 }
}

/** `error` is what JSON.parse(text) threw. */
export function jsonSyntaxError(text: string, error: unknown): JsonSyntaxError {
  const raw = error instanceof Error ? error.message : String(error)
  const v8Offset = /\bat position (\d+)/.exec(raw)
  const problem =
    raw
      .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
      .replace(/ (?:in JSON )?at position \d+(?: \(line \d+ column \d+\))?/, '')
      .trim() || 'not JSON'
  let offset = v8Offset ? Number(v8Offset[1]) : undefined
  if (offset === undefined) {
    const errors: ParseError[] = []
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
    offset = errors[0]?.offset
  }
  return offset === undefined ? { problem } : { ...positionOf(text, Math.min(offset, text.length)), problem }
}

/** `file:line:column` (or `file` without a location). */
export function jsonErrorPlace(file: string, e: JsonSyntaxError): string {
  return e.line === undefined ? file : `${file}:${e.line}:${e.column}`
}
