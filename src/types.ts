/** Shared data types. Pure data: no I/O lives here. */

export const SEGMENT_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const
export type SegmentType = (typeof SEGMENT_TYPES)[number]

/** One Segment message as archived (raw S3 line or rebuilt from CSV). */
export interface SegmentMessage {
  type: SegmentType
  messageId?: string
  userId?: string | null
  anonymousId?: string | null
  event?: string
  name?: string
  category?: string
  properties?: Record<string, unknown>
  traits?: Record<string, unknown>
  context?: Record<string, unknown>
  integrations?: Record<string, unknown>
  groupId?: string
  previousId?: string
  timestamp?: string
  originalTimestamp?: string
  sentAt?: string
  receivedAt?: string
  [key: string]: unknown
}

/** Where a message came from: the input file (or "-" for stdin) and its 1-based line number. */
export interface SourceRef {
  file: string
  line: number
}

/** Amplitude ingestion endpoints, by the path they are sent to. */
export type AmplitudeEndpoint = 'httpapi' | 'batch' | 'identify' | 'groupidentify' | 'usermap'

/**
 * One unit an Actions action (or the Classic emulation) asks Amplitude to store:
 * an event (httpapi/batch), an identification (identify), a group identification
 * (groupidentify) or a user mapping (usermap). Request assembly groups records of
 * the same endpoint and options into HTTP requests.
 */
export interface AmplitudeRecord {
  endpoint: AmplitudeEndpoint
  record: Record<string, unknown>
  /** Request-level options, e.g. { min_id_length: 3 } (httpapi/batch/identify). */
  options?: Record<string, unknown>
}

export type Region = 'us' | 'eu'

/** What reading an archive counted (decode/ counts it, commit/ checkpoints it): each input line is in exactly one count. */
export interface ReadCounts {
  files: number
  /** Files read as Segment's AWS S3 (Actions) CSV (a lossy format: see CSV_LOST_FIELDS). */
  csvFiles: number
  /** Parsed messages, duplicates included (filtered ones too). */
  messages: number
  rejected: number
  rejectedByReason: Record<string, number>
  duplicates: number
  filtered: Record<string, number>
  /** `retryable`: a store failed to serve it past its retries; a later run may read it. */
  unreadableFiles: Array<{ file: string; reason: string; retryable?: boolean }>
  /** Paths not read because they lead to a file or folder read already (links, loops). */
  skippedPaths: Array<{ path: string; reason: string }>
}
