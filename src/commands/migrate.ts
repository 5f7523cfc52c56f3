import { Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { exitCodes } from '../cli/common.js'
import { s3Flags } from '../cli/flags.js'
import { migrateSession } from '../cli/migrate-session.js'
import { DIFF_FORMATS } from '../diff/present.js'

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

  async run(): Promise<void> {
    const { flags } = await this.parse(Migrate)
    await migrateSession(flags, {
      version: this.config.version,
      warn: (text) => this.warn(text),
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
    })
  }
}
