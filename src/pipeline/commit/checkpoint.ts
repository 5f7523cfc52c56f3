/**
 * The checkpoint: what it holds (position, lines settled ahead of it, partly sent lines), the
 * range arithmetic on it, and the run id that makes re-running the same command resume. Where and
 * how it is stored is `state-dir.ts`'s.
 */
import { sourceIdentity, type Source } from '../source/sources.js'
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import type { SourceRef } from '../../types.js'

/** v2: per-file completion (completed.ndjson) and the settled lines ahead of the position. */
export const CHECKPOINT_VERSION = 2

export interface Checkpoint<C = unknown> {
  version: number
  runId: string
  /** Every line up to and including this position (within its file) has reached its final place. */
  position: SourceRef | null
  /** Lines after `position` that reached their final place too, as inclusive ranges per file. */
  ahead: Array<{ file: string; lines: Array<[number, number]> }>
  /**
   * Lines not settled yet of which some records were acknowledged (record indexes, in the order
   * the line's mappings produce them): a resumed run sends only the others.
   */
  partial?: Array<{ file: string; line: number; acked: number[] }>
  /** Identity of each file that `position`, `ahead` or `partial` names (a changed file cannot be resumed). */
  open: Record<string, string>
  /** Byte lengths of the append-only files when this was written (resume truncates back to them). */
  files: { deadLetter: number; rejected: number; completed: number }
  /** s3:// state: how many part objects of each append-only file this checkpoint covers (parts 1..n). */
  parts?: { deadLetter: number; rejected: number; completed: number }
  counts: C
  updatedAt: string
  done: boolean
  /** `--shard K/N` runs: which shard, and the run id the shards share (`segamp status` groups by it). */
  shard?: { index: number; count: number; group: string }
  /** The inputs as this run found them (what `segamp status` measures what remains against). */
  inputs?: { files: number; bytes: number }
}

/** Settled refs (in read order) → inclusive line ranges per file. Pure. */
export function toRanges(refs: SourceRef[]): Checkpoint['ahead'] {
  const out: Checkpoint['ahead'] = []
  const byFile = new Map<string, Array<[number, number]>>()
  for (const ref of refs) {
    let lines = byFile.get(ref.file)
    if (!lines) {
      byFile.set(ref.file, (lines = []))
      out.push({ file: ref.file, lines })
    }
    const last = lines[lines.length - 1]
    if (last && ref.line === last[1] + 1) last[1] = ref.line
    else lines.push([ref.line, ref.line])
  }
  return out
}

/** Two range lists as one (ranges of a file are merged where they touch or overlap). Pure. */
export function mergeRanges(a: Checkpoint['ahead'], b: Checkpoint['ahead']): Checkpoint['ahead'] {
  if (a.length === 0) return b
  const byFile = new Map<string, Array<[number, number]>>()
  for (const { file, lines } of [...a, ...b]) byFile.set(file, [...(byFile.get(file) ?? []), ...lines])
  return [...byFile].map(([file, lines]) => {
    const sorted = lines.map(([x, y]) => [x, y] as [number, number]).sort((p, q) => p[0] - q[0])
    const out: Array<[number, number]> = []
    for (const r of sorted) {
      const last = out[out.length - 1]
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1])
      else out.push(r)
    }
    return { file, lines: out }
  })
}

/** What a resumed run must not read again, given its checkpoint and its completed files. Pure. */
export function resumeFilter(cp: Pick<Checkpoint, 'position' | 'ahead'>): (file: string, line: number) => boolean {
  const ahead = new Map(cp.ahead.map((a) => [a.file, a.lines]))
  const pos = cp.position
  return (file, line) => {
    if (pos && file === pos.file && line <= pos.line) return true
    const ranges = ahead.get(file)
    if (!ranges) return false
    for (const [a, b] of ranges) if (line >= a && line <= b) return true
    return false
  }
}

/** Stable id of a replay: the inputs, mappings and options that decide what is sent. */
export function runIdFor(parts: { inputs: string[]; mappingsText: string; options: Record<string, unknown> }): string {
  const h = createHash('sha256')
  // Local paths are made absolute (the same run from another directory); stdin and s3:// URLs are kept as given.
  h.update(JSON.stringify(parts.inputs.map((p) => (p === '-' || /^s3:\/\//i.test(p) ? p : resolve(p)))))
  h.update('\u0000')
  h.update(parts.mappingsText)
  h.update('\u0000')
  h.update(JSON.stringify(parts.options))
  return h.digest('hex').slice(0, 12)
}

/**
 * A resumed run trusts its checkpoint only for the files it describes as they were: a completed
 * or half-read file whose size, time or ETag changed stops the run (it cannot tell what was sent
 * from it); files added since are read in full, and said so.
 */
export function checkInputsUnchanged(previous: Checkpoint<unknown>, completed: Map<string, string>, sources: Source[], warn?: (text: string) => void): void {
  const now = new Map(sources.map((s) => [s.path, sourceIdentity(s)]))
  const changed: string[] = []
  const removed: string[] = []
  const added: string[] = []
  for (const [file, id] of [...completed, ...Object.entries(previous.open ?? {})]) {
    const current = now.get(file)
    if (current === undefined) {
      if (!completed.has(file)) removed.push(file)
    } else if (current !== id && !changed.includes(file)) changed.push(file)
  }
  for (const file of now.keys()) if (!completed.has(file) && !(file in (previous.open ?? {}))) added.push(file)
  if (changed.length > 0 || removed.length > 0) {
    const list = [...changed.map((f) => `${f} (changed)`), ...removed.map((f) => `${f} (no longer among the inputs)`)]
    throw new Error(
      `inputs changed since the checkpoint (${added.length} file(s) added, ${changed.length} changed, ${removed.length} half-read file(s) gone): ${list.slice(0, 5).join(', ')}${list.length > 5 ? `, and ${list.length - 5} more` : ''}. A resumed run cannot tell what was sent from them: restore the files, or rerun with --fresh to start over (Amplitude drops resent events by insert_id within 7 days), or use another --state-dir`,
    )
  }
  if (added.length > 0) warn?.(`${added.length} file(s) added since the checkpoint are read in full: ${added.slice(0, 3).join(', ')}${added.length > 3 ? ', …' : ''}`)
}
