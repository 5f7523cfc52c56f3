/** Glue shared by the command files: exit codes, --where and --mappings. */
import { writeSync } from 'node:fs'
import { exitCodes, UsageError } from '../errors.js'
import { compileTriggerWithWarnings, TriggerError } from '../segment/fql/index.js'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../segment/subscriptions/index.js'
import type { ActionSettings } from '../segment/actions-amplitude/index.js'
import type { SegmentMessage } from '../types.js'
import { OTHER_SHARD } from '../pipeline/route/index.js'
import { formatCount, visible } from '../text.js'

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
    if (error instanceof TriggerError) throw new UsageError(`--where ${JSON.stringify(where)}: ${visible(error.reason)}`, { code: 'where', hint: WHERE_HINT })
    throw error
  }
  const unusable = compiled.warnings.find((w) => w.includes('not a quoted string, number, true, false or null'))
  if (unusable) {
    const reason = unusable.replace(/; Segment compares with .*$/, '')
    throw new UsageError(`--where ${JSON.stringify(where)}: ${visible(reason)}`, { code: 'where', hint: WHERE_HINT })
  }
  // The parser quotes the condition as typed: its control characters (a colour sequence too) escaped.
  for (const w of compiled.warnings) warn(`--where: ${visible(w)}`)
  return compiled.match
}

export async function loadSubscriptionsForCli(file: string | undefined, warn: (w: string) => void, settings: ActionSettings = {}): Promise<CompiledSubscription[]> {
  const loaded = await loadMappings(file)
  for (const w of loaded.warnings) warn(w)
  return compileSubscriptions(loaded, settings)
}

export type MessageMatcher = (message: SegmentMessage) => boolean

/** The filters a message meets before the time range (src/pipeline/route/filters.ts's order). */
const BEFORE_TIME_RANGE = ['integrations', 'types'] as const

/**
 * When --since/--until left out every message that reached them (the archive lies wholly outside
 * the range): the warning that says so, naming the flags and their values; undefined when anything
 * passed the range (kept, or left out after it by --where or no subscription). Messages the
 * filters applied before the range (integrations, --types) never reached it, so they neither
 * count against it nor hide it; another shard's messages are not this run's to keep.
 */
export function outOfTimeRangeWarning(
  counts: { messages: number; filtered: Record<string, number> },
  range: { since?: string; until?: string },
  outcome: string,
): string | undefined {
  if (range.since === undefined && range.until === undefined) return undefined
  const since = counts.filtered.since ?? 0
  const until = counts.filtered.until ?? 0
  const untimed = counts.filtered['no-timestamp'] ?? 0
  const earlier = BEFORE_TIME_RANGE.filter((r) => (counts.filtered[r] ?? 0) > 0)
  const earlierCount = earlier.reduce((n, r) => n + (counts.filtered[r] ?? 0), 0)
  const considered = counts.messages - (counts.filtered[OTHER_SHARD] ?? 0) - earlierCount
  if (considered <= 0 || since + until + untimed !== considered) return undefined
  const flags = [...(range.since !== undefined ? [`--since ${range.since}`] : []), ...(range.until !== undefined ? [`--until ${range.until}`] : [])].join(' ')
  const all = considered === 1 ? 'the 1 message was' : `all ${formatCount(considered)} messages were`
  const parts = [
    ...(since > 0 ? [`${formatCount(since)} before --since`] : []),
    ...(until > 0 ? [`${formatCount(until)} at or after --until`] : []),
    ...(untimed > 0 ? [`${formatCount(untimed)} without a timestamp`] : []),
  ]
  const detail = parts.length === 1 && since > 0 ? `${all} before it` : parts.length === 1 && until > 0 ? `${all} at or after it` : `${all} left out (${parts.join(', ')})`
  const others =
    earlierCount > 0
      ? ` (the other ${earlierCount === 1 ? '1 was' : `${formatCount(earlierCount)} were`} left out before it: ${earlier.map((r) => `${r} ${formatCount(counts.filtered[r])}`).join(', ')})`
      : ''
  return `${flags}: ${detail}${others}; ${outcome} (\`segamp inspect\` without --since/--until shows the archive's time range)`
}

