/**
 * The two replays that read no archive through the Actions mappings, as the terminal sees them:
 * `--sandbox --classic SETTINGS` (the Classic emulation's records into the sandbox, a stand-in for
 * a Classic period) and `--retry-dead-letters` (a state directory's dead letters sent again).
 * Called by the replay session (replay-session.ts); each prints around its service and returns its report.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readClassicFile } from './classic-input.js'
import { DEFAULT_SANDBOX_DIR } from '../amplitude/sandbox/store.js'
import { exitCodes, UsageError } from '../errors.js'
import { readLocalCheckpoint } from '../pipeline/commit/index.js'
import { deliveryFlags, invocation } from '../replay/cli-support.js'
import { destinationId, wasSandboxRun } from '../replay/run-identity.js'
import { renderAbortError, renderReplaySummary, renderSandboxIngested } from '../replay/render.js'
import { renderClassicStandIn, replayClassicStandIn, type ClassicStandInResult } from '../replay/classic-stand-in.js'
import { nothingToRetryWarning, parseReasons, renderRetryResult, retryDeadLetters, type RetryReport } from '../replay/retry-dead-letters.js'
import type { ReplayFlags, SessionIo } from './replay-session.js'

/** `--sandbox --classic`: the Classic emulation's records into the sandbox, saved for `export --sandbox`. */
export async function classicStandInSession(inputs: string[], flags: ReplayFlags, io: SessionIo): Promise<ClassicStandInResult> {
  const settings = await readClassicFile(flags.classic, (w) => io.warn(w))
  const { saveSandboxStore, startSandbox, summarizeSandbox } = await import('../amplitude/sandbox/index.js')
  const sandbox = await startSandbox()
  let open = true
  try {
    const result = await replayClassicStandIn({ inputs, settings, endpointUrl: sandbox.url, apiKey: flags['api-key'] ?? 'sandbox-api-key' })
    if (!io.json) io.logToStderr(renderClassicStandIn(result))
    open = false
    await sandbox.close()
    const saved = await saveSandboxStore(sandbox, flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR)
    io.log(
      renderSandboxIngested({ lines: summarizeSandbox(sandbox), saved, receivedAt: [...sandbox.events, ...sandbox.identifyLog].map((e) => e.receivedAt), bin: invocation(io.bin) }),
    )
    if (result.read.rejected > 0 || result.deadLettered > 0) process.exitCode = exitCodes.PARTIAL
    return result
  } finally {
    if (open) await sandbox.close()
  }
}

/** `--retry-dead-letters`: the state directory's dead letters go out again; nothing is read. */
export async function retryDeadLettersSession(flags: ReplayFlags, stateDir: string, live: boolean, io: SessionIo): Promise<RetryReport> {
  if (live && !flags.yes)
    throw new UsageError('refusing to resend dead letters without --yes', {
      code: 'not-confirmed',
      hint: 'Check what is dead-lettered with `segamp status` first, then add --yes.',
    })
  const reasons = parseReasons(flags.reasons)
  if (flags.sandbox) refuseSandboxRetryOfLiveRun(stateDir, flags)
  else refuseRetryToAnotherProject(stateDir, flags)
  const sandboxKit = flags.sandbox ? await import('../amplitude/sandbox/index.js') : undefined
  const sandbox = sandboxKit ? await sandboxKit.startSandbox() : undefined
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    const report = await retryDeadLetters({
      stateDir,
      reasons,
      apiKey: sandbox ? (flags['api-key'] ?? 'sandbox-api-key') : flags['api-key']!,
      region: flags.region as 'us' | 'eu',
      endpointUrl: sandbox ? sandbox.url : flags['endpoint-url'],
      useBatchEndpoint: flags['use-batch-endpoint'],
      batchSize: flags['batch-size'],
      concurrency: flags.concurrency,
      maxEps: flags['max-eps'],
      skipUserPropertiesSync: flags['skip-user-properties-sync'],
      delivery: deliveryFlags(flags),
      signal: controller.signal,
      onNote: (text) => io.logToStderr(text),
    })
    if (!io.json) io.logToStderr(renderRetryResult(report) + '\n\n' + renderReplaySummary(report, { color: Boolean(process.stderr.isTTY) }))
    if (report.error && !io.json) io.logToStderr(renderAbortError(report.error, { fromStdin: false, sandbox: Boolean(flags.sandbox), hint: report.errorHint }))
    const nothing = report.error ? undefined : nothingToRetryWarning(report, reasons)
    if (nothing) io.warn(nothing)
    if (sandbox && sandboxKit) io.log(sandboxKit.summarizeSandbox(sandbox).join('\n'))
    if (report.exitCode !== 0) process.exitCode = report.exitCode
    return report
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await sandbox?.close()
  }
}

/**
 * `--retry-dead-letters --sandbox` resends into a sandbox that lives as long as the command and
 * moves what it acknowledges to sent: right for a `--sandbox` run's dead letters, but a live run's
 * would count as sent without ever reaching its project. Only a sandbox run's state is accepted.
 */
function refuseSandboxRetryOfLiveRun(stateDir: string, flags: ReplayFlags): void {
  const runId = checkpointRunId(stateDir)
  if (typeof runId !== 'string' || wasSandboxRun(runId, { apiKey: flags['api-key'], region: flags.region })) return
  throw new UsageError(
    `${stateDir} holds the dead letters of a run that did not send to a sandbox (run ${runId}): resent into --sandbox, they would be counted as sent without reaching that run's destination`,
    {
      code: 'retry-sandbox-live-run',
      hint: "Retry without --sandbox, with that run's --api-key (and --endpoint-url, if it had one); to try them out, copy the state directory first.",
    },
  )
}

/**
 * A retry sends to the API key and region it is given, and counts what is acknowledged as sent
 * for the run: another project's key (or region) would move the run's dead letters to sent while
 * its own project never got them. The run id's destination part holds the key's hash and the
 * region (with the endpoint host, taken from the run's report: a proxy may change host).
 */
function refuseRetryToAnotherProject(stateDir: string, flags: ReplayFlags): void {
  const runId = checkpointRunId(stateDir)
  const endpointUrl = readJsonField(join(stateDir, 'report.json'), 'endpointUrl')
  if (typeof runId !== 'string' || (endpointUrl !== null && typeof endpointUrl !== 'string')) return
  const same = { apiKey: flags['api-key'], region: flags.region, endpointUrl: endpointUrl ?? undefined, sandbox: false, dryRun: false }
  if (runId.slice(8, 12) === destinationId(same) || wasSandboxRun(runId, flags)) return
  throw new UsageError(
    `${stateDir} holds the dead letters of a run that sent with another API key or --region (run ${runId}): retried with these, they would go to another project and count as sent`,
    {
      code: 'retry-other-project',
      hint: "Retry with that run's --api-key (env AMPLITUDE_API_KEY) and --region; a sandbox run's dead letters retry with --sandbox.",
    },
  )
}

/** The run id of a state directory's checkpoint; undefined when there is none or it is unreadable. */
function checkpointRunId(stateDir: string): unknown {
  try {
    return readLocalCheckpoint(stateDir, { anyVersion: true })?.runId
  } catch {
    return undefined
  }
}

/** A top-level field of a JSON file; undefined when the file is missing or not JSON. */
function readJsonField(path: string, field: string): unknown {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)[field]
  } catch {
    return undefined
  }
}
