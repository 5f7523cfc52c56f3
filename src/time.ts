/**
 * The one parser of time flags (--since/--until of inspect, replay and diff-mappings, --start/--end
 * of export). Pure. What it reads, always as UTC unless an offset is written:
 * - ISO 8601 dates and times: `2024-05-07`, `2024-05-07T13`, `2024-05-07T13:00`, `2024-05-07 13:00:00.250+02:00`;
 * - Segment/Amplitude's compact forms: `20240507` and `20240507T13`;
 * - a bare whole number when its size tells the unit: 9 to 11 digits (below 1e11) are epoch
 *   seconds, 12 to 14 digits (below 1e14) epoch milliseconds.
 * Anything else (a word, `2024`, a number of another size, a date that does not exist) is a
 * usage error (exit 2) naming the flag, with a hint showing what is accepted: a misread time
 * would filter nothing and still exit 0.
 */
import { UsageError } from './errors.js'

/** Seconds below this, milliseconds from it (1e11 s is the year 5138; 1e11 ms is 1973). */
export const SECONDS_BELOW = 1e11
/** Smallest number read as seconds (1e8 s = 1973): a shorter number is more likely a year or a typo. */
const SECONDS_FROM = 1e8
/** Numbers from here on (year 5138 in ms) are neither (microseconds, nanoseconds). */
const MILLISECONDS_BELOW = 1e14

export const TIME_HINT =
  'Write a UTC date or time: 2024-05-07, 2024-05-07T13:00:00Z (an offset like +02:00 is honoured), 20240507 or 20240507T13; or epoch seconds (1715040000) or milliseconds (1715040000000).'

// The minutes may be left out, as ISO 8601 allows (`2024-05-07T13`, the dashed form of 20240507T13).
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const COMPACT_RE = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2}))?$/i

/** A time flag's value → epoch milliseconds, or a UsageError saying what was wrong. */
export function parseTime(flag: string, value: string): number {
  const text = value.trim()
  const refuse = (why: string): never => {
    throw new UsageError(`${flag} ${JSON.stringify(value)} ${why}`, { code: 'time-flag', hint: TIME_HINT })
  }
  const compact = COMPACT_RE.exec(text)
  if (compact) return fromParts(compact[1], compact[2], compact[3], compact[4] ?? '00', '00', '00', '', '', refuse)
  const iso = ISO_RE.exec(text)
  if (iso) {
    if (iso[8] !== undefined && iso[4] === undefined) refuse('is not a time: an offset needs a time of day (2024-05-07T00:00+02:00)')
    return fromParts(iso[1], iso[2], iso[3], iso[4] ?? '00', iso[5] ?? '00', iso[6] ?? '00', iso[7] ?? '', iso[8] ?? '', refuse)
  }
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    // 0 is the epoch in either unit.
    if (n === 0) return 0
    if (n >= SECONDS_FROM && n < SECONDS_BELOW) return n * 1000
    if (n >= SECONDS_BELOW && n < MILLISECONDS_BELOW) return n
    return refuse(`is not a time: a bare number is read only as epoch seconds (9-11 digits) or milliseconds (12-14 digits), and ${text.length} digit(s) could be either or neither`)
  }
  return refuse('is not a time: use a date (2024-05-07, 20240507), a time (2024-05-07T13:00:00Z, 20240507T13) or epoch seconds or milliseconds')
}

function fromParts(y: string, mo: string, d: string, h: string, mi: string, s: string, frac: string, offset: string, refuse: (why: string) => never): number {
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number]
  const midnight = Date.UTC(year, month - 1, day)
  const back = new Date(midnight)
  if (month < 1 || month > 12 || back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    refuse(`is not a real date (${y}-${mo}-${d} does not exist)`)
  }
  if (hour > 23) refuse('is not a time: hours run 00-23')
  if (minute > 59 || second > 59) refuse('is not a time: minutes and seconds run 00-59')
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0
  let t = midnight + ((hour * 60 + minute) * 60 + second) * 1000 + ms
  if (offset && offset.toUpperCase() !== 'Z') {
    const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset)!
    const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0)
    if (Number(m[2]) > 23 || Number(m[3] ?? 0) > 59) refuse('is not a time: the UTC offset is out of range')
    t -= (m[1] === '-' ? -1 : 1) * minutes * 60_000
  }
  return t
}
