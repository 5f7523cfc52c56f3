/**
 * `segamp inspect`'s session: its flags checked and read (mappings, filters, the local state
 * directory for rejected lines, S3 settings), the archives profiled with progress, and the
 * profile printed as a table or JSON with its notes and exit code. The command only parses flags
 * and calls `inspectSession`.
 *
 * It must never read or profile an archive itself (src/inspect does): it turns flags into that
 * call and its result into output.
 */
import type { ReadingFlagValues } from './flags.js'
import { inspectArchives, nothingReadError, type InspectReport } from '../inspect/index.js'
import { parseTypes } from '../pipeline/route/index.js'
import { ensureWritableDir } from './state-dir.js'
import { InputProgress, s3Settings, type S3FlagValues } from './s3-input.js'
import { formatBytes, formatCount, progressMode, withProgress } from './progress.js'
import { renderInspectNotes, renderInspectTable } from '../inspect/render.js'
import { whereFilter, exitCodes, emptyFileWarnings, noMatchWarning, outOfTimeRangeWarning, terminalStdinNote } from './common.js'
import { compileSubscriptions, loadMappings } from '../segment/subscriptions/index.js'
import { isS3State, localStateFile } from '../pipeline/commit/index.js'
import { UsageError } from '../errors.js'

/** The flags of `segamp inspect`, as oclif parsed them. */
export interface InspectFlags extends S3FlagValues, ReadingFlagValues {
  format: string
  'state-dir': string
  mappings?: string
  workers?: number
  'no-progress': boolean
}

/** What the session needs of the command: its arguments, its JSON mode and its output. */
export interface InspectIo {
  argv: string[]
  /** `--format json`: the result is the command's JSON. */
  useJsonOutput(): void
  jsonEnabled(): boolean
  warn(text: string): void
  log(text: string): void
  logToStderr(text: string): void
}

export async function inspectSession(inputs: string[], flags: InspectFlags, io: InspectIo): Promise<InspectReport> {
  if (flags.format === 'json') io.useJsonOutput()
  const json = io.jsonEnabled()
  if (isS3State(flags['state-dir']))
    throw new UsageError(
      `--state-dir ${flags['state-dir']}: inspect writes rejected.ndjson to a local directory`,
      'Give a local directory (s3:// state directories are for replay and status).',
    )
  const setup = await (async () => {
    const loaded = await loadMappings(flags.mappings)
    for (const w of loaded.warnings) io.warn(w)
    return {
      types: parseTypes(flags.types),
      where: whereFilter(flags.where, (w) => io.warn(w)),
      subscriptions: compileSubscriptions(loaded),
      notes: loaded.notes,
      s3: s3Settings(flags, inputs, (w) => io.warn(w)),
    }
  })()
  // A --state-dir given is checked now (an unwritable one used to hang in mkdir); the default is
  // only created when a line is rejected, so inspect works in a read-only checkout.
  if (io.argv.some((a) => a === '--state-dir' || a.startsWith('--state-dir='))) ensureWritableDir(flags['state-dir'])
  const stdinNote = terminalStdinNote(inputs)
  if (stdinNote) io.logToStderr(stdinNote)
  const input = new InputProgress(inputs, { since: flags.since, warn: (w) => io.warn(w) })
  const mode = progressMode({ quiet: json || flags['no-progress'] })
  const result = await withProgress(mode, 'Reading archives', (progress) => {
    input.attach(progress)
    return inspectArchives({
      inputs,
      archive: { ...input.options(setup.s3), exclude: [{ path: flags['state-dir'], what: 'the state directory (--state-dir)' }] },
      filters: { since: flags.since, until: flags.until, types: setup.types, where: setup.where, ignoreIntegrations: flags['ignore-integrations-flags'] },
      subscriptions: setup.subscriptions.map((s) => ({ name: s.name, match: s.match })),
      rejectedPath: localStateFile(flags['state-dir'], 'rejected'),
      workers: flags.workers,
      onProgress: (p) => progress.update(`${input.prefix()}${formatCount(p.messages)} messages, ${formatBytes(p.bytes)}${p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : ''}`),
    })
  })
  const { report } = result
  // Named one by one up to a screenful: a prefix of thousands of empty objects is a count.
  for (const w of emptyFileWarnings(result.emptyFiles, result.headerOnlyFiles)) io.warn(w)
  const nothingRead = nothingReadError(result, inputs)
  if (nothingRead) throw nothingRead
  if (!json) io.log(renderInspectTable(report, { color: Boolean(process.stdout.isTTY) }).trimEnd())
  for (const line of renderInspectNotes(result, setup.notes)) io.logToStderr(line)
  const filteredAll = outOfTimeRangeWarning(report, flags, 'nothing was kept') ?? noMatchWarning(report, flags, 'nothing was kept')
  if (filteredAll) io.warn(filteredAll)
  // An object the store failed to serve past its retries may read later: 75, as replay, so a
  // scheduler retries instead of taking the profile as final.
  if (report.unreadableFiles.some((f) => f.retryable)) process.exitCode = exitCodes.TEMPFAIL
  else if (report.rejected > 0 || report.unreadableFiles.length > 0) process.exitCode = exitCodes.PARTIAL
  return report
}
