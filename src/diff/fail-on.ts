/** `--fail-on` handling. */
import type { DiffReport, FailOnKind } from './types.js'
import { FAIL_ON_KINDS, FINDING_KINDS } from './types.js'
import { UsageError } from '../errors.js'

/**
 * Parses a `--fail-on` value (`"dropped,duplicated"`; spaces and empty items ignored).
 * A usage error names the unknown kinds and the allowed ones.
 */
export function parseFailOn(list: string | readonly string[]): FailOnKind[] {
  const items = (typeof list === 'string' ? list.split(',') : list.flatMap((s) => s.split(','))).map((s) => s.trim()).filter((s) => s !== '')
  const bad = items.filter((s) => !(FAIL_ON_KINDS as readonly string[]).includes(s))
  if (bad.length > 0) {
    throw new UsageError(`--fail-on: unknown kind${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (allowed: ${FAIL_ON_KINDS.join(', ')})`, {
      code: 'fail-on',
      hint: 'Give --fail-on a comma-separated list of the kinds above, e.g. --fail-on renamed,dropped,duplicated.',
    })
  }
  return FAIL_ON_KINDS.filter((k) => items.includes(k))
}

/**
 * The kinds of `failOn` that the report has at least one finding of, in report order
 * (`FINDING_KINDS`). Empty means the check passes (exit 0). Unknown kinds throw.
 */
export function failingKinds(report: DiffReport, failOn: readonly string[]): string[] {
  for (const k of failOn) {
    if (!(FINDING_KINDS as readonly string[]).includes(k)) throw new Error(`unknown finding kind: ${k}`)
  }
  return FINDING_KINDS.filter((k) => failOn.includes(k) && report.findings.some((f) => f.kind === k && f.count > 0))
}
