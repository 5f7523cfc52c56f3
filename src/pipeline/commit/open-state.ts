/** A state directory from what the user gave: a path, or s3://bucket/prefix/ (with its S3 client). */
import type { S3Client } from '@aws-sdk/client-s3'
import { LocalStateDir } from './local-state.js'
import { S3StateDir } from './s3-state.js'
import { isS3State, type CheckpointCadence, type StateDir } from './state-dir.js'

export interface OpenStateOptions {
  /** The S3 client for a bucket (required for s3:// locations). */
  s3Client?: (bucket: string) => Promise<S3Client>
  leaseMs?: number
  cadence?: CheckpointCadence
  onWarning?: (text: string) => void
}

export function openStateDir(location: string, o: OpenStateOptions = {}): StateDir {
  if (!isS3State(location)) return new LocalStateDir(location)
  if (!o.s3Client) throw new Error(`${location}: no S3 client given for an s3:// state directory`)
  return new S3StateDir(location, { client: o.s3Client, leaseMs: o.leaseMs, cadence: o.cadence, onWarning: o.onWarning })
}
