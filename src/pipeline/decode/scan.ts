/**
 * What reading an archive counts: files, messages, rejected lines by category, duplicates,
 * filtered messages by reason, unreadable files and skipped paths. The read loop that fills
 * them is the one pipeline every command uses (src/replay/pipeline.ts, `countOutcome`).
 */

export interface ScanCounts {
  files: number
  /** Files read as Segment's AWS S3 (Actions) CSV (a lossy format: see CSV_LOST_FIELDS). */
  csvFiles: number
  /** Parsed messages, duplicates included (filtered ones too). */
  messages: number
  rejected: number
  rejectedByReason: Record<string, number>
  duplicates: number
  filtered: Record<string, number>
  unreadableFiles: Array<{ file: string; reason: string }>
  /** Paths not read because they lead to a file or folder read already (links, loops). */
  skippedPaths: Array<{ path: string; reason: string }>
}

export function emptyCounts(): ScanCounts {
  return { files: 0, csvFiles: 0, messages: 0, rejected: 0, rejectedByReason: {}, duplicates: 0, filtered: {}, unreadableFiles: [], skippedPaths: [] }
}
