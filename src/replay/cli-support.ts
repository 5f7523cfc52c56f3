/** Pure helpers for the replay command: resume command line, confirmation text. */
import { createHash } from 'node:crypto'
import { basename, isAbsolute, relative } from 'node:path'
import { keyFingerprint } from '../pipeline/deliver/index.js'
import type { ReplayProgress } from './engine.js'
import type { InspectReport } from '../inspect/profile.js'
import { shellQuote, visible } from '../text.js'
import { UsageError } from '../errors.js'

const SECRET_FLAGS = new Map([
  ['--api-key', '"$AMPLITUDE_API_KEY"'],
  ['--secret-key', '"$AMPLITUDE_SECRET_KEY"'],
])

/** `--request-timeout`'s default: Amplitude answers in well under a second; 30 s leaves room for a slow proxy. */
export const DEFAULT_REQUEST_TIMEOUT_S = 30
/**
 * A run stops once nothing has answered for 2 minutes (DEFAULT_UNREACHABLE_AFTER_MS): with a
 * deadline of 2 minutes or more the first timeout is that stop, never a retry; 60 s leaves one.
 */
export const MAX_REQUEST_TIMEOUT_S = 60

/**
 * `--request-timeout SECONDS` → milliseconds: a positive number of seconds, at most
 * MAX_REQUEST_TIMEOUT_S, and at least 1 ms once rounded (0.0001 would be a 0 ms deadline, passed
 * before any answer, every request a timeout); else exit 2 naming it.
 */
export function requestTimeoutMs(value: string): number {
  const s = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : NaN
  const ms = Math.round(s * 1000)
  if (!(s > 0) || s > MAX_REQUEST_TIMEOUT_S || ms < 1) {
    const why =
      s > MAX_REQUEST_TIMEOUT_S
        ? `more than ${MAX_REQUEST_TIMEOUT_S} s: the run stops once nothing has answered for 2 minutes, which leaves a request that timed out no time for a retry`
        : s > 0
          ? 'less than 1 ms, a deadline no answer can meet'
          : 'not a positive number of seconds'
    throw new UsageError(`--request-timeout ${visible(value)}: ${why}`, {
      code: 'usage',
      hint: `Give the seconds one request may take, e.g. --request-timeout 10 (default ${DEFAULT_REQUEST_TIMEOUT_S}; decimals allowed, e.g. 2.5).`,
    })
  }
  return ms
}

/** The delivery settings replay's flags give (the others keep delivery's defaults). */
export function deliveryFlags(flags: { 'request-timeout'?: string }): { requestTimeoutMs?: number } {
  return flags['request-timeout'] === undefined ? {} : { requestTimeoutMs: requestTimeoutMs(flags['request-timeout']) }
}

/** `--endpoint-url` carrying user:password is resumed from this variable (the flag reads it too). */
export const ENDPOINT_URL_ENV = 'AMPLITUDE_ENDPOINT_URL'

/**
 * The exact command that resumes this run: the same arguments (so the same run id), without
 * --fresh, with secrets replaced by their environment variables: the API keys, and an
 * --endpoint-url that carries credentials (`needsEnv` then names the variable to set).
 */
export function resumeCommand(bin: string, argv: string[]): string {
  const out: string[] = [bin, 'replay']
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--fresh') continue
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const secret = SECRET_FLAGS.get(name)
    if (secret) {
      out.push(`${name}=${secret}`)
      if (eq < 0) i++
      continue
    }
    if (name === '--endpoint-url') {
      const value = eq > 0 ? arg.slice(eq + 1) : (argv[++i] ?? '')
      out.push(hasCredentials(value) ? `--endpoint-url="$${ENDPOINT_URL_ENV}"` : `--endpoint-url=${shellQuote(value)}`)
      continue
    }
    out.push(shellQuote(arg))
  }
  return out.join(' ')
}

export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url)
    return u.username !== '' || u.password !== ''
  } catch {
    return false
  }
}

/** Hash mixed into the run id so another project key never resumes this project's run. */
export function keyHash(apiKey: string | undefined): string {
  return apiKey ? createHash('sha256').update(apiKey).digest('hex').slice(0, 16) : ''
}

/**
 * Short, non-reversible label of a key for prompts (the delivery engine's fingerprint: at most 4
 * characters and a quarter of the key, so a short key is never shown whole, and its length).
 */
export function fingerprint(apiKey: string): string {
  return `${keyFingerprint(apiKey).replace(/\)$/, ' chars)')}`
}

/**
 * How the user started segamp, for commands we print: `./bin/run.js` in a checkout, else the
 * installed command's name.
 */
