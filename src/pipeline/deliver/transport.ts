/**
 * HTTP transport (the I/O edge): `node:http`/`node:https` requests on keep-alive agents, no
 * retries, no redirects, one deadline per request (the request and its whole answer). Never
 * throws for HTTP statuses; throws only for transport errors, which the engine turns into an
 * `HttpOutcome` with `status: null`.
 *
 * Ingestion is segamp's hot path: a live run sends one request per ~100–2,000 records, and got
 * (segamp's HTTP client everywhere else) cost about 0.5–0.9 ms of CPU per request more than a
 * bare `http.request`: 0.5–0.9 CPU-s over the 1,024 requests of the bench's live replay, 5–10 %
 * of its CPU. With this transport that run also packs its records into half as many requests,
 * and its CPU per event fell by 22–31 % (README, Dependencies and Benchmarks).
 * What got did for these requests is done here: the agent, `content-length`, credentials in the
 * URL (`user:password@` becomes Basic auth, as Node does for a URL), the deadline, cancelling by
 * signal, and a compressed answer decoded (none is asked for: no `accept-encoding` is sent). Two
 * things more: a request whose kept-alive connection turns out closed by the server (reset before
 * any answer) goes again at once on another one, within the same deadline; and an answer is read
 * up to MAX_ANSWER_BYTES only (got read any size into memory).
 */
import http from 'node:http'
import https from 'node:https'
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import zlib from 'node:zlib'
import type { HttpRequest } from './requests.js'

export interface TransportResponse {
  status: number
  body: string
  /** A redirect's `location` header (3xx only): not followed, shown to the user. */
  location?: string
  /** The answer was larger than this many bytes (MAX_ANSWER_BYTES): not read past it, `body` empty, its socket destroyed. */
  tooLarge?: number
}

/**
 * The most of an answer read (decoded) before it is taken for what it is, not Amplitude's (a proxy
 * streaming a page or a file), and its socket destroyed: without a cap an endless answer filled
 * memory until the request's deadline. Amplitude's answers are a few hundred bytes (a 200, a 413)
 * to a few KB; the longest name ids: a 429's throttled_users / throttled_devices and /batch's
 * exceeded_daily_quota_users / _devices maps (id → count), a 400's index lists. A request holds at
 * most 2,000 records and an id at most 1,024 characters (docs/amplitude-api.md §2.2, §2.4), so
 * even four maps each naming 2,000 different 1,024-character ASCII ids come to about 8.3 MB
 * (7.9 MiB); UUID-like ids make that 0.4 MB. (Ids that long of multi-byte characters could pass
 * the cap: such a 429 is a failed attempt, retried unread.) Held per request in flight (4 by default).
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024

export interface TransportOptions {
  timeoutMs: number
  signal?: AbortSignal
  /** The request went again, on another connection (its kept-alive one was found closed): sent once more. */
  onResend?: () => void
}

export type Transport = (req: HttpRequest, o: TransportOptions) => Promise<TransportResponse>

export interface ClosableTransport {
  send: Transport
  close(): void
}

/** The error a request gets when its deadline passes before the whole answer came. */
export class TransportTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

