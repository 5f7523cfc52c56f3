/**
 * The replay state directory: checkpoint.json (written atomically: temp file + rename), a lock
 * file against two runs on one directory, and the run id that makes re-running the same command
 * resume. Nothing secret is ever written here.
 */
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, truncateSync, statSync, writeFileSync, writeSync, fsyncSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { SourceRef } from '../../types.js'
import { exitCodes, SegampError } from '../../errors.js'

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

/** completed.ndjson: one `{"file","id"}` line per file all of whose lines reached their final place. */
export function readCompletedFiles(path: string, bytes: number): Map<string, string> {
  const out = new Map<string, string>()
  if (!existsSync(path) || bytes === 0) return out
  const text = readFileSync(path).subarray(0, bytes).toString('utf8')
  for (const line of text.split('\n')) {
    if (!line) continue
    const { file, id } = JSON.parse(line) as { file: string; id: string }
    out.set(file, id)
  }
  return out
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

export function readCheckpoint<C>(dir: string, o: { anyVersion?: boolean } = {}): Checkpoint<C> | undefined {
  const path = join(dir, 'checkpoint.json')
  if (!existsSync(path)) return undefined
  let value: Checkpoint<C>
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint<C>
  } catch (error) {
    throw new SegampError(`${path} is not valid JSON (${(error as Error).message}); use --fresh to start over`, {
      code: 'checkpoint-unreadable',
      hint: 'The checkpoint was cut or edited: rerun with --fresh to start over (Amplitude drops resent events by insert_id within 7 days), or restore checkpoint.json from a copy.',
    })
  }
  if (value.version !== CHECKPOINT_VERSION && !o.anyVersion) {
    throw new SegampError(`${path} was written by another segamp version (v${value.version}); use --fresh to start over`, {
      code: 'checkpoint-version',
      hint: 'Finish the run with the segamp version that started it, or rerun with --fresh to start over.',
    })
  }
  return value
}

export function writeCheckpoint<C>(dir: string, checkpoint: Checkpoint<C>): void {
  const path = join(dir, 'checkpoint.json')
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, JSON.stringify(checkpoint, null, 2) + '\n')
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/** Cuts an append-only file back to `bytes` (what was committed at the checkpoint). */
export function truncateTo(path: string, bytes: number): void {
  if (!existsSync(path)) return
  if (statSync(path).size > bytes) truncateSync(path, bytes)
}

export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0
}

/** A live run holds the state directory: exit 75 (TEMPFAIL), the same command works once it ends. */
export class StateLockedError extends SegampError {
  constructor(message: string) {
    super(message, {
      code: 'state-locked',
      exitCode: exitCodes.TEMPFAIL,
      hint: 'Two runs must not share a state directory: let the other run finish (see its progress, or `segamp status <state-dir>`), or give this one its own --state-dir.',
    })
    this.name = 'StateLockedError'
  }
}

/** State directories locked by this process (its own pid in a lock file is not a stale lock). */
const heldHere = new Set<string>()

/**
 * Takes `<dir>/lock` (O_EXCL). A lock left by a process that no longer exists (SIGKILL, crash)
 * is taken over; a live one stops this run.
 */
export function acquireLock(dir: string): { release(): void; stale?: number } {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'lock')
  const key = resolve(dir)
  if (heldHere.has(key)) throw new StateLockedError(`another replay in this process is using ${dir}; wait for it to finish, or use another --state-dir`)
  let stale: number | undefined
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }) + '\n')
      closeSync(fd)
      heldHere.add(key)
      let released = false
      return {
        stale,
        release() {
          if (released) return
          released = true
          heldHere.delete(key)
          rmSync(path, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let pid = 0
      try {
        pid = Number(JSON.parse(readFileSync(path, 'utf8')).pid)
      } catch {
        /* unreadable lock: treat as stale */
      }
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new StateLockedError(`another segamp run (pid ${pid}) is using ${dir}; wait for it to finish, or use another --state-dir (if no run is active, delete ${path})`)
      }
      stale = pid
      rmSync(path, { force: true })
    }
  }
  throw new StateLockedError(`could not take the lock ${path}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n')
  renameSync(tmp, path)
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
  for (const file of now.keys()) if (!completed.has(file) && !(file in (previous.open ?? {}))) added.push(file)
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
}
