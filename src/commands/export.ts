import { Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { exportSession } from '../cli/export-session.js'
import type { ExportResult } from '../export/download.js'
import { DEFAULT_SANDBOX_DIR } from '../amplitude/sandbox/index.js'

export default class Export extends SegampCommand {
  static summary = "Download raw events from Amplitude's Export API (what your project actually holds)."
  static description = `GET /api/2/export for every hour from --start to --end (UTC, inclusive; Amplitude's range is by upload time, server_upload_time), with HTTP Basic auth (API key : secret key). Each requested piece is kept as the zip Amplitude sends (hourly gzipped JSON-lines files inside), or unpacked with --unpack. A piece refused as too large (400, over 4 GB) is split by hour and retried; ranges over 365 days are requested in 365-day pieces. A 404 means no data for that piece. DIR/.segamp-export.json records finished pieces: run the same command again after an interruption and finished hours are not downloaded again. Keys are never written to files or output.

The result feeds diff-mappings --against DIR.

EXIT CODES
  0    every hour exported (or known empty)
  1    aborted: wrong credentials, an hour over 4 GB, endpoint failing after retries, unreadable zip or state
  2    usage error
  130  interrupted (run the same command to resume)`
  static examples = [
    'AMPLITUDE_API_KEY=… AMPLITUDE_SECRET_KEY=… <%= config.bin %> export --start 20240501T00 --end 20240531T23 --out amplitude-export/',
    '<%= config.bin %> export --region eu --start 20240506T00 --end 20240506T23 --out export/ --unpack',
    '<%= config.bin %> export --sandbox --start 20240506T00 --end 20240506T23 --out export/',
  ]
  static flags = {
    start: Flags.string({ description: 'First hour, YYYYMMDDTHH (UTC).', required: true, helpValue: 'YYYYMMDDTHH' }),
    end: Flags.string({ description: 'Last hour, inclusive, YYYYMMDDTHH (UTC).', required: true, helpValue: 'YYYYMMDDTHH' }),
    out: Flags.string({ description: 'Output directory (created; holds the state file for resuming).', required: true, helpValue: 'DIR' }),
    unpack: Flags.boolean({ description: 'Write the hourly .json.gz files instead of keeping the zips.', default: false }),
    'api-key': Flags.string({ env: 'AMPLITUDE_API_KEY', description: 'Amplitude project API key (or env AMPLITUDE_API_KEY).', helpGroup: 'AMPLITUDE' }),
    'secret-key': Flags.string({ env: 'AMPLITUDE_SECRET_KEY', description: 'Amplitude project secret key (or env AMPLITUDE_SECRET_KEY).', helpGroup: 'AMPLITUDE' }),
    region: Flags.string({ options: ['us', 'eu'], default: 'us', description: 'Data center: us (amplitude.com) or eu (analytics.eu.amplitude.com).', helpGroup: 'AMPLITUDE' }),
    'endpoint-url': Flags.string({ description: 'Replace scheme+host (the path /api/2/export is kept), e.g. a proxy or a sandbox.', helpGroup: 'AMPLITUDE', helpValue: 'URL' }),
    sandbox: Flags.boolean({ description: 'Export from a local sandbox holding what the last `replay --sandbox` ingested (no account needed).', default: false }),
    'sandbox-dir': Flags.string({ description: `Where replay --sandbox saved what it ingested (default ${DEFAULT_SANDBOX_DIR}).`, helpValue: 'DIR' }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
  }

  async run(): Promise<(ExportResult & { seconds: number }) | undefined> {
    const { flags } = await this.parse(Export)
    return exportSession(flags, {
      bin: this.config.bin,
      json: this.jsonEnabled(),
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
    })
  }
}
