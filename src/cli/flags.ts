/** Flags shared by every command that reads archives. */
import { Flags } from '@oclif/core'

/** The values of `readingFlags`, as oclif parses them (each session's flags extend it). */
export interface ReadingFlagValues {
  since?: string
  until?: string
  types?: string
  where?: string
  'prune-by-received'?: boolean
  'ignore-integrations-flags': boolean
}

export const readingFlags = {
  since: Flags.string({
    description:
      'Keep messages at or after this time (UTC: 2024-05-07, 2024-05-07T13:00Z, 20240507, 20240507T13, epoch seconds or ms; message timestamp, else originalTimestamp, else receivedAt).',
    helpGroup: 'FILTER',
  }),
  until: Flags.string({ description: 'Keep messages before this time (exclusive; same forms as --since).', helpGroup: 'FILTER' }),
  types: Flags.string({ description: 'Keep only these message types, comma-separated: track,page,screen,identify,group,alias.', helpGroup: 'FILTER' }),
  where: Flags.string({ description: 'Keep only messages matching this FQL condition (Segment trigger language), e.g. \'event = "Order Completed"\'.', helpGroup: 'FILTER' }),
  'prune-by-received': Flags.boolean({
    description:
      'With --since: skip Segment day folders (by the day Segment received the data) that end more than a day before --since, without listing or reading them. Faster, but a message whose timestamp is more than a day later than its receipt is then dropped uncounted; without it everything is read.',
    helpGroup: 'S3',
    default: false,
  }),
  'ignore-integrations-flags': Flags.boolean({
    description: 'Keep messages that Segment\'s "integrations" object routed away from Amplitude (All:false / Amplitude:false).',
    helpGroup: 'FILTER',
    default: false,
  }),
}

export const mappingsFlag = {
  mappings: Flags.string({
    description:
      'Actions mapping file: Public API subscriptions {"subscriptions":[...]}, a preset list, or a Terraform file (.tf) as migrate --format terraform writes it. Default: the Actions Amplitude Quick Setup presets.',
    helpValue: 'FILE',
  }),
}

/** Flags for `s3://bucket/prefix` inputs (credentials come from the AWS SDK's default chain). */
export const s3Flags = {
  profile: Flags.string({
    description: 'AWS profile for s3:// inputs (shared config/credentials files, SSO). Default: env AWS_PROFILE, else the default chain.',
    helpGroup: 'S3',
    helpValue: 'NAME',
  }),
  's3-endpoint': Flags.string({
    env: 'AWS_ENDPOINT_URL_S3',
    description: 'S3-compatible store for s3:// inputs (MinIO, Cloudflare R2, GCS XML API), e.g. http://127.0.0.1:9000 (or env AWS_ENDPOINT_URL_S3).',
    helpGroup: 'S3',
    helpValue: 'URL',
  }),
  's3-path-style': Flags.boolean({ description: 'Address buckets as <endpoint>/<bucket>/<key> (MinIO and most self-hosted stores need it).', helpGroup: 'S3', default: false }),
}

/** `--workers` of the commands that read through the pipeline without sending (inspect, diff-mappings, migrate --verify). */
export const workersFlag = {
  workers: Flags.integer({
    description: 'Threads that decode, route and map (default 1: this thread only). The output is the same for any number.',
    min: 1,
    max: 64,
    helpValue: 'N',
  }),
}
