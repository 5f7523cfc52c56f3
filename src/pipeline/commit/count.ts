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
  unreadableFiles: Array<{ file: string; reason: string }>
  skippedPaths: Array<{ path: string; reason: string }>
}

/** Notes a file that could not be read (once: a resumed run meets it again); false when known already. */
export function noteUnreadable(c: InputProblems, file: string, reason: string): boolean {
  if (c.unreadableFiles.some((u) => u.file === file && u.reason === reason)) return false
  c.unreadableFiles.push({ file, reason })
  return true
}

/** Notes a path left out because it leads to what is read already (links, loops); false when known already. */
export function noteSkipped(c: InputProblems, path: string, reason: string): boolean {
  if (c.skippedPaths.some((p) => p.path === path)) return false
  c.skippedPaths.push({ path, reason })
  return true
}
