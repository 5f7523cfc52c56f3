/**
 * A small S3-compatible server (path-style, real HTTP) that honours conditional writes the way
 * AWS S3, MinIO and R2 do: PUT with `If-None-Match: *` fails with 412 when the key exists, PUT
 * with `If-Match: <etag>` fails with 412 when the key's ETag differs (or there is none). s3rver
 * ignores both headers, so the lock logic is tested here. GET, HEAD, DELETE and ListObjectsV2
 * (prefix, delimiter) are enough for a state directory. No authentication is checked.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { S3Client } from '@aws-sdk/client-s3'

export interface ConditionalS3 {
  endpoint: string
  objects: Map<string, { body: Buffer; etag: string }>
  /** Method, path and the conditional headers of every request, in order. */
  log: Array<{ method: string; key: string; ifNoneMatch?: string; ifMatch?: string; status: number }>
  client(): S3Client
  close(): Promise<void>
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

const xml = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`

/**
 * `honour` (AWS S3, MinIO, R2), or `refuse`: 501 NotImplemented to any conditional PUT (stores that do not support them).
 * `getBarrier`: the first `count` GETs of `key` are answered only once all of them have arrived
 * (racers that all read before any of them writes: the race a test means, whatever the machine's load).
 */
export async function startConditionalS3(o: { conditional?: 'honour' | 'refuse'; getBarrier?: { key: string; count: number } } = {}): Promise<ConditionalS3> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const objects = new Map<string, { body: Buffer; etag: string }>()
  const log: ConditionalS3['log'] = []
  const barrier = { arrived: 0, waiting: [] as Array<() => void> }
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const path = decodeURIComponent(url.pathname.slice(1))
    const data = await body(req)
    if (req.method === 'GET' && o.getBarrier && path === o.getBarrier.key && barrier.arrived < o.getBarrier.count) {
      barrier.arrived++
      await new Promise<void>((resolve) => {
        barrier.waiting.push(resolve)
        if (barrier.arrived === o.getBarrier!.count) for (const go of barrier.waiting.splice(0)) go()
      })
    }
    const ifNoneMatch = req.headers['if-none-match'] as string | undefined
    const ifMatch = req.headers['if-match'] as string | undefined
    const send = (status: number, text = '', headers: Record<string, string> = {}) => {
      log.push({ method: req.method!, key: path, ifNoneMatch, ifMatch, status })
      res.writeHead(status, { 'content-type': 'application/xml', ...headers })
      res.end(req.method === 'HEAD' ? undefined : text)
    }
    const slash = path.indexOf('/')
    if (slash < 0) {
      // Bucket-level: HeadBucket, ListObjectsV2.
      if (req.method === 'HEAD') return send(200)
      const prefix = url.searchParams.get('prefix') ?? ''
      const delimiter = url.searchParams.get('delimiter')
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(`${path}/${prefix}`))
        .map((k) => k.slice(path.length + 1))
        .sort()
      const common = new Set<string>()
      const contents: string[] = []
      for (const k of keys) {
        const rest = k.slice(prefix.length)
        if (delimiter && rest.includes(delimiter)) common.add(prefix + rest.slice(0, rest.indexOf(delimiter) + 1))
        else contents.push(`<Contents><Key>${k}</Key><ETag>${objects.get(`${path}/${k}`)!.etag}</ETag><Size>${objects.get(`${path}/${k}`)!.body.length}</Size></Contents>`)
      }
      return send(
        200,
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${path}</Name><Prefix>${prefix}</Prefix><KeyCount>${contents.length + common.size}</KeyCount><IsTruncated>false</IsTruncated>${contents.join('')}${[...common].map((p) => `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`).join('')}</ListBucketResult>`,
      )
    }
    const current = objects.get(path)
    if (req.method === 'PUT') {
      if (o.conditional === 'refuse' && (ifNoneMatch !== undefined || ifMatch !== undefined)) return send(501, xml('NotImplemented'))
      if (ifNoneMatch === '*' && current) return send(412, xml('PreconditionFailed'))
      if (ifMatch !== undefined && (!current || current.etag !== ifMatch)) return send(412, xml('PreconditionFailed'))
      const etag = `"${createHash('md5').update(data).digest('hex')}-${objects.size}-${Date.now()}"`
      objects.set(path, { body: data, etag })
      return send(200, '', { etag })
    }
    if (req.method === 'DELETE') {
      objects.delete(path)
      return send(204)
    }
    if (!current) return send(404, xml('NoSuchKey'))
    return send(200, current.body.toString('utf8'), { etag: current.etag, 'content-type': 'application/octet-stream', 'content-length': String(current.body.length) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const made: S3Client[] = []
  return {
    endpoint,
    objects,
    log,
    client() {
      const c = new S3Client({
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      })
      made.push(c)
      return c
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of made) c.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
