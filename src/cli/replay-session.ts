/**
 * One `segamp replay` as the terminal sees it: the flags checked and turned into a run (mappings,
 * shard, run id, state directory), the confirmation prompt before a live send, the sandbox
 * started and saved, Ctrl-C and SIGTERM turned into a clean stop, progress drawn, and the
 * engine run. The command only parses flags, calls `replaySession` and renders what it returns.
 */
import type { ReadingFlagValues } from './flags.js'
import { createInterface } from 'node:readline/promises'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { compileFilters, parseTypes } from '../pipeline/route/index.js'
import { InputProgress, s3Settings } from './s3-input.js'
import { ensureWritableDir } from './state-dir.js'
import {
  emptyFileWarnings,
  endpointQueryProblem,
  exitCodes,
  httpUrlProblem,
  noMatchWarning,
  outOfTimeRangeWarning,
  shownEndpointUrl,
  terminalStdinNote,
  whereFilter,
  endByInterrupt,
  writeNowOrQueue,
} from './common.js'
import { formatCount, progressMode, withProgress, type ProgressHandle } from './progress.js'
import { compileSubscriptions, loadMappings, selectOnlyActions } from '../segment/subscriptions/index.js'
import { replay, type ReplayOptions, type ReplayProgress } from '../replay/engine.js'
import { S3_CADENCE, stateUrlError, type ReplayCounts, type ReplayReport } from '../pipeline/commit/index.js'
import { defaultWorkersHere } from './cpu-quota.js'
import { findUnfinishedSibling, replayRunId, siblingAdvice } from '../replay/run-identity.js'
import { stateDirAt } from '../replay/state.js'
import type { S3Settings } from '../pipeline/source/index.js'
import { streamInputs } from '../pipeline/source/index.js'
import { renderAbortError, renderReplaySummary, renderResumeAdvice, renderSandboxIngested } from '../replay/render.js'
import { confirmationText, deliveryFlags, ENDPOINT_URL_ENV, fingerprint, hasCredentials, invocation, progressLine, resumeCommand } from '../replay/cli-support.js'
import { displayUrl } from '../pipeline/deliver/index.js'
import { inspectArchives } from '../inspect/index.js'
import { DEFAULT_SANDBOX_DIR } from '../amplitude/sandbox/store.js'
import { SegampError, UsageError } from '../errors.js'
import { parseShard, shardFromEnv, shardMaxEps, shardSuffix, type ShardRun } from '../pipeline/route/index.js'
import { apiKeyOf } from '../replay/settings.js'
import { classicStandInSession, retryDeadLettersSession } from './replay-session-modes.js'
import type { ClassicStandInResult } from '../replay/classic-stand-in.js'
import type { RetryReport } from '../replay/retry-dead-letters.js'

/** The replay command's flags, as oclif parses them. */
export interface ReplayFlags extends ReadingFlagValues {
  'api-key'?: string
  region: string
  'endpoint-url'?: string
  sandbox: boolean
  'sandbox-dir'?: string
  /** With --sandbox: the Classic settings whose emulation is sent instead of the mappings. */
  classic?: string
  'retry-dead-letters'?: boolean
  reasons?: string
  mappings?: string
  only?: string
  'use-batch-endpoint': boolean
  'batch-size': number
  concurrency: number
  'max-eps'?: number
  /** Seconds, as typed (checked by requestTimeoutMs). */
  'request-timeout'?: string
  workers?: number
  shard?: string
  shards?: number
  'skip-user-properties-sync': boolean
  'dry-run'?: boolean
  out?: string
  'out-include-keys'?: boolean
  'state-dir'?: string
  'checkpoint-interval'?: number
  'checkpoint-lines'?: number
  fresh: boolean
  yes: boolean
  'no-progress': boolean
  profile?: string
  's3-endpoint'?: string
  's3-path-style': boolean
}

/** What the session needs of the command: its name, its arguments and its output. */
export interface SessionIo {
  bin: string
  argv: string[]
  json: boolean
  warn(text: string): void
  log(text: string): void
  logToStderr(text: string): void
}

