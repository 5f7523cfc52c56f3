/**
 * Input discovery: turns the `<archive...>` arguments into an ordered list of sources.
 * Directories are walked recursively in sorted path order; `-` is standard input.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface Source {
  /** Path as the user will see it in reports ("-" for stdin). */
  path: string
  /** Size in bytes on disk (compressed size for gzip); undefined for stdin. */
  size?: number
}

export interface SourceProblem {
  file: string
  reason: string
}

export interface SourceList {
  sources: Source[]
  /** Paths that do not exist or cannot be read: reported, the run goes on. */
  problems: SourceProblem[]
}

/** Names that are never message data in an export tree (OS/tool droppings). */
const IGNORED_NAMES = new Set(['Thumbs.db'])

export async function listSources(inputs: string[]): Promise<SourceList> {
  const sources: Source[] = []
  const problems: SourceProblem[] = []
  for (const input of inputs) {
    if (input === '-') {
      sources.push({ path: '-' })
      continue
    }
    await walk(input, sources, problems)
  }
  return { sources, problems }
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
  if (info.isFile()) out.push({ path, size: info.size })
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
