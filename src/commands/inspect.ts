import { Args, Flags } from '@oclif/core'
import { join } from 'node:path'
import { SegampCommand } from '../cli/base.js'
import { readingFlags, mappingsFlag, s3Flags, workersFlag } from '../cli/flags.js'
import { inspectSession } from '../cli/inspect-session.js'
import type { InspectReport } from '../inspect/index.js'

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
    return inspectSession(argv as string[], flags, {
      argv: this.argv,
      useJsonOutput: () => this.useJsonOutput(),
      jsonEnabled: () => this.jsonEnabled(),
      warn: (text) => this.warn(text),
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
    })
  }
}
