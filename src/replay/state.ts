/**
 * The state directory of a replay or `status` call: a local path, or s3://bucket/prefix/ reached
 * with the same S3 settings as s3:// inputs (--s3-endpoint, --s3-path-style, AWS_ENDPOINT_URL_S3,
 * --profile, the default credential chain).
 */
import { openStateDir, s3StateError, stateUrlError, type StateDir, type CheckpointCadence } from '../pipeline/commit/index.js'
import { UsageError } from '../errors.js'
import type { S3Clients, S3Settings } from '../pipeline/source/index.js'

/** The S3 clients, loaded only for an s3:// state directory (the AWS SDK is large). */
async function s3Clients(settings: S3Settings): Promise<S3Clients> {
  const { S3Clients } = await import('../pipeline/source/s3/index.js')
  return new S3Clients(settings)
}

/** The client for a bucket, its credentials loaded first: none for the profile is an error naming it (not the SDK's words). */
async function clientFor(clients: S3Clients, bucket: string, key: string): ReturnType<S3Clients['forBucket']> {
  await clients.checkCredentials(bucket, key)
  return clients.forBucket(bucket)
}

export function stateDirAt(location: string, o: { s3?: S3Settings; cadence?: CheckpointCadence; onWarning?: (text: string) => void } = {}): StateDir {
  let clients: Promise<S3Clients> | undefined
  const state = openStateDir(location, {
    s3Client: async (bucket) => clientFor(await (clients ??= s3Clients(o.s3 ?? {})), bucket, location.replace(/^s3:\/\/[^/]+\/?/i, '')),
    leaseMs: envMs('SEGAMP_STATE_LEASE_MS'),
    cadence: o.cadence,
    onWarning: o.onWarning,
  })
  const close = state.close.bind(state)
  state.close = () => {
    close()
    void clients?.then((c) => c.destroy())
  }
  return state
}

/** A knob for tests (a short lease), not a documented setting. */
function envMs(name: string): number | undefined {
  const v = process.env[name]
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined
}

/**
 * `s3://bucket/run/shard-*` → the state directories it names (folders under the prefix whose
 * name matches; `*` only in the last segment). Paths and s3:// URLs without `*` are kept as given.
 */
export async function expandStateDirs(locations: string[], s3: S3Settings = {}): Promise<string[]> {
  const out: string[] = []
  let clients: Promise<S3Clients> | undefined
  try {
    for (const loc of locations) {
      // Before any request, as typed (a final * kept): `status s3://bucket//run/shard-*` would list the wrong prefix.
      const bad = stateUrlError(loc, 'state directory')
      if (bad) throw bad
      const m = /^s3:\/\/([^/]+)\/(.*)$/i.exec(loc)
      if (!m || !m[2].includes('*')) {
        out.push(loc)
        continue
      }
      const [, bucket, pattern] = m
      const trimmed = pattern.replace(/\/$/, '')
      const parent = trimmed.slice(0, trimmed.lastIndexOf('/') + 1)
      const last = trimmed.slice(parent.length)
      if (parent.includes('*')) throw new UsageError(`${loc}: a * may only appear in the last part of an s3:// state directory`, 'e.g. segamp status s3://bucket/run/shard-*')
      const re = new RegExp(`^${last.split('*').map(escapeRe).join('[^/]*')}$`)
      const client = await clientFor(await (clients ??= s3Clients(s3)), bucket, parent)
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3')
      const found: string[] = []
      let token: string | undefined
      do {
        const prefix = parent + last.slice(0, last.indexOf('*'))
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })).catch((error: unknown) => {
          // The store's refusal (no such bucket, unknown credentials, access denied) names what to check.
          throw s3StateError('list', `s3://${bucket}/${prefix}`, error)
        })
        for (const p of page.CommonPrefixes ?? []) {
          const name = p.Prefix!.slice(parent.length).replace(/\/$/, '')
          if (re.test(name)) found.push(`s3://${bucket}/${parent}${name}/`)
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      if (found.length === 0) throw new UsageError(`${loc}: no state directory matches`, "List the prefix (aws s3 ls) and pass the shards' --state-dir values.")
      out.push(...found.sort())
    }
  } finally {
    if (clients) (await clients).destroy()
  }
  return out
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}
