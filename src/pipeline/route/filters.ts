/**
 * Message filters shared by every reading command: `--since`, `--until`, `--types`, `--where`,
 * and Segment's own `integrations` routing. Compiled once; each message gets a filter reason
 * or undefined (kept). Pure.
 */
import { SEGMENT_TYPES, type SegmentMessage } from '../../types.js'

export type FilterReason = 'integrations' | 'since' | 'until' | 'types' | 'where' | 'no-timestamp'

export interface FilterOptions {
  since?: string
  until?: string
  types?: string[]
  /** A compiled `--where` trigger. */
  where?: (message: Record<string, unknown>) => boolean
  ignoreIntegrations?: boolean
}

/** Kept here for existing imports: the error model lives in src/errors.ts. */
export { UsageError } from '../../errors.js'
import { UsageError } from '../../errors.js'
import { parseTime } from '../../time.js'

/** Parses `--since/--until` with the one time-flag parser of every command (./time.ts). */
export function parseTimeFlag(flag: string, value: string): number {
  return parseTime(flag, value)
}

export function parseTypes(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const list = (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
  const unknown = list.filter((t) => !(SEGMENT_TYPES as readonly string[]).includes(t))
  if (unknown.length > 0) {
    throw new UsageError(`--types: unknown type ${unknown.map((t) => JSON.stringify(t)).join(', ')}; use any of ${SEGMENT_TYPES.join(',')}`)
  }
  return list
}

/** Largest distance from the epoch a JavaScript Date can hold (±100,000,000 days). */
const MAX_DATE_MS = 8.64e15

/** `2024-05-06T10:00:00.000` or `2024-05-06 10:00:00`: an ISO 8601 date and time that names no zone. */
const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/

/**
 * A Segment timestamp string → epoch ms (NaN when unreadable). A date and time without a zone is
 * UTC, as the Actions mappings and the Classic emulation read it; `Date.parse` alone would read it
 * in the machine's time zone, so the same archive would pair, filter and profile differently on a
 * laptop outside UTC. Strings ending in `Z` (nearly all) skip the pattern.
 */
export function parseTimestamp(value: string): number {
  if (value.endsWith('Z') || !ISO_NO_ZONE.test(value)) return Date.parse(value)
  return Date.parse(`${value.replace(' ', 'T')}Z`)
}

/**
 * The message's time: `timestamp`, else `originalTimestamp`, else `receivedAt`.
 * A value no Date can hold (`9999999999999999`) is as unusable as a missing one: the next field
 * is tried, and a message with none counts as having no timestamp.
 */
export function messageTime(message: SegmentMessage): number | undefined {
  for (const key of ['timestamp', 'originalTimestamp', 'receivedAt'] as const) {
    const value = message[key]
    if (typeof value === 'string' || typeof value === 'number') {
      const ms = typeof value === 'number' ? value : parseTimestamp(value)
      if (Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS) return ms
    }
  }
  return undefined
}

/**
 * Segment's routing: `integrations.All === false` without a truthy Amplitude key, or an
 * Amplitude key set to `false`, means Segment never sent the message to Amplitude.
 * Keys are matched case-insensitively ("Amplitude", "Actions Amplitude").
 */
export function routedAway(integrations: unknown): boolean {
  if (!integrations || typeof integrations !== 'object') return false
  let all: unknown
  let amplitude: unknown
  for (const key in integrations) {
    const value = (integrations as Record<string, unknown>)[key]
    const k = key.toLowerCase()
    if (k === 'all') all = value
    else if (k === 'amplitude' || k === 'actions amplitude') {
      if (value === false) return true
      if (value) amplitude = value
    }
  }
  return all === false && !amplitude
}

export function compileFilters(opts: FilterOptions): (message: SegmentMessage) => FilterReason | undefined {
  const since = opts.since !== undefined ? parseTimeFlag('--since', opts.since) : undefined
  const until = opts.until !== undefined ? parseTimeFlag('--until', opts.until) : undefined
  if (since !== undefined && until !== undefined && until <= since) {
    // Every message would be filtered: a swapped range, not a run that has nothing to do.
    throw new UsageError(`--until ${opts.until} is not after --since ${opts.since}: no message could be kept`, {
      code: 'usage',
      hint: 'Swap them, or widen the range: --since is the first moment kept, --until the first one dropped (UTC).',
    })
  }
  const types = opts.types && opts.types.length > 0 ? new Set(opts.types) : undefined
  const where = opts.where
  const checkIntegrations = !opts.ignoreIntegrations
  const timed = since !== undefined || until !== undefined
  return (message) => {
    if (checkIntegrations && routedAway(message.integrations)) return 'integrations'
    if (types && !types.has(message.type)) return 'types'
    if (timed) {
      const t = messageTime(message)
      if (t === undefined) return 'no-timestamp'
      if (since !== undefined && t < since) return 'since'
      if (until !== undefined && t >= until) return 'until'
    }
    if (where && !where(message)) return 'where'
    return undefined
  }
}
