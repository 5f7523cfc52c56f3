/**
 * `segamp sandbox`'s session: the options file and fault flags checked, the standalone Amplitude
 * sandbox started with its control paths (`/_sandbox/ingested`, `/stats`, `/faults`), its URL
 * printed, `--dump` written on SIGUSR2 and at the end, and its summary printed when SIGINT or
 * SIGTERM stops it. The command only parses flags and calls `sandboxSession`.
 *
 * It must never answer an Amplitude API itself (src/amplitude/sandbox does): it turns flags into
 * that server's options and its state into output.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ensureWritableFile } from './state-dir.js'
import { PRIVATE_FILE_MODE } from '../pipeline/commit/index.js'
import { exitCodes, SegampError, UsageError } from '../errors.js'
import { withoutBom } from '../text.js'
import { jsonErrorPlace, jsonSyntaxError } from '../json-syntax.js'
import { DEFAULT_LIMITS, SANDBOX_FAULT_KEYS, startSandbox, summarizeSandbox, type Sandbox, type SandboxFaults, type SandboxOptions } from '../amplitude/sandbox/index.js'
import { NO_THROTTLE } from '../amplitude/sandbox/limits.js'

/** The flags of `segamp sandbox`, as oclif parsed them. */
export interface SandboxFlags {
  port: number
  options?: string
  'api-key'?: string[]
  'no-throttle': boolean
  'error-5xx-rate'?: string
  'reset-rate'?: string
  'latency-ms'?: number
  seed?: number
  dump?: string
}

/** What the session needs of the command: its output. */
export interface SandboxIo {
  log(text: string): void
  logToStderr(text: string): void
}

/** What GET /_sandbox/ingested answers (and --dump writes). */
export function ingestedDump(sb: Sandbox): Record<string, unknown> {
  return {
    url: sb.url,
    stats: sb.stats(),
    events: sb.events,
    identifications: sb.identifications,
    groupIdentifications: sb.groupIdentifications,
    mappings: sb.mappings,
  }
}

type FileOptions = Pick<SandboxOptions, 'apiKeys' | 'secretKeys' | 'limits' | 'faults'>
const FILE_KEYS = ['apiKeys', 'secretKeys', 'limits', 'faults']
const OPTIONS_EXAMPLE = 'Write an object like {"apiKeys": ["…"], "secretKeys": ["…"], "limits": {"httpApiEps": 10}, "faults": {"error5xxRate": 0.1}}.'

/**
 * --options FILE. A key the sandbox does not know (a misspelt `secretKey`) or keys that are not a
 * list of strings would leave it accepting any key or secret without a word: usage errors, naming
 * the key, never its values (they are credentials).
 */
