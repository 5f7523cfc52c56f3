/**
 * `segamp export`: downloads raw events from Amplitude's Export API (docs/amplitude-export.md)
 * into a directory, one zip per requested piece of the range (or its hourly .json.gz files with
 * `unpack`). A piece refused as too large (400) is split by hour and retried; 404 means no data.
 * A state file in the directory records finished pieces, so a new run resumes without
 * downloading a finished hour again. Credentials travel only in the Authorization header.
 */
import { createHash } from 'node:crypto'
import { createWriteStream, statSync } from 'node:fs'
import { makeDirs } from '../dirs.js'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, normalize, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import got from 'got'
import { exitCodes, SegampError, UsageError, writeFailureText } from '../errors.js'
import yauzl from 'yauzl'

/** Files of an export: the owner's only (they hold the project's users' events, as dead letters do). */
const PRIVATE = 0o600
import { formatHour, formatRange, HOUR_MS, initialPieces, MAX_RANGE_HOURS, rangeHours, splitPiece, type HourRange } from '../amplitude/export-api/hours.js'

export const STATE_FILE = '.segamp-export.json'

/**
 * Amplitude makes an hour's data exportable about two hours after receiving it: the current hour
 * and the one before are not complete yet (docs/amplitude-export.md).
 */
export const AMPLITUDE_OPEN_HOURS = 2

export interface ExportOptions {
  range: HourRange
  /** Scheme + host (+ optional path prefix), e.g. https://amplitude.com; `/api/2/export` is appended. */
  baseUrl: string
  apiKey: string
  secretKey: string
  /** What identifies the endpoint in the state file (default: the URL; a sandbox's port changes between runs). */
  endpointId?: string
  outDir: string
  unpack?: boolean
  /** Longest piece requested at once (default: Amplitude's 365 days). */
  maxPieceHours?: number
  /** Attempts per piece for 429, 5xx and network errors (default 4). */
  attempts?: number
  /** Base backoff in ms (default 1000; tests use less). */
  backoffMs?: number
  /** The clock that says which hours are over (default Date.now; tests move it). */
  now?: () => number
  /**
   * How many of the latest hours, the current one counted, may still receive data (default
   * AMPLITUDE_OPEN_HOURS; a sandbox's hours are complete once over: 1). A piece reaching into them
   * is downloaded but recorded as open, and the next run downloads it again.
   */
  openHours?: number
  /**
   * A state file of another endpoint: start over (its files removed, with a notice) instead of
   * refusing. For a sandbox, whose store a new `replay --sandbox` replaces.
   */
  startOverOnOtherEndpoint?: boolean
  signal?: AbortSignal
  onProgress?: (p: ExportProgress) => void
  /** Human notes: splits, empty pieces, retries (never containing credentials). */
  onNotice?: (text: string) => void
}

export interface ExportProgress {
  hoursTotal: number
  hoursDone: number
  /** Bytes downloaded by this run. */
  bytes: number
  /** Piece being downloaded, e.g. 20240506T00-20240506T23. */
  current?: string
}

export interface PieceRecord {
  start: string
  end: string
  status: 'data' | 'empty'
  /** Distinct hours with at least one file in the zip (from the entry names). */
  hoursWithFiles: number
  /** Files written for this piece, relative to the output directory. */
  files: string[]
  bytes: number
  /** Downloaded while its last hour could still receive data: not finished, downloaded again by the next run. */
  open?: true
}

export interface ExportResult {
  outDir: string
  hoursTotal: number
  /** Hours already finished by an earlier run (not downloaded again). */
  hoursResumed: number
  /** Hours of the range that could still receive data (the latest, or in the future): the next run downloads them again. */
  hoursOpen: number
  hoursWithData: number
  hoursEmpty: number
  /** Bytes downloaded by this run. */
  bytes: number
  /** Requests refused as too large and split. */
  splits: number
  /** Every finished piece of the range (earlier runs included). */
  pieces: PieceRecord[]
  /** Files of the whole range, relative to outDir. */
  files: string[]
  /** Pieces of other ranges an earlier run exported into outDir, with files: `diff-mappings --against outDir` reads them too. */
  outside: PieceRecord[]
}

export type ExportErrorKind = 'credentials' | 'hour-too-large' | 'http' | 'state' | 'zip' | 'aborted' | 'write'

