/**
 * A shard's verdict from the line's text, before JSON.parse (issue #25: every shard reads the whole
 * archive, so the lines it does not own should cost little more than reading them).
 *
 * `scanIdentityKey(text, fallback)` walks the line once, as a strict JSON validator that builds
 * nothing, and pulls out the top-level `type`, `anonymousId`, `userId`, `messageId` and
 * `context.device.id`. It returns the identity key `identityKey(JSON.parse(text), fallback)` would
 * give (shard.ts), but only when it is sure that:
 * - the line is one JSON value that JSON.parse accepts, and it is an object (a strict subset of
 *   the JSON grammar is accepted: anything else is "unsure");
 * - the message passes decode's checks (a known `type`) and is nested no more than 64 levels
 *   (far below the 500 at which the planner rejects a message);
 * - the fields read are unambiguous: no escape sequence in them or in any key of the objects they
 *   are read from (`"user\u0049d"` is `userId` to JSON.parse), no duplicate of them (JSON.parse
 *   keeps the last).
 * Otherwise it returns `undefined` and the caller parses the line as before. So a line is counted
 * `other-shard` from its text only when parsing it would have given the same verdict; a line that
 * is invalid JSON or not a message is still parsed and reported as today (by shard 0).
 */
import { SEGMENT_TYPES } from '../../types.js'

const TYPES = new Set<string>(SEGMENT_TYPES)
const MAX_DEPTH = 64
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/

const enum Role {
  None,
  Root,
  Context,
  Device,
}

/** What a field of interest held: a string without escapes, a number's text, or something else. */
interface Captured {
  kind: 'string' | 'number' | 'other'
  text: string
}

let s = ''
let i = 0
let n = 0
let hadEscape = false
let type: Captured | undefined
let anonymousId: Captured | undefined
let userId: Captured | undefined
let messageId: Captured | undefined
let deviceId: Captured | undefined
let sawContext = false
let sawDevice = false

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}

function skipWs(): void {
  while (i < n && isWs(s.charCodeAt(i))) i++
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

/** Where the next backslash at or after `i` is (n when none): found once per stretch, not per string. */
let nextBackslash = 0

/**
 * A string token at `i` (on its opening quote); sets `hadEscape`. False if not valid JSON. The line
 * has no control character (checked once up front), so a string without a backslash ends at the
 * next quote: found with indexOf, not char by char.
 */
function scanString(): boolean {
  i++
  const q = s.indexOf('"', i)
  if (q === -1) return false
  if (nextBackslash < i) {
    nextBackslash = s.indexOf('\\', i)
    if (nextBackslash === -1) nextBackslash = n
  }
  if (nextBackslash > q) {
    hadEscape = false
    i = q + 1
    return true
  }
  return scanEscapedString()
}

/** The rest of a string that has a backslash before its closing quote, char by char. */
function scanEscapedString(): boolean {
  hadEscape = true
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c === 34) {
      i++
      nextBackslash = -1
      return true
    }
    if (c === 92) {
      const d = s.charCodeAt(i + 1)
      if (d === 117) {
        if (!(isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5)))) return false
        i += 6
      } else if (d === 34 || d === 92 || d === 47 || d === 98 || d === 102 || d === 110 || d === 114 || d === 116) i += 2
      else return false
      continue
    }
    i++
  }
  return false
}

function digits(): number {
  const start = i
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    i++
  }
  return i - start
}

/** `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?` */
function scanNumber(): boolean {
  if (s.charCodeAt(i) === 45) i++
  const first = s.charCodeAt(i)
  if (first === 48) i++
  else if (first >= 49 && first <= 57) digits()
  else return false
  if (s.charCodeAt(i) === 46) {
    i++
    if (digits() === 0) return false
  }
  const e = s.charCodeAt(i)
  if (e === 101 || e === 69) {
    i++
    const sign = s.charCodeAt(i)
    if (sign === 43 || sign === 45) i++
    if (digits() === 0) return false
  }
  return true
}

function scanLiteral(word: string): boolean {
  if (!s.startsWith(word, i)) return false
  i += word.length
  return true
}

/** Any value at `i`; `role` says which fields of an object there are read. */
function scanValue(depth: number, role: Role): boolean {
  const c = s.charCodeAt(i)
  if (c === 34) return scanString()
  if (c === 123) return role === Role.None ? skipComposite(depth) : scanObject(depth + 1, role)
  if (c === 91) return skipComposite(depth)
  return scanScalar(c)
}

function scanScalar(c: number): boolean {
  if (c === 116) return scanLiteral('true')
  if (c === 102) return scanLiteral('false')
  if (c === 110) return scanLiteral('null')
  if (c === 45 || (c >= 48 && c <= 57)) return scanNumber()
  return false
}

/** Container kinds by depth for skipComposite: 1 object, 2 array. */
const kinds = new Uint8Array(MAX_DEPTH + 2)
const OPEN = 0
const KEY = 1
const VALUE = 2
const AFTER = 3

/**
 * An object or array whose fields are not read (most of a line), validated in one loop with an
 * explicit stack instead of a call per value. `depth` is the nesting outside it.
 */
