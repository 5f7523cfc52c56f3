/**
 * `segamp diff-mappings`' session: its flags checked and read (Classic settings, rename map,
 * mappings, filters, S3 settings), the comparison run (Classic emulation, or `--against` an
 * Amplitude export) with progress and Ctrl-C handled, and the report written and its exit code
 * set. The command only parses flags and calls `diffSession`.
 *
 * It must never compare, pair or render a finding itself (src/diff does): it turns flags into
 * those calls and their results into files, stdout and stderr.
 */
import type { ReadingFlagValues } from './flags.js'
import { visible } from './terminal.js'
import { parseTypes } from '../pipeline/route/index.js'
import { emptyFilesOf, headerOnlyFilesOf, type FileEnd } from '../pipeline/index.js'
import { InputProgress, s3Settings, type S3FlagValues } from './s3-input.js'
import { emptyFileWarnings, exitCodes, loadSubscriptionsForCli, quitOnInterrupt, terminalStdinNote, whereFilter } from './common.js'
import { readClassicFile, readRenameMapFile } from './classic-input.js'
import { ensureWritableFile } from './state-dir.js'
import { formatBytes, formatCount, progressMode, withProgress } from './progress.js'
import { compareArchives } from '../diff/service.js'
import { parseFailOn, type DiffReport } from '../diff/index.js'
import { FAIL_ON_KINDS } from '../diff/types.js'
import { UsageError } from '../errors.js'
import { compareAgainstExport } from '../diff/against-service.js'
import { removeSpillDirs } from '../diff/against-spill.js'
import { AGAINST_KINDS, type AgainstReport } from '../diff/against.js'
import { failingDiffKinds, renderDiffReadNotes, unreadableTrouble, type DiffFormat } from '../diff/present.js'
import { checkDistinctFiles, defaultFormat, emitDiffReport, parseReportTarget } from '../diff/formats/emit.js'
import { parseWindow } from '../diff/against-pairing.js'
import { isUnreadableExportProblem } from '../export/read.js'
import { withUnreadableJson } from '../diff/formats/unreadable.js'

/** The flags of `segamp diff-mappings`, as oclif parsed them. */
export interface DiffFlags extends S3FlagValues, ReadingFlagValues {
  classic?: string
  'classic-mode': string
  workers?: number
  mappings?: string
  'rename-map'?: string
  format?: string
  out?: string
  report?: string[]
  sample?: number
  examples: number
  'fail-on'?: string
  against?: string[]
  'identify-window'?: string
  'work-dir'?: string
  'no-progress': boolean
}

/** What the session needs of the command: its version, its JSON mode and its output. */
export interface DiffIo {
  version: string
  /** `--format json` to stdout: the result is the command's JSON. */
  useJsonOutput(): void
  jsonEnabled(): boolean
  warn(text: string): void
  log(text: string): void
  logToStderr(text: string): void
}

