/**
 * Text segamp prints, made safe and readable; pure, imports nothing, so every folder may use it
 * (the command line, the services, the sandbox's summary).
 *
 * Terminal safety: text segamp prints can carry what an archive's senders wrote (event names,
 * file names, server answers). Two layers:
 * - `visible()` is applied by the renderers to every piece of user data they place in a line:
 *   nothing in it stays a control character, not even a newline or a colour sequence.
 * - `terminalSafe()` is applied by the base command to everything printed: control characters
 *   other than newline, tab and colour sequences (SGR, `ESC [ … m`, chalk's styling) become
 *   `\uXXXX`. JSON stays valid and means the same: JSON.stringify already escapes C0 controls,
 *   and `\uXXXX` is how JSON writes the others.
 */

import { redactText } from './secrets.js'

// eslint-disable-next-line no-control-regex
const UNSAFE = /\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
// eslint-disable-next-line no-control-regex
const UNSAFE_DATA = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const escape = (m: string): string => `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`

/**
 * User data (an event name, a file name, a server's words) made safe to place in a line segamp
 * prints: every control character, newline, tab, colour sequence and bidirectional override shown
 * as `\uXXXX`, so data can neither style the terminal nor fake a line of segamp's own output.
 */
export function visible(text: string): string {
  return text.replace(UNSAFE_DATA, escape)
}

// Characters that print as nothing (zero-width, soft hyphen, BOM) and lone surrogates (which
// print as U+FFFD): `\u200bzw` would pass for `zw`.
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200d\u2060-\u2064\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
// What makes a bare name ambiguous besides its edges: a backslash (is `\u0007` an escape or six
// characters?), a character `visible` escapes, or an invisible one.
// eslint-disable-next-line no-control-regex
const NEEDS_QUOTES = new RegExp(`[\\\\]|${UNSAFE_DATA.source}|${INVISIBLE.source}`)

/**
 * A name from the data (an event name) as a table shows it: quoted JSON-style (`"` and `\`
 * escaped, invisible characters as `\uXXXX`) when it is empty, starts or ends with whitespace,
 * starts with a quote, or holds a backslash, a control or an invisible character, so `"Viewed "`
 * cannot pass for `Viewed`, nor a BEL for the six characters `\u0007`; as it is otherwise.
 * Control characters are left to `visible`, which the result passes through as any data (one
 * escape style: `\u000d`).
 */
export function shownName(name: string): string {
  if (name !== '' && name === name.trim() && !name.startsWith('"') && !NEEDS_QUOTES.test(name)) return name
  return `"${name.replace(/["\\]/g, '\\$&').replace(INVISIBLE, escape)}"`
}

// As UNSAFE, without the colour-sequence exception: for text segamp never styles.
// eslint-disable-next-line no-control-regex
const UNSAFE_PLAIN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * `terminalSafe` for text segamp never colours (error messages, hints, warnings): a colour sequence
 * in it came from data (a path, a trigger) and is escaped like any control character; newlines
 * and tabs stay.
 */
export function plainTerminalSafe(text: string): string {
  return redactText(text).replace(UNSAFE_PLAIN, escape)
}

export function terminalSafe(text: string): string {
  // Everything printed passes here: no credential leaves in it either (see src/secrets.ts).
  return redactText(text).replace(UNSAFE, (m) => (m.length > 1 ? m : escape(m)))
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/**
 * Rejected lines are kept as text; a source `writeKey` (a Segment secret) inside one is replaced
 * before the text is written anywhere.
 */
const WRITE_KEY = /("writeKey"\s*:\s*")(?:[^"\\]|\\.)*(")/g
export function redactSecretsInText(text: string): string {
  return text.includes('writeKey') ? text.replace(WRITE_KEY, '$1<redacted>$2') : text
}

/** A file's text without the UTF-8 BOM that Windows editors put first (JSON.parse refuses it). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** Levenshtein distance (two rows; names are short). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/** A word as a POSIX shell reads it back: as is when it is safe, else in single quotes. For commands segamp prints. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

/** The closest of `known` to `name` (a typo: at most 2 edits, or the same letters in another case). */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, k)
    if (d < bestDistance) [best, bestDistance] = [k, d]
  }
  return best
}
