/**
 * How a line's read side is counted (messages, duplicates, rejections by category, filters by
 * reason): once, for every command. A replay applies it as each line settles (committer.ts);
 * inspect, diff-mappings and migrate --verify as each line is read (src/pipeline/index.ts).
 */
export interface ReadCounts {
  messages: number
  duplicates: number
  rejected: number
  rejectedByReason: Record<string, number>
  filtered: Record<string, number>
}

export type CountedLine = { kind: 'rejected'; category: string } | { kind: 'filtered'; reason: string; duplicate?: boolean } | { kind: 'message'; duplicate?: boolean }

export function countRead(c: ReadCounts, line: CountedLine): void {
  if (line.kind === 'rejected') {
    c.rejected++
    c.rejectedByReason[line.category] = (c.rejectedByReason[line.category] ?? 0) + 1
    return
  }
  // A filtered line is a message too (another shard's lines included): read, then left out.
  c.messages++
  if (line.duplicate) c.duplicates++
  if (line.kind === 'filtered') c.filtered[line.reason] = (c.filtered[line.reason] ?? 0) + 1
}

export interface InputProblems {
  /** `retryable`: the read failed in a way that may pass (an s3:// object failing past its retries): a later run may read it. */
  unreadableFiles: Array<{ file: string; reason: string; retryable?: boolean }>
  skippedPaths: Array<{ path: string; reason: string }>
}

/**
 * Notes a file that could not be read (once: a resumed run meets it again); false when known already.
 * A file listed by an earlier run that fails again in another way (another byte, deleted since, a
 * transient failure now) keeps only this run's reason: a stale `retryable` entry would keep a
 * deleted object at exit 75 for ever, a stale permanent one would hide that a rerun may read it.
 */
export function noteUnreadable(c: InputProblems, file: string, reason: string, retryable?: boolean): boolean {
  const entry = retryable ? { file, reason, retryable: true } : { file, reason }
  const i = c.unreadableFiles.findIndex((u) => u.file === file)
  if (i < 0) {
    c.unreadableFiles.push(entry)
    return true
  }
  const known = c.unreadableFiles[i]
  c.unreadableFiles[i] = entry
  c.unreadableFiles = c.unreadableFiles.filter((u, j) => j <= i || u.file !== file)
  return !(known.reason === reason && Boolean(known.retryable) === Boolean(retryable))
}

/** Notes a path left out because it leads to what is read already (links, loops); false when known already. */
export function noteSkipped(c: InputProblems, path: string, reason: string): boolean {
  if (c.skippedPaths.some((p) => p.path === path)) return false
  c.skippedPaths.push({ path, reason })
  return true
}