const EXPORT_HINTS: Record<ExportErrorKind, string> = {
  credentials: 'Use the API key and secret key of one project (Amplitude: Settings → Projects → the project → General), with --region eu for an EU project.',
  'hour-too-large': "Export the hours before and after it with segamp; export that hour with Amplitude's Amazon S3 export.",
  http: 'Run the same command again: finished hours are kept and not downloaded again.',
  state: 'Run the same command again: finished hours are kept and not downloaded again.',
  zip: 'Run the same command again: finished hours are kept and not downloaded again.',
  aborted: 'Run the same command again: finished hours are kept and not downloaded again.',
  write: "Free space in --out's folder (or give --out a folder on another disk), then run the same command again: finished hours are kept and not downloaded again.",
}

/** Errors of writing the download to --out: the local disk, never the network (not retried, not 75). */
const WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EFBIG'])

function writeFailure(outDir: string, error: unknown): ExportError | undefined {
  const e = error as NodeJS.ErrnoException
  if (!e || typeof e.code !== 'string' || !WRITE_ERRORS.has(e.code)) return undefined
  return new ExportError('write', `--out ${outDir}: cannot be written: ${writeFailureText(error)}`)
}

/**
 * Code `export-<kind>`. Exit 130 when interrupted, 75 (TEMPFAIL) when Amplitude was unreachable or
 * kept failing (`retryable`), else 1.
 */
export class ExportError extends SegampError {
  constructor(
    readonly kind: ExportErrorKind,
    message: string,
    retryable = false,
  ) {
    super(message, {
      code: `export-${kind}`,
      exitCode: kind === 'aborted' ? exitCodes.INTERRUPTED : retryable ? exitCodes.TEMPFAIL : exitCodes.ABORTED,
      hint: EXPORT_HINTS[kind],
    })
    this.name = 'ExportError'
  }
}

interface StateFile {
  version: 1
  endpoint: string
  /** Non-reversible hash of the API key, so another project's export is never resumed. */
  project: string
  unpack: boolean
  pieces: PieceRecord[]
}

function keyHash(apiKey: string): string {
  return createHash('sha256').update(`segamp-export:${apiKey}`).digest('hex').slice(0, 16)
}

function parseStoredHour(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})$/.exec(s)
  if (!m) return NaN
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) / 3_600_000
}

