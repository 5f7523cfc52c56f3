import { Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { writeFile } from 'node:fs/promises'
import { PRIVATE_FILE_MODE, secureFile } from '../pipeline/commit/index.js'
import { createInterface } from 'node:readline/promises'
import { emptyFileWarnings, exitCodes, terminalStdinNote } from '../cli/common.js'
import { s3Flags } from '../cli/flags.js'
import { s3Settings } from '../cli/s3-input.js'
import { readClassicFile, readRenameMapFile, unknownSettingText } from '../cli/classic-input.js'
import { ensureWritableFile } from '../cli/state-dir.js'
import { migrateClassic, renderRenameMapCsv, mixedUserPropertyWarnings, type MigrationResult } from '../migrate/index.js'
import { migrationSummary, renderConfiguration, renderPlanNotes, renderSegmentRead, secretReferencesNote } from '../migrate/render.js'
import { planIsEmpty, planMigration, renderPlan, type Plan } from '../migrate/plan.js'
import { applyPlan } from '../migrate/apply.js'
import { readFromSegment, type SegmentRead } from '../migrate/from-segment.js'
import { displayUrl, SEGMENT_API_HOSTS, SegmentApiClient, type SegmentRegion } from '../segment/public-api/client.js'
import { verifyMigration } from '../migrate/verify.js'
import { parseFailOn } from '../diff/index.js'
import { DIFF_FORMATS, failingDiffKinds, unreadableTrouble, type DiffFormat } from '../diff/present.js'
import { visible } from '../text.js'
import { checkDistinctFiles, defaultFormat, emitDiffReport, parseReportTarget } from '../diff/formats/emit.js'
import { SegampError, UsageError, writeFailureText } from '../errors.js'

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

export default class Migrate extends SegampCommand {
  static summary = 'Turn Amplitude (Classic) settings into an Actions configuration, verify it on real data, write Terraform or apply it.'
  static description = `Reads the Classic destination settings from a file (--classic: the settings object, or a Segment Public API destination response) or from Segment's Public API (--from-segment DESTINATION_ID, token in SEGMENT_PUBLIC_API_TOKEN), and writes the Actions Amplitude configuration: destination settings, subscriptions in Public API shape, and a status for every Classic setting (migrated, no-equivalent, behavior-change).

--format json (default) writes {"destination":{"settings":{apiKey,secretKey,endpoint}},"subscriptions":[...],"report":[...]} with the Amplitude keys as \${AMPLITUDE_API_KEY} / \${AMPLITUDE_SECRET_KEY} references (--include-secrets writes the values). --format terraform writes HCL for Segment's Terraform provider (segmentio/segment): the Actions destination, created disabled, and one segment_destination_subscription per subscription; the keys are Terraform variables.

--from-segment also reads the source's existing Actions Amplitude destination and prints what the generated configuration adds, changes and removes, by subscription name. --apply then creates or updates that destination (disabled unless --enable) and its subscriptions, after printing the plan and asking for confirmation (--yes when not in a terminal). A rerun with nothing to change makes no write call. The Classic destination is never modified.

--names classic (default) keeps the event names Classic produced; --names actions adopts the Quick Setup naming and writes a rename map (Classic → Actions).

--verify runs the Classic emulation and the generated configuration side by side over a sample of an archive (see diff-mappings) and exits with the diff's codes; with --apply, nothing is applied when it finds a --fail-on kind.

EXIT CODES
  0  configuration written (and, with --verify, no finding of a --fail-on kind; with --apply, applied or nothing to change)
  1  --verify found a finding of a --fail-on kind; the Public API refused (token, id, validation); confirmation declined; plan conflicts
  2  trouble: unreadable settings or rename map, bad flags, --verify read no message or could not read an input file to the end (nothing is applied then), --apply without --yes and no terminal, a --verify s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials)
  75 retry later: the Public API did not answer, answered 5xx, or kept answering 429 past the retries; the same command later finishes what was not applied`
  static examples = [
    '<%= config.bin %> migrate --classic examples/classic-settings.json --out actions-config.json',
    '<%= config.bin %> migrate --classic examples/classic-settings.json --names actions --rename-map-out renames.csv --out actions-config.json',
    '<%= config.bin %> migrate --classic examples/classic-settings.json --verify examples/segment-logs --report-format markdown --out actions-config.json',
    'SEGMENT_PUBLIC_API_TOKEN=… <%= config.bin %> migrate --from-segment DESTINATION_ID --format terraform --out amplitude.tf',
    'SEGMENT_PUBLIC_API_TOKEN=… <%= config.bin %> migrate --from-segment DESTINATION_ID --verify s3-export/2024-05-01 --apply --yes',
  ]
  // Its stdout is the configuration (--format json or terraform): no --json of oclif's.
  static enableJsonFlag = false
  static baseFlags = {}
  // Only --verify reads archives: an s3:// input it cannot read is trouble (2), as in diff-mappings.
  static s3ErrorExit = exitCodes.USAGE
  static flags = {
    classic: Flags.string({ description: 'Classic settings: the settings object or a Public API destination response.', helpValue: 'FILE', exclusive: ['from-segment'] }),
    'from-segment': Flags.string({
      description: "Read the Classic Amplitude destination with this id from Segment's Public API.",
      helpValue: 'DESTINATION_ID',
      helpGroup: 'SEGMENT',
    }),
    'segment-token': Flags.string({
      description: 'Public API token (default: $SEGMENT_PUBLIC_API_TOKEN; prefer the environment, a flag shows in the process list).',
      env: 'SEGMENT_PUBLIC_API_TOKEN',
      helpValue: 'TOKEN',
      helpGroup: 'SEGMENT',
    }),
    'segment-region': Flags.string({
      options: ['us', 'eu'],
      default: 'us',
      description: 'Workspace region: api.segmentapis.com (us) or eu1.api.segmentapis.com (eu).',
      helpGroup: 'SEGMENT',
    }),
    'segment-api-url': Flags.string({ description: 'Public API base URL (overrides --segment-region), e.g. a proxy.', helpValue: 'URL', helpGroup: 'SEGMENT' }),
    'actions-destination': Flags.string({
      description: 'The Actions Amplitude destination to compare with and apply to, when the source has more than one.',
      helpValue: 'DESTINATION_ID',
      helpGroup: 'SEGMENT',
    }),
    apply: Flags.boolean({ description: 'Create or update the Actions Amplitude destination and its subscriptions (needs --from-segment).', default: false, helpGroup: 'SEGMENT' }),
    yes: Flags.boolean({ description: 'With --apply: do not ask for confirmation (required without a terminal).', default: false, helpGroup: 'SEGMENT' }),
    prune: Flags.boolean({
      description: 'With --apply: delete subscriptions segamp did not generate, and replace ones whose action changed.',
      default: false,
      helpGroup: 'SEGMENT',
    }),
    enable: Flags.boolean({ description: 'Create the Actions destination enabled (--apply, --format terraform); default disabled.', default: false, helpGroup: 'SEGMENT' }),
    names: Flags.string({
      options: ['classic', 'actions'],
      default: 'classic',
      description: 'Keep Classic event names, or adopt the Actions Quick Setup names (with a rename map).',
    }),
    'rename-map': Flags.string({ description: 'Your own renames (CSV classic,actions) to merge into the rename map.', helpValue: 'FILE.csv' }),
    'rename-map-out': Flags.string({ description: 'Write the rename map (CSV classic,actions) here.', helpValue: 'FILE.csv' }),
    out: Flags.string({ description: 'Write the configuration here (default stdout; with --apply, not written unless --out).', helpValue: 'FILE' }),
    format: Flags.string({
      options: ['json', 'terraform', 'table', 'markdown'],
      default: 'json',
      description: 'Configuration format: json or terraform. (table/markdown: old spelling of --report-format.)',
    }),
    'include-secrets': Flags.boolean({ description: '--format json: write the Amplitude API key and secret key as values instead of ${…} references.', default: false }),
    verify: Flags.string({
      description: 'Archive(s) to verify the configuration on: files, directories or s3://bucket/prefix (repeatable).',
      multiple: true,
      helpValue: 'ARCHIVE',
    }),
    sample: Flags.integer({ description: 'With --verify: messages compared at most.', default: 10_000, min: 1 }),
    'fail-on': Flags.string({ description: 'With --verify: exit 1 when any finding of these kinds exists.', default: 'renamed,dropped,duplicated', helpValue: 'LIST' }),
    'report-format': Flags.string({
      options: [...DIFF_FORMATS],
      description:
        'With --verify: format of the verification report (on stderr, or stdout when --out is given); github annotations point at the lines of the --out file. Default: github when GITHUB_ACTIONS=true, else table.',
    }),
    report: Flags.string({
      description: 'With --verify: also write the verification report in FORMAT to FILE (repeatable), e.g. --report sarif=segamp.sarif.',
      helpValue: 'FORMAT=FILE',
      multiple: true,
    }),
    examples: Flags.integer({ description: 'With --verify: examples per finding.', default: 3, min: 0 }),
    workers: Flags.integer({
      description: 'With --verify: threads that decode, route and map (default 1: this thread only). The report is the same for any number.',
      min: 1,
      max: 64,
      helpValue: 'N',
    }),
    ...s3Flags,
  }

  /** --from-segment: the Classic (and any Actions) destination read through Segment's Public API. */
  private async readSegment(flags: SegmentFlags): Promise<{ segment: SegmentRead; client: SegmentApiClient }> {
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
      onRateLimited: (ms, url) => this.logToStderr(`Segment Public API rate limit (429) at ${url}: waiting ${(ms / 1000).toFixed(1)} s`),
    })
    const segment = await readFromSegment(client, flags['from-segment'], { actionsDestinationId: flags['actions-destination'] })
    this.logToStderr(renderSegmentRead(segment, client.baseUrl))
    return { segment, client }
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Migrate)
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
      this.warn(`--format ${format} is the old spelling of --report-format ${format}; the configuration is written as JSON`)
      format = 'json'
    }
    const { classicFile, renameMap, failOn, s3 } = await (async () => {
      checkFlagCombinations(flags, format)
      const failOn: string[] = parseFailOn(flags['fail-on'])
      return {
        classicFile: flags.classic ? await readClassicFile(flags.classic, (w) => this.warn(w)) : undefined,
        renameMap: await readRenameMapFile(flags['rename-map'], (w) => this.warn(w)),
        failOn,
        s3: s3Settings(flags, flags.verify ?? [], (w) => this.warn(w)),
      }
    })()

    const { segment, client } = flags['from-segment'] ? await this.readSegment(flags as SegmentFlags) : {}
    const classic = segment ? segment.classic.settings : classicFile
    const origin = segment ? `Amplitude (Classic) destination ${segment.classic.id} on source ${segment.classic.sourceId}` : `--classic ${flags.classic}`
    const result = migrateClassic(classic, { names: flags.names as 'classic' | 'actions', renameMap })
    // A --classic file's unknown settings and unreadable values were named as it was read (readClassicFile).
    if (segment) {
      for (const key of result.unknownKeys) this.warn(`Classic destination settings: ${unknownSettingText(key)}`)
      for (const w of result.settingWarnings) this.warn(`Classic destination settings: ${visible(w)}`)
    }
    for (const w of mixedUserPropertyWarnings(result.subscriptions)) this.warn(w)

    // 1. Plan (with --from-segment): what the generated configuration changes on the source.
    let plan: Plan | undefined
    if (segment) {
      plan = planMigration(
        { settings: result.destination.settings, subscriptions: result.subscriptions },
        segment.actions ? { destination: segment.actions.destination, subscriptions: segment.actions.subscriptions } : undefined,
        { prune: flags.prune, enable: flags.enable },
      )
      this.logToStderr(renderPlanNotes(plan, segment))
    }

    // 2. Verify on an archive sample.
    let verified
    if (flags.verify?.length) {
      const stdinNote = terminalStdinNote(flags.verify)
      if (stdinNote) this.logToStderr(stdinNote)
      verified = await verifyMigration({
        inputs: flags.verify!,
        archive: { s3 },
        classicSettings: classic,
        migration: result,
        limit: flags.sample,
        examples: flags.examples,
        workers: flags.workers,
      })
      for (const w of emptyFileWarnings(verified.emptyFiles)) this.warn(`--verify: ${w}`)
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
    await this.writeConfig(result, { format, segment, origin, plan, enable: flags.enable, includeSecrets: flags['include-secrets'], out: flags.out, apply: flags.apply })
    if (flags['rename-map-out'] && result.renameMap) await writeNamedFile('--rename-map-out', flags['rename-map-out'], renderRenameMapCsv(result.renameMap))

    this.logToStderr(migrationSummary(result))

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
        version: this.config.version,
        color: Boolean(process.stdout.isTTY) && !flags.out,
        env: process.env,
        cwd: process.cwd(),
        unreadable: verified.counts.unreadableFiles,
        print: (text) => (flags.out ? this.log(text) : this.logToStderr(text)),
      })
      const failing = failingDiffKinds(report, failOn)
      if (failing.length > 0) {
        this.logToStderr(`--verify: found ${failing.join(', ')} (--fail-on ${failOn.join(',')})${flags.apply ? '; nothing applied' : ''}`)
        process.exitCode = exitCodes.ABORTED
      }
      // A verification over part of the sample must not pass (nor apply): trouble, as in diff-mappings.
      const unreadable = verified.counts.unreadableFiles
      if (unreadable.length > 0) {
        for (const f of unreadable) this.logToStderr(`unreadable: ${visible(f.file)}: ${visible(f.reason)}`)
        this.logToStderr(unreadableTrouble(unreadable) + (flags.apply ? ' Nothing applied.' : ''))
        process.exitCode = exitCodes.USAGE
      }
      if (failing.length > 0 || unreadable.length > 0) return
    }

    // 4. Apply.
    if (flags.apply && plan && segment && client) await this.apply(client, plan, segment, flags.yes)
  }

  private async writeConfig(
    result: MigrationResult,
    o: { format: string; segment?: SegmentRead; origin: string; plan?: Plan; enable: boolean; includeSecrets: boolean; out?: string; apply: boolean },
  ): Promise<void> {
    const text = renderConfiguration(result, o)
    if (o.format !== 'terraform' && !o.includeSecrets && (!o.apply || o.out)) this.logToStderr(secretReferencesNote(o.out))
    if (o.out) {
      // With --include-secrets the file holds the Amplitude keys: readable by its owner only.
      await writeNamedFile('--out', o.out, text, o.includeSecrets ? { mode: PRIVATE_FILE_MODE } : undefined)
      if (o.includeSecrets) secureFile(o.out)
    } else if (!o.apply) process.stdout.write(text)
  }

  private async apply(client: SegmentApiClient, plan: Plan, segment: SegmentRead, yes: boolean): Promise<void> {
    if (plan.conflicts.length > 0) {
      this.logToStderr(`Not applied: the plan has ${plan.conflicts.length} conflict(s) (listed above).`)
      process.exitCode = exitCodes.ABORTED
      return
    }
    if (planIsEmpty(plan)) {
      this.logToStderr('Nothing to apply: the Actions Amplitude destination already matches the generated configuration (0 write calls).')
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
      if (summary) this.logToStderr(`\n${summary}`)
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      const answer = (await rl.question(`Apply this plan to source ${segment.classic.sourceId}? The Classic destination is not touched. [y/N] `)).trim().toLowerCase()
      rl.close()
      if (answer !== 'y' && answer !== 'yes') {
        this.logToStderr('Not applied (declined).')
        process.exitCode = exitCodes.ABORTED
        return
      }
    }
    {
      const r = await applyPlan(client, plan, {
        sourceId: segment.classic.sourceId,
        classicDestinationId: segment.classic.id,
        actions: segment.actions?.destination.metadata.actions,
        onStep: (line) => this.logToStderr(`  ${line}`),
      })
      this.logToStderr(
        `Applied to destination ${r.destinationId}: ${r.created} subscriptions created, ${r.updated} updated, ${r.deleted} deleted (${client.writeCalls} write calls). ` +
          (!plan.destination.enabled
            ? 'The destination is disabled: enable it in the Segment UI (or rerun with --enable) when you are ready, then disable the Classic destination.'
            : segment.classic.enabled
              ? `The destination is enabled, and so is the Classic destination ${segment.classic.id}: until you disable it in the Segment UI, Amplitude receives each event from both (the two copies do not share an insert_id, so Amplitude does not drop either as a duplicate). Watch Amplitude, then disable it soon.`
              : 'The destination is enabled.'),
      )
    }
  }
}

type SegmentFlags = { 'from-segment': string; 'segment-api-url'?: string; 'segment-region': string; 'segment-token'?: string; 'actions-destination'?: string }

/** Flags that would do nothing, or contradict each other: usage errors, each saying what to do instead. */
function checkFlagCombinations(
  flags: {
    classic?: string
    'from-segment'?: string
    apply: boolean
    yes: boolean
    prune: boolean
    enable: boolean
    names: string
    'rename-map'?: string
    'rename-map-out'?: string
    'actions-destination'?: string
    'include-secrets': boolean
  },
  format: string,
): void {
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
