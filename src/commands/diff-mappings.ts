import { Args, Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { readingFlags, mappingsFlag, s3Flags } from '../cli/flags.js'
import { exitCodes } from '../cli/common.js'
import { diffSession } from '../cli/diff-session.js'
import type { DiffReport } from '../diff/index.js'
import { DIFF_FORMATS } from '../diff/present.js'

export default class DiffMappings extends SegampCommand {
  static summary = 'Compare what Amplitude (Classic) sent with what the Actions mappings send, message by message.'
  static description = `Runs every archived message through the Classic emulation (--classic settings, --classic-mode) and through the Actions mappings (--mappings, default: the Quick Setup presets), pairs the records per message and reports findings: same, renamed (Viewed Home Page → Viewed Home), dropped, added, duplicated (e.g. Order Completed sent by both Log Event and Log Purchase), properties (by JSON path) and revenue.

The report's "model" lists the Classic settings used and every assumption the emulation makes where Segment's behaviour is not documented.

--against EXPORT (a zip, a folder or files written by segamp export) compares with what Amplitude actually holds instead of the emulation: stored events are paired with archived messages by $insert_id, else by user/device id + event time, and $identify rows (stamped with their upload time) with the identify or group call received shortly before them (--identify-window); findings gain only-in-amplitude and only-in-archive, and the report says how well the emulation agreed with the stored events. Stored events outside the archive's span (before its first or after its last compared message: the export covers more time) are counted apart as outside-archive-span, never a difference.

CI: --format github prints GitHub annotations at the line of the --mappings file (JSON or Terraform) that produces each finding, junit and sarif are for other CI systems and code scanning, html is one self-contained report with charts; --report FORMAT=FILE writes more formats in the same run. Under GitHub Actions (GITHUB_ACTIONS=true) the format defaults to github, the Markdown report is appended to $GITHUB_STEP_SUMMARY and the verdict, counts and report paths are written to $GITHUB_OUTPUT. The repository's action.yml runs it as a step.

EXIT CODES (like diff)
  0  no finding of a --fail-on kind
  1  at least one finding of a --fail-on kind
  2  trouble: bad flags, unreadable settings, mappings or rename map, no message read at all, an s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials), an input file, export file or object that could not be read to the end (the report is still written, for what was read, and says so), a --fail-on naming no kind`
  static examples = [
    '<%= config.bin %> diff-mappings examples/segment-logs --classic examples/classic-settings.json',
    '<%= config.bin %> diff-mappings s3-export/ --classic classic.json --mappings actions.json --rename-map renames.csv --format markdown --fail-on renamed,dropped,duplicated',
    '<%= config.bin %> diff-mappings s3-export/ --against amplitude-export/ --fail-on renamed,dropped,only-in-archive',
  ]
  static args = { archive: Args.string({ description: 'Archive files or directories, s3://bucket/prefix; - for stdin.', required: true }) }
  static strict = false
  // Exit 1 means findings here: trouble of any kind, an unreadable s3:// input included, is 2.
  static s3ErrorExit = exitCodes.USAGE
  static failureExit = exitCodes.USAGE
  static flags = {
    classic: Flags.string({
      description: 'Classic destination settings: the settings object or a Segment Public API destination response. Default: catalog defaults.',
      helpValue: 'FILE',
    }),
    'classic-mode': Flags.string({
      options: ['cloud', 'web'],
      default: 'cloud',
      description: 'cloud: what the server-side Classic destination sent; web: analytics.js device-mode naming.',
    }),
    ...mappingsFlag,
    workers: Flags.integer({
      description:
        'Threads that decode, route and map; with --against, threads that read the export, pair and compare (this one and N - 1 others). Default 1: this thread only. The report is the same for any number.',
      min: 1,
      max: 64,
      helpValue: 'N',
    }),
    'rename-map': Flags.string({ description: 'CSV with columns classic,actions: renames to treat as expected.', helpValue: 'FILE.csv' }),
    format: Flags.string({
      options: [...DIFF_FORMATS],
      description:
        'Report format (json on stdout: the same as --json). github: workflow-command annotations at the lines of the --mappings file; junit, sarif: for CI systems and code scanning; html: one self-contained file with charts (use --out). Default: github when GITHUB_ACTIONS=true, else table.',
    }),
    out: Flags.string({ description: 'Write the report to FILE instead of stdout.', helpValue: 'FILE' }),
    report: Flags.string({
      description: 'Also write the report in FORMAT to FILE (repeatable), e.g. --report junit=segamp.xml --report html=segamp.html.',
      helpValue: 'FORMAT=FILE',
      multiple: true,
    }),
    sample: Flags.integer({ description: 'Compare at most this many messages (not with --against).', min: 1, helpValue: 'N' }),
    examples: Flags.integer({ description: 'Examples kept per finding.', default: 3, min: 0 }),
    'fail-on': Flags.string({
      description:
        'Exit 1 when any finding of these kinds exists: renamed,dropped,added,duplicated,properties,revenue,refused-by-amplitude (with --against also only-in-amplitude,only-in-archive).',
      helpValue: 'LIST',
    }),
    against: Flags.string({
      description:
        'Compare with what Amplitude holds: an Export API zip, a folder or files from segamp export (repeatable). The Classic emulation is then only measured, not compared.',
      helpValue: 'EXPORT',
      multiple: true,
    }),
    'identify-window': Flags.string({
      description:
        "With --against: how long after a message's receivedAt its $identify row may have been uploaded (Amplitude stamps identifications with their upload time), e.g. 90s, 5m. Default 5m.",
      helpValue: 'DURATION',
    }),
    'work-dir': Flags.string({
      description:
        "With --against: where the on-disk partitions of the archive and the export go (removed at the end; about the export's uncompressed size). Default: the system temp directory.",
      helpValue: 'DIR',
    }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...readingFlags,
    ...s3Flags,
  }

  async run(): Promise<DiffReport | undefined> {
    const { argv, flags } = await this.parse(DiffMappings)
    return diffSession(argv as string[], flags, {
      version: this.config.version,
      useJsonOutput: () => this.useJsonOutput(),
      jsonEnabled: () => this.jsonEnabled(),
      warn: (text) => this.warn(text),
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
    })
  }
}
