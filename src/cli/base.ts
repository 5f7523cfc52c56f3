/**
 * The base of every segamp command.
 *
 * - Output: whatever a command prints goes through `terminalSafe`, so text from an archive can
 *   never drive the user's terminal (see terminal.ts). Everything goes through process.stdout /
 *   process.stderr, which bin/main.js drains before the process exits.
 * - `--json` is oclif's (`enableJsonFlag`): `run()` returns the JSON-able result and it is printed
 *   on stdout, pretty-printed; other stdout lines are left out, stderr (progress, warnings) is not.
 *   A command whose `--format json` means the same calls `useJsonOutput()` (the result only:
 *   errors stay text on stderr unless --json is given).
 * - Errors: one model (src/errors.ts). segamp's errors are raised as SegampErrors where they
 *   happen, with their message, hint, code and exit code. `catch` is the only place that turns an
 *   error into output and an exit code: it renders every error the same way — `Error: <what>` and
 *   `Hint: <next step>` on stderr, or `{"error":{"message","hint","code","exitCode"}}` on stdout
 *   under --json — and sets process.exitCode; it never ends the process itself. Errors that are
 *   not segamp's (oclif's flag parsing, Node's file system) are given the same shape by
 *   `asSegampError`; anything else is a bug and says so.
 */
import { Command, Errors, Flags, type Interfaces } from '@oclif/core'
import { format } from 'node:util'
import { exitCodes, SegampError, UsageError, writeFailureText } from '../errors.js'
import { plainTerminalSafe, terminalSafe } from './terminal.js'
import { registerSecret, registerUrlCredentials } from '../secrets.js'

/** Flags and variables whose values are secrets, and those that are URLs that may carry credentials. */
const SECRET_FLAGS = ['--api-key', '--secret-key', '--segment-token']
const SECRET_ENV = ['AMPLITUDE_API_KEY', 'AMPLITUDE_SECRET_KEY', 'SEGMENT_TOKEN', 'SEGMENT_PUBLIC_API_TOKEN']
const URL_FLAGS = ['--endpoint-url']
const URL_ENV = ['AMPLITUDE_ENDPOINT_URL']

/** Registers the secrets of a command line and its environment (see src/secrets.ts). */
export function registerRunSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  for (const name of SECRET_ENV) registerSecret(env[name])
  for (const name of URL_ENV) registerUrlCredentials(env[name])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1]
    if (SECRET_FLAGS.includes(flag)) registerSecret(value)
    if (URL_FLAGS.includes(flag)) registerUrlCredentials(value)
  }
}

/** Flags whose own check refuses an empty value with words of their own (an empty trigger, no finding kind). */
const OWN_EMPTY_CHECK = new Set(['where', 'fail-on'])

/** oclif's FlagOutput and ArgOutput (not exported by @oclif/core/interfaces). */
type ParsedValues = { [name: string]: unknown }

export abstract class SegampCommand extends Command {
  static enableJsonFlag = true
  /** oclif's --json, described for segamp (a command without --json sets `baseFlags = {}` too). */
  static baseFlags: Interfaces.FlagInput = {
    json: Flags.boolean({
      description: 'Print the result as one JSON document on stdout, errors too ({"error":{"message","hint","code","exitCode"}}); progress and warnings stay on stderr.',
      helpGroup: 'GLOBAL',
    }),
  }
  /** Exit code of an s3:// input that cannot be read at all, where 1 means something else (2 in diff: 1 means findings). */
  static s3ErrorExit?: number
  /** Exit code of every error that is not a usage error nor an interruption, when 1 means something else (diff: findings). */
  static failureExit?: number

  private jsonOutput = false

  /** `--format json` of this run means `--json`: the returned result is printed as JSON. */
  protected useJsonOutput(on = true): void {
    this.jsonOutput = on
  }

  /** Before anything is parsed or printed: the secrets given to this run are known to the redaction. */
  async init(): Promise<void> {
    registerRunSecrets(this.argv, process.env)
    await super.init()
  }

