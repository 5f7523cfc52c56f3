/**
 * What reading an archive counts: files, messages, rejected lines by category, duplicates,
 * filtered messages by reason, unreadable files and skipped paths. The read loop that fills
 * them is the one pipeline every command uses (src/pipeline/index.ts, `countOutcome`).
 */
import type { ReadCounts } from '../../types.js'

/** What reading counted (src/types.ts: commit's counts extend it too). */
export type ScanCounts = ReadCounts

export function emptyCounts(): ScanCounts {
  return { files: 0, csvFiles: 0, messages: 0, rejected: 0, rejectedByReason: {}, duplicates: 0, filtered: {}, unreadableFiles: [], skippedPaths: [] }
}
