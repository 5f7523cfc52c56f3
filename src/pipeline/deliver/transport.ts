/**
 * HTTP transport (the I/O edge): got with keep-alive agents, no automatic retries, no
 * redirects, a hard per-request timeout. Never throws for HTTP statuses; throws only for
 * transport errors, which the engine turns into an `HttpOutcome` with `status: null`.
 */
import http from 'node:http'
import https from 'node:https'
import type { Got } from 'got'
import type { HttpRequest } from './requests.js'

export interface TransportResponse {
  status: number
  body: string
}

export interface TransportOptions {
  timeoutMs: number
  signal?: AbortSignal
}

export type Transport = (req: HttpRequest, o: TransportOptions) => Promise<TransportResponse>

export interface ClosableTransport {
  send: Transport
  close(): void
}

export function createGotTransport(maxSockets: number): ClosableTransport {
  const agent = {
    http: new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 }),
    https: new https.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 }),
  }
  // got (and its dependency tree) is loaded by the first request: a dry run never sends one.
  let client: Got | undefined
  const load = async (): Promise<Got> => {
    const { default: got } = await import('got')
    return got.extend({
      agent,
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      decompress: true,
      responseType: 'text',
    })
  }
  return {
    async send(req, o) {
      client ??= await load()
      const res = await client(req.url, {
        method: req.method,
        headers: req.headers,
        // Encoded once, here: a string body is measured for content-length and then encoded again
        // as the socket writes it (~1 MB per request; 5 % of a live run's CPU, measured A/B).
        body: Buffer.from(req.body, 'utf8'),
        timeout: { request: o.timeoutMs },
        signal: o.signal,
      })
      return { status: res.statusCode, body: res.body }
    },
    close() {
      agent.http.destroy()
      agent.https.destroy()
    },
  }
}

/** Best-effort error code of a transport error (got's RequestError carries `code`). */
export function transportErrorInfo(err: unknown): { code?: string; message: string; timeout: boolean } {
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } }
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined
  const name = typeof e?.name === 'string' ? e.name : ''
  const message = typeof e?.message === 'string' ? e.message : String(err)
  return { code, message, timeout: name === 'TimeoutError' || code === 'ETIMEDOUT' }
}
