import { Args, Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { join } from 'node:path'
import { inspectArchives, nothingReadError, type InspectReport } from '../inspect/index.js'
import { parseTypes } from '../pipeline/route/index.js'
import { readingFlags, mappingsFlag, s3Flags, workersFlag } from '../cli/flags.js'
import { ensureWritableDir } from '../cli/state-dir.js'
import { InputProgress, s3Settings } from '../cli/s3-input.js'
import { formatBytes, formatCount, progressMode, withProgress } from '../cli/progress.js'
import { renderInspectNotes, renderInspectTable } from '../inspect/render.js'
import { whereFilter, exitCodes, emptyFileWarnings, noMatchWarning, outOfTimeRangeWarning, terminalStdinNote } from '../cli/common.js'
import { compileSubscriptions, loadMappings } from '../segment/subscriptions/index.js'
import { isS3State, localStateFile } from '../pipeline/commit/index.js'
import { UsageError } from '../errors.js'

export default class Inspect extends SegampCommand {
  static summary = 'Profile Segment archives before anything is sent.'
  static description = `Reads archives (files, directories of a Segment S3 export, or - for stdin; gzip or plain NDJSON, or AWS S3 (Actions) CSV) and reports messages per type and event, the time range, identifier coverage, ids shorter than Amplitude's 5-character minimum, rejected lines with reasons, and how often each subscription of --mappings (default: the Quick Setup presets) would fire.

Rejected lines are written to <state-dir>/rejected.ndjson as {"file","line","reason","text"}.

EXIT CODES
  0  read everything
  3  finished, but some lines were rejected or some files (objects) could not be read
  75 finished, but an s3:// object failed past its retries (throttling, 5xx, network): run it again later
  1  aborted: an s3:// input cannot be read at all (no such bucket, access denied, missing or expired credentials)
  2  usage error (bad flag, bad --where, invalid mapping file), or nothing was read: every input empty (an empty file beside others: a warning naming it)`
  static examples = [
    '<%= config.bin %> inspect examples/segment-logs',
    '<%= config.bin %> inspect s3-export/ --types track --since 2024-05-01 --format json',
    'gzip -dc day.gz | <%= config.bin %> inspect - --where \'event = "Order Completed"\'',
    '<%= config.bin %> inspect s3://my-segment-bucket/segment-logs/3S7cr7ZP4LPQwanZptak4X --since 2024-05-01 --profile analytics',
  ]
  static args = { archive: Args.string({ description: 'Archive files or directories, s3://bucket/prefix; - for stdin.', required: true }) }
  static strict = false
  static flags = {
    format: Flags.string({ options: ['table', 'json'], default: 'table', description: 'Report format on stdout (json: the same as --json).' }),
    'state-dir': Flags.string({ description: 'Where rejected.ndjson is written.', default: join('.segamp', 'inspect'), helpValue: 'DIR' }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...mappingsFlag,
    ...workersFlag,
    ...readingFlags,
    ...s3Flags,
  }

  async run(): Promise<InspectReport> {
    const { argv, flags } = await this.parse(Inspect)
    const inputs = argv as string[]
    if (flags.format === 'json') this.useJsonOutput()
    const json = this.jsonEnabled()
    if (isS3State(flags['state-dir']))
      throw new UsageError(
        `--state-dir ${flags['state-dir']}: inspect writes rejected.ndjson to a local directory`,
        'Give a local directory (s3:// state directories are for replay and status).',
      )
    const setup = await (async () => {
      const loaded = await loadMappings(flags.mappings)
      for (const w of loaded.warnings) this.warn(w)
      return {
        types: parseTypes(flags.types),
        where: whereFilter(flags.where, (w) => this.warn(w)),
        subscriptions: compileSubscriptions(loaded),
        notes: loaded.notes,
        s3: s3Settings(flags, inputs, (w) => this.warn(w)),
      }
    })()
    // A --state-dir given is checked now (an unwritable one used to hang in mkdir); the default is
    // only created when a line is rejected, so inspect works in a read-only checkout.
    if (this.argv.some((a) => a === '--state-dir' || a.startsWith('--state-dir='))) ensureWritableDir(flags['state-dir'])
    const stdinNote = terminalStdinNote(inputs)
    if (stdinNote) this.logToStderr(stdinNote)
    const input = new InputProgress(inputs, { since: flags.since, warn: (w) => this.warn(w) })
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
        onProgress: (p) =>
          progress.update(`${input.prefix()}${formatCount(p.messages)} messages, ${formatBytes(p.bytes)}${p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : ''}`),
      })
    })
    const { report } = result
    // Named one by one up to a screenful: a prefix of thousands of empty objects is a count.
    for (const w of emptyFileWarnings(result.emptyFiles)) this.warn(w)
    const nothingRead = nothingReadError(result, inputs)
    if (nothingRead) throw nothingRead
    if (!json) this.log(renderInspectTable(report, { color: Boolean(process.stdout.isTTY) }).trimEnd())
    for (const line of renderInspectNotes(result, setup.notes)) this.logToStderr(line)
    const filteredAll = outOfTimeRangeWarning(report, flags, 'nothing was kept') ?? noMatchWarning(report, flags, 'nothing was kept')
    if (filteredAll) this.warn(filteredAll)
    // An object the store failed to serve past its retries may read later: 75, as replay, so a
    // scheduler retries instead of taking the profile as final.
    if (report.unreadableFiles.some((f) => f.retryable)) process.exitCode = exitCodes.TEMPFAIL
    else if (report.rejected > 0 || report.unreadableFiles.length > 0) process.exitCode = exitCodes.PARTIAL
    return report
  }
}