function readOptionsFile(path: string): FileOptions {
  let text: string
  try {
    text = withoutBom(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new UsageError(`--options ${path}: ${(error as Error).message}`, `It must be a JSON file holding an object. ${OPTIONS_EXAMPLE}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    // file:line:column and the fault, never V8's excerpt of the file (its apiKeys sit there).
    const e = jsonSyntaxError(text, error)
    throw new UsageError(`--options ${jsonErrorPlace(path, e)}: not JSON (${e.problem})`, `It must be a JSON file holding an object. ${OPTIONS_EXAMPLE}`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--options ${path}: not a JSON object`, OPTIONS_EXAMPLE)
  const o = parsed as Record<string, unknown>
  for (const key of Object.keys(o))
    if (!FILE_KEYS.includes(key)) throw new UsageError(`--options ${path}: unknown key ${JSON.stringify(key)} (the file may hold ${FILE_KEYS.join(', ')})`, OPTIONS_EXAMPLE)
  for (const key of ['apiKeys', 'secretKeys'])
    if (o[key] !== undefined && !(Array.isArray(o[key]) && (o[key] as unknown[]).every((v) => typeof v === 'string' && v !== '')))
      throw new UsageError(
        `--options ${path}: ${key} must be a list of non-empty strings`,
        `e.g. "${key}": ["…"]; leave it out to accept any non-empty ${key === 'apiKeys' ? 'API key' : 'secret key'}.`,
      )
  checkLimitsAndFaults(path, o)
  return o as FileOptions
}

const nearest = (key: string, known: readonly string[]): string => {
  const near = known.find((k) => k.toLowerCase() === key.toLowerCase())
  return near ? `did you mean ${near}? ` : ''
}

/** What is wrong with a faults object (`--options`' "faults", the body of POST /_sandbox/faults), or undefined. */
function faultsProblem(f: unknown): string | undefined {
  if (f === null || typeof f !== 'object' || Array.isArray(f)) return 'faults must be a JSON object'
  for (const key of Object.keys(f))
    if (!(SANDBOX_FAULT_KEYS as readonly string[]).includes(key))
      return `unknown fault ${JSON.stringify(key)} (${nearest(key, SANDBOX_FAULT_KEYS)}the faults: ${SANDBOX_FAULT_KEYS.join(', ')})`
  return undefined
}

/** A misspelt limit or fault was taken and ignored: the sandbox ran with defaults the user did not ask for. */
function checkLimitsAndFaults(path: string, o: Record<string, unknown>): void {
  if (o.limits !== undefined && (o.limits === null || typeof o.limits !== 'object' || Array.isArray(o.limits)))
    throw new UsageError(`--options ${path}: limits must be an object`, OPTIONS_EXAMPLE)
  const limitNames = Object.keys(DEFAULT_LIMITS)
  for (const [key, value] of Object.entries((o.limits ?? {}) as Record<string, unknown>)) {
    if (!limitNames.includes(key))
      throw new UsageError(`--options ${path}: limits: unknown limit ${JSON.stringify(key)} (${nearest(key, limitNames)}the limits: ${limitNames.join(', ')})`, OPTIONS_EXAMPLE)
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new UsageError(`--options ${path}: limits.${key} must be a number ≥ 0 (got ${JSON.stringify(value)})`, OPTIONS_EXAMPLE)
  }
  const problem = o.faults === undefined ? undefined : faultsProblem(o.faults)
  if (problem) throw new UsageError(`--options ${path}: ${problem.startsWith('faults') ? problem : `faults: ${problem}`}`, OPTIONS_EXAMPLE)
}

export async function sandboxSession(flags: SandboxFlags, io: SandboxIo): Promise<void> {
  const fileOpts = flags.options ? readOptionsFile(flags.options) : {}
  const rate = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} ${v}: not a share between 0 and 1`, `Give a share between 0 and 1, e.g. --${name} 0.1.`)
    return n
  }
  const faults: SandboxFaults = { ...fileOpts.faults }
  const e5 = rate('error-5xx-rate', flags['error-5xx-rate'])
  const rr = rate('reset-rate', flags['reset-rate'])
  if (e5 !== undefined) faults.error5xxRate = e5
  if (rr !== undefined) faults.resetRate = rr
  if (flags['latency-ms'] !== undefined) faults.latencyMs = flags['latency-ms']
  if (flags.seed !== undefined) faults.seed = flags.seed
  const limits = { ...fileOpts.limits, ...(flags['no-throttle'] ? NO_THROTTLE : {}) }
  // Found now, not at Ctrl-C, when the whole session's dump would be lost.
  if (flags.dump) ensureWritableFile(flags.dump, '--dump')

  let sb: Sandbox | undefined
  const control = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const reply = (status: number, value: unknown): void => {
      const body = JSON.stringify(value)
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    if (!sb) return reply(503, { error: 'starting' })
    if (req.method === 'GET' && path === '/_sandbox/ingested') return reply(200, ingestedDump(sb))
    if (req.method === 'GET' && path === '/_sandbox/stats') return reply(200, sb.stats())
    if (req.method === 'POST' && path === '/_sandbox/faults') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        let f: unknown
        try {
          f = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
        } catch (error) {
          return reply(400, { error: `faults must be a JSON object: ${(error as Error).message}` })
        }
        const problem = faultsProblem(f)
        if (problem) return reply(400, { error: problem })
        sb!.setFaults(f as SandboxFaults)
        reply(200, { faults: f })
      })
      return
    }
    reply(404, { error: `unknown sandbox control path ${path}; use GET /_sandbox/ingested, GET /_sandbox/stats or POST /_sandbox/faults` })
  }
  try {
    sb = await startSandbox({ port: flags.port, apiKeys: flags['api-key'] ?? fileOpts.apiKeys, secretKeys: fileOpts.secretKeys, limits, faults, control })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE')
      throw new SegampError(`port ${flags.port} on 127.0.0.1 is in use`, {
        code: 'port-in-use',
        hint: 'Pick another --port, or --port 0 for any free port (the URL is the first line on stdout).',
      })
    throw error
  }
  const server = sb
  const dump = (): void => {
    if (!flags.dump) return
    const tmp = `${flags.dump}.${process.pid}.tmp`
    // What the sandbox ingested is users' events: owner only, as the saved store of replay --sandbox.
    writeFileSync(tmp, JSON.stringify(ingestedDump(server)) + '\n', { mode: PRIVATE_FILE_MODE })
    renameSync(tmp, flags.dump)
  }
  io.log(server.url)
  io.logToStderr(`Amplitude sandbox listening on ${server.url} (use it as --endpoint-url); what it ingested: GET ${server.url}/_sandbox/ingested. Ctrl-C stops it.`)
  const onUsr2 = (): void => {
    try {
      dump()
      io.logToStderr(`dumped ${server.events.length} events to ${flags.dump}`)
    } catch (error) {
      io.logToStderr(`could not write --dump ${flags.dump}: ${(error as Error).message}`)
    }
  }
  process.on('SIGUSR2', onUsr2)
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  process.off('SIGUSR2', onUsr2)
  try {
    dump()
  } catch (error) {
    io.logToStderr(`could not write --dump ${flags.dump}: ${(error as Error).message}`)
    process.exitCode = exitCodes.ABORTED
  }
  await server.close()
  io.logToStderr(summarizeSandbox(server).join('\n'))
}
