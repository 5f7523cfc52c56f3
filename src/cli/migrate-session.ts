/**
 * `segamp migrate`'s session: its flags checked and read (Classic settings from a file or from
 * Segment's Public API, a rename map), the configuration generated, verified on an archive
 * sample, written (JSON or Terraform, to a file or stdout) and, with --apply, applied after the
 * plan is confirmed. The command only parses flags and calls `migrateSession`.
 *
 * It must never generate, verify, plan or apply itself (src/migrate does): it turns flags into
 * those calls and their results into files, stdout and stderr.
 */
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline/promises'
import { PRIVATE_FILE_MODE, secureFile } from '../pipeline/commit/index.js'
import { emptyFileWarnings, exitCodes, terminalStdinNote } from './common.js'
import { s3Settings, type S3FlagValues } from './s3-input.js'
import { readClassicFile, readRenameMapFile, unknownSettingText } from './classic-input.js'
import { ensureWritableFile } from './state-dir.js'
import { migrateClassic, renderRenameMapCsv, mixedUserPropertyWarnings, type MigrationResult } from '../migrate/index.js'
import { migrationSummary, renderConfiguration, renderPlanNotes, renderSegmentRead, secretReferencesNote } from '../migrate/render.js'
import { planIsEmpty, planMigration, renderPlan, type Plan } from '../migrate/plan.js'
import { applyPlan } from '../migrate/apply.js'
import { readFromSegment, type SegmentRead } from '../migrate/from-segment.js'
import { displayUrl, SEGMENT_API_HOSTS, SegmentApiClient, type SegmentRegion } from '../segment/public-api/client.js'
import { verifyMigration } from '../migrate/verify.js'
import { parseFailOn } from '../diff/index.js'
import { failingDiffKinds, unreadableTrouble, type DiffFormat } from '../diff/present.js'
import { visible } from '../text.js'
import { checkDistinctFiles, defaultFormat, emitDiffReport, parseReportTarget } from '../diff/formats/emit.js'
import { SegampError, UsageError, writeFailureText } from '../errors.js'

/** The flags of `segamp migrate`, as oclif parsed them. */
export interface MigrateFlags extends S3FlagValues {
  classic?: string
  'from-segment'?: string
  'segment-token'?: string
  'segment-region': string
  'segment-api-url'?: string
  'actions-destination'?: string
  apply: boolean
  yes: boolean
  prune: boolean
  enable: boolean
  names: string
  'rename-map'?: string
  'rename-map-out'?: string
  out?: string
  format: string
  'include-secrets': boolean
  verify?: string[]
  sample: number
  'fail-on': string
  'report-format'?: string
  report?: string[]
  examples: number
  workers?: number
}

/** Where the session's text goes (the command's own output methods). */
export interface MigrateIo {
  /** The CLI's version (named in reports). */
  version: string
  warn(text: string): void
  log(text: string): void
  logToStderr(text: string): void
}

