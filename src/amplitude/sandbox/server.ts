/**
 * node:http wiring for the sandbox: routing, body reading (gzip aware, size capped),
 * fault injection (latency, resets, 5xx), and request bookkeeping.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync, inflateSync } from 'node:zlib'
import { ROUTES, SandboxCore, type CoreResponse, type IngestedEvent, type IngestedIdentification, type SandboxRoute } from './core.js'
import { buildExportLines, exportEntries, sandboxProjectId, zipEntries, type ExportSource } from './export.js'
import { HOUR_MS } from '../export-api/hours.js'
import { resolveLimits, type SandboxLimits } from './limits.js'
import { createRng, type Rng } from './rng.js'

export interface SandboxFaults {
  /** 0..1 share of requests answered 500/502/503 before processing. */
  error5xxRate?: number
  /** 0..1 share of requests whose socket is destroyed without an answer. */
  resetRate?: number
  /** Added delay per request (ms). */
  latencyMs?: number
  /** These device_id/user_id values get 429 throttled in the first `times` requests they appear in (default 1). */
  throttle?: { deviceOrUser: string[]; times?: number }
  /** Ids answered as exceeded_daily_quota (429). */
  quotaExceeded?: string[]
  /** device_ids whose events are answered 400 "Events silenced for device_id" (silenced_events). */
  silencedDevices?: string[]
  /** The next N /2/httpapi or /batch requests get a project-level 429 (no per-id detail). */
  projectThrottle?: number
  /** Seed for the deterministic fault draws (default 1). */
  seed?: number
}

/** The keys of `SandboxFaults`, for checking a faults object written by hand (`sandbox --options`). */
export const SANDBOX_FAULT_KEYS = [
  'error5xxRate',
  'resetRate',
  'latencyMs',
  'throttle',
  'quotaExceeded',
  'silencedDevices',
  'projectThrottle',
  'seed',
] as const satisfies ReadonlyArray<keyof SandboxFaults>

export interface SandboxOptions {
  /** Port on 127.0.0.1; default 0 (an ephemeral port). */
  port?: number
  /** Accepted API keys; default: any non-empty key. */
  apiKeys?: string[]
  /** Accepted secret keys for /api/2/export (HTTP Basic api key:secret key); default: any non-empty secret. */
  secretKeys?: string[]
  /** What the sandbox holds from the start (e.g. a store saved by `replay --sandbox`). */
  seed?: ExportSource
  faults?: SandboxFaults
  limits?: Partial<SandboxLimits>
  /** Clock in epoch ms used for windows, dedup and server_upload_time (default Date.now; tests). */
  clock?: () => number
  /**
   * Requests under /_sandbox/ (never Amplitude paths) go here instead: the standalone
   * `segamp sandbox` serves what it ingested this way. Not counted as requests, no fault draws.
   */
  control?: (req: IncomingMessage, res: ServerResponse, path: string) => void
}

export interface SandboxRequestRecord {
  path: string
  /** HTTP status answered; 0 when the connection was reset by fault injection. */
  status: number
  /** Request body bytes as received on the wire. */
  bytes: number
  /** Events / identifications / mappings carried (0 when unparseable). */
  events: number
}

export interface SandboxStats {
  requests: number
  /** Count per status code as a string; resets are counted under "reset". */
  byStatus: Record<string, number>
  eventsIngested: number
  duplicatesDiscarded: number
  identifications: number
  groupIdentifications: number
  mappings: number
  /** Accepted events/identifications whose user_properties mixed plain keys with operations. */
  mixedUserProperties: number
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:53211 — use as endpoint URL; paths are appended. */
  url: string
  /** Accepted, deduplicated events. */
  events: IngestedEvent[]
  identifications: Record<string, unknown>[]
  /** Identifications with arrival time and order (what /api/2/export turns into $identify events). */
  identifyLog: IngestedIdentification[]
  groupIdentifications: Record<string, unknown>[]
  mappings: Record<string, unknown>[]
  /** Every request seen, in arrival order of completion. */
  requests: SandboxRequestRecord[]
  /** Effective limits. */
  limits: SandboxLimits
  stats(): SandboxStats
  setFaults(f: SandboxFaults): void
  close(): Promise<void>
}

const FAULT_CODES = [500, 502, 503] as const
const EXPORT_PATH = '/api/2/export'

function parseExportHour(v: string | null): number | undefined {
  const m = v === null ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})$/.exec(v)
  if (!m) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]))
  return Number.isFinite(ms) && Number(m[4]) < 24 ? ms / HOUR_MS : undefined
}

function faultResponse(code: (typeof FAULT_CODES)[number]): { contentType: string; body: string } {
  if (code === 502)
    return {
      contentType: 'text/html; charset=utf-8',
      body: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
    }
  const error = code === 500 ? 'Internal server error' : 'Service unavailable'
  return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code, error }) }
}

