/** `s3://bucket/prefix` inputs: recognised by scheme, split into bucket and key prefix. Pure. */

export interface S3Location {
  bucket: string
  /** Key prefix as given (no leading slash); '' for the whole bucket. */
  prefix: string
}

export function isS3Input(input: string): boolean {
  return /^s3:\/\//i.test(input)
}

/** Parses `s3://bucket[/prefix]`; undefined when the bucket is missing. */
export function parseS3Input(input: string): S3Location | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(input)
  if (!m || m[1].length === 0) return undefined
  return { bucket: m[1], prefix: m[2] }
}

/** How an object is named in reports, rejected lines and checkpoints. */
export function objectUrl(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`
}

/** An endpoint URL as it may be shown: scheme, host, port and path, never userinfo or query. */
export function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint)
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`
  } catch {
    return '(invalid endpoint URL)'
  }
}