/** The run a replay's flags describe, checked before anything is read or written. */
interface ReplayPlan {
  inputs: string[]
  live: boolean
  fromStdin: boolean
  /** Inputs that are named pipes, /dev/stdin and the like: read once. */
  streams: ReturnType<typeof streamInputs>
  options: Omit<ReplayOptions, 'archive' | 'apiKey' | 'endpointUrl' | 'signal' | 'onWarning' | 'onProgress'>
  s3: ReturnType<typeof s3Settings>
  /** What this run writes, never read as its input (a state directory or --out inside the tree). */
  exclude: Array<{ path: string; what: string }>
}

/** Runs one replay from its flags and prints around it; returns the report (the exit code set). */
export async function replaySession(inputs: string[], flags: ReplayFlags, io: SessionIo): Promise<ReplayReport | ClassicStandInResult | RetryReport> {
  checkInputsGiven(inputs, flags)
  // Where the sandbox's store is saved at the end: found unusable now, not after the whole replay.
  if (flags.sandbox && !flags['retry-dead-letters']) ensureWritableDir(flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR, '--sandbox-dir')
  if (flags.classic) return classicStandInSession(inputs, flags, io)
  const plan = await planReplay(inputs, flags, io)
  if (flags['retry-dead-letters']) return retryDeadLettersSession(flags, plan.options.stateDir, plan.live, io)
  const stdinNote = terminalStdinNote(inputs)
  if (stdinNote) io.logToStderr(stdinNote)
  const input = new InputProgress(inputs, { since: flags.since, warn: (w) => io.warn(w) })
  if (plan.live && !flags.yes) await confirm(plan, flags, input, io)
  else if (plan.live) io.warn('Amplitude deduplicates insert_id only within 7 days: replaying data it already holds from longer ago duplicates it.')
  // The sandbox's server loads only for --sandbox runs (start-up is paid by every run).
  const sandboxKit = flags.sandbox ? await import('../amplitude/sandbox/index.js') : undefined
  const sandbox = sandboxKit ? await sandboxKit.startSandbox() : undefined
  let report: ReplayReport
  try {
    report = await runWithSignals(plan, flags, input, io, sandbox?.url)
  } catch (error) {
    await sandbox?.close()
    throw error
  }
  if (!io.json) io.logToStderr(renderReplaySummary(report, { color: Boolean(process.stderr.isTTY), sandbox: Boolean(flags.sandbox) }))
  // Each input that held no line is named, as inspect and diff-mappings do (every input empty is also the error below).
  for (const w of emptyFileWarnings(report.emptyFiles ?? [], report.headerOnlyFiles)) io.warn(w)
  // Files were found, but not one line was in them (an empty file, an empty gzip, stdin at its end):
  // no success with nothing done. Exit 2 once the sandbox (if any) is closed, as inspect and diff-mappings do.
  const nothingRead =
    !report.alreadyDone && !report.resumed && !report.error && !report.interrupted && report.messages + report.rejected === 0 && report.unreadableFiles.length === 0
  // Every message lies outside --since/--until (a range that misses the archive): not a silent success.
  const nothingSent = flags['dry-run'] ? 'nothing would be sent' : 'nothing was sent'
  // Or the filters together (a typo'd --types, a --where never true, with or without a range): said too.
  const filteredAll = !report.alreadyDone && !report.error ? (outOfTimeRangeWarning(report, flags, nothingSent) ?? noMatchWarning(report, flags, nothingSent)) : undefined
  if (filteredAll) io.warn(filteredAll)
  if (sandbox && sandboxKit) {
    const lines = sandboxKit.summarizeSandbox(sandbox)
    await sandbox.close()
    const saved = await sandboxKit.saveSandboxStore(sandbox, flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR)
    io.log(renderSandboxIngested({ lines, saved, receivedAt: [...sandbox.events, ...sandbox.identifyLog].map((e) => e.receivedAt), bin: invocation(io.bin) }))
  }
  if ((report.interrupted || report.error) && (plan.fromStdin || !flags.sandbox)) {
    const endpoint = flags['endpoint-url']
    const needs = [
      ...(flags['api-key'] && !flags.sandbox ? ['AMPLITUDE_API_KEY set to the API key'] : []),
      // The command names $AMPLITUDE_SECRET_KEY only when --secret-key was on the command line.
      ...(io.argv.some((a) => a === '--secret-key' || a.startsWith('--secret-key=')) ? ['AMPLITUDE_SECRET_KEY set to the secret key'] : []),
      ...(endpoint !== undefined && hasCredentials(endpoint) ? [`${ENDPOINT_URL_ENV} set to the endpoint URL and its credentials`] : []),
    ]
    io.logToStderr(renderResumeAdvice({ fromStdin: plan.fromStdin, command: resumeCommand(invocation(io.bin), io.argv), needs }))
  }
  if (report.error && !io.json) io.logToStderr(renderAbortError(report.error, { fromStdin: plan.fromStdin, sandbox: flags.sandbox, hint: report.errorHint }))
  if (nothingRead) throw nothingReadError(inputs)
  if (report.exitCode !== 0) process.exitCode = report.exitCode
  return report
}

