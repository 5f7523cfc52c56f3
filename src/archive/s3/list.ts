/**
 * Lists the objects under `s3://bucket/prefix` (ListObjectsV2, paginated). Without --since it
 * is one flat listing; with --since it walks folder by folder (Delimiter "/") so that received-day
 * folders too old to hold a kept message are never listed (layout.ts).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys, dayFolderPrunable, hiddenComponent, segmentDayOf } from './layout.js'
import type { S3Location } from './url.js'

export interface ListedObject {
  key: string
  size: number
  etag?: string
}

export interface ListingProgress {
  objects: number
  bytes: number
  /** Received-day folders skipped by --since. */
  prunedFolders: number
}

export interface ListOptions {
  sinceMs?: number
  onProgress?: (p: ListingProgress) => void
}

export async function listObjects(client: S3Client, loc: S3Location, opts: ListOptions = {}): Promise<{ objects: ListedObject[]; prunedFolders: number }> {
  const stats: ListingProgress = { objects: 0, bytes: 0, prunedFolders: 0 }
  const found: ListedObject[] = []
  const add = (o: ListedObject) => {
    found.push(o)
    stats.objects++
    stats.bytes += o.size
  }

  async function* pages(prefix: string, delimiter?: string) {
    let token: string | undefined
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix || undefined, Delimiter: delimiter, ContinuationToken: token }))
      yield page
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  const takeContents = (contents: Array<{ Key?: string; Size?: number; ETag?: string }> | undefined) => {
    for (const c of contents ?? []) if (c.Key !== undefined) add({ key: c.Key, size: c.Size ?? 0, etag: c.ETag })
    opts.onProgress?.(stats)
  }

  async function flat(prefix: string): Promise<void> {
    for await (const page of pages(prefix)) takeContents(page.Contents)
  }

  async function walk(prefix: string): Promise<void> {
    for await (const page of pages(prefix, '/')) {
      takeContents(page.Contents)
      for (const cp of page.CommonPrefixes ?? []) {
        const folder = cp.Prefix
        if (!folder) continue
        const day = segmentDayOf(folder)
        if (day !== undefined) {
          if (dayFolderPrunable(day, opts.sinceMs!)) {
            stats.prunedFolders++
            opts.onProgress?.(stats)
          } else await flat(folder)
        } else await walk(folder)
      }
    }
  }

  if (opts.sinceMs === undefined) await flat(loc.prefix)
  else await walk(loc.prefix)

  // The prefix names a folder (or one object), not the start of other names: "logs/a" does not take "logs/ab/…".
  const folder = loc.prefix === '' || loc.prefix.endsWith('/') ? loc.prefix : loc.prefix + '/'
  const objects = found.filter((o) => {
    if (o.key !== loc.prefix && !o.key.startsWith(folder)) return false
    if (o.key.endsWith('/')) return false // folder marker objects
    const relative = o.key === loc.prefix ? '' : o.key.slice(folder.length)
    return !hiddenComponent(relative)
  })
  objects.sort((a, b) => compareKeys(a.key, b.key))
  return { objects, prunedFolders: stats.prunedFolders }
}
