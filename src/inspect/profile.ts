/** The `inspect` profile: pure aggregation over kept messages. */
import type { SegmentMessage } from '../types.js'
import { messageTime } from '../pipeline/route/index.js'
import type { ScanCounts } from '../pipeline/decode/index.js'

/** Amplitude rejects user_id/device_id shorter than this unless min_id_length says otherwise. */
export const AMPLITUDE_MIN_ID_LENGTH = 5
/** Distinct event names tracked before the rest is folded into OTHER_EVENTS (bounded memory). */
export const MAX_EVENT_NAMES = 10_000
export const OTHER_EVENTS = '(other event names)'

export interface IdStats {
  /** Kept messages with a non-empty userId / anonymousId / context.device.id. */
  userId: number
  anonymousId: number
  deviceId: number
  /** Share (0..1) of kept messages with each id. */
  userIdShare: number
  anonymousIdShare: number
  deviceIdShare: number
  /** Messages with at least one id shorter than Amplitude's minimum, per id field. */
  shortUserId: number
  shortAnonymousId: number
  shortDeviceId: number
  /** Messages with no userId, anonymousId or device id at all (Amplitude needs one). */
  noId: number
}

export interface InspectReport {
  files: number
  /** Every parsed message (rejected lines excluded). */
  messages: number
  /** Messages the filters kept: what byType, byEvent, timeRange, ids and subscriptions count. */
  kept: number
  byType: Record<string, number>
  byEvent: Record<string, number>
  rejected: number
  rejectedByReason: Record<string, number>
  duplicates: number
  filtered: Record<string, number>
  timeRange: { from: string | null; to: string | null }
  ids: IdStats
  unreadableFiles: Array<{ file: string; reason: string; retryable?: boolean }>
  /** Paths not read: links to what is read already, loops, files that are not regular files (FIFOs, sockets). */
  skippedPaths: Array<{ path: string; reason: string }>
  subscriptions: Record<string, number>
}

export interface SubscriptionMatcher {
  name: string
  match: (message: SegmentMessage) => boolean
}

export class InspectProfile {
  private kept = 0
  private byType: Record<string, number> = {}
  private byEvent = new Map<string, number>()
  private from = Infinity
  private to = -Infinity
  private ids = { userId: 0, anonymousId: 0, deviceId: 0, shortUserId: 0, shortAnonymousId: 0, shortDeviceId: 0, noId: 0 }
  private subs: Record<string, number>
  /** Kept messages that no subscription's trigger matched (nothing would be sent for them). */
  unmatched = 0

  constructor(private readonly subscriptions: SubscriptionMatcher[] = []) {
    this.subs = Object.fromEntries(subscriptions.map((s) => [s.name, 0]))
  }

  add(message: SegmentMessage): void {
    this.kept++
    this.byType[message.type] = (this.byType[message.type] ?? 0) + 1
    if (message.type === 'track') {
      const name = typeof message.event === 'string' ? message.event : '(no event name)'
      const seen = this.byEvent.get(name)
      if (seen !== undefined) this.byEvent.set(name, seen + 1)
      else if (this.byEvent.size < MAX_EVENT_NAMES) this.byEvent.set(name, 1)
      else this.byEvent.set(OTHER_EVENTS, (this.byEvent.get(OTHER_EVENTS) ?? 0) + 1)
    }
    const t = messageTime(message)
    if (t !== undefined) {
      if (t < this.from) this.from = t
      if (t > this.to) this.to = t
    }
    const userId = idString(message.userId)
    const anonymousId = idString(message.anonymousId)
    const device = (message.context as { device?: { id?: unknown } } | undefined)?.device
    const deviceId = idString(device?.id)
    if (userId) {
      this.ids.userId++
      if (userId.length < AMPLITUDE_MIN_ID_LENGTH) this.ids.shortUserId++
    }
    if (anonymousId) {
      this.ids.anonymousId++
      if (anonymousId.length < AMPLITUDE_MIN_ID_LENGTH) this.ids.shortAnonymousId++
    }
    if (deviceId) {
      this.ids.deviceId++
      if (deviceId.length < AMPLITUDE_MIN_ID_LENGTH) this.ids.shortDeviceId++
    }
    if (!userId && !anonymousId && !deviceId) this.ids.noId++
    let matched = false
    for (const sub of this.subscriptions) {
      if (sub.match(message)) {
        this.subs[sub.name]++
        matched = true
      }
    }
    if (!matched) this.unmatched++
  }

  report(counts: ScanCounts): InspectReport {
    const share = (n: number) => (this.kept === 0 ? 0 : Math.round((n / this.kept) * 10_000) / 10_000)
    const byEvent = Object.fromEntries([...this.byEvent.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
    return {
      files: counts.files,
      messages: counts.messages,
      kept: this.kept,
      byType: sortedCounts(this.byType),
      byEvent,
      rejected: counts.rejected,
      rejectedByReason: sortedCounts(counts.rejectedByReason),
      duplicates: counts.duplicates,
      filtered: sortedCounts(counts.filtered),
      timeRange: {
        from: Number.isFinite(this.from) ? new Date(this.from).toISOString() : null,
        to: Number.isFinite(this.to) ? new Date(this.to).toISOString() : null,
      },
      ids: {
        ...this.ids,
        userIdShare: share(this.ids.userId),
        anonymousIdShare: share(this.ids.anonymousId),
        deviceIdShare: share(this.ids.deviceId),
      },
      unreadableFiles: counts.unreadableFiles,
      skippedPaths: counts.skippedPaths,
      subscriptions: { ...this.subs },
    }
  }
}

function idString(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number') return String(value)
  return undefined
}

function sortedCounts(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
}