export async function migrateSession(flags: MigrateFlags, io: MigrateIo): Promise<void> {
  let reportFormat: string = flags['report-format'] ?? defaultFormat(process.env, 'table')
  const reports = (flags.report ?? []).map(parseReportTarget)
  checkDistinctFiles(
    [{ flag: '--out', file: flags.out }, { flag: '--rename-map-out', file: flags['rename-map-out'] }, ...(flags.report ?? []).map((file) => ({ flag: '--report', file }))],
    [{ flag: '--classic', file: flags.classic }, { flag: '--rename-map', file: flags['rename-map'] }, ...(flags.verify ?? []).map((file) => ({ flag: '--verify', file }))],
  )
  // Written after the verification: a path that cannot be is found first.
  if (flags.out) ensureWritableFile(flags.out, '--out')
  if (flags['rename-map-out']) ensureWritableFile(flags['rename-map-out'], '--rename-map-out')
  for (const r of reports) ensureWritableFile(r.file, '--report')
  if (reports.length > 0 && !flags.verify?.length) throw new UsageError('--report only means something with --verify ARCHIVE', 'Add --verify ARCHIVE, or leave out --report.')
  let format = flags.format
  if (format === 'table' || format === 'markdown') {
    if (flags['report-format'] === undefined) reportFormat = format
    io.warn(`--format ${format} is the old spelling of --report-format ${format}; the configuration is written as JSON`)
    format = 'json'
  }
  const { classicFile, renameMap, failOn, s3 } = await (async () => {
    checkFlagCombinations(flags, format)
    const failOn: string[] = parseFailOn(flags['fail-on'])
    return {
      classicFile: flags.classic ? await readClassicFile(flags.classic, (w) => io.warn(w)) : undefined,
      renameMap: await readRenameMapFile(flags['rename-map'], (w) => io.warn(w)),
      failOn,
      s3: s3Settings(flags, flags.verify ?? [], (w) => io.warn(w)),
    }
  })()

  const { segment, client } = flags['from-segment'] ? await readSegment(flags as SegmentFlags, io) : {}
  const classic = segment ? segment.classic.settings : classicFile
  const origin = segment ? `Amplitude (Classic) destination ${segment.classic.id} on source ${segment.classic.sourceId}` : `--classic ${flags.classic}`
  const result = migrateClassic(classic, { names: flags.names as 'classic' | 'actions', renameMap })
  // A --classic file's unknown settings and unreadable values were named as it was read (readClassicFile).
  if (segment) {
    for (const key of result.unknownKeys) io.warn(`Classic destination settings: ${unknownSettingText(key)}`)
    for (const w of result.settingWarnings) io.warn(`Classic destination settings: ${visible(w)}`)
  }
  for (const w of mixedUserPropertyWarnings(result.subscriptions)) io.warn(w)

  // 1. Plan (with --from-segment): what the generated configuration changes on the source.
  let plan: Plan | undefined
  if (segment) {
    plan = planMigration(
      { settings: result.destination.settings, subscriptions: result.subscriptions },
      segment.actions ? { destination: segment.actions.destination, subscriptions: segment.actions.subscriptions } : undefined,
      { prune: flags.prune, enable: flags.enable },
    )
    io.logToStderr(renderPlanNotes(plan, segment))
  }

  // 2. Verify on an archive sample.
  let verified
  if (flags.verify?.length) {
    const stdinNote = terminalStdinNote(flags.verify)
    if (stdinNote) io.logToStderr(stdinNote)
    verified = await verifyMigration({
      inputs: flags.verify!,
      archive: { s3 },
      classicSettings: classic,
      migration: result,
      limit: flags.sample,
      examples: flags.examples,
      workers: flags.workers,
    })
    for (const w of emptyFileWarnings(verified.emptyFiles, verified.headerOnlyFiles)) io.warn(`--verify: ${w}`)
    if (verified.report.totals.messages === 0) {
      throw new UsageError(`--verify: nothing to compare: no message was read from ${flags.verify.join(' ')}`, {
        code: 'nothing-read',
        hint: 'Check the paths given to --verify (a CI sync that brought no files must not pass).',
      })
    }
    if (flags.names === 'actions') {
      const known = new Set((result.renameMap ?? []).map((r) => r.classic))
      result.renameMap = [...(result.renameMap ?? []), ...verified.observedRenames.filter((r) => !known.has(r.classic)).map(({ classic, actions }) => ({ classic, actions }))]
    }
  }

  // 3. Write the configuration.
  await writeConfig(result, { format, segment, origin, plan, enable: flags.enable, includeSecrets: flags['include-secrets'], out: flags.out, apply: flags.apply }, io)
  if (flags['rename-map-out'] && result.renameMap) await writeNamedFile('--rename-map-out', flags['rename-map-out'], renderRenameMapCsv(result.renameMap))

  io.logToStderr(migrationSummary(result))

  if (verified) {
    const report = verified.report
    await emitDiffReport({
      report,
      failOn,
      format: reportFormat as DiffFormat,
      reports,
      // Findings point at the configuration just written (JSON or Terraform).
      locationsFile: flags.out,
      command: 'migrate --verify',
      version: io.version,
      color: Boolean(process.stdout.isTTY) && !flags.out,
      env: process.env,
      cwd: process.cwd(),
      unreadable: verified.counts.unreadableFiles,
      print: (text) => (flags.out ? io.log(text) : io.logToStderr(text)),
    })
    const failing = failingDiffKinds(report, failOn)
    if (failing.length > 0) {
      io.logToStderr(`--verify: found ${failing.join(', ')} (--fail-on ${failOn.join(',')})${flags.apply ? '; nothing applied' : ''}`)
      process.exitCode = exitCodes.ABORTED
    }
    // A verification over part of the sample must not pass (nor apply): trouble, as in diff-mappings.
    const unreadable = verified.counts.unreadableFiles
    if (unreadable.length > 0) {
      for (const f of unreadable) io.logToStderr(`unreadable: ${visible(f.file)}: ${visible(f.reason)}`)
      io.logToStderr(unreadableTrouble(unreadable) + (flags.apply ? ' Nothing applied.' : ''))
      process.exitCode = exitCodes.USAGE
    }
    if (failing.length > 0 || unreadable.length > 0) return
  }

  // 4. Apply.
  if (flags.apply && plan && segment && client) await applyToSegment(client, plan, segment, flags.yes, io)
}