/**
 * When the filters a user gave (--types, --where, --since/--until, replay's --only) left out every message between
 * them: the warning that says so, with each filter's share; undefined when a message got through.
 * Callers give outOfTimeRangeWarning's more precise words first, when the range alone did it.
 */
/**
 * The warnings for inputs that held no line with data (a 0-byte file, an empty gzip, stdin at its
 * end, a file of blank lines, a CSV file with its header row only: those of `headerOnly`):
 * named one by one up to a screenful, then a count. When every input was empty, the command then
 * also stops with its `nothing-read` error.
 */
export function emptyFileWarnings(files: readonly string[], headerOnly: readonly string[] = []): string[] {
  const header = new Set(headerOnly)
  const named = files
    .slice(0, 10)
    .map((file) => `${visible(file)}: ${header.has(file) ? 'only a header row (no data rows)' : 'empty (no line, or blank lines only)'}; nothing read from it`)
  const rest = files.slice(10)
  if (rest.length > 0) {
    const what = rest.some((f) => header.has(f)) ? 'no line, blank lines only, or a CSV header row only' : 'no line, or blank lines only'
    named.push(`and ${formatCount(rest.length)} more empty file(s) (${what}), not named here`)
  }
  return named
}

export function noMatchWarning(
  counts: { messages: number; filtered: Record<string, number> },
  asked: { types?: string; where?: string; since?: string; until?: string; only?: string },
  outcome: string,
): string | undefined {
  const f = counts.filtered
  const given: Array<[string, string, number]> = []
  if (asked.types !== undefined) given.push([`--types ${asked.types}`, 'by --types', f.types ?? 0])
  if (asked.since !== undefined || asked.until !== undefined) {
    const range = [...(asked.since !== undefined ? [`--since ${asked.since}`] : []), ...(asked.until !== undefined ? [`--until ${asked.until}`] : [])].join(' ')
    given.push([range, 'outside the time range', (f.since ?? 0) + (f.until ?? 0) + (f['no-timestamp'] ?? 0)])
  }
  if (asked.where !== undefined) given.push([`--where ${JSON.stringify(asked.where)}`, 'by --where', f.where ?? 0])
  // replay --only keeps some subscriptions: a message none of them matches is left out by it (the
  // `no-subscription` count, after the filters above). Without --only that is the mappings' doing.
  if (asked.only !== undefined) given.push([`--only ${asked.only}`, 'matching no subscription --only kept', f['no-subscription'] ?? 0])
  const byUser = given.reduce((n, [, , c]) => n + c, 0)
  const considered = counts.messages - (f[OTHER_SHARD] ?? 0) - (f.integrations ?? 0)
  if (given.length === 0 || byUser === 0 || byUser !== considered) return undefined
  // A shard (--shard K/N) judges only the messages it owns: a --where one user meets leaves the
  // other shards with none, which is no mistake of the filters; say whose messages these were.
  const shard = (f[OTHER_SHARD] ?? 0) > 0
  const mine = shard ? ' this shard owns' : ''
  const all = considered === 1 ? `the 1 message${mine} was` : `all ${formatCount(considered)} messages${mine} were`
  const parts = given.filter(([, , c]) => c > 0).map(([, what, c]) => `${formatCount(c)} ${what}`)
  const others = shard ? ', other shards may keep theirs (`segamp status` combines the shards)' : ''
  return `${given.map(([flag]) => flag).join(' ')}: ${all} left out (${parts.join(', ')}); ${outcome}${others} (\`segamp inspect\` without them shows the archive's types, events and time range)`
}

/**
 * Why `url` cannot be an http(s) endpoint, as the end of a sentence about it ("is not an http(s)
 * URL", "has port 99999, out of range (1–65535)"); undefined when it can. A port past 65535 makes
 * the URL unparsable, which must not read as a wrong scheme.
 */
export function httpUrlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    const port = /^https?:\/\/(?:[^@/?#]*@)?(?:\[[^\]/?#]*\]|[^:/?#]*):(-?\d+)(?:[/?#]|$)/i.exec(url)?.[1]
    return port !== undefined && (Number(port) > 65535 || Number(port) < 0) ? `has port ${port}, out of range (1–65535)` : 'is not an http(s) URL'
  }
  if (!/^https?:$/.test(parsed.protocol)) return 'is not an http(s) URL'
  if (parsed.port === '0') return 'has port 0, out of range (1–65535)'
  return undefined
}

