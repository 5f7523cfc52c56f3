/**
 * The read loop every command shares: archive items → kept messages, with rejected lines,
 * unreadable files, duplicates and filtered messages counted (and handed to callbacks so the
 * caller can write rejected.ndjson). Each input line ends in exactly one bucket.
 */
import type { SegmentMessage, SourceRef } from '../../types.js'
import type { Archive, ArchiveItem, ReadOptions } from './reader.js'
import type { FilterReason } from '../route/index.js'
import { DuplicateCounter } from '../route/index.js'

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

export interface ScanOptions extends ReadOptions {
  filter?: (message: SegmentMessage) => FilterReason | undefined
  onRejected?: (item: Extract<ArchiveItem, { kind: 'rejected' }>) => void | Promise<void>
  onUnreadable?: (item: Extract<ArchiveItem, { kind: 'unreadable' }>) => void
  onSkipped?: (item: Extract<ArchiveItem, { kind: 'skipped' }>) => void
  /** Called for a message a filter removed (position bookkeeping, e.g. checkpoints). */
  onFiltered?: (ref: SourceRef, reason: FilterReason) => void
  counts?: ScanCounts
}

export interface KeptMessage {
  message: SegmentMessage
  ref: SourceRef
  duplicate: boolean
}

export async function* scanMessages(archive: Archive, opts: ScanOptions = {}): AsyncGenerator<KeptMessage> {
  const counts = opts.counts ?? emptyCounts()
  const dupes = new DuplicateCounter()
  for await (const item of archive.items(opts)) {
    switch (item.kind) {
      case 'file':
        counts.files++
        if (item.format === 'csv') counts.csvFiles++
        break
      case 'unreadable':
        counts.unreadableFiles.push({ file: item.file, reason: item.reason })
        opts.onUnreadable?.(item)
        break
      case 'skipped':
        counts.skippedPaths.push({ path: item.path, reason: item.reason })
        opts.onSkipped?.(item)
        break
      case 'rejected':
        counts.rejected++
        counts.rejectedByReason[item.category] = (counts.rejectedByReason[item.category] ?? 0) + 1
        await opts.onRejected?.(item)
        break
      case 'message': {
        counts.messages++
        const duplicate = dupes.see(item.message.messageId)
        if (duplicate) counts.duplicates++
        const reason = opts.filter?.(item.message)
        if (reason) {
          counts.filtered[reason] = (counts.filtered[reason] ?? 0) + 1
          opts.onFiltered?.(item.ref, reason)
          break
        }
        yield { message: item.message, ref: item.ref, duplicate }
        break
      }
    }
  }
}
