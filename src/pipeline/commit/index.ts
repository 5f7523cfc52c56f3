/**
 * # commit: what happened to every line, on disk
 *
 * Owns the run's record of outcomes: the line ledger (`ledger.ts`: a line settles when all its
 * records did; lines commit in archive order, which moves the checkpoint's position), the
 * checkpoint (`checkpoint.ts`: position, lines settled beyond it, acknowledged
 * records of half-sent lines, completed files with their identity), the state directory
 * that stores it all (`state-dir.ts`: file names and formats, the lock; a local directory or
 * s3://, `local-state.ts` and `s3-state.ts`; a local one keeps the checkpoints between two writes
 * of checkpoint.json in two slot files, `checkpoint-slots.ts`), the dead-letter and rejected-line files, and the counts and report (`report.ts`); `committer.ts` is the `Commit` a
 * replay opens (`openCommit`), which applies each settled line's outcome to all of these.
 *
 * It must never decide an outcome (deliver, route and map do) or send anything: it only writes
 * down outcomes it is told, in a way a crash at any moment cannot contradict (a line is listed
 * as settled only after its outcome is in the dead-letter file or acknowledged by Amplitude).
 */
export { LineLedger, type LedgerHandlers, type LineEntry } from './ledger.js'
export { checkInputsUnchanged, CHECKPOINT_VERSION, mergeRanges, resumeFilter, runIdFor, toRanges, type Checkpoint } from './checkpoint.js'
export {
  CheckpointUnreadableError,
  completedFiles,
  isS3State,
  LOG_NAMES,
  S3_CADENCE,
  STATE_FILES,
  StateLockedError,
  StateWriteError,
  type CheckpointCadence,
  type LogName,
  type StateDir,
  type StateLock,
  type StateWriter,
} from './state-dir.js'
export { isAlive, joinCopiedParts, LocalStateDir, localStateFile, readLocalCheckpoint } from './local-state.js'
export { SLOT_FILES } from './checkpoint-slots.js'
export { DEFAULT_LEASE_MS, PART_BYTES, partName, stateError as s3StateError, stateUrlError } from './s3-state.js'
export { openStateDir } from './open-state.js'
export { emptyReplayCounts, honestDryRun, type ReplayCounts, type ReplayReport, type SubscriptionCounts } from './report.js'
export { PRIVATE_FILE_MODE, secureFile } from './private-files.js'
export { hasUnreadable } from './unreadable.js'
export { openCommit, resumeOrStart, jsonLine, RETRY_LEDGER_FILE, type Commit, type CommitOptions, type LineData } from './committer.js'
export { openLineOutcomes, countDeliveryEvents, type LineOutcome, type LineOutcomes, type MessageOutcomePlan, type Ticket, type Ticketed, type DeadRecord } from './outcomes.js'
export { countRead, noteSkipped, noteUnreadable, type ReadCounts, type CountedLine, type InputProblems } from './count.js'
