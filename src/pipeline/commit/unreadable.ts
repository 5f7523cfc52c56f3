/**
 * Files that could not be read (permissions, a transient S3 error, a truncated gzip) are not
 * completed: the lines read from them before the failure are kept in the checkpoint's `ahead`
 * ranges, and the next run of the same command — even after one that finished — reads each such
 * file again, skipping those lines. A file read whole at last leaves `unreadableFiles`.
 */
import type { LineData } from './committer.js'
import type { ReplayCounts } from './report.js'

export function hasUnreadable(counts: Pick<ReplayCounts, 'unreadableFiles'> | undefined): boolean {
  return (counts?.unreadableFiles?.length ?? 0) > 0
}

/**
 * The ledger data of a file's end: `counted` when an earlier run counted the file already (its
 * end was settled, or the file was counted when it was unreadable); `unreadable` when this run
 * could not read it to the end.
 */
export function rereadUnreadable(
  previous: Pick<ReplayCounts, 'unreadableFiles'> | undefined,
): ((file: string, settledBefore: boolean) => LineData) & { unreadable(file: string): void } {
  const before = new Set((previous?.unreadableFiles ?? []).map((u) => u.file))
  const now = new Set<string>()
  const end = (file: string, settledBefore: boolean): LineData => ({ kind: 'end', counted: settledBefore || before.has(file), ...(now.has(file) ? { unreadable: true } : {}) })
  return Object.assign(end, { unreadable: (file: string) => void now.add(file) })
}
