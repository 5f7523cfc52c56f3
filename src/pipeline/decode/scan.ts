/**
 * The read loop every command shares: archive items → kept messages, with rejected lines,
 * unreadable files, duplicates and filtered messages counted (and handed to callbacks so the
 * caller can write rejected.ndjson). Each input line ends in exactly one bucket.
 */
import type { ReadCounts, SegmentMessage, SourceRef } from '../../types.js'
import type { Archive, ArchiveItem, ReadOptions } from './reader.js'
import type { FilterReason } from '../route/index.js'
import { DuplicateCounter } from '../route/index.js'

/** What reading counted (src/types.ts: commit's counts extend it too). */
export type ScanCounts = ReadCounts

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
