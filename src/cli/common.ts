/** Glue shared by the command files: exit codes, usage errors, --where and --mappings. */
import type { Command } from '@oclif/core'
import { UsageError } from '../route/filters.js'
import { S3InputError } from '../source/s3/errors.js'
import { compileTriggerWithWarnings, TriggerError } from '../mapping/fql/index.js'
import { compileSubscriptions, loadMappings, MappingFileError, type CompiledSubscription } from '../mapping/subscriptions.js'
import type { ActionSettings } from '../mapping/amplitude/index.js'
import type { SegmentMessage } from '../types.js'

export const exitCodes = {
  OK: 0,
  /** aborted: bad credentials, unreachable endpoint after retries, unreadable mapping */
  ABORTED: 1,
  USAGE: 2,
  /** finished, but some lines were rejected or events dead-lettered */
  PARTIAL: 3,
} as const

/**
 * Runs setup work; a problem the user must fix (flag, trigger, mapping file) exits 2 with its
 * message. An S3 input that cannot be read at all (no such bucket, access denied, credentials)
 * exits `inputExit`: 1 (aborted) by default, 2 for the diff-style commands where 1 means findings.
 */
export async function failUsage<T>(cmd: Command, work: () => Promise<T> | T, exit: number = exitCodes.USAGE, inputExit: number = exitCodes.ABORTED): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof UsageError || error instanceof TriggerError || error instanceof MappingFileError) {
      cmd.error(error.message, { exit })
    }
    if (error instanceof S3InputError) cmd.error(error.message, { exit: inputExit })
    throw error
  }
}

export function whereFilter(where: string | undefined, warn: (w: string) => void): ((m: Record<string, unknown>) => boolean) | undefined {
  if (where === undefined) return undefined
  try {
    const { match, warnings } = compileTriggerWithWarnings(where)
    for (const w of warnings) warn(`--where: ${w}`)
    return match
  } catch (error) {
    if (error instanceof TriggerError) throw new UsageError(`--where ${JSON.stringify(where)}: ${error.reason}`)
    throw error
  }
}

export async function loadSubscriptionsForCli(file: string | undefined, warn: (w: string) => void, settings: ActionSettings = {}): Promise<CompiledSubscription[]> {
  const loaded = await loadMappings(file)
  for (const w of loaded.warnings) warn(w)
  return compileSubscriptions(loaded, settings)
}

export type MessageMatcher = (message: SegmentMessage) => boolean
