/**
 * The replay state directory: checkpoint.json (written atomically: temp file + rename), a lock
 * file against two runs on one directory, and the run id that makes re-running the same command
 * resume. Nothing secret is ever written here.
 */
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, truncateSync, statSync, writeFileSync, writeSync, fsyncSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { SourceRef } from '../types.js'

export const CHECKPOINT_VERSION = 1

export interface Checkpoint<C = unknown> {
  version: number
  runId: string
  /** Every line up to and including this position has reached its final place. */
  position: SourceRef | null
  /** Byte lengths of the append-only files at `position` (resume truncates back to them). */
  files: { deadLetter: number; rejected: number }
  counts: C
  updatedAt: string
  done: boolean
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

export function readCheckpoint<C>(dir: string): Checkpoint<C> | undefined {
  const path = join(dir, 'checkpoint.json')
  if (!existsSync(path)) return undefined
  let value: Checkpoint<C>
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint<C>
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); use --fresh to start over`)
  }
  if (value.version !== CHECKPOINT_VERSION) throw new Error(`${path} was written by another segamp version (v${value.version}); use --fresh to start over`)
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

export class StateLockedError extends Error {}

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