function skipComposite(depth: number): boolean {
  let d = 0
  let state = OPEN
  for (;;) {
    if (state === OPEN) {
      if (depth + d >= MAX_DEPTH) return false
      const isObject = s.charCodeAt(i) === 123
      kinds[++d] = isObject ? 1 : 2
      i++
      if (isWs(s.charCodeAt(i))) skipWs()
      if (s.charCodeAt(i) === (isObject ? 125 : 93)) {
        i++
        if (--d === 0) return true
        state = AFTER
      } else state = isObject ? KEY : VALUE
      continue
    }
    if (state === KEY) {
      if (isWs(s.charCodeAt(i))) skipWs()
      if (s.charCodeAt(i) !== 34 || !scanString()) return false
      if (isWs(s.charCodeAt(i))) skipWs()
      if (s.charCodeAt(i) !== 58) return false
      i++
      state = VALUE
      continue
    }
    if (state === VALUE) {
      if (isWs(s.charCodeAt(i))) skipWs()
      const c = s.charCodeAt(i)
      if (c === 123 || c === 91) {
        state = OPEN
        continue
      }
      if (c === 34 ? !scanString() : !scanScalar(c)) return false
    }
    // after a value in the container at depth d
    if (isWs(s.charCodeAt(i))) skipWs()
    const x = s.charCodeAt(i++)
    if (x === 44) state = kinds[d] === 1 ? KEY : VALUE
    else if (x === (kinds[d] === 1 ? 125 : 93)) {
      if (--d === 0) return true
      state = AFTER
    } else return false
  }
}

/** The value at `i` as captured, or `undefined` when invalid or ambiguous (an escape). */
function capture(depth: number): Captured | undefined {
  const start = i
  const c = s.charCodeAt(i)
  if (c === 34) {
    if (!scanString() || hadEscape) return undefined
    return { kind: 'string', text: s.slice(start + 1, i - 1) }
  }
  if (!scanValue(depth, Role.None)) return undefined
  return c === 45 || (c >= 48 && c <= 57) ? { kind: 'number', text: s.slice(start, i) } : { kind: 'other', text: '' }
}

/** One member's value: captured, scanned with the role of its object, or just validated. */
function scanMember(depth: number, role: Role, key: string): boolean {
  if (role === Role.Root) {
    switch (key) {
      case 'type':
        if (type) return false
        return (type = capture(depth)) !== undefined
      case 'anonymousId':
        if (anonymousId) return false
        return (anonymousId = capture(depth)) !== undefined
      case 'userId':
        if (userId) return false
        return (userId = capture(depth)) !== undefined
      case 'messageId':
        if (messageId) return false
        return (messageId = capture(depth)) !== undefined
      case 'context':
        if (sawContext) return false
        sawContext = true
        return scanValue(depth, Role.Context)
    }
  } else if (role === Role.Context && key === 'device') {
    if (sawDevice) return false
    sawDevice = true
    return scanValue(depth, Role.Device)
  } else if (role === Role.Device && key === 'id') {
    if (deviceId) return false
    return (deviceId = capture(depth)) !== undefined
  }
  return scanValue(depth, Role.None)
}

/** Whether a key of this first char and length may be one of the fields read (else no slice is made). */
function candidate(role: Role, first: number, length: number): boolean {
  if (role === Role.Root) {
    return (
      (first === 116 && length === 4) || (first === 97 && length === 11) || (first === 117 && length === 6) || (first === 109 && length === 9) || (first === 99 && length === 7)
    )
  }
  if (role === Role.Context) return first === 100 && length === 6
  return first === 105 && length === 2
}

function scanObject(depth: number, role: Role): boolean {
  if (depth > MAX_DEPTH) return false
  i++
  skipWs()
  if (s.charCodeAt(i) === 125) {
    i++
    return true
  }
  for (;;) {
    skipWs()
    if (s.charCodeAt(i) !== 34) return false
    const start = i
    if (!scanString()) return false
    // A key with an escape may spell a field of interest: unsure where fields are read.
    if (hadEscape && role !== Role.None) return false
    const key = role === Role.None || !candidate(role, s.charCodeAt(start + 1), i - 2 - start) ? '' : s.slice(start + 1, i - 1)
    skipWs()
    if (s.charCodeAt(i) !== 58) return false
    i++
    skipWs()
    if (!scanMember(depth, role, key)) return false
    skipWs()
    const c = s.charCodeAt(i)
    i++
    if (c === 125) return true
    if (c !== 44) return false
  }
}

function idValue(v: Captured | undefined): string | undefined {
  if (v === undefined) return undefined
  if (v.kind === 'string') return v.text === '' ? undefined : v.text
  if (v.kind === 'number') {
    const x = Number(v.text)
    return Number.isFinite(x) ? String(x) : undefined
  }
  return undefined
}

/**
 * The identity key of the message on this line (see the file comment), or `undefined` when the
 * text alone does not settle it (then parse the line).
 */
export function scanIdentityKey(text: string, fallback = ''): string | undefined {
  s = text
  n = text.length
  i = 0
  type = anonymousId = userId = messageId = deviceId = undefined
  sawContext = sawDevice = false
  nextBackslash = -1
  try {
    // A control character is legal only as whitespace between tokens (tab, CR): rare, so unsure.
    if (CONTROL.test(text)) return undefined
    skipWs()
    if (s.charCodeAt(i) !== 123) return undefined
    if (!scanObject(1, Role.Root)) return undefined
    skipWs()
    if (i !== n) return undefined
    // (set by the scan: the compiler cannot see through the calls)
    const t = type as Captured | undefined
    if (t === undefined || t.kind !== 'string' || !TYPES.has(t.text)) return undefined
    return idValue(deviceId) ?? idValue(anonymousId) ?? idValue(userId) ?? idValue(messageId) ?? fallback
  } finally {
    s = ''
  }
}
