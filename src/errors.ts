/**
 * # errors: the one error model of segamp
 *
 * Every error a user can act on is a `SegampError`:
 * - `message`: what went wrong and where (file:line, JSON path, s3://bucket/key, a URL without
 *   credentials);
 * - `hint`: what to do next (a flag to add, a command to run), or undefined when the message
 *   already is the whole story;
 * - `exitCode`: the process exit code (see `exitCodes`);
 * - `code`: a short stable name for scripts reading `--json` errors (`usage`, `s3-access-denied`, …).
 *
 * Errors are raised where the problem is known, already carrying all four: each stage's own
 * error classes (S3InputError, TriggerError, MappingFileError, StateLockedError,
 * FatalDeliveryError, …) extend `SegampError` or `UsageError`. The base command
 * (`src/cli/base.ts`) is the only place that turns an error into output and an exit code:
 * `Error: <message>` and `Hint: <hint>` on stderr, or `{"error":{"message","hint","code","exitCode"}}`
 * on stdout under `--json`.
 *
 * This file imports nothing, so every folder can throw these errors without an import cycle.
 * Secrets (API keys, tokens, URL userinfo) never go into a message or a hint.
 */

/**
 * Exit codes of every command, decided here only (README "Exit codes" has the table). Kept
 * stable: scripts, CI jobs and schedulers (Kubernetes podFailurePolicy, AWS Batch
 * evaluateOnExit) branch on them.
 */
export const exitCodes = {
  OK: 0,
  /** a permanent failure: retrying the same command fails the same way (credentials, a refused key, inputs changed since the checkpoint) */
  ABORTED: 1,
  /** a usage error: a flag, an argument or a file given by a flag is wrong */
  USAGE: 2,
  /** finished, but some lines were rejected or events dead-lettered */
  PARTIAL: 3,
  /**
   * EX_TEMPFAIL (sysexits.h): a failure that may go away by itself; the same command later
   * resumes (the endpoint unreachable or failing past the budget, the throttle budget
   * exhausted, the state directory locked by a live run, an S3 listing that failed transiently)
   */
  TEMPFAIL: 75,
  /** interrupted (Ctrl-C, SIGTERM) */
  INTERRUPTED: 130,
  /** stdout was closed by its reader (`| head`), as SIGPIPE */
  CLOSED_PIPE: 141,
} as const

export interface SegampErrorOptions {
  /** What to do next. */
  hint?: string
  exitCode?: number
  code?: string
  cause?: unknown
}

export class SegampError extends Error {
  hint?: string
  exitCode: number
  code: string
  constructor(message: string, options: SegampErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SegampError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? exitCodes.ABORTED
    this.code = options.code ?? 'error'
  }
}

/** The exit code an error asks for: a SegampError's own, 1 for anything else. */
export function exitCodeOf(error: unknown): number {
  return error instanceof SegampError ? error.exitCode : exitCodes.ABORTED
}

/** A problem with what the user asked for (a flag, a file given by a flag): exit 2. */
export class UsageError extends SegampError {
  constructor(message: string, options: Omit<SegampErrorOptions, 'exitCode'> | string = {}) {
    const o = typeof options === 'string' ? { hint: options } : options
    super(message, { code: 'usage', ...o, exitCode: exitCodes.USAGE })
    this.name = 'UsageError'
  }
}

/**
 * Why a file could not be written, in words, with its code: `no space left on the device (ENOSPC)`.
 * Node's own message of a failed write names no file and reads as a bug.
 */
export function writeFailureText(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  const what =
    e?.code === 'ENOSPC' ? 'no space left on the device' : e?.code === 'EDQUOT' ? 'disk quota exceeded' : e?.code === 'EISDIR' ? 'it is a folder' : (e?.message ?? String(error))
  return `${what}${e?.code ? ` (${e.code})` : ''}`
}
