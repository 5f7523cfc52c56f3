/**
 * S3 clients for `s3://` inputs: the SDK's default credential chain (environment, shared
 * config and credentials files with profiles and SSO, web identity, container and instance
 * metadata), one client per bucket in the bucket's own region.
 */
import { HeadBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { describeS3Error } from './errors.js'

export interface S3Settings {
  /** Named profile of the shared config files (else AWS_PROFILE, else default). */
  profile?: string
  /** S3-compatible store (MinIO, R2, GCS XML API): scheme://host[:port]. */
  endpoint?: string
  /** Address buckets as endpoint/bucket/key instead of bucket.endpoint/key. */
  pathStyle?: boolean
  /**
   * --prune-by-received: with --since, skip Segment's received-day folders that end more than a
   * day (PRUNE_MARGIN_MS) before it. Off by default: a message's timestamp can be later than its
   * folder by any amount (docs/s3-input.md), and such a message would be dropped uncounted.
   */
  pruneByReceived?: boolean
  /** Objects read ahead (bounded parallelism across objects). */
  readAhead?: number
  /** Mid-object retries (Range requests) without progress before an object is given up. */
  maxResumes?: number
  /** First pause before a Range retry, doubled each time. */
  resumeBaseMs?: number
  /** No byte for this long while reading: the connection is dropped and resumed. */
  stallMs?: number
}

// The SDK warns on every run that its future versions will need Node 22; segamp supports 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

function baseConfig(settings: S3Settings, region: string): S3ClientConfig {
  return {
    region,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: Boolean(settings.pathStyle),
    // A bucket answered from another region: follow the redirect instead of failing.
    followRegionRedirects: true,
    // Objects are read in ranges when resumed; whole-object checksums do not apply (gzip has its own CRC).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 0, httpAgent: { keepAlive: true, maxSockets: 32 }, httpsAgent: { keepAlive: true, maxSockets: 32 } },
  }
}

/** Region from AWS_REGION / the profile, else us-east-1 (where bucket discovery starts). */
async function configuredRegion(settings: S3Settings): Promise<string> {
  const probe = new S3Client({ ...(settings.profile ? { profile: settings.profile } : {}) })
  try {
    const region = await probe.config.region()
    return region || 'us-east-1'
  } catch {
    return 'us-east-1'
  } finally {
    probe.destroy()
  }
}

export class S3Clients {
  private readonly byBucket = new Map<string, Promise<S3Client>>()
  private readonly made: S3Client[] = []
  private credentialsLoaded?: Promise<void>
  constructor(readonly settings: S3Settings) {}

  /**
   * Loads the credentials once, before a first request on `s3://bucket/key` (a state directory's):
   * when there are none, the error says which profile they were looked up in (the SDK's own words,
   * "Could not load credentials from any providers", name none) and what to do.
   */
  checkCredentials(bucket: string, key: string): Promise<void> {
    this.credentialsLoaded ??= this.forBucket(bucket).then(async (client) => {
      try {
        await client.config.credentials()
      } catch (error) {
        throw describeS3Error(error, { op: 'get', bucket, key, profile: this.settings.profile, endpoint: this.settings.endpoint })
      }
    })
    return this.credentialsLoaded
  }

  /** The client for a bucket, signing for the bucket's region. */
  forBucket(bucket: string): Promise<S3Client> {
    let c = this.byBucket.get(bucket)
    if (!c) {
      c = this.create(bucket)
      this.byBucket.set(bucket, c)
    }
    return c
  }

  private async create(bucket: string): Promise<S3Client> {
    const start = await configuredRegion(this.settings)
    const region = (await bucketRegion(new S3Client(baseConfig(this.settings, start)), bucket)) ?? start
    const client = new S3Client(baseConfig(this.settings, region))
    this.made.push(client)
    return client
  }

  destroy(): void {
    for (const c of this.made) c.destroy()
  }
}

/**
 * The bucket's region, as S3 reports it in x-amz-bucket-region on HeadBucket (on success and
 * on 301/403 answers alike). Undefined when the store does not say (S3-compatible stores,
 * or an error before any answer): the listing then reports what went wrong.
 */
async function bucketRegion(client: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const out = await client.send(new HeadBucketCommand({ Bucket: bucket }))
    return out.BucketRegion || undefined
  } catch (error) {
    const headers = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers
    return headers?.['x-amz-bucket-region'] || undefined
  } finally {
    client.destroy()
  }
}
