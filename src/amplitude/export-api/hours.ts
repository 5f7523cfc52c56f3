/**
 * Export API hours: `YYYYMMDDTHH` (UTC) ↔ epoch hours, and splitting a range into the pieces
 * segamp requests (see docs/amplitude-export.md). Pure.
 */
import { parseTime } from '../../time.js'
import { UsageError } from '../../errors.js'

const HOURS_HINT = 'Hours are UTC, written YYYYMMDDTHH, e.g. --start 20240501T00 --end 20240531T23.'

export const HOUR_MS = 3_600_000
/** The longest range Amplitude documents for one Export API request: 365 days. */
export const MAX_RANGE_HOURS = 365 * 24

/** An inclusive range of whole UTC hours, as epoch hours (ms / HOUR_MS). */
export interface HourRange {
  start: number
  end: number
}

/** A --start/--end value that is not an hour: a usage error. */
export class HourFormatError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'usage', hint: HOURS_HINT })
    this.name = 'HourFormatError'
  }
}

/**
 * `20240506T05` (or any time the shared time-flag parser reads, on a whole hour, but not a bare
 * day) → epoch hour.
 * Throws the parser's UsageError (exit 2, with a hint), or `HourFormatError` for a time that is
 * not on a whole hour.
 */
export function parseHour(flag: string, value: string): number {
  // A bare day is an hour to the time parser (its first), which for --end drops the day's other 23.
  const day = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value.trim())
  if (day) {
    const d = `${day[1]}${day[2]}${day[3]}`
    throw new HourFormatError(`${flag} ${JSON.stringify(value)} is a day, not an hour: write ${d}T00 for its first hour, ${d}T23 for its last`)
  }
  let ms: number
  try {
    ms = parseTime(flag, value)
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message, { code: error.code, hint: HOURS_HINT })
    throw error
  }
  if (ms % HOUR_MS !== 0) throw new HourFormatError(`${flag} ${JSON.stringify(value)}: the Export API works in whole UTC hours; expected YYYYMMDDTHH, e.g. 20240506T05`)
  return ms / HOUR_MS
}

/** Epoch hour → `YYYYMMDDTHH`. */
export function formatHour(hour: number): string {
  const d = new Date(hour * HOUR_MS)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}`
}

export function rangeHours(r: HourRange): number {
  return r.end - r.start + 1
}

export function formatRange(r: HourRange): string {
  return r.start === r.end ? formatHour(r.start) : `${formatHour(r.start)}-${formatHour(r.end)}`
}

/** The requests a range starts as: consecutive pieces of at most `MAX_RANGE_HOURS` hours. */
export function initialPieces(r: HourRange, maxHours = MAX_RANGE_HOURS): HourRange[] {
  const out: HourRange[] = []
  for (let s = r.start; s <= r.end; s += maxHours) out.push({ start: s, end: Math.min(r.end, s + maxHours - 1) })
  return out
}

/**
 * A piece Amplitude refused as too large (400), split in two at an hour boundary; a single hour
 * cannot be split (null).
 */
export function splitPiece(r: HourRange): [HourRange, HourRange] | null {
  if (r.start === r.end) return null
  const mid = r.start + Math.floor((r.end - r.start) / 2)
  return [
    { start: r.start, end: mid },
    { start: mid + 1, end: r.end },
  ]
}
