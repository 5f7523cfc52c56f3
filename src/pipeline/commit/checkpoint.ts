/**
 * The checkpoint: what it holds (position, lines settled ahead of it, partly sent lines), the
 * range arithmetic on it, and the run id that makes re-running the same command resume. Where and
 * how it is stored is `state-dir.ts`'s.
 */
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import type { SourceRef } from '../../types.js'
import { SegampError } from '../../errors.js'

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

/** A file's line ranges already written as JSON text (`[[from,to],…]`, as the ledger makes it). */
export class LinesJson {
  constructor(readonly text: string) {}
  toJSON(): Array<[number, number]> {
    return JSON.parse(this.text) as Array<[number, number]>
  }
}

/** `ahead` as a writer takes it: each file's ranges as pairs, or as their JSON text made already. */
export type AheadDraft = Array<{ file: string; lines: Array<[number, number]> | LinesJson }>

/** A checkpoint as a run hands it to its state directory (which adds the sizes of its files). */
export type CheckpointDraft<C> = Omit<Checkpoint<C>, 'files' | 'parts' | 'ahead'> & { ahead: AheadDraft }

/**
 * A checkpoint's text as stored: indented JSON, except its line lists (`ahead`, `partial`), which
 * take one line each — an open window of a live run can hold thousands of ranges, written after
 * every response. Parses to the same value as `JSON.stringify(cp, null, 2)`. Pure.
 */
export function checkpointText(cp: object): string {
  const fields: string[] = []
  for (const [key, value] of Object.entries(cp)) {
    if (value === undefined) continue
    const text = key === 'ahead' ? aheadText(value as AheadDraft) : key === 'partial' ? JSON.stringify(value) : JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')
    fields.push(`  ${JSON.stringify(key)}: ${text}`)
  }
  return `{\n${fields.join(',\n')}\n}\n`
}

/**
 * The same checkpoint as one line of JSON (what a checkpoint slot holds, written after every
 * response: no indentation to build). Parses to the same value as `checkpointText`. Pure.
 */
export function checkpointLine(cp: object): string {
  let text = ''
  for (const [key, value] of Object.entries(cp)) {
    if (value === undefined) continue
    text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${key === 'ahead' ? aheadText(value as AheadDraft) : JSON.stringify(value)}`
  }
  return text === '' ? '{}' : text + '}'
}

/** `JSON.stringify(ahead)`, taking ranges written as text already as they are. */
function aheadText(ahead: AheadDraft): string {
  return `[${ahead.map((a) => `{"file":${JSON.stringify(a.file)},"lines":${a.lines instanceof LinesJson ? a.lines.text : JSON.stringify(a.lines)}}`).join(',')}]`
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
 * from it); files added since are read in full, and said so. `now`: each input's path → its
 * identity (source/'s sourceIdentity), as the run found them.
 */
export function checkInputsUnchanged(previous: Checkpoint<unknown>, completed: Map<string, string>, now: ReadonlyMap<string, string>, warn?: (text: string) => void): void {
  const changed: string[] = []
  const removed: string[] = []
  const added: string[] = []
  for (const [file, id] of [...completed, ...Object.entries(previous.open ?? {})]) {
    const current = now.get(file)
    if (current === undefined) {
      if (!completed.has(file)) removed.push(file)
    } else if (current !== id && !changed.includes(file)) changed.push(file)
  }
  // "Added" are only the files that sort before the position: those after it were simply not
  // reached yet. Files unreadable last time are read again, and said so apart.
  const unreadable = new Set(((previous.counts as { unreadableFiles?: Array<{ file: string }> } | undefined)?.unreadableFiles ?? []).map((u) => u.file))
  const reread: string[] = []
  const beforePosition = sortsBefore(previous.position?.file, [...now.keys()])
  for (const file of now.keys()) {
    if (completed.has(file) || file in (previous.open ?? {})) continue
    if (unreadable.has(file)) reread.push(file)
    else if (beforePosition(file)) added.push(file)
  }
  if (changed.length > 0 || removed.length > 0) {
    const list = [...changed.map((f) => `${f} (changed)`), ...removed.map((f) => `${f} (no longer among the inputs)`)]
    throw new SegampError(
      `inputs changed since the checkpoint (${added.length} file(s) added, ${changed.length} changed, ${removed.length} half-read file(s) gone): ${list.slice(0, 5).join(', ')}${list.length > 5 ? `, and ${list.length - 5} more` : ''}. A resumed run cannot tell what was sent from them: restore the files, or rerun with --fresh to start over (Amplitude drops resent events by insert_id within 7 days), or use another --state-dir`,
      {
        code: 'inputs-changed',
        hint: 'Restore the inputs as they were, or rerun with --fresh (Amplitude drops resent events by insert_id within 7 days), or use another --state-dir. Retrying as is fails the same way.',
      },
    )
  }
  if (added.length > 0) warn?.(`${added.length} file(s) added since the checkpoint are read in full: ${added.slice(0, 3).join(', ')}${added.length > 3 ? ', …' : ''}`)
  if (reread.length > 0) warn?.(`${reread.length} file(s) unreadable on the last run are read again: ${reread.slice(0, 3).join(', ')}${reread.length > 3 ? ', …' : ''}`)
}

/** Whether a file comes before `position` in read order (`paths`), or in path order when the position's file is gone. Pure. */
function sortsBefore(position: string | undefined, paths: string[]): (file: string) => boolean {
  if (position === undefined) return () => false
  const at = paths.indexOf(position)
  const index = new Map(paths.map((p, i) => [p, i]))
  return (file) => (at >= 0 ? (index.get(file) ?? Infinity) < at : file < position)
}