function clampRate(v: number | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0
}

interface ReadBody {
  raw: Buffer
  wireBytes: number
  oversize: boolean
}

/** Reads the request body, keeping at most `cap` bytes (the rest is drained and counted). */
function readBody(req: IncomingMessage, cap: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let kept = 0
    let wireBytes = 0
    let oversize = false
    req.on('data', (chunk: Buffer) => {
      wireBytes += chunk.length
      if (oversize) return
      if (kept + chunk.length > cap) {
        oversize = true
        chunks.length = 0
        return
      }
      chunks.push(chunk)
      kept += chunk.length
    })
    req.on('end', () => resolve({ raw: Buffer.concat(chunks), wireBytes, oversize }))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** A request body as the sandbox reads it: gunzipped or inflated per Content-Encoding, never past `cap`. */
function decodeBody(body: ReadBody, encoding: string, cap: number): { decoded: Buffer; oversize: boolean; decodeFailed: boolean } {
  let decoded = body.raw
  let oversize = body.oversize
  let decodeFailed = false
  if (!oversize && (encoding === 'gzip' || encoding === 'deflate') && decoded.length > 0) {
    try {
      decoded = encoding === 'gzip' ? gunzipSync(decoded, { maxOutputLength: cap + 1 }) : inflateSync(decoded, { maxOutputLength: cap + 1 })
      if (decoded.length > cap) oversize = true
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') oversize = true
      else decodeFailed = true
    }
  }
  return { decoded, oversize, decodeFailed }
}

/** What the Export API endpoint reads of the sandbox. */
interface ExportContext {
  core: SandboxCore
  limits: SandboxLimits
  keys: Set<string> | null
  secrets: Set<string> | null
  latencyMs: number
  delay: (ms: number) => Promise<void>
  record: (path: string, status: number, bytes: number, events: number) => void
}

/**
 * GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH with HTTP Basic api key:secret key:
 * 401 without valid credentials, 400 for a bad or too long range or a zip over
 * limits.exportMaxBytes, 404 when nothing was uploaded in the range, else the zip.
 */
async function serveExport(req: IncomingMessage, res: ServerResponse, url: URL, x: ExportContext): Promise<void> {
  const { core, limits, keys, secrets, delay, record } = x
  req.resume()
  if (x.latencyMs > 0) await delay(x.latencyMs)
  if (res.destroyed) return
  const answer = (status: number, body: string): void => {
    record(EXPORT_PATH, status, 0, 0)
    send(res, status, 'text/plain; charset=utf-8', body)
  }
  if (req.method !== 'GET') return answer(405, 'Method not allowed')
  const auth = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))
  const decoded = auth ? Buffer.from(auth[1]!, 'base64').toString('utf8') : ''
  const colon = decoded.indexOf(':')
  const key = colon >= 0 ? decoded.slice(0, colon) : ''
  const secret = colon >= 0 ? decoded.slice(colon + 1) : ''
  const keyOk = key !== '' && (keys === null || keys.has(key))
  const secretOk = secret !== '' && (secrets === null || secrets.has(secret))
  if (!keyOk || !secretOk) return answer(401, 'Invalid API key or secret key')
  const start = parseExportHour(url.searchParams.get('start'))
  const end = parseExportHour(url.searchParams.get('end'))
  if (start === undefined || end === undefined || end < start) return answer(400, 'start and end must be hours formatted YYYYMMDDTHH, end not before start')
  if (end - start + 1 > limits.exportMaxHours) return answer(400, `The time range exceeds the maximum of ${limits.exportMaxHours / 24} days`)
  const project = sandboxProjectId(key)
  const lines = buildExportLines(core, project, start * HOUR_MS, (end + 1) * HOUR_MS)
  if (lines.count === 0) return answer(404, 'No data for the requested time range')
  const built = exportEntries(lines, project, Math.max(1, limits.exportEventsPerFile))
  const zip = await zipEntries(built.entries)
  if (zip.length > limits.exportMaxBytes) return answer(400, 'Raw data files were too large to export; shorten the time range')
  record(EXPORT_PATH, 200, 0, built.count)
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length })
  res.end(zip)
}

