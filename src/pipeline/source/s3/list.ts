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
import { editDistance } from '../../../text.js'

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
  /** Objects seen in a folder named as Segment names its received-day folders: none, and --prune-by-received can skip nothing. */
  dayObjects: number
}

export interface ListOptions {
  sinceMs?: number
  onProgress?: (p: ListingProgress) => void
}

export async function listObjects(client: S3Client, loc: S3Location, opts: ListOptions = {}): Promise<{ objects: ListedObject[]; prunedFolders: number; dayObjects: number }> {
  const stats: ListingProgress = { objects: 0, bytes: 0, prunedFolders: 0, dayObjects: 0 }
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
        if (at) stats.dayObjects++
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
  return { objects: found, prunedFolders: stats.prunedFolders, dayObjects: stats.dayObjects }
}

/**
 * For a prefix that matched no object (a typo): the closest existing name at the level of its last
 * component. The names of a level are read from a flat listing (no Delimiter, which some stores
 * get wrong), jumping past each name found with StartAfter: at most 20 requests per level, and
 * at most three levels, climbing while a level is empty. Undefined when nothing is close: a guess
 * far from what was typed is no help.
 */
export async function nearestPrefix(client: S3Client, loc: S3Location): Promise<string | undefined> {
  const wanted = loc.prefix.replace(/\/+$/, '')
  let parent = wanted.includes('/') ? wanted.slice(0, wanted.lastIndexOf('/') + 1) : ''
  for (let level = 0; level < 3; level++) {
    const names = await namesAt(client, loc.bucket, parent)
    if (names.length > 0) {
      const slash = wanted.indexOf('/', parent.length)
      const target = slash === -1 ? wanted : wanted.slice(0, slash)
      let best: { name: string; d: number } | undefined
      for (const name of names) {
        const d = editDistance(name.replace(/\/$/, ''), target)
        if (!best || d < best.d) best = { name, d }
      }
      if (best && best.d <= Math.max(2, Math.ceil((target.length - parent.length) / 3))) return best.name
      return names.length === 1 ? names[0] : undefined
    }
    if (parent === '') return undefined
    parent = parent.slice(0, parent.slice(0, -1).lastIndexOf('/') + 1)
  }
  return undefined
}

/** The distinct names (`folder/` or `object`) directly under `parent`, hidden ones left out. */
async function namesAt(client: S3Client, bucket: string, parent: string): Promise<string[]> {
  const names: string[] = []
  let startAfter: string | undefined
  for (let i = 0; i < 20; i++) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: parent || undefined, MaxKeys: 1000, ...(startAfter ? { StartAfter: startAfter } : {}) }))
    let last: string | undefined
    for (const c of page.Contents ?? []) {
      if (!c.Key) continue
      const rest = c.Key.slice(parent.length)
      const slash = rest.indexOf('/')
      const name = parent + (slash === -1 ? rest : rest.slice(0, slash + 1))
      if (name !== last && !names.includes(name) && !hiddenComponent(rest.split('/')[0])) names.push(name)
      last = name
    }
    if (!page.IsTruncated || last === undefined) break
    // Past every key under the last name seen (a folder's keys sort together).
    startAfter = last.endsWith('/') ? last + '\uffff' : last
  }
  return names
}