/** Every input existed and held no line: exit 2 (code `nothing-read`), naming them. */
function nothingReadError(inputs: string[]): UsageError {
  return new UsageError(
    `nothing was read: ${inputs.join(' ')} hold(s) no line (empty or blank files, CSV files with a header row only, an empty gzip, or stdin at its end); nothing was sent`,
    {
      code: 'nothing-read',
      hint: "Check the paths: give the files or folder that hold the archive (`ls -l` shows each file's size), or, for -, the command that writes to the pipe.",
    },
  )
}

/**
 * ARCHIVE is optional to oclif because --retry-dead-letters reads none: there, it only names the
 * default state directory (.segamp/<run-id> of the replay with the same arguments), so either it
 * or --state-dir must say where the dead letters are. Every other replay needs one.
 */
function checkInputsGiven(inputs: string[], flags: ReplayFlags): void {
  if (inputs.length > 0) return
  if (!flags['retry-dead-letters'])
    throw new UsageError('missing ARCHIVE: give archive files or directories, s3://bucket/prefix, or - for stdin', {
      code: 'usage',
      hint: 'e.g. `segamp replay examples/segment-logs --sandbox`; only --retry-dead-letters --state-dir DIR needs no archive.',
    })
  if (flags['state-dir'] === undefined)
    throw new UsageError('--retry-dead-letters needs --state-dir DIR, or the ARCHIVE of the replay that dead-lettered the records', {
      code: 'usage',
      hint: 'Give --state-dir the state directory of that replay, or its ARCHIVE and flags unchanged (its state directory, .segamp/<run-id>, is derived from them).',
    })
}

