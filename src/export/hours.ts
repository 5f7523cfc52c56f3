/**
 * Export API hours: `YYYYMMDDTHH` (UTC) ↔ epoch hours, and splitting a range into the pieces
 * segamp requests (see docs/amplitude-export.md). Pure.
 */
import { UsageError } from '../errors.js'

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
    super(message, { code: 'usage', hint: 'Hours are UTC, written YYYYMMDDTHH, e.g. --start 20240501T00 --end 20240531T23.' })
    this.name = 'HourFormatError'
  }
}

const HOUR_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})$/

/** `20240506T05` → epoch hour. Throws `HourFormatError` with what was expected. */
export function parseHour(flag: string, value: string): number {
  const m = HOUR_RE.exec(value.trim())
  if (!m) throw new HourFormatError(`${flag} ${JSON.stringify(value)}: expected YYYYMMDDTHH in UTC, e.g. 20240506T05`)
  const [, y, mo, d, h] = m.map(Number) as [number, number, number, number, number]
  const ms = Date.UTC(y, mo - 1, d, h)
  const back = new Date(ms)
  if (h > 23 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new HourFormatError(`${flag} ${JSON.stringify(value)}: not a real date and hour (hours run 00-23)`)
  }
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
