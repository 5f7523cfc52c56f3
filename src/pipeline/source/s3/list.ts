/**
 * Lists the objects under `s3://bucket/prefix` (ListObjectsV2, paginated, flat). With --since,
 * a key inside a received-day folder too old to hold a kept message (layout.ts) makes the
 * listing jump, with StartAfter, to the first day folder of that source that can: the older
 * days of a source cost one request, not one per thousand objects. (A flat listing with jumps
 * needs no Delimiter support, which some S3-compatible stores get wrong.)
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys, dayFolderPrunable, dayOfKey, firstKeptDay, hiddenComponent } from './layout.js'
import type { S3Location } from './url.js'

export interface ListedObject {
  key: string
  size: number
  etag?: string
}

export interface ListingProgress {
  objects: number
  bytes: number
  /** Times the listing skipped the received-day folders before --since of a source. */
  prunedFolders: number
}

export interface ListOptions {
  sinceMs?: number
  onProgress?: (p: ListingProgress) => void
}

export async function listObjects(client: S3Client, loc: S3Location, opts: ListOptions = {}): Promise<{ objects: ListedObject[]; prunedFolders: number }> {
  const stats: ListingProgress = { objects: 0, bytes: 0, prunedFolders: 0 }
  const found: ListedObject[] = []
  // The prefix names a folder (or one object), not the start of other names: "logs/a" does not take "logs/ab/…".
  const folder = loc.prefix === '' || loc.prefix.endsWith('/') ? loc.prefix : loc.prefix + '/'
  const keep = (key: string): boolean => {
    if (key !== loc.prefix && !key.startsWith(folder)) return false
    if (key.endsWith('/')) return false // folder marker objects
    return !hiddenComponent(key === loc.prefix ? '' : key.slice(folder.length))
  }

  let token: string | undefined
  let startAfter: string | undefined
  for (;;) {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix || undefined, ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}) }),
    )
    let jump: string | undefined
    for (const c of page.Contents ?? []) {
      if (c.Key === undefined) continue
      if (opts.sinceMs !== undefined) {
        const at = dayOfKey(c.Key)
        if (at && dayFolderPrunable(at.day, opts.sinceMs)) {
          const bound = at.sourceFolder + String(firstKeptDay(opts.sinceMs) - 1)
          // Same digit count: numeric and key order agree, so everything up to `bound` is older days.
          if (String(firstKeptDay(opts.sinceMs) - 1).length === at.dayText.length && bound > c.Key) {
            jump = bound
            stats.prunedFolders++
            break
          }
          continue
        }
      }
      if (!keep(c.Key)) continue
      found.push({ key: c.Key, size: c.Size ?? 0, etag: c.ETag })
      stats.objects++
      stats.bytes += c.Size ?? 0
    }
    opts.onProgress?.(stats)
    if (jump) {
      startAfter = jump
      token = undefined
      continue
    }
    if (!page.IsTruncated || !page.NextContinuationToken) break
    token = page.NextContinuationToken
  }
  found.sort((a, b) => compareKeys(a.key, b.key))
  return { objects: found, prunedFolders: stats.prunedFolders }
}
