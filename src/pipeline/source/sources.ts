/**
 * Input discovery: turns the `<archive...>` arguments into an ordered list of sources.
 * Directories are walked recursively in sorted path order; `-` is standard input;
 * `s3://bucket/prefix` lists objects in the same order (s3/index.ts).
 * Links are followed without reading anything twice (see `Walk`).
 */
import { statSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import type { S3Settings } from './s3/client.js'

export interface Source {
  /** Path as the user will see it in reports ("-" for stdin). */
  path: string
  /** Size in bytes on disk (compressed size for gzip); undefined for stdin. */
  size?: number
  /** Last modification time (local files): with the size, what tells a changed file on resume. */
  mtimeMs?: number
  /** Entity tag (objects in a store): what tells a changed object on resume. */
  etag?: string
  /** Opens the bytes of a source that is not a local path (S3 objects). */
  open?: () => Readable
  /**
   * Set for a path given on the command line that is not a regular file (a named pipe, `<(…)`,
   * /dev/stdin, a character device): it is read once like `-`, so a run reading it cannot resume.
   */
  stream?: StreamKind
}

export type StreamKind = 'named pipe' | 'character device' | 'socket'

/** What kind of non-regular file `info` is, for messages; undefined for files and folders. */
function specialKind(info: { isFIFO(): boolean; isCharacterDevice(): boolean; isSocket(): boolean; isBlockDevice(): boolean }): string | undefined {
  if (info.isFIFO()) return 'named pipe'
  if (info.isCharacterDevice()) return 'character device'
  if (info.isSocket()) return 'socket'
  if (info.isBlockDevice()) return 'block device'
  return undefined
}

/**
 * Inputs given on the command line that are read once like `-` (named pipes, `<(…)`, /dev/stdin,
 * character devices): a run reading one cannot be resumed. Checked without opening them.
 */
export function streamInputs(inputs: string[]): Array<{ input: string; kind: StreamKind }> {
  const out: Array<{ input: string; kind: StreamKind }> = []
  for (const input of inputs) {
    if (input === '-' || /^s3:\/\//i.test(input)) continue
    try {
      const kind = specialKind(statSync(input))
      if (kind && kind !== 'block device') out.push({ input, kind: kind as StreamKind })
    } catch {
      // A missing path is reported when the inputs are listed.
    }
  }
  return out
}

export interface ListSourcesOptions {
  /** How `s3://` inputs are reached (credentials profile, endpoint, path style, read-ahead). */
  s3?: S3Settings
  /** --since in epoch ms: S3 listings skip received-day folders too old to hold a kept message. */
  sinceMs?: number
  /**
   * Paths segamp writes during the run (the state directory, --out): never read as input, even
   * inside an input tree. Each is named as skipped with `what` it is.
   */
  exclude?: Array<{ path: string; what: string }>
  /** S3 listing progress: objects and bytes listed so far, day folders skipped. */
  onListing?: (p: { objects: number; bytes: number; prunedFolders: number; dayObjects: number; input: string }) => void
}

export interface SourceProblem {
  file: string
  reason: string
}

export interface SourceList {
  sources: Source[]
  /** Paths that do not exist or cannot be read: reported, the run goes on. */
  problems: SourceProblem[]
  /** Paths not read because they lead to a file or folder read already (links, loops): said once each. */
  skipped: Array<{ path: string; reason: string }>
  /**
   * Inputs that exist but matched no file or object (an empty folder, a tree of hidden files, an
   * s3:// prefix with no object), each with why and, for S3, the nearest prefix that has objects.
   */
  unmatched: UnmatchedInput[]
  /** Releases what listing opened (S3 clients, objects read ahead). */
  close?: () => void
}

export interface UnmatchedInput {
  input: string
  reason: string
  /** An existing s3:// prefix close to the one given (a likely typo). */
  nearest?: string
}

/** Names that are never message data in an export tree (OS/tool droppings). */
const IGNORED_NAMES = new Set(['Thumbs.db'])

/**
 * Symbolic links are followed, but every real file and folder (device + inode) is read once, at
 * the first path that reaches it in sorted order. A link back into its own ancestors (a loop) is
 * not followed. Both are reported once, as skipped paths, and cost nothing further.
 */
interface Walk {
  out: Source[]
  problems: SourceProblem[]
  skipped: SourceList['skipped']
  /** device:inode → the path it was first reached by. */
  seen: Map<string, string>
  /** Folder entries seen, hidden ones included (tells an empty folder from one of hidden files). */
  entries: number
  /** Absolute path → what segamp writes there (ListSourcesOptions.exclude). */
  exclude: Map<string, string>
}

export async function listSources(inputs: string[], opts: ListSourcesOptions = {}): Promise<SourceList> {
  const w: Walk = { out: [], problems: [], skipped: [], seen: new Map(), entries: 0, exclude: new Map((opts.exclude ?? []).map((e) => [resolve(e.path), e.what])) }
  // Loaded only when needed: the AWS SDK is large and most runs read local files.
  const s3Inputs = inputs.filter((i) => /^s3:\/\//i.test(i))
  const s3 = s3Inputs.length > 0 ? await (await import('./s3/index.js')).listS3(s3Inputs, { settings: opts.s3, sinceMs: opts.sinceMs, onListing: opts.onListing }) : undefined
  const unmatched: UnmatchedInput[] = []
  // Stdin and each s3:// object are read once, like a local file reached by two paths: an input
  // given twice, or a prefix inside another, would read the same lines again under the same name.
  const listed = new Set<string>()
  for (const input of inputs) {
    if (input === '-') {
      if (listed.has('-')) w.skipped.push({ path: '-', reason: 'stdin given again: read once' })
      else w.out.push({ path: '-' })
      listed.add('-')
      continue
    }
    const objects = s3?.byInput.get(input)
    if (objects) {
      const fresh = objects.filter((o) => !listed.has(o.path))
      for (const o of fresh) listed.add(o.path)
      if (fresh.length < objects.length)
        w.skipped.push({ path: input, reason: `${objects.length - fresh.length} of its ${objects.length} object(s) also under an input given before it: read once` })
      w.out.push(...fresh)
      if (objects.length === 0) {
        const nearest = s3?.nearest.get(input)
        unmatched.push({
          input,
          reason: opts.sinceMs !== undefined ? 'no object under this prefix (after skipping the day folders before --since)' : 'no object under this prefix',
          ...(nearest ? { nearest } : {}),
        })
      }
      continue
    }
    const before = { out: w.out.length, problems: w.problems.length, skipped: w.skipped.length, entries: w.entries }
    await walk(input, w, new Map(), true)
    if (w.out.length === before.out && w.problems.length === before.problems) {
      const skipped = w.skipped.length - before.skipped
      const reason =
        w.entries === before.entries && skipped === 0
          ? 'an empty folder'
          : `no file to read in this folder${skipped > 0 ? ` (${skipped} path(s) skipped, listed above)` : ' (only hidden files)'}`
      unmatched.push({ input, reason })
    }
  }
  return { sources: w.out, problems: w.problems, skipped: w.skipped, unmatched, close: s3?.close }
}

/** What must not have changed for a resumed run to trust its checkpoint about a source. */
export function sourceIdentity(source: Source): string {
  if (source.path === '-') return 'stdin'
  if (source.stream) return 'stream'
  if (source.etag !== undefined) return `etag:${source.etag}`
  return `size:${source.size ?? '?'},mtime:${source.mtimeMs ?? '?'}`
}

async function walk(path: string, w: Walk, ancestors: Map<string, string>, given = false): Promise<void> {
  const own = w.exclude.size > 0 ? w.exclude.get(resolve(path)) : undefined
  if (own !== undefined) {
    w.skipped.push({ path, reason: `${own}, written by this run: not read` })
    return
  }
  let info
  try {
    info = await stat(path)
  } catch (error) {
    w.problems.push({ file: path, reason: describeFsError(error) })
    return
  }
  const id = `${info.dev}:${info.ino}`
  const loopTo = ancestors.get(id)
  if (loopTo !== undefined) {
    w.skipped.push({ path, reason: `link loop: leads back to ${loopTo}; not followed` })
    return
  }
  const first = w.seen.get(id)
  if (first !== undefined) {
    w.skipped.push({ path, reason: `same ${info.isDirectory() ? 'folder' : 'file'} as ${first} (a link); read once` })
    return
  }
  w.seen.set(id, path)
  if (info.isDirectory()) {
    let entries: string[]
    try {
      const all = await readdir(path)
      w.entries += all.length
      // Hidden entries (.DS_Store, .complete markers, editor files) are never export data.
      entries = all.filter((name) => !name.startsWith('.') && !IGNORED_NAMES.has(name))
    } catch (error) {
      w.problems.push({ file: path, reason: describeFsError(error) })
      return
    }
    entries.sort()
    const inner = new Map(ancestors).set(id, path)
    for (const name of entries) await walk(join(path, name), w, inner)
    return
  }
  if (info.isFile()) {
    w.out.push({ path, size: info.size, mtimeMs: info.mtimeMs })
    return
  }
  const kind = specialKind(info)
  // Given by name (a FIFO, <(…), /dev/stdin): read once, like -. Met inside a tree: named, not read
  // (opening a pipe nobody writes to would wait forever).
  if (given && kind && kind !== 'block device') w.out.push({ path, stream: kind as StreamKind })
  else w.skipped.push({ path, reason: `${kind === 'named pipe' ? 'a named pipe (FIFO)' : `a ${kind ?? 'special file'}`}, not a regular file: not read` })
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
    case 'ELOOP':
      return 'too many levels of symbolic links (a link that points to itself)'
    default:
      return err?.message ?? String(error)
  }
}
