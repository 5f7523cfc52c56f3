/**
 * S3 failures turned into errors a user can act on: what failed, on which bucket or object,
 * and what to do. `fatal` errors stop the run (configuration: credentials, permissions, a
 * missing bucket — every other object would fail the same way); the others make one object
 * unreadable and the run goes on.
 */
import { exitCodes, SegampError } from '../../../errors.js'
import { objectUrl, safeEndpoint } from './url.js'

export type S3ErrorKind =
  'no-such-bucket' | 'access-denied' | 'credentials-absent' | 'credentials-expired' | 'credentials-rejected' | 'object-deleted' | 'object-changed' | 'transient' | 'other'

/**
 * Code `s3-<kind>`. Exit 75 (TEMPFAIL) when the read failed transiently (the same command later
 * may succeed), else 1; commands where 1 means something else remap it (SegampCommand.s3ErrorExit).
 */
export class S3InputError extends SegampError {
  constructor(
    message: string,
    readonly kind: S3ErrorKind,
    /** Stops the run (the reader rethrows it instead of reporting one unreadable object). */
    readonly fatal: boolean,
  ) {
    super(message, {
      code: `s3-${kind}`,
      exitCode: kind === 'transient' ? exitCodes.TEMPFAIL : exitCodes.ABORTED,
      hint: 'Once that is fixed, run the same command again (a replay resumes from its checkpoint).',
    })
    this.name = 'S3InputError'
  }
}

export interface S3ErrorContext {
  op: 'list' | 'get'
  bucket: string
  /** Object key (get) or listed prefix (list). */
  key: string
  endpoint?: string
  profile?: string
}

interface SdkErrorShape {
  name?: string
  Code?: string
  code?: string
  message?: string
  $metadata?: { httpStatusCode?: number }
  $retryable?: unknown
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired'])
const REJECTED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'UnrecognizedClientException', 'AuthorizationHeaderMalformed'])
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'Forbidden', 'AccountProblem'])
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
])
const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
])

export function errorCode(error: unknown): string {
  const e = error as SdkErrorShape
  return e?.Code ?? (typeof e?.code === 'string' ? e.code : undefined) ?? e?.name ?? 'Error'
}

/** A connection reset, a stalled or cut body, a 5xx answer or throttling: worth another Range request. */
export function isTransient(error: unknown): boolean {
  const e = error as SdkErrorShape
  if (error instanceof S3InputError) return error.kind === 'transient'
  const status = e?.$metadata?.httpStatusCode
  if (status !== undefined && (status >= 500 || status === 429)) return true
  const code = errorCode(error)
  if (TRANSIENT_CODES.has(code) || THROTTLING.has(code) || TRANSIENT_CODES.has(e?.name ?? '')) return true
  return /aborted|socket hang up|premature close|ended early|stalled|ECONNRESET/i.test(e?.message ?? '')
}

function where(ctx: S3ErrorContext): string {
  return objectUrl(ctx.bucket, ctx.key)
}

function profileHint(ctx: S3ErrorContext): string {
  return ctx.profile ? `profile "${ctx.profile}"` : process.env.AWS_PROFILE ? `profile "${process.env.AWS_PROFILE}" (AWS_PROFILE)` : 'the default credential chain'
}

/** The permission an operation needs, with the resource it needs it on. */
export function missingPermission(ctx: S3ErrorContext): string {
  return ctx.op === 'list'
    ? `s3:ListBucket on arn:aws:s3:::${ctx.bucket}`
    : `s3:GetObject on arn:aws:s3:::${ctx.bucket}/${ctx.key} (and kms:Decrypt on its key if the object is SSE-KMS encrypted)`
}

export function describeS3Error(error: unknown, ctx: S3ErrorContext): S3InputError {
  if (error instanceof S3InputError) return error
  const e = error as SdkErrorShape
  const code = errorCode(error)
  const status = e?.$metadata?.httpStatusCode
  const message = e?.message ?? String(error)
  const at = ctx.endpoint ? ` at ${safeEndpoint(ctx.endpoint)}` : ''
  if (code === 'NoSuchBucket' || (ctx.op === 'list' && status === 404 && code !== 'NoSuchKey')) {
    return new S3InputError(
      `s3://${ctx.bucket}: no such bucket${at}; check the bucket name${ctx.endpoint ? ' and --s3-endpoint' : ' (and --s3-endpoint for an S3-compatible store)'}`,
      'no-such-bucket',
      true,
    )
  }
  if (e?.name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    if (/expired|refresh/i.test(message)) {
      return new S3InputError(
        `reading ${where(ctx)}: the AWS credentials of ${profileHint(ctx)} have expired (${message}); refresh them (e.g. aws sso login${ctx.profile ? ` --profile ${ctx.profile}` : ''}) and rerun`,
        'credentials-expired',
        true,
      )
    }
    const profile = ctx.profile ?? process.env.AWS_PROFILE
    if (profile) {
      return new S3InputError(
        `reading ${where(ctx)}: profile "${profile}" gave no AWS credentials: check that it exists in ~/.aws/config or ~/.aws/credentials (or the files AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE name), and for an SSO profile run aws sso login --profile ${profile}`,
        'credentials-absent',
        true,
      )
    }
    return new S3InputError(
      `reading ${where(ctx)}: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with --profile or AWS_PROFILE (run aws sso login for SSO profiles), or run where a role is available (web identity, container or instance metadata)`,
      'credentials-absent',
      true,
    )
  }
  if (EXPIRED.has(code) || e?.name === 'TokenProviderError' || /token.*expired|expired.*token/i.test(message)) {
    return new S3InputError(
      `reading ${where(ctx)}: the AWS credentials of ${profileHint(ctx)} have expired (${code}); refresh them (aws sso login${ctx.profile ? ` --profile ${ctx.profile}` : ''}, or new temporary credentials) and rerun`,
      'credentials-expired',
      true,
    )
  }
  if (REJECTED.has(code)) {
    return new S3InputError(
      `reading ${where(ctx)}${at}: the store rejected the AWS credentials of ${profileHint(ctx)} (${code}); check the access key and secret (or the profile)${ctx.endpoint ? ' issued for this endpoint' : ''}`,
      'credentials-rejected',
      true,
    )
  }
  if (ctx.op === 'get' && code === 'InvalidObjectState') {
    return new S3InputError(
      `the object is in an archive storage class (Glacier / Deep Archive) and cannot be read until it is restored (InvalidObjectState); restore it (aws s3api restore-object) and rerun`,
      'other',
      false,
    )
  }
  if (DENIED.has(code) || (status === 403 && !THROTTLING.has(code))) {
    return new S3InputError(
      `access denied ${ctx.op === 'list' ? 'listing' : 'reading'} ${where(ctx)} (${code}): the identity of ${profileHint(ctx)} needs ${missingPermission(ctx)}`,
      'access-denied',
      true,
    )
  }
  if (ctx.op === 'get' && (code === 'NoSuchKey' || status === 404)) {
    return new S3InputError(
      `the object was deleted after it was listed (${code}); the other objects are read as usual — rerun once the data is back if you need it`,
      'object-deleted',
      false,
    )
  }
  if (ctx.op === 'get' && (code === 'PreconditionFailed' || status === 412)) {
    return new S3InputError(
      `the object was replaced after it was listed (its ETag changed); the lines read before are kept — rerun (replay: with --fresh) to read the new version`,
      'object-changed',
      false,
    )
  }
  if (isTransient(error)) return new S3InputError(`${code}: ${message}`, 'transient', false)
  return new S3InputError(`${code}${status ? ` (HTTP ${status})` : ''}: ${message}`, 'other', false)
}