export async function diffSession(inputs: string[], flags: DiffFlags, io: DiffIo): Promise<DiffReport | undefined> {
  const against = (flags.against ?? []).length > 0
  const format = (flags.format as DiffFormat | undefined) ?? defaultFormat(process.env, 'table')
  if (format === 'json' && !flags.out) io.useJsonOutput()
  checkAgainstPaths(flags.against ?? [])
  if (flags.sample !== undefined && against) throw new UsageError('--sample: not with --against (the export is compared whole)', 'Leave out --sample, or --against.')
  const reports = (flags.report ?? []).map(parseReportTarget)
  checkFiles(flags, inputs)
  // Written at the end: a path that cannot be is found before the comparison, not after it.
  if (flags.out) ensureWritableFile(flags.out, '--out')
  for (const r of reports) ensureWritableFile(r.file, '--report')
  const setup = await (async () => {
    const { failOn, identifyWindowMs } = parseFailOnAndWindow(flags['fail-on'], flags['identify-window'], against)
    return {
      identifyWindowMs,
      failOn,
      classic: await readClassicFile(flags.classic, (w) => io.warn(w)),
      renameMap: await readRenameMapFile(flags['rename-map'], (w) => io.warn(w)),
      subs: await loadSubscriptionsForCli(flags.mappings, (w) => io.warn(w)),
      types: parseTypes(flags.types),
      where: whereFilter(flags.where, (w) => io.warn(w)),
      s3: s3Settings(flags, inputs, (w) => io.warn(w)),
    }
  })()
  const stdinNote = terminalStdinNote(inputs)
  if (stdinNote) io.logToStderr(stdinNote)
  const input = new InputProgress(inputs, { since: flags.since, warn: (w) => io.warn(w) })
  const mode = progressMode({ quiet: flags['no-progress'] || io.jsonEnabled() || (format !== 'table' && !flags.out) })
  const ended: FileEnd[] = []
  const options = {
    inputs,
    filters: { since: flags.since, until: flags.until, types: setup.types, where: setup.where, ignoreIntegrations: flags['ignore-integrations-flags'] },
    classicSettings: setup.classic,
    classicMode: flags['classic-mode'] as 'cloud' | 'web',
    subscriptions: setup.subs,
    mappingsSource: flags.mappings ?? 'presets',
    renameMap: setup.renameMap,
    examples: flags.examples,
    workers: flags.workers,
    onFileEnd: (file: string, lines: number, headerOnly?: boolean) => ended.push({ file, lines, headerOnly }),
  }
  const started = Date.now()
  // Ctrl-C: nothing is kept to resume from (the report is written at the end); the --against
  // partitions are removed.
  const interrupted = `Interrupted: nothing was written${against ? ', and the work files (partitions of the archive and the export) were removed' : ''}; run the same command again to compare.`
  const { report, counts } = await quitOnInterrupt(
    interrupted,
    () =>
      against
        ? withProgress(mode, 'Comparing with the Amplitude export', (progress) =>
            compareAgainstExport({
              ...options,
              exportInputs: flags.against ?? [],
              identifyWindowMs: setup.identifyWindowMs,
              workDir: flags['work-dir'],
              onProgress: (p) => progress.update(`${p.phase}: ${formatCount(p.messages)} messages, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`),
            }),
          )
        : withProgress(mode, 'Comparing Classic and Actions', (progress) => {
            input.attach(progress)
            return compareArchives({
              ...options,
              archive: input.options(setup.s3),
              limit: flags.sample,
              onProgress: (p) => progress.update(`${input.prefix()}${formatCount(p.messages)} messages, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`),
              onUnprocessable: (ref, reason) => io.warn(`${ref.file}:${ref.line}: not compared: ${reason}`),
            })
          }),
    removeSpillDirs,
  )
  for (const w of emptyFileWarnings(emptyFilesOf(ended, counts), headerOnlyFilesOf(ended, counts))) io.warn(w)
  const exportRead = (report as Partial<AgainstReport>).against?.export
  refuseNothingToCompare(report, counts, exportRead, { inputs, against: flags.against ?? [], log: (line) => io.logToStderr(line) })

  // What could not be read to the end: archive files, and export files or --against paths.
  const unreadable: Array<{ file: string; reason: string; retryable?: boolean }> = [...counts.unreadableFiles, ...(exportRead?.problems ?? []).filter(isUnreadableExportProblem)]
  await emitDiffReport({
    report,
    failOn: setup.failOn,
    format,
    out: flags.out,
    reports,
    locationsFile: flags.mappings,
    command: 'diff-mappings',
    version: io.version,
    color: !flags.out && Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    unreadable,
    print: (text) => io.log(text),
  })
  if (exportRead) {
    const seconds = (Date.now() - started) / 1000
    io.logToStderr(
      `${formatCount(report.totals.messages)} messages and ${formatCount(exportRead.events)} stored events compared in ${seconds.toFixed(1)} s (${formatCount(Math.round(report.totals.messages / Math.max(seconds, 0.001)))} messages/s)`,
    )
    for (const p of exportRead.problems) io.logToStderr(`export problem: ${visible(p.file)}: ${visible(p.reason)}`)
  }
  for (const line of renderDiffReadNotes(counts)) io.logToStderr(line)
  const failing = failingDiffKinds(report, setup.failOn)
  if (failing.length > 0) {
    io.logToStderr(`--fail-on: found ${failing.join(', ')}`)
    process.exitCode = exitCodes.ABORTED
  }
  // A gate that passed over input it could not read would pass on part of the data: trouble (2),
  // as diff says of a file it cannot read, whatever the findings. The report stands for the rest.
  if (unreadable.length > 0) {
    io.logToStderr(unreadableTrouble(unreadable))
    process.exitCode = exitCodes.USAGE
    return withUnreadableJson(report, unreadable)
  }
  return report
}