export function createHttpTransport(maxSockets: number): ClosableTransport {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 }),
    https: new https.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 }),
  }
  // A run sends to a handful of URLs (one per endpoint): each is parsed once.
  const targets = new Map<string, URL>()
  const target = (url: string): URL => {
    let u = targets.get(url)
    if (u === undefined) targets.set(url, (u = new URL(url)))
    return u
  }
  return {
    send(req, o) {
      return new Promise<TransportResponse>((resolve, reject) => {
        const u = target(req.url)
        const secure = u.protocol === 'https:'
        if (!secure && u.protocol !== 'http:') {
          reject(Object.assign(new Error(`unsupported protocol ${u.protocol} (http: or https: only)`), { code: 'ERR_INVALID_PROTOCOL' }))
          return
        }
        // Encoded once, here: a string body would be measured for content-length and encoded again as the socket writes it.
        const body = Buffer.from(req.body, 'utf8')
        let settled = false
        const finish = (err: Error | undefined, res?: TransportResponse): void => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          if (res) return resolve(res)
          // A request that failed while its answer was read (a bad gzip) still holds its socket, the
          // rest of that answer unread: destroyed, it gives its slot in the agent back.
          request.destroy()
          reject(err)
        }
        const options = { method: req.method, headers: { ...req.headers, 'content-length': String(body.length) }, agent: secure ? agents.https : agents.http, signal: o.signal }
        let request: ClientRequest
        const attempt = (): void => {
          const r = (request = (secure ? https : http).request(u, options))
          let answered = false
          r.on('error', (err: Error & { code?: string }) => {
            // A kept-alive connection the server closed as it was reused (an idle timeout firing as
            // the request left): nothing was answered, so it goes again at once, on another
            // connection. Each such failure drops one pooled socket: this ends with a new one.
            if (!answered && !settled && r.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
              o.onResend?.()
              attempt()
            } else finish(err)
          })
          r.on('response', (res) => {
            answered = true
            const status = res.statusCode ?? 0
            const location = status >= 300 && status < 400 ? res.headers.location : undefined
            readText(res, MAX_ANSWER_BYTES).then(
              (text) => {
                if (text !== undefined) return finish(undefined, location === undefined ? { status, body: text } : { status, body: text, location })
                // Too large: nothing more is read; the socket, the rest of the answer unread, is destroyed.
                r.destroy()
                finish(undefined, location === undefined ? { status, body: '', tooLarge: MAX_ANSWER_BYTES } : { status, body: '', location, tooLarge: MAX_ANSWER_BYTES })
              },
              (err: Error) => finish(err),
            )
          })
          r.end(body)
        }
        const timer = setTimeout(() => finish(new TransportTimeoutError(o.timeoutMs)), o.timeoutMs)
        attempt()
      })
    },
    close() {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}

/**
 * The answer's body as UTF-8 text, decoded if it came compressed; undefined once it (decoded, or
 * its content-length) passes `max` bytes, the rest left unread; rejects if the connection ends first.
 */
function readText(res: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    // Listened to first: the socket destroyed mid-answer (too large) makes the answer emit `error`.
    res.on('error', reject)
    if (Number(res.headers['content-length']) > max) return resolve(undefined)
    const stream = decoded(res)
    const chunks: Buffer[] = []
    let ended = false
    let bytes = 0
    stream.on('data', (c: Buffer) => {
      if (ended) return
      bytes += c.length
      if (bytes <= max) return void chunks.push(c)
      ended = true
      chunks.length = 0
      if (stream !== res) stream.destroy()
      resolve(undefined)
    })
    stream.on('end', () => {
      if (ended) return
      ended = true
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'))
    })
    stream.on('error', reject)
    res.on('close', () => {
      if (!res.complete && !ended) reject(Object.assign(new Error('the connection closed before the whole answer came'), { code: 'ECONNRESET' }))
    })
  })
}

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase()
  if (encoding === 'gzip' || encoding === 'x-gzip') return res.pipe(zlib.createGunzip())
  if (encoding === 'deflate') return res.pipe(zlib.createInflate())
  if (encoding === 'br') return res.pipe(zlib.createBrotliDecompress())
  return res
}

/** Best-effort error code of a transport error (Node's network errors carry `code`). */
export function transportErrorInfo(err: unknown): { code?: string; message: string; timeout: boolean } {
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } }
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined
  const name = typeof e?.name === 'string' ? e.name : ''
  const message = typeof e?.message === 'string' ? e.message : String(err)
  // Only the request's own deadline (TransportTimeoutError) is a timeout: an ETIMEDOUT from the
  // operating system (a connection that timed out) keeps its code, as --request-timeout did not set it.
  return { code, message, timeout: name === 'TimeoutError' }
}
