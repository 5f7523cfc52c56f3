/**
 * Small FQL builders for generated triggers. They only produce what Segment's parser
 * (`@segment/destination-subscriptions` parseFql, docs/actions-amplitude.md part C) handles:
 * flat `and` lists, at most one parenthesised `or` group, double-quoted strings.
 */

/** A double-quoted FQL string. FQL strings have no escapes, so a `"` cannot be expressed. */
export function fqlString(value: string): string {
  if (value.includes('"')) throw new Error(`FQL cannot express a string containing '"': ${value}`)
  return `"${value}"`
}

/** True when `name` can be used as one segment after `traits.` / `properties.` in FQL and in a mapping-kit path. */
export function isSimpleKey(name: string): boolean {
  return name !== '' && !/[.[\]'"]/.test(name)
}

/**
 * Escapes one identifier segment (e.g. a trait name) for FQL: every character outside
 * `[A-Za-z0-9_-]` gets a backslash, and so does a leading digit or `-` (identifiers must start
 * with a letter, `_` or `\`).
 */
export function fqlIdent(name: string): string {
  let out = ''
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]
    const ok = /[A-Za-z0-9_-]/.test(ch) && !(i === 0 && /[0-9-]/.test(ch))
    out += ok ? ch : `\\${ch}`
  }
  return out
}

/** `<field> != null and <field> != ""` — present and not the empty string (Classic's truthiness for strings). */
export function present(field: string): string {
  return `${field} != null and ${field} != ""`
}

/** `(<field> = null or <field> = "")` — missing or empty. */
export function absent(field: string): string {
  return `(${field} = null or ${field} = "")`
}
