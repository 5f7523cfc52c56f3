import { Command, Flags } from '@oclif/core'
import { exitCodes } from '../cli/common.js'
import { formatBytes, formatCount, progressMode, withProgress } from '../cli/progress.js'
import { ExportError, runExport, type ExportResult } from '../export/download.js'
import { formatRange, HourFormatError, parseHour } from '../export/hours.js'
import { DEFAULT_SANDBOX_DIR, loadSandboxStore, sandboxStorePath, startSandbox, type Sandbox } from '../sandbox/index.js'

const HOSTS = { us: 'https://amplitude.com', eu: 'https://analytics.eu.amplitude.com' } as const

export default class Export extends Command {
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
    json: Flags.boolean({ description: 'Print the summary as JSON on stdout.', default: false }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Export)
    const usage = (msg: string): never => this.error(msg, { exit: exitCodes.USAGE })
    let range
    try {
      range = { start: parseHour('--start', flags.start), end: parseHour('--end', flags.end) }
    } catch (error) {
      if (error instanceof HourFormatError) usage(error.message)
      throw error
    }
    if (range!.end < range!.start) usage(`--end ${flags.end} is before --start ${flags.start}`)
    if (flags.sandbox && flags['endpoint-url']) usage('--sandbox and --endpoint-url cannot be combined: the sandbox is the endpoint')
    let baseUrl: string = HOSTS[flags.region as 'us' | 'eu']
    if (flags['endpoint-url']) {
      let u: URL | undefined
      try {
        u = new URL(flags['endpoint-url'])
      } catch {
        u = undefined
      }
      if (!u || !/^https?:$/.test(u.protocol)) usage('--endpoint-url is not an http(s) URL (e.g. http://127.0.0.1:8787)')
      if (u!.username || u!.password) usage('--endpoint-url must not carry credentials: pass --api-key and --secret-key (or the environment variables)')
      baseUrl = `${u!.origin}${u!.pathname.replace(/\/+$/, '')}`
    }
    let sandbox: Sandbox | undefined
    let apiKey = flags['api-key']
    let secretKey = flags['secret-key']
    if (flags.sandbox) {
      const dir = flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR
      let seed
      try {
        seed = await loadSandboxStore(dir)
      } catch (error) {
        usage(`no sandbox data at ${sandboxStorePath(dir)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): run \`${this.config.bin} replay <archive> --sandbox\` first`)
      }
      sandbox = await startSandbox({ seed })
      baseUrl = sandbox.url
      apiKey ??= 'sandbox-api-key'
      secretKey ??= 'sandbox-secret-key'
    }
    if (!apiKey || !secretKey) usage('the Export API needs the project API key and secret key: --api-key and --secret-key, or env AMPLITUDE_API_KEY and AMPLITUDE_SECRET_KEY')

    const controller = new AbortController()
    const onSigint = (): void => {
      this.logToStderr('\nInterrupted: stopping; finished hours are kept')
      controller.abort()
    }
    process.on('SIGINT', onSigint)
    const mode = progressMode({ quiet: flags.json || flags['no-progress'], plainWhenNotTty: true })
    const notices: string[] = []
    const started = Date.now()
    let result: ExportResult | undefined
    let failure: ExportError | undefined
    try {
      result = await withProgress(mode, `Exporting ${formatRange(range!)}`, (progress) =>
        runExport({
          range: range!,
          baseUrl,
          apiKey: apiKey!,
          secretKey: secretKey!,
          outDir: flags.out,
          endpointId: flags.sandbox ? 'sandbox' : undefined,
          unpack: flags.unpack,
          signal: controller.signal,
          onNotice: (t) => {
            notices.push(t)
            if (mode === 'silent' && !flags.json) this.logToStderr(t)
          },
          onProgress: (p) => progress.update(`${formatCount(p.hoursDone)} of ${formatCount(p.hoursTotal)} hours, ${formatBytes(p.bytes)} downloaded${p.current ? ` (now ${p.current})` : ''}`),
        }),
      )
    } catch (error) {
      if (!(error instanceof ExportError)) throw error
      failure = error
    } finally {
      process.off('SIGINT', onSigint)
      await sandbox?.close()
    }
    if (mode !== 'silent') for (const n of notices) this.logToStderr(n)
    if (failure) {
      if (failure.kind === 'aborted') {
        this.logToStderr(`Interrupted. Run the same command again to resume (finished hours are in ${flags.out}).`)
        process.exitCode = 130
        return
      }
      this.error(failure.message, { exit: exitCodes.ABORTED })
    }
    const r = result!
    const seconds = (Date.now() - started) / 1000
    if (flags.json) {
      this.log(JSON.stringify({ ...r, seconds }, null, 2))
      return
    }
    this.log(
      [
        `Exported ${formatRange(range!)} into ${flags.out}: ${formatCount(r.hoursTotal)} hour(s), ${formatCount(r.hoursWithData)} with events, ${formatCount(r.hoursEmpty)} without; ${formatCount(r.files.length)} file(s)`,
        `${formatBytes(r.bytes)} downloaded in ${seconds.toFixed(1)} s${r.splits > 0 ? `; ${r.splits} request(s) refused as too large were split` : ''}${r.hoursResumed > 0 ? `; ${formatCount(r.hoursResumed)} hour(s) already done by an earlier run` : ''}`,
        r.hoursWithData === 0 ? 'Amplitude holds no events uploaded in this range (404 for every hour): check the range (it is by upload time, UTC) and the project.' : `Compare: ${this.config.bin} diff-mappings <archive> --against ${flags.out}`,
      ].join('\n'),
    )
  }
}
