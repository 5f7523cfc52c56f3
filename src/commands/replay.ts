import { Args, Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { readingFlags, mappingsFlag, s3Flags } from '../cli/flags.js'
import { MAX_DEFAULT_WORKERS, WORKER_MEMORY_MB } from '../cli/cpu-quota.js'
import { S3_CADENCE, type ReplayReport } from '../pipeline/commit/index.js'
import { DEFAULT_REQUEST_TIMEOUT_S, ENDPOINT_URL_ENV, MAX_REQUEST_TIMEOUT_S } from '../replay/cli-support.js'
import { replaySession, withShardIndex } from '../cli/replay-session.js'
import type { ClassicStandInResult } from '../replay/classic-stand-in.js'
import type { RetryReport } from '../replay/retry-dead-letters.js'
import { DEFAULT_SANDBOX_DIR } from '../amplitude/sandbox/store.js'
import { SHARD_INDEX_ENV } from '../pipeline/route/index.js'

export default class Replay extends SegampCommand {
  static summary = 'Send archived Segment messages to Amplitude exactly as the Actions destination would.'
  static description = `Runs every message through the Actions mappings (--mappings, default: the Quick Setup presets) and sends the resulting Amplitude records in batches, with retries, throttling, a dead-letter file and a checkpoint. Re-running the same command resumes where the last run stopped (Ctrl-C, crash or kill); every event carries a deterministic insert_id (derived from messageId when the mapping maps none), so resent events are deduplicated by Amplitude — within Amplitude's 7-day insert_id window only. A resume reads files added since the checkpoint, refuses files that changed, and sends again only the requests in flight when a crash happened (identify calls among them cannot be deduplicated: a resent $add counts twice).

The run stops (resumable) when Amplitude has not answered for 2 minutes (10 seconds when every connection is refused and it never answered in this run) or has accepted nothing for 10 minutes (exit 75), or answers with something that is not Amplitude's, an HTML page from a proxy (exit 1).

State directory (default .segamp/<run-id>, mode 0700, files 0600): checkpoint.json (and, while a run is active, checkpoint.slot-a and -b: the checkpoints after each response between its once-a-second rewrites), dead-letter.ndjson, rejected.ndjson, dead-letter-retries.ndjson, report.json. API keys never appear there. Dead letters are resent by the same command with --retry-dead-letters (--reasons to choose which); a plain re-run of a finished run reads again only the files that were unreadable. --state-dir s3://bucket/prefix/ keeps it in S3 (or an S3-compatible store, with the --s3-* settings of the inputs): append-only files become numbered part objects, the checkpoint is one PUT at most every --checkpoint-interval seconds (sooner after --checkpoint-lines settled lines), and a lock object with a 2-minute lease keeps a second run out (exit 75).

EXIT CODES
  0    everything sent or filtered
  3    finished, but some lines were rejected, events dead-lettered or files unreadable (see the state directory)
  1    aborted, and the same command fails the same way until something is fixed: confirmation declined, a refused API key, an endpoint that is not Amplitude, inputs changed since the checkpoint, unreadable checkpoint, an s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials; the checkpoint keeps what was done)
  2    usage error (bad flag, bad --where/--since/--until/--endpoint-url, invalid mapping file, no input path exists, every input holds no line, a dry run on a live run's state directory, a state directory of another run)
  75   retry later (EX_TEMPFAIL): the endpoint unreachable or failing past the retry budget, nothing accepted for the throttle budget, the state directory locked by another run (an s3:// one: until its lease ends), an s3:// state directory that cannot be written, an S3 listing that failed transiently, an s3:// object the store kept failing past its Range resumes (the other objects are read and sent first; report.json marks it retryable); the same command resumes
  130  interrupted (Ctrl-C or SIGTERM); the printed command resumes (input from stdin cannot be resumed)`
  // oclif's generated synopsis nests flags by their dependsOn/exclusive pairs, which reads as
  // "--dry-run only with --sandbox-dir" and "--out only with --out-include-keys": say it plainly.
  static usage = [
    '<%= command.id %> ARCHIVE... [--sandbox [--sandbox-dir DIR]] [--dry-run [--out FILE [--out-include-keys]]] [--json] [FLAGS]',
    '<%= command.id %> [ARCHIVE...] --retry-dead-letters [--state-dir DIR] [--reasons REASON,...] [--yes] [FLAGS]',
  ]
  static examples = [
    { description: 'Try it now: replay the bundled example into a local Amplitude sandbox', command: '<%= config.bin %> replay examples/segment-logs --sandbox' },
    { description: 'Preview every request without sending', command: '<%= config.bin %> replay s3-export/ --dry-run --out requests.ndjson' },
    {
      description: 'Backfill purchases and groups of May into an EU project',
      command:
        'AMPLITUDE_API_KEY=… <%= config.bin %> replay s3-export/ --only logPurchase,groupIdentifyUser --since 2024-05-01 --until 2024-06-01 --region eu --skip-user-properties-sync --yes',
    },
  ]
  // Not required by oclif: --retry-dead-letters --state-dir DIR reads no archive (replay-session checks the rest).
  static args = {
    archive: Args.string({
      description: 'Archive files or directories, s3://bucket/prefix; - for stdin. With --retry-dead-letters only to find the default state directory.',
      required: false,
    }),
  }
  static strict = false
  static flags = {
    'api-key': Flags.string({ env: 'AMPLITUDE_API_KEY', description: 'Amplitude project API key (or env AMPLITUDE_API_KEY).', helpGroup: 'AMPLITUDE' }),
    'secret-key': Flags.string({
      env: 'AMPLITUDE_SECRET_KEY',
      description: 'Amplitude secret key (or env AMPLITUDE_SECRET_KEY); not needed by the ingestion APIs.',
      helpGroup: 'AMPLITUDE',
    }),
    region: Flags.string({ options: ['us', 'eu'], default: 'us', description: 'Amplitude data center.', helpGroup: 'AMPLITUDE' }),
    'endpoint-url': Flags.string({
      env: ENDPOINT_URL_ENV,
      description: `Replace scheme+host of every Amplitude URL (paths are kept), e.g. a proxy (or env ${ENDPOINT_URL_ENV}). A user:password in it is used, and never shown or written.`,
      helpGroup: 'AMPLITUDE',
      helpValue: 'URL',
    }),
    sandbox: Flags.boolean({
      description:
        'Replay into an in-process Amplitude-compatible server on loopback and print what it ingested (no account needed). Not with --dry-run (which sends nothing); what it ingested is saved for `segamp export --sandbox`.',
      default: false,
      exclusive: ['dry-run'],
    }),
    classic: Flags.string({
      description:
        "With --sandbox: send what the Classic destination sent (the Classic emulation's records, for these Classic settings) instead of the Actions mappings: a stand-in for a Classic period, to try export and diff-mappings --against on.",
      helpValue: 'SETTINGS.json',
      dependsOn: ['sandbox'],
      exclusive: ['mappings', 'only', 'retry-dead-letters'],
    }),
    'sandbox-dir': Flags.string({
      description: `With --sandbox: where to save what the sandbox ingested (default ${DEFAULT_SANDBOX_DIR}; replaced on every run).`,
      helpValue: 'DIR',
      dependsOn: ['sandbox'],
    }),
    ...mappingsFlag,
    only: Flags.string({
      description:
        "Keep only subscriptions of these action slugs, e.g. logPurchase,groupIdentifyUser. An action the mappings lack is added as Segment's UI adds it (default trigger, field defaults).",
      helpValue: 'SLUG,...',
    }),
    'use-batch-endpoint': Flags.boolean({ description: 'Send events to /batch instead of /2/httpapi.', default: false, helpGroup: 'DELIVERY' }),
    'batch-size': Flags.integer({ description: 'Events per request (max 2000).', default: 1000, min: 1, max: 2000, helpGroup: 'DELIVERY' }),
    concurrency: Flags.integer({ description: 'Requests in flight.', default: 4, min: 1, max: 64, helpGroup: 'DELIVERY' }),
    'max-eps': Flags.integer({ description: 'Overall events/s cap (project-wide: with --shard K/N each shard sends at most 1/N of it).', min: 1, helpGroup: 'DELIVERY' }),
    'request-timeout': Flags.string({
      description: `Seconds one request may take, its whole answer included, before it is a failed attempt and retried with backoff (from 0.001, a millisecond, to ${MAX_REQUEST_TIMEOUT_S}: the run stops once nothing has answered for 2 minutes).`,
      default: String(DEFAULT_REQUEST_TIMEOUT_S),
      helpValue: 'SECONDS',
      helpGroup: 'DELIVERY',
    }),
    workers: Flags.integer({
      description: `Threads that decode, route and map (default: the CPUs this process may use (cgroup quota included), at most ${MAX_DEFAULT_WORKERS}). Each costs about ${WORKER_MEMORY_MB} MB of memory per worker on top of the main thread's ~220 MB: size a container's memory limit for it. Requests, their order and resume are the same for any number; 1 runs everything on one thread.`,
      min: 1,
      max: 64,
      helpValue: 'N',
      helpGroup: 'DELIVERY',
    }),
    shard: Flags.string({
      description: 'Replay only shard K of N (K is 0-based): the messages whose identity key (device_id, else user_id) hashes to K. Run all N, on one machine or many.',
      helpValue: 'K/N',
      exclusive: ['shards'],
      helpGroup: 'SHARDING',
    }),
    shards: Flags.integer({
      description: `Number of shards, the index taken from env ${SHARD_INDEX_ENV.join(' or ')} (Kubernetes Indexed Job, AWS Batch array job).`,
      min: 1,
      helpValue: 'N',
      exclusive: ['shard'],
      helpGroup: 'SHARDING',
    }),
    'skip-user-properties-sync': Flags.boolean({
      description: "Set Amplitude's $skip_user_properties_sync on every event (historical backfills: do not change current user properties).",
      default: false,
      helpGroup: 'DELIVERY',
    }),
    // No default: oclif's dependsOn (--out needs --dry-run) counts a defaulted false as given.
    'dry-run': Flags.boolean({
      description:
        'Send nothing; with --out, write every record in its request, packed as full as the limits allow (a live run sends the same records in the same order per user and device, often in more, smaller requests).',
    }),
    out: Flags.string({ description: 'Only with --dry-run: write requests as {"method","url","headers","body"} lines.', helpValue: 'FILE', dependsOn: ['dry-run'] }),
    'out-include-keys': Flags.boolean({ description: 'Keep the API key in --out bodies (redacted by default).', dependsOn: ['out'] }),
    'retry-dead-letters': Flags.boolean({
      description:
        "Resend the dead-lettered records of this run's state directory (same insert_ids, same requests, same accounting) instead of reading the archive; those that fail again stay dead-lettered. Resumable like a replay. The state directory is --state-dir (then ARCHIVE may be left out), else .segamp/<run-id> of the replay with the same ARCHIVE and flags; it must exist.",
      exclusive: ['dry-run', 'fresh'],
    }),
    reasons: Flags.string({
      description: 'With --retry-dead-letters: the dead-letter reasons to resend (default exceeded_daily_quota,throttled,retries_exhausted,not_ingested; all for every one).',
      helpValue: 'REASON,...',
      dependsOn: ['retry-dead-letters'],
    }),
    'state-dir': Flags.string({
      description:
        'State directory (default .segamp/<run-id>): a path, or s3://bucket/prefix/ (same S3 settings as s3:// inputs). {shard} in it becomes the shard index K (--shard K/N, --shards N).',
      helpValue: 'DIR|S3URL',
    }),
    'checkpoint-interval': Flags.integer({
      description: `s3:// state: at most one checkpoint PUT per this many seconds (default ${S3_CADENCE.everyMs / 1000}); a local state directory is checkpointed after every response (given with one: a warning, nothing changes).`,
      min: 1,
      helpValue: 'SECONDS',
    }),
    'checkpoint-lines': Flags.integer({
      description: `s3:// state: checkpoint sooner once this many lines settled since the last one (default ${S3_CADENCE.everyLines}); not for a local state directory (a warning).`,
      min: 1,
      helpValue: 'N',
    }),
    fresh: Flags.boolean({ description: 'Ignore an existing checkpoint and start over.', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation (required when stdin is not a TTY).', default: false }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...readingFlags,
    ...s3Flags,
  }

  async run(): Promise<ReplayReport | ClassicStandInResult | RetryReport> {
    const { argv, flags } = await this.parse(Replay)
    return replaySession(argv as string[], flags, {
      bin: this.config.bin,
      argv: this.argv,
      json: this.jsonEnabled(),
      warn: (text) => this.warn(text),
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
    })
  }
}

export { withShardIndex }
