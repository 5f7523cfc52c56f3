/**
 * `segamp export`'s session: the hour range and endpoint checked, a saved sandbox started when
 * asked, the Export API download run with progress and Ctrl-C/SIGTERM handled (finished hours
 * kept), and its summary printed. The command only parses flags and calls `exportSession`.
 *
 * It must never download, unpack or record a finished hour itself (src/export does): it turns
 * flags into that call and its result into output.
 */
import { statSync } from 'node:fs'
import { exitCodes, UsageError } from '../errors.js'
import { formatBytes, formatCount, progressMode, withProgress } from './progress.js'
import { ExportError, runExport, type ExportResult } from '../export/download.js'
import { formatRange, HOUR_MS, parseHour } from '../amplitude/export-api/hours.js'
import { renderExportSummary, type SandboxHeld } from '../export/render.js'
import { DEFAULT_SANDBOX_DIR, loadSandboxStore, sandboxStorePath, startSandbox, type ExportSource, type Sandbox } from '../amplitude/sandbox/index.js'
import { invocation } from '../replay/cli-support.js'
import { endpointQueryProblem, httpUrlProblem } from './common.js'

/** The flags of `segamp export`, as oclif parsed them. */
export interface ExportFlags {
  start: string
  end: string
  out: string
  unpack: boolean
  'api-key'?: string
  'secret-key'?: string
  region: string
  'endpoint-url'?: string
  sandbox: boolean
  'sandbox-dir'?: string
  'no-progress': boolean
}

/** What the session needs of the command: its name, its JSON mode and its output. */
export interface ExportIo {
  bin: string
  json: boolean
  log(text: string): void
  logToStderr(text: string): void
}

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

export async function exportSession(flags: ExportFlags, io: ExportIo): Promise<(ExportResult & { seconds: number }) | undefined> {
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
        `Run \`${invocation(io.bin)} replay <archive> --sandbox\` first (e.g. \`${invocation(io.bin)} replay examples/segment-logs --sandbox\`).`,
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
    io.logToStderr('\nInterrupted: stopping; finished hours are kept')
    controller.abort()
  }
  // SIGTERM (a cancelled CI job, `timeout`, `docker stop`) stops as Ctrl-C does: finished hours kept, 130.
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  const json = io.json
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
          if (mode === 'silent' && !json) io.logToStderr(t)
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
  if (mode !== 'silent') for (const n of notices) io.logToStderr(n)
  if (failure) {
    if (failure.kind === 'aborted') {
      io.logToStderr(`Interrupted. Run the same command again to resume (finished hours are in ${flags.out}).`)
      process.exitCode = exitCodes.INTERRUPTED
      return undefined
    }
    throw failure
  }
  const r = result!
  const seconds = (Date.now() - started) / 1000
  io.log(renderExportSummary(r, { range, out: flags.out, seconds, bin: invocation(io.bin), sandbox: held }))
  return { ...r, seconds }
}
