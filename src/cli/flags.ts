/** Flags shared by every command that reads archives. */
import { Flags } from '@oclif/core'

export const readingFlags = {
  since: Flags.string({ description: 'Keep messages at or after this time (ISO 8601 or epoch ms; message timestamp, else originalTimestamp, else receivedAt).', helpGroup: 'FILTER' }),
  until: Flags.string({ description: 'Keep messages before this time (exclusive; ISO 8601 or epoch ms).', helpGroup: 'FILTER' }),
  types: Flags.string({ description: 'Keep only these message types, comma-separated: track,page,screen,identify,group,alias.', helpGroup: 'FILTER' }),
  where: Flags.string({ description: 'Keep only messages matching this FQL condition (Segment trigger language), e.g. \'event = "Order Completed"\'.', helpGroup: 'FILTER' }),
  'ignore-integrations-flags': Flags.boolean({ description: 'Keep messages that Segment\'s "integrations" object routed away from Amplitude (All:false / Amplitude:false).', helpGroup: 'FILTER', default: false }),
}

export const mappingsFlag = {
  mappings: Flags.string({ description: 'Actions mapping file: Public API subscriptions {"subscriptions":[...]} or preset list. Default: the Actions Amplitude Quick Setup presets.', helpValue: 'FILE' }),
}

/** Flags for `s3://bucket/prefix` inputs (credentials come from the AWS SDK's default chain). */
export const s3Flags = {
  profile: Flags.string({ description: 'AWS profile for s3:// inputs (shared config/credentials files, SSO). Default: env AWS_PROFILE, else the default chain.', helpGroup: 'S3', helpValue: 'NAME' }),
  's3-endpoint': Flags.string({ env: 'AWS_ENDPOINT_URL_S3', description: 'S3-compatible store for s3:// inputs (MinIO, Cloudflare R2, GCS XML API), e.g. http://127.0.0.1:9000 (or env AWS_ENDPOINT_URL_S3).', helpGroup: 'S3', helpValue: 'URL' }),
  's3-path-style': Flags.boolean({ description: 'Address buckets as <endpoint>/<bucket>/<key> (MinIO and most self-hosted stores need it).', helpGroup: 'S3', default: false }),
}

/** `--workers` of the commands that read through the pipeline without sending (inspect, diff-mappings, migrate --verify). */
export const workersFlag = {
  workers: Flags.integer({ description: 'Threads that decode, route and map (default 1: this thread only). The output is the same for any number.', min: 1, max: 64, helpValue: 'N' }),
}
