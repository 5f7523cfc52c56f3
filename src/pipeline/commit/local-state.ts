/**
 * A state directory on a local (or mounted) file system: checkpoint.json written atomically
 * (temp file + rename) after every response, append-only NDJSON files whose sizes the
 * checkpoint records (a resume cuts them back to those sizes), report.json, and a lock file
 * (O_EXCL) whose pid tells a live run from a crashed one.
 *
 * Durability: a killed process (SIGKILL, OOM, a pod stopped) loses nothing, since each write is in
 * the kernel once it returns, whether or not it reached the disk. Against the machine itself
 * stopping (power, kernel panic), the append-only files and then the checkpoint are forced to
 * disk (fsync) at most every `FSYNC_EVERY_MS` and for the last checkpoint: such a crash resumes
 * from a checkpoint at most that old, consistent with its files. An fsync after every response
 * cost more than a tenth of a live run's CPU.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { checkpointText, type Checkpoint } from './checkpoint.js'
import { PRIVATE_FILE_MODE, privateDir, secureFile } from './private-files.js'
import type { ReplayReport } from './report.js'
import { LOG_NAMES, parseCheckpoint, STATE_FILES, StateLockedError, type LogName, type StateDir, type StateFile, type StateLock, type StateWriter } from './state-dir.js'

/** How often a checkpoint and the files it counts are forced to disk (see above). */
export const FSYNC_EVERY_MS = 1000

/** State directories locked by this process (its own pid in a lock file is not a stale lock). */
const heldHere = new Set<string>()

export class LocalStateDir implements StateDir {
  readonly remote = false
  readonly cadence = undefined
  constructor(readonly location: string) {}

  where(file: StateFile): string {
    return join(this.location, STATE_FILES[file])
  }

  /**
   * Takes `<dir>/lock` (O_EXCL). A lock left by a process that no longer exists (SIGKILL, crash)
   * is taken over; a live one stops this run.
   */
  async lock(): Promise<StateLock> {
    const dir = this.location
    privateDir(dir)
    const path = this.where('lock')
    const key = resolve(dir)
    if (heldHere.has(key)) throw new StateLockedError(`another replay in this process is using ${dir}; wait for it to finish, or use another --state-dir`)
    let stale: string | undefined
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', PRIVATE_FILE_MODE)
        writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }) + '\n')
        closeSync(fd)
        heldHere.add(key)
        let released = false
        return {
          stale,
          async release() {
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
        stale = `pid ${pid}`
        rmSync(path, { force: true })
      }
    }
    throw new StateLockedError(`could not take the lock ${path}`)
  }

  async readCheckpoint<C>(o: { anyVersion?: boolean } = {}): Promise<Checkpoint<C> | undefined> {
    const path = this.where('checkpoint')
    if (!existsSync(path)) return undefined
    return parseCheckpoint<C>(readFileSync(path, 'utf8'), path, o)
  }

  async readLog(name: LogName, cp?: Pick<Checkpoint, 'files'>): Promise<string[]> {
    const path = this.where(name)
    if (!existsSync(path)) return []
    let buf = readFileSync(path)
    if (cp) buf = buf.subarray(0, cp.files[name])
    return buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0)
  }

  async openWriter(previous?: Pick<Checkpoint, 'files'>): Promise<StateWriter> {
    privateDir(this.location)
    const fds = {} as Record<LogName, number>
    const bytes = {} as Record<LogName, number>
    for (const name of LOG_NAMES) {
      const path = this.where(name)
      truncateTo(path, previous?.files[name] ?? 0)
      fds[name] = openSync(path, 'a', PRIVATE_FILE_MODE)
      secureFile(path)
      bytes[name] = fileSize(path)
    }
    const path = join(this.location, STATE_FILES.checkpoint)
    let lastSync = 0
    /** The last checkpoint's text while it is not on disk yet (the run's end writes it durably). */
    let unsynced: string | undefined
    const write = (text: string, sync: boolean): void => {
      if (sync) {
        // The files first: a checkpoint on disk never counts bytes that are not.
        for (const name of LOG_NAMES) fsyncSync(fds[name])
        lastSync = Date.now()
      }
      writeTextAtomic(path, text, sync)
      unsynced = sync ? undefined : text
    }
    return {
      append(name, text) {
        writeSync(fds[name], text)
        bytes[name] += Buffer.byteLength(text)
      },
      checkpoint(cp) {
        write(checkpointText({ ...cp, files: { ...bytes } }), cp.done || Date.now() - lastSync >= FSYNC_EVERY_MS)
      },
      async flush() {},
      async close() {
        // However the run ended (done, interrupted, stopped), its last checkpoint is made durable.
        // It is in place already: if this fails (a full disk), the checkpoint stands as written.
        if (unsynced !== undefined) {
          try {
            write(unsynced, true)
          } catch {
            /* see above */
          }
        }
        for (const name of LOG_NAMES) closeSync(fds[name])
      },
    }
  }

  async readReport(): Promise<ReplayReport | undefined> {
    const path = this.where('report')
    if (!existsSync(path)) return undefined
    return JSON.parse(readFileSync(path, 'utf8')) as ReplayReport
  }

  async writeReport(report: ReplayReport): Promise<void> {
    privateDir(this.location)
    writeTextAtomic(this.where('report'), JSON.stringify(report, null, 2) + '\n', false)
  }

  close(): void {}
}

/** The path of one file of a local state directory (inspect writes rejected.ndjson there too). */
export function localStateFile(dir: string, file: StateFile): string {
  return join(dir, STATE_FILES[file])
}

function writeTextAtomic(path: string, text: string, sync: boolean): void {
  const tmp = `${path}.${process.pid}.tmp`
  // 0600 (and the directory 0700): what a state directory holds identifies a project and its users.
  if (!sync) writeFileSync(tmp, text, { mode: PRIVATE_FILE_MODE })
  else {
    const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE)
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
  renameSync(tmp, path)
}

/** Cuts an append-only file back to `bytes` (what was committed at the checkpoint). */
function truncateTo(path: string, bytes: number): void {
  if (!existsSync(path)) return
  if (statSync(path).size > bytes) truncateSync(path, bytes)
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
