/**
 * Input discovery: turns the `<archive...>` arguments into an ordered list of sources.
 * Directories are walked recursively in sorted path order; `-` is standard input;
 * `s3://bucket/prefix` lists objects in the same order (s3/index.ts).
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { S3Settings } from './s3/client.js'

export interface Source {
  /** Path as the user will see it in reports ("-" for stdin). */
  path: string
  /** Size in bytes on disk (compressed size for gzip); undefined for stdin. */
  size?: number
  /** Local files: modification time (with size, the file's identity for a checkpoint). */
  mtimeMs?: number
  /** S3 objects: the ETag from the listing (the object's identity for a checkpoint). */
  etag?: string
  /** Opens the bytes of a source that is not a local path (S3 objects). */
  open?: () => Readable
}

export interface ListSourcesOptions {
  /** How `s3://` inputs are reached (credentials profile, endpoint, path style, read-ahead). */
  s3?: S3Settings
  /** --since in epoch ms: S3 listings skip received-day folders too old to hold a kept message. */
  sinceMs?: number
  /** S3 listing progress: objects and bytes listed so far, day folders skipped. */
  onListing?: (p: { objects: number; bytes: number; prunedFolders: number; input: string }) => void
}

export interface SourceProblem {
  file: string
  reason: string
}

export interface SourceList {
  sources: Source[]
  /** Paths that do not exist or cannot be read: reported, the run goes on. */
  problems: SourceProblem[]
  /** Releases what listing opened (S3 clients, objects read ahead). */
  close?: () => void
}

/** Names that are never message data in an export tree (OS/tool droppings). */
const IGNORED_NAMES = new Set(['Thumbs.db'])

export async function listSources(inputs: string[], opts: ListSourcesOptions = {}): Promise<SourceList> {
  const sources: Source[] = []
  const problems: SourceProblem[] = []
  // Loaded only when needed: the AWS SDK is large and most runs read local files.
  const s3Inputs = inputs.filter((i) => /^s3:\/\//i.test(i))
  const s3 = s3Inputs.length > 0 ? await (await import('./s3/index.js')).listS3(s3Inputs, { settings: opts.s3, sinceMs: opts.sinceMs, onListing: opts.onListing }) : undefined
  for (const input of inputs) {
    if (input === '-') {
      sources.push({ path: '-' })
      continue
    }
    const objects = s3?.byInput.get(input)
    if (objects) {
      sources.push(...objects)
      continue
    }
    await walk(input, sources, problems)
  }
  return { sources, problems, close: s3?.close }
}

async function walk(path: string, out: Source[], problems: SourceProblem[]): Promise<void> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    problems.push({ file: path, reason: describeFsError(error) })
    return
  }
  if (info.isDirectory()) {
    let entries: string[]
    try {
      // Hidden entries (.DS_Store, .complete markers, editor files) are never export data.
      entries = (await readdir(path)).filter((name) => !name.startsWith('.') && !IGNORED_NAMES.has(name))
    } catch (error) {
      problems.push({ file: path, reason: describeFsError(error) })
      return
    }
    entries.sort()
    for (const name of entries) await walk(join(path, name), out, problems)
    return
  }
  if (info.isFile()) out.push({ path, size: info.size, mtimeMs: info.mtimeMs })
}

export function describeFsError(error: unknown): string {
  const err = error as NodeJS.ErrnoException
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    default:
      return err?.message ?? String(error)
  }
}
