/**
 * Every error that reaches a command, as a `SegampError` (src/errors.ts): the table below gives
 * the errors of the stages (which keep their own classes, with the fields their callers use) an
 * exit code, a stable `code` and a hint. The base command renders the result; nothing here prints.
 */
import { Errors } from '@oclif/core'
import { exitCodes, SegampError, UsageError } from '../errors.js'
import { S3InputError } from '../pipeline/source/s3/errors.js'
import { TriggerError } from '../segment/fql/index.js'
import { MappingFileError } from '../segment/subscriptions/index.js'
import { RenameMapError } from '../diff/rename-map.js'
import { FatalDeliveryError } from '../pipeline/deliver/delivery.js'
import { ExportError } from '../export/download.js'
import { HourFormatError } from '../export/hours.js'
import { SegmentApiError } from '../segment/public-api/client.js'

export interface ErrorContext {
  /** How the user runs segamp, e.g. `segamp`. */
  bin: string
  /** The command's id, e.g. `replay`. */
  command: string
  /** Exit code of an s3:// input that cannot be read at all: 1, or 2 where 1 means findings (diff). */
  s3Exit?: number
}

const help = (ctx: ErrorContext): string => `Run \`${ctx.bin} ${ctx.command} --help\` for the flags, their values and examples.`
const rerun = (ctx: ErrorContext): string =>
  ctx.command === 'replay' ? 'Once that is fixed, run the same command again: the replay resumes from its checkpoint.' : 'Once that is fixed, run the same command again.'

/** `error` as a SegampError with a hint, an exit code and a code. */
export function describeError(error: unknown, ctx: ErrorContext): SegampError {
  if (error instanceof SegampError) {
    if (error.hint === undefined && error.exitCode === exitCodes.USAGE) error.hint = help(ctx)
    return error
  }
  if (error instanceof TriggerError) {
    return new UsageError(error.message, {
      code: 'trigger',
      hint: 'Segment would reject this trigger too: fix it in the mappings file (FQL: event = "Order Completed", type = "track" and properties.total > 10, contains(event, "Order")).',
    })
  }
  if (error instanceof MappingFileError) {
    return new UsageError(error.message, {
      code: 'mapping-file',
      hint: 'Fix the problems listed (each names its subscription and JSON path in the file); --mappings takes Segment Public API subscriptions {"subscriptions":[...]} or a list of presets.',
    })
  }
  if (error instanceof RenameMapError) {
    return new UsageError(error.message, { code: 'rename-map', hint: 'A rename map is a CSV with the header classic,actions and one rename per line.' })
  }
  if (error instanceof HourFormatError) return new UsageError(error.message, { code: 'usage', hint: 'Hours are UTC, written YYYYMMDDTHH, e.g. --start 20240501T00 --end 20240531T23.' })
  if (error instanceof S3InputError) {
    return new SegampError(error.message, { exitCode: ctx.s3Exit ?? exitCodes.ABORTED, code: `s3-${error.kind}`, hint: rerun(ctx), cause: error })
  }
  if (error instanceof FatalDeliveryError) return new SegampError(error.message, { code: 'delivery', hint: rerun(ctx), cause: error })
  if (error instanceof ExportError) {
    const hint =
      error.kind === 'credentials'
        ? 'Use the API key and secret key of one project (Amplitude: Settings → Projects → the project → General), with --region eu for an EU project.'
        : error.kind === 'hour-too-large'
          ? "Export the hours before and after it with segamp; export that hour with Amplitude's Amazon S3 export."
          : 'Run the same command again: finished hours are kept and not downloaded again.'
    return new SegampError(error.message, { code: `export-${error.kind}`, exitCode: error.kind === 'aborted' ? exitCodes.INTERRUPTED : exitCodes.ABORTED, hint, cause: error })
  }
  if (error instanceof SegmentApiError) {
    const hint =
      error.status === 401 || error.status === 403
        ? 'Create or pick a Public API token in the Segment UI (Settings → Access Management → Tokens) and set it in SEGMENT_PUBLIC_API_TOKEN.'
        : 'Run the same command again: it reads the current state first and only sends what is still missing (the Classic destination is never modified).'
    return new SegampError(error.message, { code: 'segment-api', hint, cause: error })
  }
  if (error instanceof Errors.CLIError) {
    // oclif's own: a flag that does not parse, a missing argument, flags that exclude each other.
    const exit = error.oclif?.exit ?? exitCodes.ABORTED
    const message = error.message.replace(/\n?\s*See more help with --help\s*$/, '').replace(/^The following errors? occurred:\n\s*/, '')
    return new SegampError(message, { exitCode: exit, code: exit === exitCodes.USAGE ? 'usage' : 'error', hint: exit === exitCodes.USAGE ? help(ctx) : undefined })
  }
  const errno = error as NodeJS.ErrnoException
  if (errno && typeof errno.code === 'string' && typeof errno.path === 'string') {
    return new SegampError(`${errno.path}: ${errno.code === 'ENOENT' ? 'no such file or directory' : errno.code === 'EACCES' || errno.code === 'EPERM' ? 'permission denied' : errno.message}`, {
      code: `fs-${errno.code.toLowerCase()}`,
      hint: 'Check the path and its permissions, then run the same command again.',
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