/** Checks the flags and builds the run: usage errors come before the state directory is touched. */
async function planReplay(inputs: string[], flags: ReplayFlags, io: SessionIo): Promise<ReplayPlan> {
  const streams = streamInputs(inputs)
  // A named pipe, <(…) or /dev/stdin is read once, like -: neither can be read again to resume.
  const fromStdin = inputs.includes('-') || streams.length > 0
  for (const s of streams) io.warn(`${s.input} is a ${s.kind}: read once, like -; this run cannot be resumed (an interrupted run starts over)`)
  const live = !flags['dry-run'] && !flags.sandbox
  if (flags.sandbox && flags['endpoint-url'])
    throw new UsageError(
      '--sandbox and --endpoint-url cannot be combined: the sandbox is the endpoint',
      'Leave out one of them: --sandbox replays into a local server, --endpoint-url into a proxy or server of your own.',
    )
  const endpointProblem = flags['endpoint-url'] ? httpUrlProblem(flags['endpoint-url']) : undefined
  if (endpointProblem) throw new UsageError(`--endpoint-url ${JSON.stringify(displayUrl(flags['endpoint-url']!))} ${endpointProblem} (e.g. https://proxy.example.com:8443)`)
  const queryProblem = flags['endpoint-url'] ? endpointQueryProblem(flags['endpoint-url']) : undefined
  if (queryProblem)
    throw new UsageError(`--endpoint-url ${JSON.stringify(shownEndpointUrl(flags['endpoint-url']!))} ${queryProblem}`, {
      code: 'endpoint_url_query',
      hint: 'Leave out the ?… and #… parts; a proxy that needs a token can take it as user:password in the URL (sent as HTTP Basic auth, never shown or written).',
    })
  // Bad --since/--until (or --request-timeout) are usage errors, found before the state directory is touched.
  compileFilters({ since: flags.since, until: flags.until })
  const delivery = deliveryFlags(flags)
  if (live && !flags['api-key']) throw new UsageError('an Amplitude API key is needed to send: --api-key or env AMPLITUDE_API_KEY (or use --dry-run / --sandbox)')
  let loaded = await loadMappings(flags.mappings)
  for (const w of loaded.warnings) io.warn(w)
  if (flags.only) {
    const selection = selectOnlyActions(loaded, flags.only.split(','))
    for (const note of selection.notes) io.logToStderr(note)
    loaded = selection.loaded
  }
  // The API key is delivery's alone: mapping never sees it (nor do the worker threads).
  const subscriptions = compileSubscriptions(loaded, { endpoint: flags.region === 'eu' ? 'europe' : 'north_america' })
  const mappingsText = flags.mappings ? await readFile(flags.mappings, 'utf8') : 'presets'
  let parsedShard
  try {
    parsedShard = flags.shard !== undefined ? parseShard(flags.shard) : flags.shards !== undefined ? shardFromEnv(flags.shards) : undefined
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const filters = {
    since: flags.since,
    until: flags.until,
    types: parseTypes(flags.types),
    where: whereFilter(flags.where, (w) => io.warn(w)),
    ignoreIntegrations: flags['ignore-integrations-flags'],
  }
  // Every shard shares the unsharded run id (the group `segamp status` checks) and adds K/N to it.
  const s3 = s3Settings(flags, inputs, flags['retry-dead-letters'] ? undefined : (w) => io.warn(w))
  const groupId = replayRunId({
    inputs,
    mappingsText,
    work: {
      only: flags.only ?? null,
      since: flags.since ?? null,
      until: flags.until ?? null,
      types: flags.types ?? null,
      where: flags.where ?? null,
      ig: flags['ignore-integrations-flags'],
      batch: flags['use-batch-endpoint'],
      skip: flags['skip-user-properties-sync'],
      ...(flags['s3-endpoint'] ? { s3Endpoint: flags['s3-endpoint'] } : {}),
      ...(flags['prune-by-received'] ? { pruneByReceived: true } : {}),
    },
    // The destination, never the URL as typed: a proxy's credentials are not part of a run.
    destination: { apiKey: flags['api-key'], region: flags.region, endpointUrl: flags['endpoint-url'], sandbox: flags.sandbox, dryRun: flags['dry-run'] ?? false },
  })
  const shard: ShardRun | undefined = parsedShard ? { ...parsedShard, group: groupId } : undefined
  const runId = shard ? groupId + shardSuffix(shard) : groupId
  // Checked as typed (with {shard}), so the URL written right can be copied into a job template.
  const badStateUrl = flags['state-dir'] !== undefined ? stateUrlError(flags['state-dir']) : undefined
  if (badStateUrl) throw badStateUrl
  const stateDir = flags['state-dir'] !== undefined ? withShardIndex(flags['state-dir'], shard) : join('.segamp', runId)
  const out = flags.out !== undefined ? withShardIndex(flags.out, shard, '--out') : undefined
  const localState = !/^s3:\/\//i.test(stateDir)
  // Found unwritable now, not as a hang in mkdir or a failure after the confirmation. A retry of
  // dead letters writes only where a replay wrote before: it creates no directory.
  if (localState && !flags['retry-dead-letters']) ensureWritableDir(stateDir)
  if (localState) warnLocalCadence(flags, stateDir, io)
  if (!flags['state-dir'] && !flags.fresh && !flags.sandbox && !fromStdin && !(await resumableCheckpoint(stateDir, runId, s3))) {
    const sibling = findUnfinishedSibling('.segamp', runId)
    if (sibling) io.warn(siblingAdvice(sibling, { bin: invocation(io.bin), argv: io.argv, stateDir }).trimEnd())
  }
  return {
    inputs,
    live,
    fromStdin,
    streams,
    s3,
    exclude: [
      ...(localState ? [{ path: stateDir, what: 'the state directory (--state-dir)' }] : []),
      ...(out
        ? [
            { path: out, what: 'the --out file' },
            { path: `${out}.lock`, what: "the --out file's lock" },
          ]
        : []),
    ],
    options: {
      inputs,
      subscriptions,
      mappingsSource: loaded.source,
      filters,
      runId,
      stateDir,
      checkpointCadence: { everyMs: (flags['checkpoint-interval'] ?? S3_CADENCE.everyMs / 1000) * 1000, everyLines: flags['checkpoint-lines'] ?? S3_CADENCE.everyLines },
      // The sandbox lives only for this run, and stdin cannot be read again: neither resumes.
      fresh: flags.fresh || flags.sandbox || fromStdin,
      freshImplied: !flags.fresh && (flags.sandbox || fromStdin),
      dryRun: flags['dry-run'] ?? false,
      out,
      outIncludeKeys: flags['out-include-keys'],
      region: flags.region as 'us' | 'eu',
      useBatchEndpoint: flags['use-batch-endpoint'],
      batchSize: flags['batch-size'],
      concurrency: flags.concurrency,
      workers: flags.workers ?? defaultWorkersHere(),
      maxEps: shardMaxEps(flags['max-eps'], shard),
      shard,
      skipUserPropertiesSync: flags['skip-user-properties-sync'],
      delivery,
    },
  }
}

/**
 * The checkpoint cadence flags set how often an s3:// state directory PUTs its checkpoint. A local
 * one is checkpointed after every response (a slot, and checkpoint.json once a second:
 * src/pipeline/commit/local-state.ts): they would only make it lag, so they are not applied, and
 * that is said rather than the flags taken silently.
 */
function warnLocalCadence(flags: ReplayFlags, stateDir: string, io: SessionIo): void {
  const given = [
    ...(flags['checkpoint-interval'] !== undefined ? [`--checkpoint-interval ${flags['checkpoint-interval']}`] : []),
    ...(flags['checkpoint-lines'] !== undefined ? [`--checkpoint-lines ${flags['checkpoint-lines']}`] : []),
  ]
  if (given.length === 0) return
  io.warn(
    `${given.join(' ')}: s3:// state directories only; ${stateDir} is local, checkpointed after every response (a slot file; checkpoint.json once a second), so ${given.length === 1 ? 'it changes' : 'they change'} nothing here`,
  )
}

/** Before a live send: what would be sent, and `Send? [y/N]` (only on a terminal). */
async function confirm(plan: ReplayPlan, flags: ReplayFlags, input: InputProgress, io: SessionIo): Promise<void> {
  if (plan.streams.length > 0)
    throw new UsageError(`${plan.streams[0].input} is a ${plan.streams[0].kind}: it can be read only once, so it cannot be shown for confirmation and then sent`, {
      code: 'not-confirmed',
      hint: 'Add --yes to send (check a copy of the data with --dry-run first).',
    })
  if (!process.stdin.isTTY)
    throw new UsageError('refusing to send without confirmation: stdin is not a TTY', {
      code: 'not-confirmed',
      hint: 'Check what would be sent with --dry-run (or --sandbox), then add --yes to send.',
    })
  const o = plan.options
  const { report, unmatched } = await inspectArchives({
    inputs: plan.inputs,
    archive: { ...input.options(plan.s3), exclude: plan.exclude },
    filters: o.filters,
    subscriptions: o.subscriptions.map((s) => ({ name: s.name, match: s.match })),
  })
  const resuming = flags.fresh ? undefined : await resumableCheckpoint(o.stateDir, o.runId, plan.s3)
  io.logToStderr(
    confirmationText({
      key: fingerprint(flags['api-key']!),
      target: flags['endpoint-url'] ? displayUrl(flags['endpoint-url']) : flags.region,
      report,
      unmatched,
      shard: o.shard,
      resuming: resuming && { ...resuming, stateDir: o.stateDir },
    }),
  )
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  let answer = ''
  try {
    answer = await rl.question('Send? [y/N] ')
  } catch {
    // Ctrl-C at the prompt.
    rl.close()
    throw new SegampError('not confirmed (interrupted): nothing was sent', {
      exitCode: exitCodes.INTERRUPTED,
      code: 'interrupted',
      hint: 'Run the same command again to be asked again, or add --yes.',
    })
  }
  rl.close()
  if (!/^y(es)?$/i.test(answer.trim()))
    throw new SegampError('not confirmed: nothing was sent', {
      code: 'not-confirmed',
      hint: 'Answer y (or yes) to send; --dry-run or --sandbox show what would be sent without sending.',
    })
}

/**
 * The engine run, with progress drawn and Ctrl-C / SIGTERM as a clean stop (the requests in
 * flight finish, the checkpoint is saved); a second Ctrl-C quits at once.
 */
async function runWithSignals(plan: ReplayPlan, flags: ReplayFlags, input: InputProgress, io: SessionIo, sandboxUrl: string | undefined): Promise<ReplayReport> {
  const controller = new AbortController()
  const mode = progressMode({ quiet: io.json || flags['no-progress'], plainWhenNotTty: true })
  let interrupts = 0
  let shown: ProgressHandle | undefined
  let last: ReplayProgress | undefined
  const notice = 'Interrupted: finishing the requests in flight and saving the checkpoint (Ctrl-C again to quit at once)'
  const onSigint = (): void => {
    interrupts++
    if (interrupts > 2) return endByInterrupt()
    if (interrupts > 1) {
      writeNowOrQueue(
        `\nQuit at once: ${formatCount(last?.outstanding ?? 0)} record(s) not yet acknowledged were abandoned; the checkpoint keeps everything acknowledged before, and this resumes the rest:\n  ${resumeCommand(invocation(io.bin), io.argv)}\n`,
      )
      // Quit now, but let what stdout already holds reach a pipe first (at most a second).
      process.exitCode = exitCodes.INTERRUPTED
      setTimeout(endByInterrupt, 1000).unref()
      process.stdout.write('', endByInterrupt)
      return
    }
    // On a TTY the notice replaces the progress line at once (a plain line would be drawn over).
    if (mode === 'tty' && shown) shown.update(notice)
    else io.logToStderr(`\n${notice}…`)
    controller.abort()
  }
  // SIGTERM (CI cancellation, `timeout`, `docker stop`, Kubernetes) stops as Ctrl-C does.
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  try {
    return await withProgress(mode, flags['dry-run'] ? 'Planning requests (dry run)' : 'Replaying', (progress) => {
      shown = progress
      input.attach(progress)
      return replay({
        ...plan.options,
        archive: { ...input.options(plan.s3), exclude: plan.exclude },
        apiKey: flags['api-key'] ?? (sandboxUrl ? apiKeyOf({ sandbox: true }) : undefined),
        endpointUrl: sandboxUrl ?? flags['endpoint-url'],
        signal: controller.signal,
        onWarning: (w) => io.warn(w),
        onProgress: (p) => {
          last = p
          const line = `${input.prefix()}${progressLine(p, { dryRun: Boolean(flags['dry-run']) })}`
          progress.update(interrupts > 0 ? `${notice} · ${line}` : line)
        },
      })
    })
  } finally {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
  }
}

/** The counts of an unfinished run of this command in `stateDir`, if there is one to resume. */
async function resumableCheckpoint(stateDir: string, runId: string, s3: S3Settings): Promise<ReplayCounts | undefined> {
  const state = stateDirAt(stateDir, { s3 })
  try {
    const cp = await state.readCheckpoint<ReplayCounts>()
    return cp && cp.runId === runId && !cp.done ? cp.counts : undefined
  } catch {
    return undefined
  } finally {
    state.close()
  }
}

/** `{shard}` in --state-dir (or --out) → the shard index (AWS Batch does not expand variables in a command). */
export function withShardIndex(dir: string, shard: ShardRun | undefined, flag = '--state-dir'): string {
  if (!dir.includes('{shard}')) return dir
  if (!shard) throw new UsageError(`${flag} ${dir}: {shard} needs --shard K/N or --shards N`, 'Leave {shard} out, or run as one shard of N.')
  return dir.split('{shard}').join(String(shard.index))
}
