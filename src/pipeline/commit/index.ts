/**
 * # commit: what happened to every line, on disk
 *
 * Owns the run's record of outcomes: the line ledger (`ledger.ts`: a line settles when all its
 * records did; lines commit in archive order, which moves the checkpoint's position), the
 * checkpoint and its lock (`checkpoint.ts`: position, lines settled beyond it, acknowledged
 * records of half-sent lines, completed files with their identity), the dead-letter and
 * rejected-line files, and the counts and report (`report.ts`); `committer.ts` is the `Commit` a
 * replay opens (`openCommit`), which applies each settled line's outcome to all of these.
 *
 * It must never decide an outcome (deliver, route and map do) or send anything: it only writes
 * down outcomes it is told, in a way a crash at any moment cannot contradict (a line is listed
 * as settled only after its outcome is in the dead-letter file or acknowledged by Amplitude).
 */
export { LineLedger, type LedgerHandlers, type LineEntry } from './ledger.js'
export { acquireLock, checkInputsUnchanged, writeJson, CHECKPOINT_VERSION, mergeRanges, readCheckpoint, readCompletedFiles, resumeFilter, runIdFor, toRanges, writeCheckpoint, StateLockedError, type Checkpoint } from './checkpoint.js'
export { emptyReplayCounts, type ReplayCounts, type ReplayReport, type SubscriptionCounts } from './report.js'
export { openCommit, resumeOrStart, jsonLine, type Commit, type CommitOptions, type LineData } from './committer.js'
export { openLineOutcomes, countDeliveryEvents, type LineOutcome, type LineOutcomes, type Ticket, type DeadRecord } from './outcomes.js'
export { countRead, noteSkipped, noteUnreadable, type ReadCounts, type CountedLine, type InputProblems } from './count.js'