/** An HTTP server on 127.0.0.1:`port` (0: any free port) serving `onRequest`; open sockets tracked in `sockets` (close destroys them). */
async function listenLocal(onRequest: (req: IncomingMessage, res: ServerResponse) => Promise<void>, sockets: Set<Socket>, port: number): Promise<Server> {
  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify({ code: 500, error: 'Internal server error' }))
      }
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('clientError', (_err, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}

function sandboxStats(core: SandboxCore, requests: SandboxRequestRecord[], byStatus: Record<string, number>): ReturnType<Sandbox['stats']> {
  return {
    requests: requests.length,
    byStatus: { ...byStatus },
    eventsIngested: core.events.length,
    duplicatesDiscarded: core.duplicatesDiscarded,
    identifications: core.identifications.length,
    groupIdentifications: core.groupIdentifications.length,
    mappings: core.mappings.length,
    mixedUserProperties: core.mixedUserProperties,
  }
}

/** Starts the sandbox holding what an earlier one saved. */
function seedCore(core: SandboxCore, seed: NonNullable<SandboxOptions['seed']>): void {
  core.events.push(...seed.events)
  for (const i of seed.identifyLog) {
    core.identifications.push(i.identification)
    core.identifyLog.push(i)
  }
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const limits = resolveLimits(opts.limits)
  const keys = opts.apiKeys && opts.apiKeys.length > 0 ? new Set(opts.apiKeys) : null
  const core = new SandboxCore(limits, (k) => k !== '' && (keys === null || keys.has(k)))
  const clock = opts.clock ?? Date.now
  const secrets = opts.secretKeys && opts.secretKeys.length > 0 ? new Set(opts.secretKeys) : null
  if (opts.seed) seedCore(core, opts.seed)
  const requests: SandboxRequestRecord[] = []
  const byStatus: Record<string, number> = {}
  let faults: SandboxFaults = {}
  let rng: Rng = createRng(1)
  let seq = 0
  const timers = new Set<NodeJS.Timeout>()
  const sockets = new Set<Socket>()

  const setFaults = (f: SandboxFaults): void => {
    faults = { ...f }
    rng = createRng(f.seed ?? 1)
    core.setFaults(f)
  }
  setFaults(opts.faults ?? {})

  const record = (path: string, status: number, bytes: number, events: number): void => {
    requests.push({ path, status, bytes, events })
    const key = status === 0 ? 'reset' : String(status)
    byStatus[key] = (byStatus[key] ?? 0) + 1
  }

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t)
        resolve()
      }, ms)
      timers.add(t)
    })

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
    if (opts.control && path.startsWith('/_sandbox/')) return opts.control(req, res, path)
    const mySeq = ++seq
    // Draw the fault dice in a fixed order for every request, so outcomes depend only on seed and sequence.
    const resetDraw = rng()
    const errorDraw = rng()
    const codeDraw = rng()
    if (path === EXPORT_PATH) {
      await serveExport(req, res, url, { core, limits, keys, secrets, latencyMs: faults.latencyMs ?? 0, delay, record })
      return
    }
    const route: SandboxRoute | undefined = ROUTES[path]
    const cap = route ? core.maxBytes(route) : limits.formMaxBytes
    let body: ReadBody
    try {
      body = await readBody(req, cap)
    } catch {
      record(path, 0, 0, 0)
      return
    }
    const latency = faults.latencyMs ?? 0
    if (latency > 0) await delay(latency)
    if (res.destroyed) return

    if (!route) {
      record(path, 400, body.wireBytes, 0)
      send(res, 400, 'application/json; charset=utf-8', JSON.stringify({ code: 400, error: 'Invalid request path' }))
      return
    }

    const contentType = String(req.headers['content-type'] ?? '')
    const { decoded, oversize, decodeFailed } = decodeBody(body, String(req.headers['content-encoding'] ?? '').toLowerCase(), cap)

    if (clampRate(faults.resetRate) > resetDraw) {
      record(path, 0, body.wireBytes, oversize ? 0 : core.countItems(route, decoded, url.searchParams, contentType))
      req.socket.destroy()
      return
    }
    if (clampRate(faults.error5xxRate) > errorDraw) {
      const code = FAULT_CODES[Math.min(FAULT_CODES.length - 1, Math.floor(codeDraw * FAULT_CODES.length))]!
      const r = faultResponse(code)
      record(path, code, body.wireBytes, oversize ? 0 : core.countItems(route, decoded, url.searchParams, contentType))
      send(res, code, r.contentType, r.body)
      return
    }

    let out: CoreResponse
    if (decodeFailed) out = { status: 400, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code: 400, error: 'Invalid JSON request body' }), items: 0 }
    else
      out = core.handle({
        route,
        method: req.method ?? 'GET',
        contentType,
        body: decoded,
        oversize,
        query: url.searchParams,
        seq: mySeq,
        now: clock(),
      })
    record(path, out.status, body.wireBytes, out.items)
    send(res, out.status, out.contentType, out.body)
  }

  const server = await listenLocal(onRequest, sockets, opts.port ?? 0)
  const { port } = server.address() as AddressInfo

  let closing: Promise<void> | null = null
  return {
    url: `http://127.0.0.1:${port}`,
    events: core.events,
    identifications: core.identifications,
    identifyLog: core.identifyLog,
    groupIdentifications: core.groupIdentifications,
    mappings: core.mappings,
    requests,
    limits,
    stats: () => sandboxStats(core, requests, byStatus),
    setFaults,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
      return closing
    },
  }
}
