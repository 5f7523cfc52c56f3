/**
 * The replay state directory: the one place that knows its file names and their formats, with
 * two backends behind one interface:
 * - a local directory (`local-state.ts`): checkpoint.json written atomically (temp file + rename)
 *   at most once a second, the checkpoints in between in place into two slot files
 *   (`checkpoint-slots.ts`; the newest whole one wins), append-only NDJSON files cut back to the
 *   sizes the checkpoint recorded, and a lock file;
 * - `s3://bucket/prefix/` (`s3-state.ts`): checkpoint.json written in one PUT, append-only files
 *   as numbered part objects that the checkpoint counts, and a lock object with a lease taken with
 *   conditional writes.
 *
 * Nothing secret is ever written here.
 */
import { exitCodes, SegampError } from '../../errors.js'
import type { ReplayReport } from './report.js'
import { CHECKPOINT_VERSION, type Checkpoint, type CheckpointDraft } from './checkpoint.js'

/** The append-only files, by what they hold. */
export type LogName = 'deadLetter' | 'rejected' | 'completed'
export const LOG_NAMES: readonly LogName[] = ['deadLetter', 'rejected', 'completed']

/**
 * File names in a state directory (a local directory, or key names under an s3:// prefix, where
 * each append-only file is a folder of part objects `<name>/part-000001.ndjson`).
 */
export const STATE_FILES = {
  checkpoint: 'checkpoint.json',
  report: 'report.json',
  lock: 'lock',
  deadLetter: 'dead-letter.ndjson',
  rejected: 'rejected.ndjson',
  completed: 'completed.ndjson',
} as const

export type StateFile = keyof typeof STATE_FILES

/** How often a checkpoint is written: after every response (local), or at most this often (s3). */
export interface CheckpointCadence {
  /** At most one checkpoint per this many ms… */
  everyMs: number
  /** …unless this many lines settled since the last one. */
  everyLines: number
}

/** S3 state: a checkpoint at most every 5 s, or sooner after 10,000 settled lines (README, "Beyond one machine"). */
export const S3_CADENCE: CheckpointCadence = { everyMs: 5_000, everyLines: 10_000 }

export interface StateLock {
  release(): Promise<void>
  /** A lock left by a run that stopped without releasing it (taken over): who held it. */
  stale?: string
}

/** Writes of one run: append-only files and checkpoints, in order, never contradicting each other. */
export interface StateWriter {
  /** Appends one line (ending in \n) to an append-only file; durable no later than the next checkpoint. */
  append(name: LogName, text: string): void
  /**
   * Writes a checkpoint that covers every line appended so far: `files` (sizes or part counts)
   * are filled in here. Local: at once; s3: queued (the newest queued one replaces an older one).
   */
  checkpoint<C>(cp: CheckpointDraft<C>): void
  /** Every queued write done (throws the first write that failed). */
  flush(): Promise<void>
  close(): Promise<void>
}

export interface StateDir {
  /** As given: a path or s3://bucket/prefix/. */
  readonly location: string
  readonly remote: boolean
  /** undefined: a checkpoint after every response that settled something. */
  readonly cadence?: CheckpointCadence
  /** Where one file is (a path or an s3:// URL), for messages. */
  where(file: StateFile): string
  lock(o?: { runId?: string }): Promise<StateLock>
  readCheckpoint<C>(o?: { anyVersion?: boolean }): Promise<Checkpoint<C> | undefined>
  /** The lines of an append-only file that `cp` covers (all of them without a checkpoint). */
  readLog(name: LogName, cp?: Pick<Checkpoint, 'files' | 'parts'>): Promise<string[]>
  /**
   * Opens the append-only files for a run resuming `previous` (what it did not record is dropped).
   * `everyMs`: local, how far checkpoint.json may lag the newest checkpoint (kept in a slot; at most a second).
   */
  openWriter(previous?: Pick<Checkpoint, 'files' | 'parts'>, o?: { onError?: (error: Error) => void; everyMs?: number }): Promise<StateWriter>
  readReport(): Promise<ReplayReport | undefined>
  writeReport(report: ReplayReport): Promise<void>
  close(): void
}

/** A state directory that another run holds: exit 75 (retry later), with who holds it and until when. */
export class StateLockedError extends SegampError {
  constructor(
    message: string,
    hint = 'Two runs must not share a state directory: let the other run finish (see `segamp status <state-dir>`), or give this one its own --state-dir.',
  ) {
    super(message, { exitCode: exitCodes.TEMPFAIL, code: 'state-locked', hint })
    this.name = 'StateLockedError'
  }
}

/** A checkpoint that is not valid JSON or was written by another version. */
export class CheckpointUnreadableError extends SegampError {
  constructor(message: string) {
    super(message, {
      code: 'checkpoint-unreadable',
      hint: 'Run with --fresh to start over (Amplitude drops resent events by insert_id within 7 days), or use another --state-dir.',
    })
  }
}

/** Writing the state failed (a checkpoint or part object not stored): the run stops, resumable. */
export class StateWriteError extends SegampError {
  constructor(message: string, o: { lost?: boolean; cause?: unknown } = {}) {
    super(message, {
      exitCode: exitCodes.TEMPFAIL,
      code: o.lost ? 'state-lock-lost' : 'state-write',
      hint: o.lost
        ? 'Another run took this state directory over (its lease had expired): check that only one run uses it, then run the same command again.'
        : 'Run the same command again: it resumes from the last checkpoint that was stored.',
      cause: o.cause,
    })
  }
}

/** Parses checkpoint.json text; `where` names it in the error. */
export function parseCheckpoint<C>(text: string, where: string, o: { anyVersion?: boolean } = {}): Checkpoint<C> {
  let value: Checkpoint<C>
  try {
    value = JSON.parse(text) as Checkpoint<C>
  } catch (error) {
    throw new CheckpointUnreadableError(`${where} is not valid JSON (${(error as Error).message}); use --fresh to start over`)
  }
  if (value.version !== CHECKPOINT_VERSION && !o.anyVersion)
    throw new CheckpointUnreadableError(`${where} was written by another segamp version (v${value.version}); use --fresh to start over`)
  return value
}

/** completed.ndjson lines → file → identity (a file completed again later: the last line wins). Pure. */
export function completedFiles(lines: string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of lines) {
    const { file, id } = JSON.parse(line) as { file: string; id: string }
    out.set(file, id)
  }
  return out
}

export function isS3State(location: string): boolean {
  return /^s3:\/\//i.test(location)
}