export function invocation(bin: string, script: string | undefined = process.argv[1], cwd: string = process.cwd()): string {
  if (!script || !['run.js', 'dev.js'].includes(basename(script))) return bin
  const rel = relative(cwd, script)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? script : `./${rel}`
}

/** `1h 02m`, `3m 05s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

export type ProgressFigures = Omit<ReplayProgress, 'retries' | 'throttles'>

/**
 * Seconds left, or undefined when nothing tells yet. Sending is what takes long: what is pending
 * now, plus what the unread part of the input will add (records per byte so far), at this run's
 * rate. While reading is the slower part, its own estimate wins. Pure.
 */
export function etaSeconds(p: ProgressFigures): number | undefined {
  const elapsed = p.elapsedMs / 1000
  if (elapsed <= 0) return undefined
  const unread = p.totalBytes > 0 ? Math.max(0, p.totalBytes - p.bytes) : 0
  const readEta = p.phase === 'reading' && p.bytes > 0 && p.totalBytes > 0 ? (unread / p.bytes) * elapsed : 0
  const handled = p.sentThisRun + p.outstanding
  const comingRecords = p.phase === 'reading' && p.bytes > 0 ? (handled / p.bytes) * unread : 0
  const left = p.outstanding + comingRecords
  if (left === 0) return readEta
  const eps = p.sentThisRun / elapsed
  if (eps <= 0) return undefined
  return Math.max(readEta, left / eps)
}

/** The live progress line of a replay. Pure. */
export function progressLine(p: ProgressFigures, o: { dryRun: boolean }): string {
  const eps = p.elapsedMs > 0 ? Math.round((p.sentThisRun / p.elapsedMs) * 1000) : 0
  const eta = p.phase === 'done' ? undefined : etaSeconds(p)
  const fmt = (v: number) => v.toLocaleString('en-US')
  const size = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : n < 1024 ** 3 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`)
  return [
    `${fmt(p.messages)} messages read${p.totalBytes ? ` (${size(p.bytes)} of ${size(p.totalBytes)})` : ''}`,
    `${fmt(p.sent)} ${o.dryRun ? 'planned' : 'sent'}`,
    `${fmt(p.outstanding)} pending (${fmt(p.parked)} retrying/throttled)`,
    `${fmt(p.deadLettered)} dead-lettered`,
    `${fmt(eps)} ev/s`,
    p.phase === 'done' ? 'done' : `ETA ${eta === undefined ? '?' : formatDuration(eta)}`,
  ].join(' · ')
}

export interface ConfirmationFacts {
  /** `fingerprint(apiKey)`: enough to recognise the project, never the key. */
  key: string
  /** The region, or the endpoint URL shown without credentials. */
  target: string
  /** What `inspectArchives` read with the replay's filters and subscriptions. */
  report: Pick<InspectReport, 'messages' | 'filtered' | 'timeRange' | 'subscriptions'>
  /** Kept messages no subscription matches: nothing is sent for them. */
  unmatched: number
  shard?: { index: number; count: number }
  /** The counts of the unfinished run this one resumes. */
  resuming?: { messages: number; sent: number; deadLettered: number; stateDir: string }
}

const count = (v: number): string => v.toLocaleString('en-US')

/** The text shown before `Send? [y/N]`: where it goes, how much, what each subscription takes, what nothing takes. Pure. */
export function confirmationText(f: ConfirmationFacts): string {
  const { report } = f
  const filtered = Object.values(report.filtered).reduce((a, b) => a + b, 0)
  return [
    `About to send to Amplitude project key ${f.key} (${f.target}):`,
    `  ${count(report.messages)} messages (${count(filtered)} filtered out), ${report.timeRange.from ?? '?'} → ${report.timeRange.to ?? '?'}`,
    ...Object.entries(report.subscriptions).map(([k, v]) => `  ${k}: ${count(v)} messages`),
    `  matching no subscription (not sent): ${count(f.unmatched)} messages`,
    ...(f.shard
      ? [
          `  This is shard ${f.shard.index}/${f.shard.count} (0-based): it sends only the messages whose device_id/user_id hashes to ${f.shard.index}, about 1/${f.shard.count} of the above.`,
        ]
      : []),
    ...(f.resuming
      ? [
          `Resuming the run in ${f.resuming.stateDir}: ${count(f.resuming.messages)} of these messages are done (${count(f.resuming.sent)} events sent, ${count(f.resuming.deadLettered)} dead-lettered) and are not sent again;`,
          `  about ${count(Math.max(0, report.messages - f.resuming.messages))} messages are left.`,
        ]
      : []),
    'Amplitude deduplicates insert_id only within 7 days: replaying data it already holds from longer ago duplicates it.',
  ].join('\n')
}
