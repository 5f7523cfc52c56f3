/**
 * Segment's bucket layout and the --since pruning rule. Pure.
 *
 * Segment's S3 destination writes `[<prefix>/]segment-logs/<source-id>/<day>/<file>.gz`, where
 * <day> is the epoch milliseconds of the UTC midnight of the day Segment *received* the data
 * (docs/s3-input.md). A message's `timestamp` can be later than its `receivedAt` (server-side
 * libraries set it freely), so pruning is only done when asked (--prune-by-received): a day
 * folder that ends more than PRUNE_MARGIN_MS before --since is skipped. --until cannot prune the
 * same way: late data (mobile batches sent days later) lands in later folders.
 */

export const DAY_MS = 86_400_000
/** How much later than its receipt a kept message's timestamp is assumed to be at most, with --prune-by-received. */
export const PRUNE_MARGIN_MS = DAY_MS

/** The received-day of a folder path `…/segment-logs/<source-id>/<day>/`, else undefined. */
export function segmentDayOf(folder: string): number | undefined {
  const parts = folder.replace(/\/+$/, '').split('/')
  const n = parts.length
  if (n < 3 || parts[n - 3] !== 'segment-logs') return undefined
  const day = parts[n - 1]
  if (!/^\d{10,14}$/.test(day)) return undefined
  const ms = Number(day)
  return ms % DAY_MS === 0 ? ms : undefined
}

/** True when a received-day folder cannot hold a message at or after `sinceMs`. */
export function dayFolderPrunable(dayMs: number, sinceMs: number): boolean {
  const folderEnd = dayMs + DAY_MS
  return folderEnd < sinceMs - PRUNE_MARGIN_MS
}

/** The first received-day (UTC midnight, epoch ms) that --since cannot prune. */
export function firstKeptDay(sinceMs: number): number {
  return Math.ceil((sinceMs - PRUNE_MARGIN_MS - DAY_MS) / DAY_MS) * DAY_MS
}

/** For a key inside a received-day folder: the folder of its source (`…/segment-logs/<source-id>/`) and its day. */
export function dayOfKey(key: string): { sourceFolder: string; day: number; dayText: string } | undefined {
  const parts = key.split('/')
  for (let i = parts.length - 2; i >= 2; i--) {
    const folder = parts.slice(0, i + 1).join('/')
    const day = segmentDayOf(folder)
    if (day !== undefined) return { sourceFolder: parts.slice(0, i).join('/') + '/', day, dayText: parts[i] }
  }
  return undefined
}

/** Names skipped in a local walk are skipped in a bucket too (see sources.ts). */
export function hiddenComponent(relativeKey: string): boolean {
  return relativeKey.split('/').some((c) => c.startsWith('.') || c === 'Thumbs.db')
}

/**
 * Orders keys as the local walk orders paths: folder by folder, each level sorted by name.
 * (S3 lists in plain byte order, where "a-b/x" comes before "a/x".)
 */
export function compareKeys(a: string, b: string): number {
  const pa = a.split('/')
  const pb = b.split('/')
  const n = Math.min(pa.length, pb.length)
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1
  }
  return pa.length - pb.length
}
