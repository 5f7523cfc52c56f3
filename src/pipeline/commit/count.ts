/**
 * How a line's read side is counted (messages, duplicates, rejections by category, filters by
 * reason): once, for every command. A replay applies it as each line settles (committer.ts);
 * inspect, diff-mappings and migrate --verify as each line is read (replay/pipeline.ts).
 */
export interface ReadCounts {
  messages: number
  duplicates: number
  rejected: number
  rejectedByReason: Record<string, number>
  filtered: Record<string, number>
}

export type CountedLine =
  | { kind: 'rejected'; category: string }
  | { kind: 'filtered'; reason: string; duplicate?: boolean }
  | { kind: 'message'; duplicate?: boolean }

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
