import { Args, Command, Flags } from '@oclif/core'
import { createInterface } from 'node:readline/promises'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { compileFilters, parseTypes } from '../archive/filters.js'
import { readingFlags, mappingsFlag, s3Flags } from '../cli/flags.js'
import { InputProgress, s3Settings } from '../cli/s3-input.js'
import { exitCodes, failUsage, whereFilter } from '../cli/common.js'
import { formatBytes, formatCount, progressMode, withProgress } from '../cli/progress.js'
import { compileSubscriptions, loadMappings } from '../mapping/subscriptions.js'
import { replay } from '../replay/engine.js'
import { runIdFor } from '../replay/state.js'
import { renderReplaySummary } from '../replay/report.js'
import { fingerprint, keyHash, resumeCommand } from '../replay/cli-support.js'
import { inspectArchives } from '../inspect/index.js'
import { startSandbox, summarizeSandbox } from '../sandbox/index.js'
import { UsageError } from '../archive/filters.js'

export default class Replay extends Command {
  static summary = 'Send archived Segment messages to Amplitude exactly as the Actions destination would.'
  static description = `Runs every message through the Actions mappings (--mappings, default: the Quick Setup presets) and sends the resulting Amplitude records in batches, with retries, throttling, a dead-letter file and a checkpoint. Re-running the same command resumes where the last run stopped (Ctrl-C, crash or kill); every event carries a deterministic insert_id (derived from messageId when the mapping maps none), so resent events are deduplicated by Amplitude — within Amplitude's 7-day insert_id window only.

State directory (default .segamp/<run-id>): checkpoint.json, dead-letter.ndjson, rejected.ndjson, report.json. API keys never appear there.

EXIT CODES
  0    everything sent or filtered
  3    finished, but some lines were rejected, events dead-lettered or files unreadable (see the state directory)
  1    aborted: confirmation declined, bad credentials, endpoint unreachable after retries, unreadable checkpoint, locked state directory, an s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials; the checkpoint keeps what was done)
  2    usage error (bad flag, bad --where/--since/--until/--endpoint-url, invalid mapping file)
  130  interrupted (Ctrl-C); the printed command resumes`
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
    'endpoint-url': Flags.string({ description: 'Replace scheme+host of every Amplitude URL (paths are kept), e.g. a proxy.', helpGroup: 'AMPLITUDE', helpValue: 'URL' }),
    sandbox: Flags.boolean({ description: 'Replay into an in-process Amplitude-compatible server on loopback and print what it ingested (no account needed).', default: false }),
    ...mappingsFlag,
    only: Flags.string({ description: 'Keep only subscriptions of these action slugs, e.g. logPurchase,groupIdentifyUser.', helpValue: 'SLUG,...' }),
    'use-batch-endpoint': Flags.boolean({ description: 'Send events to /batch instead of /2/httpapi.', default: false, helpGroup: 'DELIVERY' }),
    'batch-size': Flags.integer({ description: 'Events per request (max 2000).', default: 1000, min: 1, max: 2000, helpGroup: 'DELIVERY' }),
    concurrency: Flags.integer({ description: 'Requests in flight.', default: 4, min: 1, max: 64, helpGroup: 'DELIVERY' }),
    'max-eps': Flags.integer({ description: 'Overall events/s cap.', min: 1, helpGroup: 'DELIVERY' }),
    'skip-user-properties-sync': Flags.boolean({ description: 'Set Amplitude\'s $skip_user_properties_sync on every event (historical backfills: do not change current user properties).', default: false, helpGroup: 'DELIVERY' }),
    'dry-run': Flags.boolean({ description: 'Send nothing; with --out, write every request that would be sent.', default: false }),
    out: Flags.string({ description: 'With --dry-run: write requests as {"method","url","headers","body"} lines.', helpValue: 'FILE', dependsOn: ['dry-run'] }),
    'out-include-keys': Flags.boolean({ description: 'Keep the API key in --out bodies (redacted by default).', dependsOn: ['out'] }),
    'state-dir': Flags.string({ description: 'State directory (default .segamp/<run-id>).', helpValue: 'DIR' }),
    fresh: Flags.boolean({ description: 'Ignore an existing checkpoint and start over.', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation (required when stdin is not a TTY).', default: false }),
    json: Flags.boolean({ description: 'Print the summary as JSON on stdout.', default: false }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...readingFlags,
    ...s3Flags,
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Replay)
    const inputs = argv as string[]
    const live = !flags['dry-run'] && !flags.sandbox
    const setup = await failUsage(this, async () => {
      if (flags.sandbox && flags['endpoint-url']) throw new UsageError('--sandbox and --endpoint-url cannot be combined: the sandbox is the endpoint')
      if (flags['endpoint-url']) {
        let ok = false
        try {
          ok = /^https?:$/.test(new URL(flags['endpoint-url']).protocol)
        } catch {
          ok = false
        }
        if (!ok) throw new UsageError(`--endpoint-url ${JSON.stringify(flags['endpoint-url'])} is not an http(s) URL (e.g. https://proxy.example.com:8443)`)
      }
      // Bad --since/--until are usage errors, found before the state directory is touched.
      compileFilters({ since: flags.since, until: flags.until })
      if (live && !flags['api-key']) throw new UsageError('an Amplitude API key is needed to send: --api-key or env AMPLITUDE_API_KEY (or use --dry-run / --sandbox)')
      const loaded = await loadMappings(flags.mappings)
      for (const w of loaded.warnings) this.warn(w)
      let subs = compileSubscriptions(loaded, { apiKey: flags['api-key'], endpoint: flags.region === 'eu' ? 'europe' : 'north_america' })
      if (flags.only) {
        const only = new Set(flags.only.split(',').map((s) => s.trim()).filter(Boolean))
        const known = new Set(subs.map((s) => s.actionSlug as string))
        const missing = [...only].filter((s) => !known.has(s))
        if (missing.length) throw new UsageError(`--only ${missing.join(',')}: no subscription of ${missing.length > 1 ? 'these actions' : 'this action'} in ${loaded.source} (it has ${[...known].join(', ')})`)
        subs = subs.filter((s) => only.has(s.actionSlug))
      }
      const mappingsText = flags.mappings ? await readFile(flags.mappings, 'utf8') : 'presets'
      return { subs, mappingsSource: loaded.source, mappingsText, types: parseTypes(flags.types), where: whereFilter(flags.where, (w) => this.warn(w)), s3: s3Settings(flags, inputs) }
    })
    const input = new InputProgress(inputs)
    const filters = { since: flags.since, until: flags.until, types: setup.types, where: setup.where, ignoreIntegrations: flags['ignore-integrations-flags'] }
    const runId = runIdFor({
      inputs,
      mappingsText: setup.mappingsText,
      options: { only: flags.only ?? null, since: flags.since ?? null, until: flags.until ?? null, types: flags.types ?? null, where: flags.where ?? null, ig: flags['ignore-integrations-flags'], region: flags.region, endpointUrl: flags['endpoint-url'] ?? null, batch: flags['use-batch-endpoint'], sandbox: flags.sandbox, dryRun: flags['dry-run'], key: keyHash(flags['api-key']), skip: flags['skip-user-properties-sync'], ...(flags['s3-endpoint'] ? { s3Endpoint: flags['s3-endpoint'] } : {}) },
    })
    const stateDir = flags['state-dir'] ?? join('.segamp', runId)

    if (live && !flags.yes) {
      if (!process.stdin.isTTY) this.error('refusing to send without confirmation: stdin is not a TTY; add --yes to confirm', { exit: exitCodes.USAGE })
      const { report } = await failUsage(this, () => inspectArchives({ inputs, archive: input.options(setup.s3), filters, subscriptions: setup.subs.map((s) => ({ name: s.name, match: s.match })) }))
      this.logToStderr(
        [
          `About to send to Amplitude project key ${fingerprint(flags['api-key']!)} (${flags['endpoint-url'] ?? flags.region}):`,
          `  ${formatCount(report.messages)} messages (${formatCount(Object.values(report.filtered).reduce((a, b) => a + b, 0))} filtered out), ${report.timeRange.from ?? '?'} → ${report.timeRange.to ?? '?'}`,
          ...Object.entries(report.subscriptions).map(([k, v]) => `  ${k}: ${formatCount(v)} messages`),
          'Amplitude deduplicates insert_id only within 7 days: replaying data it already holds from longer ago duplicates it.',
        ].join('\n'),
      )
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      const answer = await rl.question('Send? [y/N] ')
      rl.close()
      if (!/^y(es)?$/i.test(answer.trim())) this.error('not confirmed: nothing was sent', { exit: exitCodes.ABORTED })
    } else if (live) {
      this.warn('Amplitude deduplicates insert_id only within 7 days: replaying data it already holds from longer ago duplicates it.')
    }

    const sandbox = flags.sandbox ? await startSandbox() : undefined
    const controller = new AbortController()
    let interrupts = 0
    const onSigint = () => {
      interrupts++
      if (interrupts > 1) process.exit(130)
      this.logToStderr('\nInterrupted: finishing requests in flight and saving the checkpoint (Ctrl-C again to quit at once)…')
      controller.abort()
    }
    process.on('SIGINT', onSigint)
    const mode = progressMode({ quiet: flags.json || flags['no-progress'], plainWhenNotTty: true })
    let report
    try {
      report = await withProgress(mode, flags['dry-run'] ? 'Planning requests (dry run)' : 'Replaying', (progress) => {
        input.attach(progress)
        return replay({
          inputs,
          archive: input.options(setup.s3),
          subscriptions: setup.subs,
          mappingsSource: setup.mappingsSource,
          filters,
          runId,
          stateDir,
          // The sandbox lives only for this run: resuming into a new, empty one makes no sense.
          fresh: flags.fresh || flags.sandbox,
          dryRun: flags['dry-run'],
          out: flags.out,
          outIncludeKeys: flags['out-include-keys'],
          apiKey: sandbox ? (flags['api-key'] ?? 'sandbox-api-key') : flags['api-key'],
          region: flags.region as 'us' | 'eu',
          endpointUrl: sandbox ? sandbox.url : flags['endpoint-url'],
          useBatchEndpoint: flags['use-batch-endpoint'],
          batchSize: flags['batch-size'],
          concurrency: flags.concurrency,
          maxEps: flags['max-eps'],
          skipUserPropertiesSync: flags['skip-user-properties-sync'],
          signal: controller.signal,
          onWarning: (w) => this.warn(w),
          onProgress: (p) => {
            const eps = p.elapsedMs > 0 ? Math.round((p.sent / p.elapsedMs) * 1000) : 0
            const eta = p.totalBytes > 0 && p.bytes > 0 && p.phase === 'reading' ? Math.round(((p.totalBytes - p.bytes) / p.bytes) * (p.elapsedMs / 1000)) : undefined
            progress.update(
              `${input.prefix()}${formatCount(p.messages)} messages read${p.totalBytes ? ` (${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)})` : ''} · ${formatCount(p.sent)} ${flags['dry-run'] ? 'planned' : 'sent'} · ${formatCount(p.outstanding)} pending (${formatCount(p.parked)} retrying/throttled) · ${formatCount(p.deadLettered)} dead-lettered · ${formatCount(eps)} ev/s${eta !== undefined ? ` · ETA ${eta}s` : ''}`,
            )
          },
        })
      })
    } catch (error) {
      await sandbox?.close()
      this.error((error as Error).message, { exit: exitCodes.ABORTED })
    } finally {
      process.off('SIGINT', onSigint)
    }
    if (flags.json) this.log(JSON.stringify(report, null, 2))
    else this.logToStderr(renderReplaySummary(report, { color: Boolean(process.stderr.isTTY) }))
    if (sandbox) {
      const lines = summarizeSandbox(sandbox)
      if (!flags.json) this.log(['', 'Sandbox ingested:', ...lines.map((l) => `  ${l}`)].join('\n'))
      await sandbox.close()
    }
    if (report.interrupted || report.error) this.logToStderr(`Resume with:\n  ${resumeCommand(this.config.bin, this.argv)}`)
    if (report.exitCode !== 0) this.exit(report.exitCode)
  }
}
