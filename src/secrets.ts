/**
 * # secrets: nothing segamp shows or writes carries a credential
 *
 * - URL credentials: `redactUrlUserinfo` removes `user:password@` from any text shaped like a URL
 *   (`scheme://…@`, and the malformed `scheme//…@` too), whether or not it parses as a URL: a bad
 *   `--endpoint-url` is quoted in its error without its password.
 * - Known secrets (the API and secret keys, a Segment token, a proxy's password and
 *   `user:password`, registered by the commands and by delivery): `redactSecrets` replaces each
 *   one in any of the forms a server may echo it — as is, base64 (what an `Authorization: Basic …`
 *   header carries) and base64url — case-insensitively (an echo lower-cased, a header folded).
 *
 * The base command applies `redactText` to everything printed; report.json, dead-letter reasons
 * and abort messages are passed through it before they are written. Imports nothing (like
 * errors.ts), so every folder can use it.
 */

export const REDACTED_TEXT = '<redacted>'
/** Shorter values are not treated as secrets (redacting "a" everywhere would wreck every line). */
const MIN_SECRET_LENGTH = 4

const known = new Set<string>()
let pattern: RegExp | undefined

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The forms a secret may come back in: itself, its base64 (padded and not) and base64url. */
export function secretForms(secret: string): string[] {
  const b64 = Buffer.from(secret, 'utf8').toString('base64')
  const forms = [secret, b64, b64.replace(/=+$/, ''), Buffer.from(secret, 'utf8').toString('base64url')]
  try {
    const decoded = decodeURIComponent(secret)
    if (decoded !== secret) forms.push(...secretForms(decoded))
  } catch {
    /* not percent-encoded */
  }
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH)
}

/** Remembers a secret for the rest of the process: `redactText` removes it from then on. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || known.has(value)) return
  known.add(value)
  pattern = undefined
}

/** The userinfo of URL-shaped text (also when the URL does not parse), e.g. `user:PASS`. */
export function urlUserinfo(text: string): string | undefined {
  const m = /^\s*[a-z][a-z0-9+.-]*:?\/\/([^\s/?#]*)@/i.exec(text)
  return m ? m[1] : undefined
}

/** Registers a URL's credentials (`user:password`, and the password alone). */
export function registerUrlCredentials(url: string | undefined | null): void {
  const info = url ? urlUserinfo(url) : undefined
  if (!info) return
  registerSecret(info)
  const colon = info.indexOf(':')
  if (colon >= 0) registerSecret(info.slice(colon + 1))
}

// Bounded repeats: the scan stays linear on any text (a long dotted or slashed run cannot make it quadratic).
const USERINFO = /(\b[a-z][a-z0-9+.-]{0,31}:?\/\/)[^\s/?#"'<>@]{0,512}(?:@[^\s/?#"'<>@]{0,512}){0,4}@/gi

/** `scheme://user:password@host` → `scheme://<redacted>@host` in any text, parsed or not. Pure. */
export function redactUrlUserinfo(text: string): string {
  return text.includes('@') ? text.replace(USERINFO, `$1${REDACTED_TEXT}@`) : text
}

/** Every registered secret (and `extra`) in every form, case-insensitively → `<redacted>`. */
export function redactSecrets(text: string, extra: ReadonlyArray<string | undefined> = []): string {
  const more = extra.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH && !known.has(s))
  let re = pattern
  if (more.length > 0 || !re) {
    const forms = [...known, ...more].flatMap(secretForms)
    if (forms.length === 0) return text
    // Longest first: a secret's base64 is not cut short by the secret inside a longer form.
    forms.sort((a, b) => b.length - a.length)
    re = new RegExp(forms.map(escapeRegExp).join('|'), 'gi')
    if (more.length === 0) pattern = re
  }
  return text.replace(re, REDACTED_TEXT)
}

/** What every shown or written text goes through: URL credentials, then the known secrets. */
export function redactText(text: string, extra: ReadonlyArray<string | undefined> = []): string {
  return redactSecrets(redactUrlUserinfo(text), extra)
}

/** For tests: forget the registered secrets. */
export function forgetSecrets(): void {
  known.clear()
  pattern = undefined
}