  /**
   * A flag given an empty value (`--only "$ACTIONS"` with the variable unset) is a usage error:
   * read as absent, `--only ''` kept every subscription, `--mappings ''` the presets and `--out ''`
   * wrote nothing. Only values typed on the command line: an empty environment variable is not one.
   */
  protected async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv)
    for (const token of out.raw) {
      if (token.type !== 'flag' || token.input.trim() !== '' || options?.flags?.[token.flag]?.type !== 'option' || OWN_EMPTY_CHECK.has(token.flag)) continue
      throw new UsageError(`--${token.flag} is empty (an unset shell variable?): give it a value, or leave --${token.flag} out`, {
        code: 'empty-flag',
        hint: `Run \`segamp ${this.id ?? ''} --help\` for what --${token.flag} takes.`,
      })
    }
    return out
  }

  jsonEnabled(): boolean {
    return this.jsonOutput || super.jsonEnabled()
  }

  log(message = '', ...args: unknown[]): void {
    super.log(terminalSafe(format(message, ...args)))
  }

  /** stderr stays open under --json: progress, warnings and notes are not the JSON result. */
  logToStderr(message = '', ...args: unknown[]): void {
    process.stderr.write(terminalSafe(format(message, ...args)) + '\n')
  }

  logJson(json: unknown): void {
    process.stdout.write(terminalSafe(JSON.stringify(json, null, 2)) + '\n')
  }

  /**
   * oclif's prefix, without oclif's hard wrapping at the terminal's width, which cut file paths
   * mid-name (a path must stay whole to be copied). The terminal wraps long lines itself.
   */
  warn(input: string | Error): string | Error {
    const text = typeof input === 'string' ? input : input.message
    process.stderr.write(` ›   Warning: ${plainTerminalSafe(text)}\n`)
    return input
  }

  error(input: string | Error, options: { code?: string; exit: false } & Record<string, unknown>): void
  error(input: string | Error, options?: { code?: string; exit?: number } & Record<string, unknown>): never
  error(input: string | Error, options?: { code?: string; exit?: number | false } & Record<string, unknown>): void {
    const safe = typeof input === 'string' ? terminalSafe(input) : Object.assign(input, { message: terminalSafe(input.message) })
    return super.error(safe, options as { exit: false })
  }

  /** Renders any error the one way (see above); `this.exit()` passes through. */
  async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    const e = asSegampError(err, `Run \`${this.config?.bin ?? 'segamp'} ${this.id ?? ''} --help\` for the flags, their values and examples.`)
    const { s3ErrorExit, failureExit } = this.constructor as typeof SegampCommand
    if (s3ErrorExit !== undefined && e.code.startsWith('s3-')) e.exitCode = s3ErrorExit
    // 1 means something else there (diff: findings); 2, 75 and 130 keep their meaning.
    if (failureExit !== undefined && e.exitCode !== exitCodes.USAGE && e.exitCode !== exitCodes.INTERRUPTED && e.exitCode !== exitCodes.TEMPFAIL) e.exitCode = failureExit
    process.exitCode = e.exitCode
    // Only oclif's --json turns errors into JSON: with `--format json > report.json` (CI), the
    // error stays readable on stderr, as it always was.
    if (super.jsonEnabled()) {
      this.logJson({ error: { message: e.message, hint: e.hint ?? null, code: e.code, exitCode: e.exitCode } })
    } else {
      const lines = [`Error: ${e.message}`, ...(e.hint ? [`Hint: ${e.hint}`] : [])]
      process.stderr.write(plainTerminalSafe(lines.join('\n')) + '\n')
    }
    if (process.env.SEGAMP_DEBUG && err instanceof Error && err.stack) process.stderr.write(terminalSafe(err.stack) + '\n')
    return undefined
  }
}

/**
 * `error` as a SegampError: segamp's own as they are (a usage error without a hint gets
 * `usageHint`); oclif's flag errors and Node's file-system errors in the same shape; anything
 * else is a bug of segamp's, and the hint says how to report it.
 */
export function asSegampError(error: unknown, usageHint: string): SegampError {
  if (error instanceof SegampError) {
    if (error.hint === undefined && error.exitCode === exitCodes.USAGE) error.hint = usageHint
    return error
  }
  if (error instanceof Errors.CLIError) {
    // oclif's own: a flag that does not parse, a missing argument, flags that exclude each other.
    const exit = error.oclif?.exit ?? exitCodes.ABORTED
    const message = error.message
      .replace(/\n?\s*See more help with --help\s*$/, '')
      .replace(/^The following errors? occurred:\n\s*/, '')
      // "Parsing --max-eps \n\tExpected an integer …": one line, starting with the flag.
      .replace(/^Parsing (--[\w-]+)\s*\n\s*(\S)/, (_m, flag: string, first: string) => `${flag}: ${first.toLowerCase()}`)
    return new SegampError(message, { exitCode: exit, code: exit === exitCodes.USAGE ? 'usage' : 'error', hint: exit === exitCodes.USAGE ? usageHint : undefined })
  }
  const errno = error as NodeJS.ErrnoException
  if (errno && typeof errno.code === 'string' && typeof errno.path === 'string') {
    const what = errno.code === 'ENOENT' ? 'no such file or directory' : errno.code === 'EACCES' || errno.code === 'EPERM' ? 'permission denied' : errno.message
    return new SegampError(`${errno.path}: ${what}`, {
      code: `fs-${errno.code.toLowerCase()}`,
      hint: 'Check the path and its permissions, then run the same command again.',
      cause: error,
    })
  }
  // A write the disk refused, where no writer named its file: still the disk, not a bug of segamp's.
  if (errno && (errno.code === 'ENOSPC' || errno.code === 'EDQUOT' || errno.code === 'EROFS')) {
    return new SegampError(`a file could not be written: ${writeFailureText(errno)}`, {
      code: `fs-${errno.code.toLowerCase()}`,
      hint: 'Free space where this command writes (--out, --state-dir, --sandbox-dir, the current folder), or point those flags at another disk; then run the same command again.',
      cause: error,
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new SegampError(message || 'unexpected error', {
    code: 'unexpected',
    hint: 'This is not an error segamp expected: run it again with SEGAMP_DEBUG=1 to see where it happened, and report that with the command you ran (leave out keys and tokens).',
    cause: error,
  })
}