/** --from-segment: the Classic (and any Actions) destination read through Segment's Public API. */
async function readSegment(flags: SegmentFlags, io: MigrateIo): Promise<{ segment: SegmentRead; client: SegmentApiClient }> {
  const baseUrl = flags['segment-api-url'] ?? SEGMENT_API_HOSTS[flags['segment-region'] as SegmentRegion]
  const token = flags['segment-token'] ?? ''
  if (!token)
    throw new UsageError(
      'no Segment Public API token: --from-segment reads the destination with one',
      'Set SEGMENT_PUBLIC_API_TOKEN to a Public API token of the workspace (Segment UI → Settings → Access Management → Tokens).',
    )
  if (!/^https?:\/\//i.test(baseUrl))
    throw new UsageError(
      `--segment-api-url: expected an http(s) URL, got "${baseUrl.replace(/\/\/[^@/]*@/, '//')}"`,
      'Give the Public API base URL, e.g. https://api.segmentapis.com (or leave it out and use --segment-region).',
    )
  if (/^https?:\/\/[^/]*@/i.test(baseUrl)) {
    throw new UsageError(
      `--segment-api-url ${displayUrl(baseUrl)}: the URL carries a user:password`,
      'Remove the user:password part; the Public API takes the token from SEGMENT_PUBLIC_API_TOKEN.',
    )
  }
  const client = new SegmentApiClient({
    baseUrl,
    token,
    onRateLimited: (ms, url) => io.logToStderr(`Segment Public API rate limit (429) at ${url}: waiting ${(ms / 1000).toFixed(1)} s`),
  })
  const segment = await readFromSegment(client, flags['from-segment'], { actionsDestinationId: flags['actions-destination'] })
  io.logToStderr(renderSegmentRead(segment, client.baseUrl))
  return { segment, client }
}

async function writeConfig(
  result: MigrationResult,
  o: { format: string; segment?: SegmentRead; origin: string; plan?: Plan; enable: boolean; includeSecrets: boolean; out?: string; apply: boolean },
  io: MigrateIo,
): Promise<void> {
  const text = renderConfiguration(result, o)
  if (o.format !== 'terraform' && !o.includeSecrets && (!o.apply || o.out)) io.logToStderr(secretReferencesNote(o.out))
  if (o.out) {
    // With --include-secrets the file holds the Amplitude keys: readable by its owner only.
    await writeNamedFile('--out', o.out, text, o.includeSecrets ? { mode: PRIVATE_FILE_MODE } : undefined)
    if (o.includeSecrets) secureFile(o.out)
  } else if (!o.apply) process.stdout.write(text)
}

/** --apply: the plan to Segment, after confirmation (asked on the terminal unless --yes). */
async function applyToSegment(client: SegmentApiClient, plan: Plan, segment: SegmentRead, yes: boolean, io: MigrateIo): Promise<void> {
  if (plan.conflicts.length > 0) {
    io.logToStderr(`Not applied: the plan has ${plan.conflicts.length} conflict(s) (listed above).`)
    process.exitCode = exitCodes.ABORTED
    return
  }
  if (planIsEmpty(plan)) {
    io.logToStderr('Nothing to apply: the Actions Amplitude destination already matches the generated configuration (0 write calls).')
    return
  }
  if (!yes) {
    if (!process.stdin.isTTY) {
      throw new UsageError('--apply asks for confirmation, and stdin is not a terminal', {
        code: 'not-confirmed',
        hint: 'Review the plan above, then run the same command with --yes.',
      })
    }
    const summary = renderPlan(plan, { sourceId: segment.classic.sourceId })
      .split('\n')
      .find((l) => l.startsWith('Plan:'))
    if (summary) io.logToStderr(`\n${summary}`)
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    const answer = (await rl.question(`Apply this plan to source ${segment.classic.sourceId}? The Classic destination is not touched. [y/N] `)).trim().toLowerCase()
    rl.close()
    if (answer !== 'y' && answer !== 'yes') {
      io.logToStderr('Not applied (declined).')
      process.exitCode = exitCodes.ABORTED
      return
    }
  }
  {
    const r = await applyPlan(client, plan, {
      sourceId: segment.classic.sourceId,
      classicDestinationId: segment.classic.id,
      actions: segment.actions?.destination.metadata.actions,
      onStep: (line) => io.logToStderr(`  ${line}`),
    })
    io.logToStderr(
      `Applied to destination ${r.destinationId}: ${r.created} subscriptions created, ${r.updated} updated, ${r.deleted} deleted (${client.writeCalls} write calls). ` +
        (!plan.destination.enabled
          ? 'The destination is disabled: enable it in the Segment UI (or rerun with --enable) when you are ready, then disable the Classic destination.'
          : segment.classic.enabled
            ? `The destination is enabled, and so is the Classic destination ${segment.classic.id}: until you disable it in the Segment UI, Amplitude receives each event from both (the two copies do not share an insert_id, so Amplitude does not drop either as a duplicate). Watch Amplitude, then disable it soon.`
            : 'The destination is enabled.'),
    )
  }
}

/**
 * Writes a file a flag names. A failure (a folder that does not exist, a folder in the file's
 * place, a full disk) is trouble, exit 2, named by its flag: 1 means a --verify finding.
 */
async function writeNamedFile(flag: string, path: string, text: string, options?: { mode: number }): Promise<void> {
  try {
    await writeFile(path, text, options)
  } catch (error) {
    throw new SegampError(`${flag} ${visible(path)}: cannot be written: ${writeFailureText(error)}`, {
      code: 'write-failed',
      exitCode: exitCodes.USAGE,
      hint: `Give ${flag} a file in a folder that exists and has free space, then run the same command again.`,
      cause: error,
    })
  }
}

type SegmentFlags = { 'from-segment': string; 'segment-api-url'?: string; 'segment-region': string; 'segment-token'?: string; 'actions-destination'?: string }

/** Flags that would do nothing, or contradict each other: usage errors, each saying what to do instead. */
function checkFlagCombinations(flags: MigrateFlags, format: string): void {
  if (!flags.classic && !flags['from-segment'])
    throw new UsageError("give --classic FILE (Classic settings) or --from-segment DESTINATION_ID (read them from Segment's Public API)", {
      hint: 'e.g. segamp migrate --classic examples/classic-settings.json --out actions-config.json, or SEGMENT_PUBLIC_API_TOKEN=… segamp migrate --from-segment DESTINATION_ID.',
    })
  if (flags.apply && !flags['from-segment'])
    throw new UsageError('--apply needs --from-segment DESTINATION_ID (the Classic destination whose source gets the Actions destination)', {
      hint: 'Replace --classic FILE with --from-segment DESTINATION_ID (token in SEGMENT_PUBLIC_API_TOKEN), or leave out --apply and apply the written configuration yourself.',
    })
  for (const f of ['yes', 'prune'] as const)
    if (flags[f] && !flags.apply) throw new UsageError(`--${f} only means something with --apply`, { hint: `Add --apply (with --from-segment), or leave out --${f}.` })
  if (flags['rename-map-out'] && flags.names !== 'actions' && !flags['rename-map'])
    throw new UsageError('--rename-map-out: with --names classic the configuration keeps the Classic event names, so there is no rename map to write', {
      hint: 'Add --names actions (Quick Setup names, with the rename map for your dashboards), or leave out --rename-map-out.',
    })
  if (flags['actions-destination'] && !flags['from-segment'])
    throw new UsageError('--actions-destination needs --from-segment', 'Add --from-segment DESTINATION_ID (the Classic destination), or leave out --actions-destination.')
  if (flags['include-secrets'] && format === 'terraform')
    throw new UsageError('--include-secrets: the Terraform output keeps the keys in variables (set TF_VAR_amplitude_api_key / TF_VAR_amplitude_secret_key)', {
      hint: 'Leave out --include-secrets with --format terraform; it is for --format json.',
    })
  if (flags.enable && !flags.apply && format !== 'terraform')
    throw new UsageError('--enable only means something with --apply or --format terraform', 'Add --apply (with --from-segment) or --format terraform, or leave out --enable.')
}
