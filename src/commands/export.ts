import { Flags } from '@oclif/core'
import { statSync } from 'node:fs'
import { SegampCommand } from '../cli/base.js'
import { exitCodes, UsageError } from '../errors.js'
import { formatBytes, formatCount, progressMode, withProgress } from '../cli/progress.js'
import { ExportError, runExport, type ExportResult } from '../export/download.js'
import { formatRange, HOUR_MS, parseHour } from '../amplitude/export-api/hours.js'
import { renderExportSummary, type SandboxHeld } from '../export/render.js'
import { DEFAULT_SANDBOX_DIR, loadSandboxStore, sandboxStorePath, startSandbox, type ExportSource, type Sandbox } from '../amplitude/sandbox/index.js'
import { invocation } from '../replay/cli-support.js'
import { endpointQueryProblem, httpUrlProblem } from '../cli/common.js'

const HOSTS = { us: 'https://amplitude.com', eu: 'https://analytics.eu.amplitude.com' } as const

/** How many events a saved sandbox holds, and the first and last hour they were uploaded in. */
function sandboxHeld(dir: string, seed: ExportSource): SandboxHeld {
  let first = Infinity
  let last = -Infinity
  for (const e of [...seed.events, ...seed.identifyLog]) {
    first = Math.min(first, e.receivedAt)
    last = Math.max(last, e.receivedAt)
  }
  return { dir, count: seed.events.length + seed.identifyLog.length, first: Math.floor(first / HOUR_MS), last: Math.floor(last / HOUR_MS) }
}

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
    const usage = (msg: string, hint?: string): never => {
      throw new UsageError(msg, { hint })
    }
    const range = { start: parseHour('--start', flags.start), end: parseHour('--end', flags.end) }
    if (range.end < range.start) usage(`--end ${flags.end} is before --start ${flags.start}`, 'Give the first hour to --start and the last one (inclusive) to --end.')
    if (flags.sandbox && flags['endpoint-url']) usage('--sandbox and --endpoint-url cannot be combined: the sandbox is the endpoint', 'Leave out one of them.')
    let baseUrl: string = HOSTS[flags.region as 'us' | 'eu']
    if (flags['endpoint-url']) {
      const problem = httpUrlProblem(flags['endpoint-url'])
      if (problem) usage(`--endpoint-url ${problem}`, 'Give scheme and host, e.g. --endpoint-url http://127.0.0.1:8787.')
      const queryProblem = endpointQueryProblem(flags['endpoint-url'])
      if (queryProblem) usage(`--endpoint-url ${queryProblem}`, 'Leave out the ?… and #… parts: export sends its own query (start, end) to <endpoint>/api/2/export.')
      const u = new URL(flags['endpoint-url'])
      if (u.username || u.password)
        usage('--endpoint-url must not carry credentials', 'Remove the user:password part; pass --api-key and --secret-key (or AMPLITUDE_API_KEY and AMPLITUDE_SECRET_KEY).')
      baseUrl = `${u.origin}${u.pathname.replace(/\/+$/, '')}`
    }
    let sandbox: Sandbox | undefined
    let held: SandboxHeld | undefined
    let sandboxId: string | undefined
    let apiKey = flags['api-key']
    let secretKey = flags['secret-key']
    if (flags.sandbox) {
      const dir = flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR
      let seed
      try {
        seed = await loadSandboxStore(dir)
      } catch (error) {
        usage(
          `no sandbox data at ${sandboxStorePath(dir)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
          `Run \`${invocation(this.config.bin)} replay <archive> --sandbox\` first (e.g. \`${invocation(this.config.bin)} replay examples/segment-logs --sandbox\`).`,
        )
      }
      held = sandboxHeld(dir, seed!)
      // Which saved store this is: a new replay --sandbox replaces it, and an export of the old one is not resumed.
      const saved = statSync(sandboxStorePath(dir))
      sandboxId = `sandbox ${saved.size}-${Math.round(saved.mtimeMs)}`
      sandbox = await startSandbox({ seed })
      baseUrl = sandbox.url
      apiKey ??= 'sandbox-api-key'
      secretKey ??= 'sandbox-secret-key'
    }
    if (!apiKey || !secretKey)
      usage(
        'the Export API needs the project API key and secret key',
        'Pass --api-key and --secret-key, or set AMPLITUDE_API_KEY and AMPLITUDE_SECRET_KEY (Amplitude: Settings → Projects → the project → General).',
      )

    const controller = new AbortController()
    const onSigint = (): void => {
      this.logToStderr('\nInterrupted: stopping; finished hours are kept')
      controller.abort()
    }
    // SIGTERM (a cancelled CI job, `timeout`, `docker stop`) stops as Ctrl-C does: finished hours kept, 130.
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    const json = this.jsonEnabled()
    const mode = progressMode({ quiet: json || flags['no-progress'], plainWhenNotTty: true })
    const notices: string[] = []
    const started = Date.now()
    let result: ExportResult | undefined
    let failure: ExportError | undefined
    try {
      result = await withProgress(mode, `Exporting ${formatRange(range)}`, (progress) =>
        runExport({
          range: range,
          baseUrl,
          apiKey: apiKey!,
          secretKey: secretKey!,
          outDir: flags.out,
          endpointId: sandboxId,
          // The sandbox's hours are complete once over; Amplitude's about two hours later.
          ...(flags.sandbox ? { openHours: 1, startOverOnOtherEndpoint: true } : {}),
          unpack: flags.unpack,
          signal: controller.signal,
          onNotice: (t) => {
            notices.push(t)
            if (mode === 'silent' && !json) this.logToStderr(t)
          },
          onProgress: (p) =>
            progress.update(`${formatCount(p.hoursDone)} of ${formatCount(p.hoursTotal)} hours, ${formatBytes(p.bytes)} downloaded${p.current ? ` (now ${p.current})` : ''}`),
        }),
      )
    } catch (error) {
      if (!(error instanceof ExportError)) throw error
      failure = error
    } finally {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
      await sandbox?.close()
    }
    if (mode !== 'silent') for (const n of notices) this.logToStderr(n)
    if (failure) {
      if (failure.kind === 'aborted') {
        this.logToStderr(`Interrupted. Run the same command again to resume (finished hours are in ${flags.out}).`)
        process.exitCode = exitCodes.INTERRUPTED
        return undefined
      }
      throw failure
    }
    const r = result!
    const seconds = (Date.now() - started) / 1000
    this.log(renderExportSummary(r, { range, out: flags.out, seconds, bin: invocation(this.config.bin), sandbox: held }))
    return { ...r, seconds }
  }
}