/**
 * Why `url` cannot be an endpoint base of replay or export beyond httpUrlProblem: a query or a
 * fragment. Only its scheme, user:password, host, port and path make the request URLs, so a
 * `?code=…` a proxy needs would silently not be sent (and a token in it was written to report.json).
 */
export function endpointQueryProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (!parsed.search && !parsed.hash) return undefined
  const part = parsed.search ? (parsed.hash ? 'a query (?…) and a fragment (#…)' : 'a query (?…)') : 'a fragment (#…)'
  return `has ${part}, which segamp would not send: the requests keep only its scheme, host, port and path`
}

/** `url` as an error may show it: without user:password, and with a query or fragment cut to `?…`/`#…` (either may hold a token). */
export function shownEndpointUrl(url: string): string {
  try {
    const u = new URL(url)
    const cut = `${u.search ? '?…' : ''}${u.hash ? '#…' : ''}`
    u.username = ''
    u.password = ''
    u.search = ''
    u.hash = ''
    return u.toString() + cut
  } catch {
    return url
  }
}

/**
 * `-` with stdin a terminal: the run waits for lines typed or pasted there, which looks like a
 * hang (`segamp inspect -` typed by mistake, a pipe forgotten). The note that says so, or undefined.
 */
export function terminalStdinNote(inputs: readonly string[]): string | undefined {
  if (!inputs.includes('-') || !process.stdin.isTTY) return undefined
  return 'Note: reading messages from stdin, a terminal: paste NDJSON lines and end them with Ctrl-D (or pipe the data in: gzip -dc day.gz | segamp … -)'
}

/**
 * Writes to stderr at once, as far as it takes it, when the process ends right after (an
 * interrupt). On a pipe that is full because nobody reads it, a plain synchronous write throws
 * EAGAIN: that ended replay's second Ctrl-C as an uncaught exception (exit 1, not 130), and
 * `quitOnInterrupt` before its clean-up (the users' events left in --work-dir, and the exit then
 * hung on a named pipe being opened). What the pipe does not take is queued; nothing waits for it.
 */
export function writeNowOrQueue(text: string): void {
  let rest = Buffer.from(text)
  try {
    while (rest.length > 0) rest = rest.subarray(writeSync(2, rest))
  } catch {
    process.stderr.write(rest)
  }
}

/**
 * Ends the process as an interrupt, by SIGINT's default action (exit status 130 in a shell;
 * exit handlers do not run):
 * `process.exit()` waits for libuv's threads, and one blocked in open() on a named pipe nothing
 * writes to never returns. As PID 1 (a container started without an init) the process ignores a
 * signal it has no handler for, so there it exits with 130 itself.
 */
export function endByInterrupt(): void {
  // The progress display hid the terminal's cursor and shows it again in an exit handler, which
  // a death by signal skips: shown here, or the shell is left without a cursor.
  if (process.stderr.isTTY) writeNowOrQueue('\x1b[?25h')
  process.removeAllListeners('SIGINT')
  process.kill(process.pid, 'SIGINT')
  process.exit(exitCodes.INTERRUPTED)
}

/**
 * Runs `work` with Ctrl-C and SIGTERM ending the process at once, after a notice on stderr and
 * `cleanup` (what must not stay behind: the partitions of `diff-mappings --against`, the users'
 * events, in the temp folder or --work-dir), which Node's own default for these signals skipped.
 * The process then ends by SIGINT's default action (exit status 130 in a shell): not by
 * `process.exit`, which waits for a file-system call that never returns (the open of a named pipe
 * nothing writes to) and so hung instead of quitting.
 */
export async function quitOnInterrupt<T>(notice: string, work: () => Promise<T>, cleanup: () => void = () => {}): Promise<T> {
  const stop = (): void => {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    writeNowOrQueue(`\n${notice}\n`)
    try {
      cleanup()
    } finally {
      endByInterrupt()
    }
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    return await work()
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
