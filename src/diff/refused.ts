/**
 * Records Amplitude refuses (400, nothing stored): an event or identification with neither
 * `user_id` nor `device_id`, with an id shorter than `min_id_length` (5 unless the request's
 * options lower it), or with an id Amplitude never accepts (`null`, `anonymous`, …). Both diffs
 * (the emulation diff and `--against`) set them aside and report them as `refused-by-amplitude`
 * instead of pairing them: an export never holds them. Pure. See docs/amplitude-api.md §2.3.
 */
import { checkId } from '../amplitude/sandbox/validate.js'

/** Amplitude's default minimum length of user_id / device_id. */
export const DEFAULT_MIN_ID_LENGTH = 5

/** Endpoints whose records Amplitude refuses for their ids (group identify and user mapping have other rules). */
const ID_CHECKED = new Set(['httpapi', 'batch', 'identify'])

function endpointOf(endpoint: string): string {
  let ep = endpoint
  while (ep.startsWith('/')) ep = ep.slice(1)
  return ep.startsWith('2/') ? ep.slice(2) : ep
}

/** The request's `options.min_id_length` when it is a positive integer, else Amplitude's default. */
export function minIdLength(options: unknown): number {
  const m = typeof options === 'object' && options !== null ? (options as Record<string, unknown>).min_id_length : undefined
  return typeof m === 'number' && Number.isSafeInteger(m) && m > 0 ? m : DEFAULT_MIN_ID_LENGTH
}

/**
 * Why Amplitude refuses this record, or undefined when it accepts its ids. Reasons are stable
 * words (the report groups by them): `no user_id or device_id`, `user_id shorter than 5
 * characters`, `device_id shorter than 5 characters`, `user_id not accepted as an id`, ….
 */
export function refusal(endpoint: string, record: Record<string, unknown>, options?: unknown): string | undefined {
  if (!ID_CHECKED.has(endpointOf(endpoint))) return undefined
  const rules = { minIdLength: minIdLength(options), maxStringLength: Number.MAX_SAFE_INTEGER }
  const u = checkId(record.user_id, rules)
  const d = checkId(record.device_id, rules)
  if (u === 'absent' && d === 'absent') return 'no user_id or device_id'
  if (u === 'invalid') return 'user_id not accepted as an id'
  if (d === 'invalid') return 'device_id not accepted as an id'
  if (u === 'short') return `user_id shorter than ${rules.minIdLength} characters`
  if (d === 'short') return `device_id shorter than ${rules.minIdLength} characters`
  return undefined
}
