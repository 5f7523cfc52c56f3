/**
 * A state directory on a local (or mounted) file system: checkpoint.json, append-only NDJSON
 * files whose sizes the checkpoint records (a resume cuts them back to those sizes), report.json,
 * and a lock file (O_EXCL) whose pid tells a live run from a crashed one.
 *
 * The checkpoint is written after every response. checkpoint.json is replaced atomically (temp
 * file + fsync + rename) for a run's first checkpoint, at most every `FSYNC_EVERY_MS` after that,
 * and for its last; the checkpoints in between go in place into two slot files kept open, in turn
 * (`checkpoint-slots.ts`: each whole slot is newer than checkpoint.json, a torn one is ignored).
 * `readCheckpoint` (resume, `segamp status`, `--retry-dead-letters`) returns the newest of the
 * three; a run that ends, however it ends, writes its last checkpoint to checkpoint.json and
 * removes the slots. A directory with checkpoint.json alone (an older segamp's) reads as before.
 *
 * Durability: a killed process (SIGKILL, OOM, a pod stopped) loses nothing, since each write is in
 * the kernel once it returns, whether or not it reached the disk. Against the machine itself
 * stopping (power, kernel panic), the append-only files and then checkpoint.json are forced to
 * disk (fsync) at most every `FSYNC_EVERY_MS` and for the last checkpoint: such a crash resumes
 * from a checkpoint at most that old, consistent with its files. An fsync after every response
 * cost more than a tenth of a live run's CPU, and a rename after every response another tenth.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { checkpointLine, checkpointText, type Checkpoint, type CheckpointDraft } from './checkpoint.js'
import { checkpointDigest, currentSlots, openSlots } from './checkpoint-slots.js'
import { PRIVATE_FILE_MODE, privateDir, secureFile } from './private-files.js'
import { SegampError, writeFailureText } from '../../errors.js'
import { visible } from '../../text.js'
import type { ReplayReport } from './report.js'
import { partName } from './s3-state.js'
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
    return readLocalCheckpoint<C>(this.location, o)
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

  async openWriter(previous?: Pick<Checkpoint, 'files'>, o: { onError?: (error: Error) => void; everyMs?: number } = {}): Promise<StateWriter> {
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
    const slots = openSlots(this.location)
    /** How far checkpoint.json may lag the newest checkpoint (in a slot), in ms. */
    const refreshMs = Math.min(o.everyMs ?? FSYNC_EVERY_MS, FSYNC_EVERY_MS)
    let lastSync = 0
    let lastJson = 0
    /** Digest of checkpoint.json as this writer last wrote it (the `base` of its slots). */
    let base: string | undefined
    /** The newest checkpoint while it is in a slot only: the slot's text. */
    let unsynced: string | undefined
    /** checkpoint.json's text while it is not forced to disk. */
    let unforced: string | undefined
    /** Set while a slot holds a checkpoint newer than checkpoint.json: writes it there within `refreshMs`. */
    let catchUp: NodeJS.Timeout | undefined
    const writeJson = (text: string, sync: boolean): void => {
      // The files first: a checkpoint on disk never counts bytes that are not.
      if (sync) for (const name of LOG_NAMES) fsyncSync(fds[name])
      writeTextAtomic(path, text, sync)
      lastJson = Date.now()
      if (sync) lastSync = lastJson
      base = checkpointDigest(text)
      unsynced = undefined
      unforced = sync ? undefined : text
    }
    /** The newest checkpoint into checkpoint.json (`sync`: forced to disk), if it is not there already. */
    const catchUpJson = (sync: boolean): void => {
      catchUp = undefined
      try {
        if (unsynced !== undefined) writeJson(checkpointText(JSON.parse(unsynced) as object), sync)
        else if (sync && unforced !== undefined) writeJson(unforced, true)
      } catch {
        /* the next checkpoint (or the close) writes it again, and reports what fails */
      }
    }
    /**
     * A write that failed (a full disk, a quota, a folder made read-only): the run must stop, and this
     * writer writes nothing more. The last checkpoint written stands: it counts only bytes the files
     * hold, so the resume starts there and never skips a line (a dead letter that did not reach its
     * file is sent again instead). Without `onError` the error is thrown, as before.
     */
    let failed = false
    const fail = (error: unknown, file: string): void => {
      if (failed) return
      failed = true
      const e = new SegampError(`${visible(file)}: cannot write the replay's state: ${writeFailureText(error)}`, {
        code: 'state-write',
        hint: 'Free space (or fix the permissions) where --state-dir is, then run the same command: it resumes from the last checkpoint written, and sends again only what that checkpoint does not count.',
      })
      if (o.onError) o.onError(e)
      else throw e
    }
    /** One checkpoint: into checkpoint.json (the first, the last, once a second), else into a slot. */
    const put = <C>(draft: CheckpointDraft<C>): void => {
      const cp = { ...draft, files: { ...bytes } }
      const now = Date.now()
      // The first one goes to checkpoint.json: slots follow a checkpoint.json this run wrote.
      if (base === undefined || cp.done || now - lastSync >= FSYNC_EVERY_MS) writeJson(checkpointText(cp), true)
      else if (now - lastJson >= refreshMs) writeJson(checkpointText(cp), false)
      else {
        const line = checkpointLine(cp)
        slots.write(base, line)
        unsynced = line
        // A run that goes quiet (throttled, waiting) has checkpoint.json current within refreshMs all the same.
        catchUp ??= setTimeout(() => catchUpJson(Date.now() - lastSync >= FSYNC_EVERY_MS), Math.max(0, lastJson + refreshMs - now)).unref()
      }
    }
    const where = (name: LogName): string => this.where(name)
    return {
      append(name, text) {
        if (failed) return
        try {
          const n = Buffer.byteLength(text)
          // A short write is the device filling up mid-line: the checkpoint's size cuts the piece off on resume.
          if (writeSync(fds[name], text) !== n) throw Object.assign(new Error('short write'), { code: 'ENOSPC' })
          bytes[name] += n
        } catch (error) {
          fail(error, where(name))
        }
      },
      checkpoint<C>(draft: CheckpointDraft<C>) {
        if (failed) return
        try {
          put(draft)
        } catch (error) {
          fail(error, path)
        }
      },
      async flush() {},
      async close() {
        // However the run ended (done, interrupted, stopped), its last checkpoint is made durable
        // and the slots go. If this fails (a full disk), the newest slot stands as written; so do
        // the slots of the run before when this one wrote no checkpoint (they are its newest).
        if (catchUp) clearTimeout(catchUp)
        catchUpJson(true)
        slots.close(base !== undefined && unsynced === undefined)
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

/**
 * A local copy of an s3:// state directory (`aws s3 sync`) holds each append-only file as the
 * numbered part objects it was written in (`dead-letter/part-000001.ndjson`, …), which a local
 * state directory reads as one file (`dead-letter.ndjson`): read as it is, the copy had no dead
 * letters. This joins the parts its checkpoint counts into that file, where the file is absent
 * (so once), and returns the files it wrote. A part the checkpoint counts but the copy lacks is an
 * error: the copy is incomplete.
 */
export function joinCopiedParts(dir: string): string[] {
  const cpPath = join(dir, STATE_FILES.checkpoint)
  if (!existsSync(cpPath)) return []
  const parts = parseCheckpoint(readFileSync(cpPath, 'utf8'), cpPath, { anyVersion: true }).parts
  if (!parts) return []
  const written: string[] = []
  for (const name of LOG_NAMES) {
    const target = join(dir, STATE_FILES[name])
    const n = parts[name] ?? 0
    if (n === 0 || existsSync(target)) continue
    const chunks: Buffer[] = []
    for (let i = 1; i <= n; i++) {
      const part = join(dir, partName(name, i))
      if (!existsSync(part)) {
        throw new SegampError(`${part}: missing; ${cpPath} counts ${n} part(s) of ${STATE_FILES[name]} (a copy of an s3:// state directory)`, {
          code: 'state-copy-incomplete',
          hint: 'Copy the whole state directory again (aws s3 sync s3://bucket/prefix/ DIR), then run the same command again.',
        })
      }
      chunks.push(readFileSync(part))
    }
    writeFileSync(target, Buffer.concat(chunks), { mode: PRIVATE_FILE_MODE })
    written.push(target)
  }
  return written
}

/**
 * The newest checkpoint of a local state directory: checkpoint.json, or a whole slot written after
 * it (see checkpoint-slots.ts) whose recorded file sizes the append-only files still have.
 * Undefined without checkpoint.json; throws `CheckpointUnreadableError` when it is not JSON.
 */
export function readLocalCheckpoint<C>(dir: string, o: { anyVersion?: boolean } = {}): Checkpoint<C> | undefined {
  const path = join(dir, STATE_FILES.checkpoint)
  if (!existsSync(path)) return undefined
  const text = readFileSync(path)
  const durable = parseCheckpoint<C>(text.toString('utf8'), path, o)
  for (const slot of currentSlots(dir, checkpointDigest(text))) {
    let cp: Checkpoint<C>
    try {
      cp = parseCheckpoint<C>(slot.json, slot.path, o)
    } catch {
      continue
    }
    if (LOG_NAMES.every((name) => fileSize(join(dir, STATE_FILES[name])) >= (cp.files?.[name] ?? 0))) return cp
  }
  return durable
}

function writeTextAtomic(path: string, text: string, sync: boolean): void {
  const tmp = `${path}.${process.pid}.tmp`
  try {
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
  } catch (error) {
    // A write cut short (a full disk) leaves no half file behind; the file it was to replace stands.
    try {
      rmSync(tmp, { force: true })
    } catch {
      /* not a file (a folder in its way): left as it is */
    }
    throw error
  }
  // The rename is an entry of the directory: without this, a power loss may keep the old checkpoint.json.
  if (sync) syncDirectory(dirname(path))
}

/** Forces a directory's entries to disk (where the platform allows opening a directory; elsewhere the rename stands as the file system keeps it). */
function syncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    /* see above */
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Cuts an append-only file back to `bytes` (what was committed at the checkpoint). */
function truncateTo(path: string, bytes: number): void {
  if (!existsSync(path)) return
  if (statSync(path).size > bytes) truncateSync(path, bytes)
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0
}

/**
 * Whether a process still runs. A killed process its parent has not reaped yet (a zombie: a shell
 * or a container's first process that never waits) still answers signal 0, yet holds nothing;
 * where /proc says so (Linux), it counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !isZombie(pid)
}

function isZombie(pid: number): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false
  }
  // `pid (command) state …`: the command may hold spaces and parentheses, so the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
}