async function readState(path: string): Promise<StateFile | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ExportError('state', `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  try {
    const s = JSON.parse(text) as StateFile
    if (s.version !== 1 || !Array.isArray(s.pieces)) throw new Error('unknown version')
    return s
  } catch (error) {
    throw new ExportError('state', `${path}: not a segamp export state file (${(error as Error).message}); remove it to start over`)
  }
}

async function writeState(path: string, s: StateFile): Promise<void> {
  const tmp = `${path}.tmp`
  await writeFile(tmp, JSON.stringify(s, null, 2) + '\n', { mode: PRIVATE })
  await rename(tmp, path)
}

/** The hours of `range` not covered by finished pieces, as contiguous pieces of at most maxHours. */
export function remainingPieces(range: HourRange, done: readonly PieceRecord[], maxHours: number): HourRange[] {
  const covered = (h: number): boolean => done.some((p) => parseStoredHour(p.start) <= h && h <= parseStoredHour(p.end))
  const out: HourRange[] = []
  let runStart: number | undefined
  for (let h = range.start; h <= range.end + 1; h++) {
    const free = h <= range.end && !covered(h)
    if (free && runStart === undefined) runStart = h
    if (!free && runStart !== undefined) {
      out.push(...initialPieces({ start: runStart, end: h - 1 }, maxHours))
      runStart = undefined
    }
  }
  return out
}

/** Waits `ms`, or until `signal` aborts; either way its listener is taken off the run's signal. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Where a zip entry may be written under `dir`: relative, without `..`; else undefined. */
export function safeEntryPath(dir: string, name: string): string | undefined {
  if (name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name)) return undefined
  const n = normalize(name)
  if (n.split(sep).includes('..') || n === '.' || n.endsWith(sep)) return undefined
  return join(dir, n)
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => (err ? reject(err) : resolve(zip!))))
}

/** Checks a downloaded zip's directory and, with `unpackTo`, writes its entries there. Returns the files written. */
async function checkOrUnpack(zipPath: string, unpackTo?: string): Promise<{ written: string[]; hours: number }> {
  const zip = await openZip(zipPath)
  const written: string[] = []
  const hours = new Set<string>()
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject)
    zip.on('end', () => resolve())
    zip.on('entry', (entry: yauzl.Entry) => {
      const hour = /_(\d{4}-\d{2}-\d{2}_\d{1,2})#\d+\.json(\.gz)?$/.exec(entry.fileName)
      if (hour) hours.add(hour[1]!)
      if (!unpackTo || entry.fileName.endsWith('/')) {
        zip.readEntry()
        return
      }
      const target = safeEntryPath(unpackTo, entry.fileName)
      if (!target) {
        reject(new Error(`entry ${JSON.stringify(entry.fileName)} would be written outside the output directory`))
        return
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('no stream'))
        mkdir(dirname(target), { recursive: true, mode: 0o700 })
          .then(() => pipeline(stream, createWriteStream(`${target}.part`, { mode: PRIVATE })))
          .then(() => rename(`${target}.part`, target))
          .then(() => {
            written.push(target)
            zip.readEntry()
          }, reject)
      })
    })
    zip.readEntry()
  })
  return { written, hours: hours.size }
}

type Attempt = { kind: 'data'; bytes: number } | { kind: 'status'; status: number; body: string }

/**
 * One request's own signal, aborted with the run's: got leaves its abort listener on the signal it
 * is given, so the run's one signal collected a listener per piece (and Node's
 * MaxListenersExceededWarning on stderr from the 11th). `done` takes the link off.
 */
function pieceSignal(run: AbortSignal | undefined): { signal: AbortSignal | undefined; done(): void } {
  if (!run) return { signal: undefined, done: () => {} }
  const ac = new AbortController()
  const abort = (): void => ac.abort(run.reason)
  if (run.aborted) abort()
  else run.addEventListener('abort', abort, { once: true })
  return { signal: ac.signal, done: () => run.removeEventListener('abort', abort) }
}

async function fetchPiece(url: string, auth: string, target: string, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Attempt> {
  const own = pieceSignal(signal)
  try {
    return await fetchPieceWith(url, auth, target, own.signal, onBytes)
  } finally {
    own.done()
  }
}

async function fetchPieceWith(url: string, auth: string, target: string, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Attempt> {
  const stream = got.stream(url, {
    headers: { authorization: auth, accept: 'application/zip' },
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { connect: 30_000, response: 600_000, socket: 600_000 },
    signal,
  })
  const response = await new Promise<{ statusCode: number }>((resolve, reject) => {
    stream.once('response', resolve)
    stream.once('error', reject)
  })
  if (response.statusCode !== 200) {
    let body = ''
    for await (const chunk of stream) if (body.length < 2000) body += String(chunk)
    return { kind: 'status', status: response.statusCode, body: body.trim().slice(0, 300) }
  }
  let bytes = 0
  stream.on('data', (c: Buffer) => {
    bytes += c.length
    onBytes(c.length)
  })
  await pipeline(stream, createWriteStream(target, { mode: PRIVATE }))
  return { kind: 'data', bytes }
}

/** Runs (or resumes) an export into `opts.outDir`. */
export async function runExport(opts: ExportOptions): Promise<ExportResult> {
  const maxHours = Math.max(1, Math.min(opts.maxPieceHours ?? MAX_RANGE_HOURS, MAX_RANGE_HOURS))
  const attempts = Math.max(1, opts.attempts ?? 4)
  const backoff = opts.backoffMs ?? 1000
  const endpoint = opts.baseUrl.replace(/\/+$/, '') + '/api/2/export'
  const endpointId = opts.endpointId ?? endpoint
  const auth = 'Basic ' + Buffer.from(`${opts.apiKey}:${opts.secretKey}`).toString('base64')
  // A folder it creates is the owner's only: the export holds the project's users' events.
  try {
    makeDirs(opts.outDir, 0o700)
    if (!statSync(opts.outDir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'EEXIST' })
  } catch (e) {
    const error = e as NodeJS.ErrnoException
    const code = error.code ?? error.message
    const what = code === 'EEXIST' || code === 'ENOTDIR' ? 'not a folder' : 'cannot be created'
    throw new UsageError(`--out ${opts.outDir}: ${what} (${code})`, { code: 'bad-flag', hint: 'Give --out a folder (it is created if missing), e.g. --out amplitude-export.' })
  }
  const statePath = join(opts.outDir, STATE_FILE)
  const { state, span } = await openState(opts, statePath, endpointId)
  const now = opts.now ?? Date.now
  const openHours = Math.max(1, opts.openHours ?? AMPLITUDE_OPEN_HOURS)
  const firstOpenHour = (): number => Math.floor(now() / HOUR_MS) - openHours + 1
  const hoursTotal = rangeHours(opts.range)
  const inRange = (p: PieceRecord): boolean => parseStoredHour(p.end) >= opts.range.start && parseStoredHour(p.start) <= opts.range.end
  const hoursOf = (p: PieceRecord): number => {
    const s = Math.max(parseStoredHour(p.start), opts.range.start)
    const e = Math.min(parseStoredHour(p.end), opts.range.end)
    return e >= s ? e - s + 1 : 0
  }
  let hoursResumed = state.pieces.filter(inRange).reduce((n, p) => n + hoursOf(p), 0)
  let hoursDone = hoursResumed
  let bytes = 0
  let splits = 0
  const queue = splitAtHour(remainingPieces(span, state.pieces, maxHours), firstOpenHour())
  const progress = (current?: string): void => opts.onProgress?.({ hoursTotal, hoursDone: Math.min(hoursDone, hoursTotal), bytes, current })
  progress()

  while (queue.length > 0) {
    if (opts.signal?.aborted) throw new ExportError('aborted', 'interrupted')
    const piece = queue.shift()!
    const label = formatRange(piece)
    const url = `${endpoint}?start=${formatHour(piece.start)}&end=${formatHour(piece.end)}`
    const zipName = `${formatHour(piece.start)}-${formatHour(piece.end)}.zip`
    const zipPath = join(opts.outDir, zipName)
    const part = `${zipPath}.part`
    // Decided before asking: an hour still receiving data when the answer was made is not finished.
    const open = piece.end >= firstOpenHour() ? ({ open: true } as const) : {}
    let result: Attempt | undefined
    for (let attempt = 1; ; attempt++) {
      progress(label)
      try {
        result = await fetchPiece(url, auth, part, opts.signal, (n) => {
          bytes += n
        })
      } catch (error) {
        await rm(part, { force: true })
        if (opts.signal?.aborted) throw new ExportError('aborted', 'interrupted')
        // A full disk is not a network error: retrying it, then "retry later" (75), misled.
        const local = writeFailure(opts.outDir, error)
        if (local) throw local
        result = { kind: 'status', status: 0, body: (error as Error).message }
      }
      const s = result.kind === 'status' ? result.status : 200
      const transient = s === 0 || s === 429 || s >= 500
      if (!transient || attempt >= attempts) break
      opts.onNotice?.(`${label}: ${s === 0 ? `network error (${(result as { body: string }).body})` : `HTTP ${s}`}; retrying (attempt ${attempt + 1} of ${attempts})`)
      await sleep(backoff * 2 ** (attempt - 1), opts.signal)
    }
    if (result!.kind === 'status') {
      const { status, body } = result as { status: number; body: string }
      await rm(part, { force: true })
      if (status === 404) {
        opts.onNotice?.(`${label}: no data (404)`)
        state.pieces.push({ start: formatHour(piece.start), end: formatHour(piece.end), status: 'empty', hoursWithFiles: 0, files: [], bytes: 0, ...open })
        await writeState(statePath, state)
        hoursDone += rangeHours(piece)
        continue
      }
      if (status === 400) {
        const halves = splitPiece(piece)
        if (halves) {
          splits++
          opts.onNotice?.(`${label}: refused as too large (400); splitting into ${formatRange(halves[0])} and ${formatRange(halves[1])}`)
          queue.unshift(...halves)
          continue
        }
        throw new ExportError(
          'hour-too-large',
          `Amplitude refused the single hour ${label} with 400${body ? ` (${body})` : ''}: an hour over the Export API's 4 GB limit cannot be exported this way; use Amplitude's Amazon S3 export for it`,
        )
      }
      throwFailedPiece(status, body, label, endpoint, attempts)
    }
    await rename(part, zipPath)
    const { files, withFiles } = await storePiece(zipPath, zipName, opts.outDir, Boolean(opts.unpack), label)
    const size = (result as { bytes: number }).bytes
    state.pieces.push({ start: formatHour(piece.start), end: formatHour(piece.end), status: 'data', hoursWithFiles: withFiles, files, bytes: size, ...open })
    await writeState(statePath, state)
    hoursDone += rangeHours(piece)
    progress()
  }

  const pieces = state.pieces.filter(inRange).sort((a, b) => parseStoredHour(a.start) - parseStoredHour(b.start))
  hoursResumed = Math.min(hoursResumed, hoursTotal)
  return {
    outDir: opts.outDir,
    hoursTotal,
    hoursResumed,
    hoursOpen: pieces.filter((p) => p.open).reduce((n, p) => n + hoursOf(p), 0),
    hoursWithData: pieces.reduce((n, p) => n + (p.hoursWithFiles ?? 0), 0),
    hoursEmpty: hoursTotal - pieces.reduce((n, p) => n + (p.hoursWithFiles ?? 0), 0),
    bytes,
    splits,
    pieces,
    files: pieces.flatMap((p) => p.files),
    outside: state.pieces.filter((p) => !inRange(p) && p.files.length > 0),
  }
}

/**
 * The export's state file, checked against this run (endpoint, project, --unpack), and the hours to
 * cover: the range, widened to the open pieces it overlaps. Those pieces were downloaded while
 * their hours could still receive data: their files are removed and they are downloaded again.
 */
async function openState(opts: ExportOptions, statePath: string, endpointId: string): Promise<{ state: StateFile; span: HourRange }> {
  const project = keyHash(opts.apiKey)
  let state = await readState(statePath)
  if (state && opts.startOverOnOtherEndpoint && state.endpoint !== endpointId && state.project === project) {
    opts.onNotice?.(`${opts.outDir} held an export of another sandbox (a replay --sandbox since replaced what it holds): exporting afresh`)
    await removePieces(opts.outDir, state.pieces)
    state = undefined
  }
  if (state && (state.endpoint !== endpointId || state.project !== project)) {
    throw new ExportError(
      'state',
      `${opts.outDir} holds an export from another ${state.endpoint !== endpointId ? `endpoint (${state.endpoint})` : 'project (another API key)'}; use another --out directory`,
    )
  }
  if (state && state.unpack !== Boolean(opts.unpack)) {
    throw new ExportError('state', `${opts.outDir} holds an export ${state.unpack ? 'with' : 'without'} --unpack; run it the same way, or use another --out directory`)
  }
  state ??= { version: 1, endpoint: endpointId, project, unpack: Boolean(opts.unpack), pieces: [] }
  const span = { ...opts.range }
  const stale = state.pieces.filter((p) => p.open && parseStoredHour(p.end) >= span.start && parseStoredHour(p.start) <= span.end)
  if (stale.length > 0) {
    for (const p of stale) {
      span.start = Math.min(span.start, parseStoredHour(p.start))
      span.end = Math.max(span.end, parseStoredHour(p.end))
    }
    await removePieces(opts.outDir, stale)
    state.pieces = state.pieces.filter((p) => !stale.includes(p))
    await writeState(statePath, state)
  }
  return { state, span }
}

async function removePieces(outDir: string, pieces: readonly PieceRecord[]): Promise<void> {
  for (const p of pieces) for (const f of p.files) if (safeEntryPath(outDir, f)) await rm(join(outDir, f), { force: true })
}

/** Pieces cut at `hour`, so the hours before it can be finished while the later ones stay open. */
export function splitAtHour(pieces: readonly HourRange[], hour: number): HourRange[] {
  return pieces.flatMap((p) =>
    p.start < hour && hour <= p.end
      ? [
          { start: p.start, end: hour - 1 },
          { start: hour, end: p.end },
        ]
      : [p],
  )
}

/** A piece that failed for good: why, and what to do (credentials, or run again to resume). */
function throwFailedPiece(status: number, body: string, label: string, endpoint: string, attempts: number): never {
  if (status === 401 || status === 403) {
    throw new ExportError(
      'credentials',
      `Amplitude rejected the credentials (HTTP ${status}) at ${endpoint}: check that --api-key and --secret-key (or AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY) are the API key and secret key of the same project, and --region (eu for EU projects)`,
    )
  }
  throw new ExportError(
    'http',
    `${endpoint} answered ${status === 0 ? 'with a network error' : `HTTP ${status}`} for ${label} after ${attempts} attempt(s)${body ? `: ${body}` : ''}; run the same command again to resume`,
    status === 0 || status === 429 || status >= 500,
  )
}

/** A downloaded piece checked (or unpacked): the files it left and the hours that had data. */
async function storePiece(zipPath: string, zipName: string, outDir: string, unpack: boolean, label: string): Promise<{ files: string[]; withFiles: number }> {
  let files: string[]
  let withFiles: number
  try {
    if (unpack) {
      const r = await checkOrUnpack(zipPath, outDir)
      files = r.written.map((f) => f.slice(outDir.length).replace(/^[\\/]+/, ''))
      withFiles = r.hours
      await rm(zipPath, { force: true })
    } else {
      withFiles = (await checkOrUnpack(zipPath)).hours
      files = [zipName]
    }
  } catch (error) {
    throw new ExportError('zip', `${zipPath}: the zip Amplitude sent for ${label} cannot be read (${(error as Error).message}); run the same command again to download it again`)
  }
  return { files, withFiles }
}
