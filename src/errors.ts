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
 * The base command (`src/cli/base.ts`) renders every error the same way: `Error: <message>` and
 * `Hint: <hint>` on stderr, or `{"error":{"message","hint","code","exitCode"}}` on stdout under
 * `--json`. Errors of the stages that predate this model (S3, triggers, mapping files, …) are
 * given a hint and an exit code there, by `src/cli/errors.ts`.
 *
 * This file imports nothing, so every folder can throw these errors without an import cycle.
 * Secrets (API keys, tokens, URL userinfo) never go into a message or a hint.
 */

/** Exit codes of every command. Kept stable: scripts and CI jobs branch on them. */
export const exitCodes = {
  OK: 0,
  /** aborted: bad credentials, unreachable endpoint after retries, unreadable mapping */
  ABORTED: 1,
  USAGE: 2,
  /** finished, but some lines were rejected or events dead-lettered */
  PARTIAL: 3,
  /** retry later (EX_TEMPFAIL): e.g. the state directory is locked by another run */
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

/** A problem with what the user asked for (a flag, a file given by a flag): exit 2. */
export class UsageError extends SegampError {
  constructor(message: string, options: Omit<SegampErrorOptions, 'exitCode'> | string = {}) {
    const o = typeof options === 'string' ? { hint: options } : options
    super(message, { code: 'usage', ...o, exitCode: exitCodes.USAGE })
    this.name = 'UsageError'
  }
}
