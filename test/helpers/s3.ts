/**
 * A real S3-compatible server for tests: s3rver (npm) in-process on 127.0.0.1, plus a TCP
 * proxy in front of it that can cut a connection after N bytes or answer a request itself
 * (AccessDenied, ExpiredToken…), so failures reach the SDK over real HTTP. No SDK mocks.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { readdirSync, statSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import S3rver from 's3rver'
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { tempDir } from './files.js'

export const S3_KEY = 'S3RVER'

export interface S3TestServer {
  /** http://127.0.0.1:<port> of s3rver itself. */
  endpoint: string
  client: S3Client
  createBucket(name: string): Promise<void>
  put(bucket: string, key: string, body: string | Buffer): Promise<void>
  remove(bucket: string, key: string): Promise<void>
  /** Uploads every file under `dir` to `bucket` at `prefix` + its relative path; returns the keys. */
  uploadDir(bucket: string, prefix: string, dir: string): Promise<string[]>
  close(): Promise<void>
}

export async function startS3(): Promise<S3TestServer> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: tempDir('segamp-s3rver-') })
  const { port } = (await server.run()) as { port: number }
  const endpoint = `http://127.0.0.1:${port}`
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const put = async (bucket: string, key: string, body: string | Buffer) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body }))
  }
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }))
    },
    put,
    remove: async (bucket, key) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
    },
    uploadDir: async (bucket, prefix, dir) => {
      const keys: string[] = []
      for (const file of filesUnder(dir)) {
        const key = prefix + relative(dir, file).split(sep).join('/')
        await put(bucket, key, readFileSync(file))
        keys.push(key)
      }
      return keys
    },
    close: async () => {
      client.destroy()
      await server.close()
    },
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...filesUnder(p))
    else out.push(p)
  }
  return out
}

/**
 * For a describe() whose library calls (in this process) reach the test server: its credentials
 * and nothing of the developer's AWS settings while the suite runs, restored after it. Call in the
 * describe body (registers before/after hooks).
 */
export function useS3TestCredentials(): void {
  const saved: Record<string, string | undefined> = {}
  const env: Record<string, string | undefined> = {
    AWS_ACCESS_KEY_ID: S3_KEY,
    AWS_SECRET_ACCESS_KEY: S3_KEY,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PROFILE: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL_S3: undefined,
    AWS_ENDPOINT_URL: undefined,
  }
  before(() => {
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k]
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
}

/** Environment for a spawned CLI that reaches the test server and nothing else (no metadata service). */
export function s3Env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('AMPLITUDE_')) delete env[k]
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: S3_KEY,
    AWS_SECRET_ACCESS_KEY: S3_KEY,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(tempDir('segamp-awscfg-'), 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tempDir('segamp-awscfg-'), 'credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  })
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

export type ProxyRule =
  | { match: RegExp; cutAfterBytes: number; once?: boolean }
  /** Forwards N bytes of the answer, then nothing more (the connection stays open). */
  | { match: RegExp; stallAfterBytes: number; once?: boolean }
  | { match: RegExp; respond: { status: number; headers?: Record<string, string>; body?: string }; once?: boolean }

/**
 * A TCP proxy in front of the server. Each request head sent by the client is matched against
 * the rules (first line and headers, e.g. /^GET \/bucket\/key/); a matching rule either cuts the
 * connection after N bytes of the answer, or answers itself and closes.
 */
export interface FaultProxy {
  endpoint: string
  /** Request heads (first line + headers) seen, in order. */
  requests: string[]
  rules: ProxyRule[]
  close(): Promise<void>
}

export async function startFaultProxy(target: string, rules: ProxyRule[] = []): Promise<FaultProxy> {
  const t = new URL(target)
  const requests: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    sockets.add(client)
    const upstream = connect(Number(t.port), t.hostname)
    sockets.add(upstream)
    let cutBudget: number | undefined
    let stall = false
    const kill = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', kill)
    upstream.on('error', kill)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1')
      const head = /^(GET|HEAD|PUT|POST|DELETE) [^\r\n]* HTTP\/1\.1\r\n[\s\S]*?\r\n\r\n/.exec(text)?.[0]
      if (head) {
        requests.push(head)
        const i = proxy.rules.findIndex((r) => r.match.test(head))
        if (i >= 0) {
          const rule = proxy.rules[i]
          if (rule.once) proxy.rules.splice(i, 1)
          if ('respond' in rule) {
            const body = rule.respond.body ?? ''
            const headers = { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...(rule.respond.headers ?? {}) }
            client.end(
              `HTTP/1.1 ${rule.respond.status} X\r\n${Object.entries(headers)
                .map(([k, v]) => `${k}: ${v}`)
                .join('\r\n')}\r\n\r\n${head.startsWith('HEAD') ? '' : body}`,
            )
            upstream.destroy()
            return
          }
          if ('stallAfterBytes' in rule) {
            cutBudget = rule.stallAfterBytes
            stall = true
          } else cutBudget = rule.cutAfterBytes
        }
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (cutBudget === undefined) {
        client.write(chunk)
        return
      }
      if (cutBudget <= 0) return // stalled: swallow the rest
      if (chunk.length < cutBudget) {
        cutBudget -= chunk.length
        client.write(chunk)
        return
      }
      if (stall) {
        client.write(chunk.subarray(0, cutBudget))
        cutBudget = 0
        return
      }
      client.write(chunk.subarray(0, cutBudget), () => client.resetAndDestroy())
      upstream.destroy()
      cutBudget = undefined
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    rules,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  return proxy
}

/** S3's XML error body. */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>TEST</RequestId></Error>`
}
