import { Args, Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { createInterface } from 'node:readline/promises'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { compileFilters, parseTypes } from '../pipeline/route/filters.js'
import { readingFlags, mappingsFlag, s3Flags } from '../cli/flags.js'
import { InputProgress, s3Settings } from '../cli/s3-input.js'
import { ensureWritableDir } from '../cli/state-dir.js'
import { defaultWorkersHere, MAX_DEFAULT_WORKERS, WORKER_MEMORY_MB } from '../cli/cpu-quota.js'
import { exitCodes, whereFilter } from '../cli/common.js'
import { formatCount, progressMode, withProgress, type ProgressHandle } from '../cli/progress.js'
import { writeSync } from 'node:fs'
import { compileSubscriptions, loadMappings, selectOnlyActions } from '../segment/subscriptions/index.js'
import { replay, type ReplayProgress } from '../replay/engine.js'
import { findUnfinishedSibling, replayRunId, siblingAdvice } from '../replay/run-identity.js'
import { S3_CADENCE } from '../pipeline/commit/index.js'
import { stateDirAt } from '../replay/state.js'
import type { S3Settings } from '../pipeline/source/s3/index.js'
import type { ReplayCounts, ReplayReport } from '../pipeline/commit/report.js'
import { renderAbortError, renderReplaySummary, renderResumeAdvice, renderSandboxIngested } from '../replay/render.js'
import { confirmationText, ENDPOINT_URL_ENV, fingerprint, hasCredentials, invocation, progressLine, resumeCommand } from '../replay/cli-support.js'
import { displayUrl } from '../pipeline/deliver/requests.js'
import { inspectArchives } from '../inspect/index.js'
import { streamInputs } from '../pipeline/source/sources.js'
import { DEFAULT_SANDBOX_DIR, saveSandboxStore, startSandbox, summarizeSandbox } from '../amplitude/sandbox/index.js'
import { SegampError, UsageError } from '../errors.js'
import { parseReasons, renderRetryResult, retryDeadLetters, type RetryReport } from '../replay/retry-dead-letters.js'
import { renderClassicStandIn, replayClassicStandIn, type ClassicStandInResult } from '../replay/classic-stand-in.js'
import { readClassicFile } from '../cli/classic-input.js'
import { parseShard, SHARD_INDEX_ENV, shardFromEnv, shardMaxEps, shardSuffix, type ShardRun } from '../pipeline/route/shard.js'

export default class Replay extends SegampCommand {
  static summary = 'Send archived Segment messages to Amplitude exactly as the Actions destination would.'
  static description = `Runs every message through the Actions mappings (--mappings, default: the Quick Setup presets) and sends the resulting Amplitude records in batches, with retries, throttling, a dead-letter file and a checkpoint. Re-running the same command resumes where the last run stopped (Ctrl-C, crash or kill); every event carries a deterministic insert_id (derived from messageId when the mapping maps none), so resent events are deduplicated by Amplitude — within Amplitude's 7-day insert_id window only. A resume reads files added since the checkpoint, refuses files that changed, and sends again only the requests in flight when a crash happened (identify calls among them cannot be deduplicated: a resent $add counts twice).

The run stops (resumable) when Amplitude has not answered for 2 minutes (10 seconds when every connection is refused and it never answered in this run) or has accepted nothing for 10 minutes (exit 75), or answers with something that is not Amplitude's, an HTML page from a proxy (exit 1).

State directory (default .segamp/<run-id>, mode 0700, files 0600): checkpoint.json, dead-letter.ndjson, rejected.ndjson, dead-letter-retries.ndjson, report.json. API keys never appear there. Dead letters are resent by the same command with --retry-dead-letters (--reasons to choose which); a plain re-run of a finished run reads again only the files that were unreadable. --state-dir s3://bucket/prefix/ keeps it in S3 (or an S3-compatible store, with the --s3-* settings of the inputs): append-only files become numbered part objects, the checkpoint is one PUT at most every --checkpoint-interval seconds (sooner after --checkpoint-lines settled lines), and a lock object with a 2-minute lease keeps a second run out (exit 75).

EXIT CODES
  0    everything sent or filtered
  3    finished, but some lines were rejected, events dead-lettered or files unreadable (see the state directory)
  1    aborted, and the same command fails the same way until something is fixed: confirmation declined, a refused API key, an endpoint that is not Amplitude, inputs changed since the checkpoint, unreadable checkpoint, an s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials; the checkpoint keeps what was done)
  2    usage error (bad flag, bad --where/--since/--until/--endpoint-url, invalid mapping file, no input path exists, a dry run on a live run's state directory, a state directory of another run)
  75   retry later (EX_TEMPFAIL): the endpoint unreachable or failing past the retry budget, nothing accepted for the throttle budget, the state directory locked by another run (an s3:// one: until its lease ends), an s3:// state directory that cannot be written, an S3 listing that failed transiently (an object whose reads keep failing is unreadable: exit 3); the same command resumes
  130  interrupted (Ctrl-C or SIGTERM); the printed command resumes (input from stdin cannot be resumed)`
  // oclif's generated synopsis nests flags by their dependsOn/exclusive pairs, which reads as
  // "--dry-run only with --sandbox-dir" and "--out only with --out-include-keys": say it plainly.
  static usage = [
    '<%= command.id %> ARCHIVE... [--sandbox [--sandbox-dir DIR]] [--dry-run [--out FILE [--out-include-keys]]] [--json] [FLAGS]',
  ]
  static examples = [
    { description: 'Try it now: replay the bundled example into a local Amplitude sandbox', command: '<%= config.bin %> replay examples/segment-logs --sandbox' },
    { description: 'Preview every request without sending', command: '<%= config.bin %> replay s3-export/ --dry-run --out requests.ndjson' },
    { description: 'Backfill purchases and groups of May into an EU project', command: 'AMPLITUDE_API_KEY=… <%= config.bin %> replay s3-export/ --only logPurchase,groupIdentifyUser --since 2024-05-01 --until 2024-06-01 --region eu --skip-user-properties-sync --yes' },
  ]
  static args = { archive: Args.string({ description: 'Archive files or directories, s3://bucket/prefix; - for stdin.', required: true }) }
  static strict = false
  static flags = {
    'api-key': Flags.string({ env: 'AMPLITUDE_API_KEY', description: 'Amplitude project API key (or env AMPLITUDE_API_KEY).', helpGroup: 'AMPLITUDE' }),
    'secret-key': Flags.string({ env: 'AMPLITUDE_SECRET_KEY', description: 'Amplitude secret key (or env AMPLITUDE_SECRET_KEY); not needed by the ingestion APIs.', helpGroup: 'AMPLITUDE' }),
    region: Flags.string({ options: ['us', 'eu'], default: 'us', description: 'Amplitude data center.', helpGroup: 'AMPLITUDE' }),
    'endpoint-url': Flags.string({ env: ENDPOINT_URL_ENV, description: `Replace scheme+host of every Amplitude URL (paths are kept), e.g. a proxy (or env ${ENDPOINT_URL_ENV}). A user:password in it is used, and never shown or written.`, helpGroup: 'AMPLITUDE', helpValue: 'URL' }),
    sandbox: Flags.boolean({ description: 'Replay into an in-process Amplitude-compatible server on loopback and print what it ingested (no account needed). Not with --dry-run (which sends nothing); what it ingested is saved for `segamp export --sandbox`.', default: false, exclusive: ['dry-run'] }),
    classic: Flags.string({ description: 'With --sandbox: send what the Classic destination sent (the Classic emulation\'s records, for these Classic settings) instead of the Actions mappings: a stand-in for a Classic period, to try export and diff-mappings --against on.', helpValue: 'SETTINGS.json', dependsOn: ['sandbox'], exclusive: ['mappings', 'only', 'retry-dead-letters'] }),
    'sandbox-dir': Flags.string({ description: `With --sandbox: where to save what the sandbox ingested (default ${DEFAULT_SANDBOX_DIR}; replaced on every run).`, helpValue: 'DIR', dependsOn: ['sandbox'] }),
    ...mappingsFlag,
    only: Flags.string({ description: 'Keep only subscriptions of these action slugs, e.g. logPurchase,groupIdentifyUser. An action the mappings lack is added as Segment\'s UI adds it (default trigger, field defaults).', helpValue: 'SLUG,...' }),
    'use-batch-endpoint': Flags.boolean({ description: 'Send events to /batch instead of /2/httpapi.', default: false, helpGroup: 'DELIVERY' }),
    'batch-size': Flags.integer({ description: 'Events per request (max 2000).', default: 1000, min: 1, max: 2000, helpGroup: 'DELIVERY' }),
    concurrency: Flags.integer({ description: 'Requests in flight.', default: 4, min: 1, max: 64, helpGroup: 'DELIVERY' }),
    'max-eps': Flags.integer({ description: 'Overall events/s cap (project-wide: with --shard K/N each shard sends at most 1/N of it).', min: 1, helpGroup: 'DELIVERY' }),
    workers: Flags.integer({ description: `Threads that decode, route and map (default: the CPUs this process may use (cgroup quota included), at most ${MAX_DEFAULT_WORKERS}). Each costs about ${WORKER_MEMORY_MB} MB of memory per worker on top of the main thread's ~220 MB: size a container's memory limit for it. Requests, their order and resume are the same for any number; 1 runs everything on one thread.`, min: 1, max: 64, helpValue: 'N', helpGroup: 'DELIVERY' }),
    shard: Flags.string({ description: 'Replay only shard K of N (K is 0-based): the messages whose identity key (device_id, else user_id) hashes to K. Run all N, on one machine or many.', helpValue: 'K/N', exclusive: ['shards'], helpGroup: 'SHARDING' }),
    shards: Flags.integer({ description: `Number of shards, the index taken from env ${SHARD_INDEX_ENV.join(' or ')} (Kubernetes Indexed Job, AWS Batch array job).`, min: 1, helpValue: 'N', exclusive: ['shard'], helpGroup: 'SHARDING' }),
    'skip-user-properties-sync': Flags.boolean({ description: 'Set Amplitude\'s $skip_user_properties_sync on every event (historical backfills: do not change current user properties).', default: false, helpGroup: 'DELIVERY' }),
    // No default: oclif's dependsOn (--out needs --dry-run) counts a defaulted false as given.
    'dry-run': Flags.boolean({ description: 'Send nothing; with --out, write every request that would be sent.' }),
    out: Flags.string({ description: 'Only with --dry-run: write requests as {"method","url","headers","body"} lines.', helpValue: 'FILE', dependsOn: ['dry-run'] }),
    'out-include-keys': Flags.boolean({ description: 'Keep the API key in --out bodies (redacted by default).', dependsOn: ['out'] }),
    'retry-dead-letters': Flags.boolean({ description: 'Resend the dead-lettered records of this run\'s state directory (same insert_ids, same requests, same accounting) instead of reading the archive; those that fail again stay dead-lettered. Resumable like a replay.', exclusive: ['dry-run', 'fresh'] }),
    reasons: Flags.string({ description: 'With --retry-dead-letters: the dead-letter reasons to resend (default exceeded_daily_quota,throttled,retries_exhausted,not_ingested; all for every one).', helpValue: 'REASON,...', dependsOn: ['retry-dead-letters'] }),
    'state-dir': Flags.string({ description: 'State directory (default .segamp/<run-id>): a path, or s3://bucket/prefix/ (same S3 settings as s3:// inputs). {shard} in it becomes the shard index K (--shard K/N, --shards N).', helpValue: 'DIR|S3URL' }),
    'checkpoint-interval': Flags.integer({ description: `s3:// state: at most one checkpoint PUT per this many seconds (default ${S3_CADENCE.everyMs / 1000}); a local state directory is checkpointed after every response.`, min: 1, helpValue: 'SECONDS' }),
    'checkpoint-lines': Flags.integer({ description: `s3:// state: checkpoint sooner once this many lines settled since the last one (default ${S3_CADENCE.everyLines}).`, min: 1, helpValue: 'N' }),
    fresh: Flags.boolean({ description: 'Ignore an existing checkpoint and start over.', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation (required when stdin is not a TTY).', default: false }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...readingFlags,
    ...s3Flags,
  }

  retryDeadLetters(flags: RetryFlags, stateDir: string, live: boolean): Promise<RetryReport> {
    return retryCommand(this, flags, stateDir, live)
  }

  async run(): Promise<ReplayReport | ClassicStandInResult> {
    const { argv, flags } = await this.parse(Replay)
    const inputs = argv as string[]
    const streams = streamInputs(inputs)
    // A named pipe, <(…) or /dev/stdin is read once, like -: neither can be read again to resume.
    const fromStdin = inputs.includes('-') || streams.length > 0
    for (const s of streams) this.warn(`${s.input} is a ${s.kind}: read once, like -; this run cannot be resumed (an interrupted run starts over)`)
    if (flags.classic) return classicStandIn(this, inputs, flags)
    const live = !flags['dry-run'] && !flags.sandbox
    const setup = await (async () => {
      if (flags.sandbox && flags['endpoint-url']) throw new UsageError('--sandbox and --endpoint-url cannot be combined: the sandbox is the endpoint', 'Leave out one of them: --sandbox replays into a local server, --endpoint-url into a proxy or server of your own.')
      if (flags['endpoint-url']) {
        let ok = false
        try {
          ok = /^https?:$/.test(new URL(flags['endpoint-url']).protocol)
        } catch {
          ok = false
        }
        if (!ok) throw new UsageError(`--endpoint-url ${JSON.stringify(displayUrl(flags['endpoint-url']))} is not an http(s) URL (e.g. https://proxy.example.com:8443)`)
      }
      // Bad --since/--until are usage errors, found before the state directory is touched.
      compileFilters({ since: flags.since, until: flags.until })
      if (live && !flags['api-key']) throw new UsageError('an Amplitude API key is needed to send: --api-key or env AMPLITUDE_API_KEY (or use --dry-run / --sandbox)')
      let loaded = await loadMappings(flags.mappings)
      for (const w of loaded.warnings) this.warn(w)
      if (flags.only) {
        const selection = selectOnlyActions(loaded, flags.only.split(','))
        for (const note of selection.notes) this.logToStderr(note)
        loaded = selection.loaded
      }
      const subs = compileSubscriptions(loaded, { apiKey: flags['api-key'], endpoint: flags.region === 'eu' ? 'europe' : 'north_america' })
      const mappingsText = flags.mappings ? await readFile(flags.mappings, 'utf8') : 'presets'
      let shard
      try {
        shard = flags.shard !== undefined ? parseShard(flags.shard) : flags.shards !== undefined ? shardFromEnv(flags.shards) : undefined
      } catch (error) {
        throw new UsageError((error as Error).message)
      }
      return { shard, subs, mappingsSource: loaded.source, mappingsText, types: parseTypes(flags.types), where: whereFilter(flags.where, (w) => this.warn(w)), s3: s3Settings(flags, inputs) }
    })()
    const input = new InputProgress(inputs)
    const filters = { since: flags.since, until: flags.until, types: setup.types, where: setup.where, ignoreIntegrations: flags['ignore-integrations-flags'] }
    // Every shard shares the unsharded run id (the group `segamp status` checks) and adds K/N to it.
    const groupId = replayRunId({
      inputs,
      mappingsText: setup.mappingsText,
      work: { only: flags.only ?? null, since: flags.since ?? null, until: flags.until ?? null, types: flags.types ?? null, where: flags.where ?? null, ig: flags['ignore-integrations-flags'], batch: flags['use-batch-endpoint'], skip: flags['skip-user-properties-sync'], ...(flags['s3-endpoint'] ? { s3Endpoint: flags['s3-endpoint'] } : {}), ...(flags['prune-by-received'] ? { pruneByReceived: true } : {}) },
      // The destination, never the URL as typed: a proxy's credentials are not part of a run.
      destination: { apiKey: flags['api-key'], region: flags.region, endpointUrl: flags['endpoint-url'], sandbox: flags.sandbox, dryRun: flags['dry-run'] ?? false },
    })
    const shard: ShardRun | undefined = setup.shard ? { ...setup.shard, group: groupId } : undefined
    const runId = shard ? groupId + shardSuffix(shard) : groupId
    const stateDir = flags['state-dir'] !== undefined ? withShardIndex(flags['state-dir'], shard) : join('.segamp', runId)
    const localState = !/^s3:\/\//i.test(stateDir)
    // Found unwritable now, not as a hang in mkdir or a failure after the confirmation.
    if (localState) ensureWritableDir(stateDir)
    // What this run writes is never read as its input (a state directory or --out inside the tree).
    const archiveOptions = { ...input.options(setup.s3), exclude: [...(localState ? [{ path: stateDir, what: 'the state directory (--state-dir)' }] : []), ...(flags.out ? [{ path: flags.out, what: 'the --out file' }] : [])] }
    if (!flags['state-dir'] && !flags.fresh && !flags.sandbox && !fromStdin && !(await resumableCheckpoint(stateDir, runId, setup.s3))) {
      const sibling = findUnfinishedSibling('.segamp', runId)
      if (sibling) this.warn(siblingAdvice(sibling, { bin: invocation(this.config.bin), argv: this.argv, stateDir }).trimEnd())
    }

    if (flags['retry-dead-letters']) return this.retryDeadLetters(flags, stateDir, live)
    if (live && !flags.yes) {
      if (streams.length > 0) throw new UsageError(`${streams[0].input} is a ${streams[0].kind}: it can be read only once, so it cannot be shown for confirmation and then sent`, { code: 'not-confirmed', hint: 'Add --yes to send (check a copy of the data with --dry-run first).' })
      if (!process.stdin.isTTY) throw new UsageError('refusing to send without confirmation: stdin is not a TTY', { code: 'not-confirmed', hint: 'Check what would be sent with --dry-run (or --sandbox), then add --yes to send.' })
      const { report, unmatched } = await inspectArchives({ inputs, archive: archiveOptions, filters, subscriptions: setup.subs.map((s) => ({ name: s.name, match: s.match })) })
      const resuming = flags.fresh ? undefined : await resumableCheckpoint(stateDir, runId, setup.s3)
      this.logToStderr(
        confirmationText({
          key: fingerprint(flags['api-key']!),
          target: flags['endpoint-url'] ? displayUrl(flags['endpoint-url']) : flags.region,
          report,
          unmatched,
          shard,
          resuming: resuming && { ...resuming, stateDir },
        }),
      )
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      let answer = ''
      try {
        answer = await rl.question('Send? [y/N] ')
      } catch {
        // Ctrl-C at the prompt.
        rl.close()
        throw new SegampError('not confirmed (interrupted): nothing was sent', { exitCode: exitCodes.INTERRUPTED, code: 'interrupted', hint: 'Run the same command again to be asked again, or add --yes.' })
      }
      rl.close()
      if (!/^y(es)?$/i.test(answer.trim())) throw new SegampError('not confirmed: nothing was sent', { code: 'not-confirmed', hint: 'Answer y (or yes) to send; --dry-run or --sandbox show what would be sent without sending.' })
    } else if (live) {
      this.warn('Amplitude deduplicates insert_id only within 7 days: replaying data it already holds from longer ago duplicates it.')
    }

    const sandbox = flags.sandbox ? await startSandbox() : undefined
    const controller = new AbortController()
    const mode = progressMode({ quiet: this.jsonEnabled() || flags['no-progress'], plainWhenNotTty: true })
    let interrupts = 0
    let shown: ProgressHandle | undefined
    let last: ReplayProgress | undefined
    const notice = 'Interrupted: finishing the requests in flight and saving the checkpoint (Ctrl-C again to quit at once)'
    const onSigint = () => {
      interrupts++
      if (interrupts > 1) {
        // Written synchronously: the process ends right after.
        writeSync(2, `\nQuit at once: ${formatCount(last?.outstanding ?? 0)} record(s) not yet acknowledged were abandoned; the checkpoint keeps everything acknowledged before, and this resumes the rest:\n  ${resumeCommand(invocation(this.config.bin), this.argv)}\n`)
        // Quit now, but let what stdout already holds reach a pipe first (at most a second).
        process.exitCode = exitCodes.INTERRUPTED
        setTimeout(() => process.exit(), 1000).unref()
        process.stdout.write('', () => process.exit())
        return
      }
      // On a TTY the notice replaces the progress line at once (a plain line would be drawn over).
      if (mode === 'tty' && shown) shown.update(notice)
      else this.logToStderr(`\n${notice}…`)
      controller.abort()
    }
    // SIGTERM (CI cancellation, `timeout`, `docker stop`, Kubernetes) stops as Ctrl-C does.
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    let report
    try {
      report = await withProgress(mode, flags['dry-run'] ? 'Planning requests (dry run)' : 'Replaying', (progress) => {
        shown = progress
        input.attach(progress)
        return replay({
          inputs,
          archive: archiveOptions,
          subscriptions: setup.subs,
          mappingsSource: setup.mappingsSource,
          filters,
          runId,
          stateDir,
          checkpointCadence: { everyMs: (flags['checkpoint-interval'] ?? S3_CADENCE.everyMs / 1000) * 1000, everyLines: flags['checkpoint-lines'] ?? S3_CADENCE.everyLines },
          // The sandbox lives only for this run, and stdin cannot be read again: neither resumes.
          fresh: flags.fresh || flags.sandbox || fromStdin,
          dryRun: flags['dry-run'] ?? false,
          out: flags.out,
          outIncludeKeys: flags['out-include-keys'],
          apiKey: sandbox ? (flags['api-key'] ?? 'sandbox-api-key') : flags['api-key'],
          region: flags.region as 'us' | 'eu',
          endpointUrl: sandbox ? sandbox.url : flags['endpoint-url'],
          useBatchEndpoint: flags['use-batch-endpoint'],
          batchSize: flags['batch-size'],
          concurrency: flags.concurrency,
          workers: flags.workers ?? defaultWorkersHere(),
          maxEps: shardMaxEps(flags['max-eps'], shard),
          shard,
          skipUserPropertiesSync: flags['skip-user-properties-sync'],
          signal: controller.signal,
          onWarning: (w) => this.warn(w),
          onProgress: (p) => {
            last = p
            const line = `${input.prefix()}${progressLine(p, { dryRun: flags['dry-run'] })}`
            progress.update(interrupts > 0 ? `${notice} · ${line}` : line)
          },
        })
      })
    } catch (error) {
      await sandbox?.close()
      throw error
    } finally {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
    }
    if (!this.jsonEnabled()) this.logToStderr(renderReplaySummary(report, { color: Boolean(process.stderr.isTTY) }))
    if (sandbox) {
      const lines = summarizeSandbox(sandbox)
      await sandbox.close()
      const saved = await saveSandboxStore(sandbox, flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR)
      this.log(renderSandboxIngested({ lines, saved, receivedAt: [...sandbox.events, ...sandbox.identifyLog].map((e) => e.receivedAt), bin: invocation(this.config.bin) }))
    }
    if ((report.interrupted || report.error) && (fromStdin || !flags.sandbox)) {
      const endpoint = flags['endpoint-url']
      const needs = [...(flags['api-key'] && !flags.sandbox ? ['AMPLITUDE_API_KEY set to the API key'] : []), ...(endpoint !== undefined && hasCredentials(endpoint) ? [`${ENDPOINT_URL_ENV} set to the endpoint URL and its credentials`] : [])]
      this.logToStderr(renderResumeAdvice({ fromStdin, command: resumeCommand(invocation(this.config.bin), this.argv), needs }))
    }
    if (report.error && !this.jsonEnabled()) this.logToStderr(renderAbortError(report.error, { fromStdin, sandbox: Boolean(flags.sandbox) }))
    if (report.exitCode !== 0) process.exitCode = report.exitCode
    return report
  }
}

/** `--sandbox --classic`: the Classic emulation's records into the sandbox, saved for `export --sandbox`. */
async function classicStandIn(cmd: Replay, inputs: string[], flags: { classic?: string; 'sandbox-dir'?: string; 'api-key'?: string }): Promise<ClassicStandInResult> {
  const settings = await readClassicFile(flags.classic)
  const sandbox = await startSandbox()
  let open = true
  try {
    const result = await replayClassicStandIn({ inputs, settings, endpointUrl: sandbox.url, apiKey: flags['api-key'] ?? 'sandbox-api-key' })
    if (!cmd.jsonEnabled()) cmd.logToStderr(renderClassicStandIn(result))
    open = false
    await sandbox.close()
    const saved = await saveSandboxStore(sandbox, flags['sandbox-dir'] ?? DEFAULT_SANDBOX_DIR)
    cmd.log(renderSandboxIngested({ lines: summarizeSandbox(sandbox), saved, receivedAt: [...sandbox.events, ...sandbox.identifyLog].map((e) => e.receivedAt), bin: invocation(cmd.config.bin) }))
    if (result.read.rejected > 0 || result.deadLettered > 0) process.exitCode = 3
    return result
  } finally {
    if (open) await sandbox.close()
  }
}

/** `--retry-dead-letters`: the state directory's dead letters go out again; nothing is read. */
async function retryCommand(cmd: Replay, flags: RetryFlags, stateDir: string, live: boolean): Promise<RetryReport> {
  if (live && !flags.yes) throw new UsageError('refusing to resend dead letters without --yes', { code: 'not-confirmed', hint: 'Check what is dead-lettered with `segamp status` first, then add --yes.' })
  const reasons = parseReasons(flags.reasons)
  const sandbox = flags.sandbox ? await startSandbox() : undefined
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
      signal: controller.signal,
    })
    if (!cmd.jsonEnabled()) cmd.logToStderr(renderRetryResult(report) + '\n\n' + renderReplaySummary(report, { color: Boolean(process.stderr.isTTY) }))
    if (report.error && !cmd.jsonEnabled()) cmd.logToStderr(renderAbortError(report.error, { fromStdin: false, sandbox: Boolean(flags.sandbox) }))
    if (sandbox) cmd.log(summarizeSandbox(sandbox).join('\n'))
    if (report.exitCode !== 0) process.exitCode = report.exitCode
    return report
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await sandbox?.close()
  }
}

type RetryFlags = { yes: boolean; reasons?: string; sandbox: boolean; 'api-key'?: string; region: string; 'endpoint-url'?: string; 'use-batch-endpoint': boolean; 'batch-size': number; concurrency: number; 'max-eps'?: number; 'skip-user-properties-sync': boolean }

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

/** `{shard}` in --state-dir → the shard index (AWS Batch does not expand variables in a command). */
export function withShardIndex(dir: string, shard: ShardRun | undefined): string {
  if (!dir.includes('{shard}')) return dir
  if (!shard) throw new UsageError(`--state-dir ${dir}: {shard} needs --shard K/N or --shards N`, 'Leave {shard} out, or run as one shard of N.')
  return dir.split('{shard}').join(String(shard.index))
}