/** Nothing read from the archive (or only filtered messages), or no stored event read from `--against`: exit 2, saying which. */
function refuseNothingToCompare(
  report: DiffReport,
  counts: {
    messages: number
    rejected: number
    rejectedByReason: Record<string, number>
    filtered: Record<string, number>
    unreadableFiles: Array<{ file: string; reason: string }>
  },
  exportRead: AgainstReport['against']['export'] | undefined,
  o: { inputs: string[]; against: string[]; log: (line: string) => void },
): void {
  if (report.totals.messages === 0) {
    for (const f of counts.unreadableFiles) o.log(`unreadable: ${visible(f.file)}: ${visible(f.reason)}`)
    const filtered = Object.values(counts.filtered).reduce((a, b) => a + b, 0)
    // Messages were read but the filters kept none: say that, not "no message was read".
    const what = counts.messages > 0 && filtered > 0 ? 'every message read was filtered out' : 'no message was read'
    const reasons = Object.entries(counts.rejectedByReason).map(([why, n]) => `${why} ${formatCount(n)}`)
    const rejected = counts.rejected > 0 ? `, ${formatCount(counts.rejected)} rejected line(s): ${reasons.join(', ')}` : ''
    // Lines without a type: most likely an Amplitude export (its rows have event_type) given as the archive.
    const exportHint =
      (counts.rejectedByReason['missing type'] ?? 0) > 0
        ? ' Lines without a `type` are not Segment messages: an Amplitude export goes to --against, and the argument is the Segment archive.'
        : ''
    throw new UsageError(
      `nothing to compare: ${what} from ${o.inputs.join(' ')} (${formatCount(counts.messages)} parsed${rejected}, ${formatCount(counts.unreadableFiles.length)} unreadable file(s), ${formatCount(filtered)} filtered)`,
      {
        code: 'nothing-read',
        hint: `Check the paths and filters (--since/--until/--types/--where): \`segamp inspect\` with the same arguments shows what is read, rejected and filtered.${exportHint}`,
      },
    )
  }
  if (exportRead && exportRead.events === 0) {
    for (const p of exportRead.problems) o.log(`export problem: ${visible(p.file)}: ${visible(p.reason)}`)
    throw new UsageError(`nothing to compare against: no stored event was read from ${o.against.join(' ')}`, {
      code: 'nothing-read',
      hint: 'Give --against a zip, a folder or files written by `segamp export` for the period of the archive (the export range is by upload time, UTC).',
    })
  }
}

/**
 * `--against -` is refused before anything is read: the export may be a zip (its directory is at
 * its end, so it cannot be streamed) and its partitioning may run on another thread, which cannot
 * read this process's stdin. It used to be looked up as a file named "-" (ENOENT).
 */
function checkAgainstPaths(paths: string[]): void {
  if (!paths.includes('-')) return
  throw new UsageError('--against -: the export is not read from stdin (a zip cannot be streamed, and the export is read apart from the archive)', {
    code: 'usage',
    hint: 'Save the export to a file or folder first and give its path, e.g. `segamp export --start … --end … --out amplitude-export/` then --against amplitude-export/ (or --against export.zip, --against day.json.gz); the archive may still be - for stdin.',
  })
}

/** --fail-on (the --against kinds only with --against) and --identify-window, as usage errors where wrong. */
function parseFailOnAndWindow(failOnFlag: string | undefined, windowFlag: string | undefined, against: boolean): { failOn: string[]; identifyWindowMs?: number } {
  let failOn: string[]
  const requested = (failOnFlag ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
  // `--fail-on "$KINDS"` with the variable empty: a gate that can never fail is a mistake, not a choice.
  if (failOnFlag !== undefined && requested.length === 0)
    throw new UsageError(`--fail-on "${failOnFlag}": names no finding kind, so nothing could fail the check`, {
      code: 'bad-flag',
      hint: `Give the kinds that must fail it, e.g. --fail-on renamed,dropped,duplicated (kinds: ${[...FAIL_ON_KINDS, ...(against ? AGAINST_KINDS : [])].join(', ')}), or leave --fail-on out to only report.`,
    })
  const extra = requested.filter((k) => (AGAINST_KINDS as readonly string[]).includes(k))
  if (extra.length > 0 && !against)
    throw new UsageError(`--fail-on ${extra.join(',')}: only with --against EXPORT`, 'Add --against EXPORT (a folder or zip written by `segamp export`), or leave these kinds out.')
  try {
    failOn = failOnFlag ? [...parseFailOn(requested.filter((k) => !extra.includes(k))), ...extra] : []
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/\)$/, against ? `, ${AGAINST_KINDS.join(', ')})` : ')'),
      'Give --fail-on a comma-separated list of the kinds above, e.g. --fail-on renamed,dropped,duplicated.',
    )
  }
  let identifyWindowMs: number | undefined
  if (windowFlag !== undefined) {
    if (!against) throw new UsageError('--identify-window: only with --against EXPORT', 'Add --against EXPORT, or leave --identify-window out.')
    identifyWindowMs = parseWindow(windowFlag)
    if (identifyWindowMs === undefined)
      throw new UsageError(`--identify-window ${windowFlag}: not a duration`, {
        code: 'bad-flag',
        hint: 'Give a duration such as 90s, 5m or 1500ms (a plain number is seconds).',
      })
  }
  return { failOn, identifyWindowMs }
}

/** No two outputs on one file, no output over an input (see checkDistinctFiles). */
function checkFiles(flags: { out?: string; report?: string[]; mappings?: string; classic?: string; 'rename-map'?: string; against?: string[] }, inputs: string[]): void {
  checkDistinctFiles(
    [{ flag: '--out', file: flags.out }, ...(flags.report ?? []).map((file) => ({ flag: '--report', file }))],
    [
      { flag: '--mappings', file: flags.mappings },
      { flag: '--classic', file: flags.classic },
      { flag: '--rename-map', file: flags['rename-map'] },
      ...(flags.against ?? []).map((file) => ({ flag: '--against', file })),
      ...inputs.map((file) => ({ flag: 'ARCHIVE', file })),
    ],
  )
}
