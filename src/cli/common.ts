/** Glue shared by the command files: exit codes, --where and --mappings. */
import { exitCodes, UsageError } from '../errors.js'
import { compileTriggerWithWarnings, TriggerError } from '../segment/fql/index.js'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../segment/subscriptions/index.js'
import type { ActionSettings } from '../segment/actions-amplitude/index.js'
import type { SegmentMessage } from '../types.js'

export { exitCodes }

/** How to write a --where value, for hints. */
export const WHERE_HINT = `Write an FQL condition, the whole of it in single quotes for the shell and strings in double quotes, e.g. --where 'event = "Order Completed"' or --where 'type = "track" and properties.total > 10'.`

/**
 * Compiles `--where`. Segment accepts some triggers that do not say what they seem to (it
 * compares with the string "eos" when the value is missing); a subscription must keep that
 * meaning, but a filter the user is typing now is better refused: a condition whose value is not a
 * quoted string, a number, true, false or null (`event = `, or `event = Order` once the shell
 * ate the quotes) is a usage error. Other quirks stay warnings.
 */
export function whereFilter(where: string | undefined, warn: (w: string) => void): ((m: Record<string, unknown>) => boolean) | undefined {
  if (where === undefined) return undefined
  let compiled
  try {
    compiled = compileTriggerWithWarnings(where)
  } catch (error) {
    if (error instanceof TriggerError) throw new UsageError(`--where ${JSON.stringify(where)}: ${error.reason}`, { code: 'where', hint: WHERE_HINT })
    throw error
  }
  const unusable = compiled.warnings.find((w) => w.includes('not a quoted string, number, true, false or null'))
  if (unusable) {
    const reason = unusable.replace(/; Segment compares with .*$/, '')
    throw new UsageError(`--where ${JSON.stringify(where)}: ${reason}`, { code: 'where', hint: WHERE_HINT })
  }
  for (const w of compiled.warnings) warn(`--where: ${w}`)
  return compiled.match
}

export async function loadSubscriptionsForCli(file: string | undefined, warn: (w: string) => void, settings: ActionSettings = {}): Promise<CompiledSubscription[]> {
  const loaded = await loadMappings(file)
  for (const w of loaded.warnings) warn(w)
  return compileSubscriptions(loaded, settings)
}

export type MessageMatcher = (message: SegmentMessage) => boolean
