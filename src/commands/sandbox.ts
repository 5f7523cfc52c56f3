import { Flags } from '@oclif/core'
import { readFileSync, writeFileSync, renameSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SegampCommand } from '../cli/base.js'
import { ensureWritableFile } from '../cli/state-dir.js'
import { PRIVATE_FILE_MODE } from '../pipeline/commit/index.js'
import { exitCodes, SegampError, UsageError } from '../errors.js'
import { withoutBom } from '../text.js'
import { jsonErrorPlace, jsonSyntaxError } from '../json-syntax.js'
import { DEFAULT_LIMITS, SANDBOX_FAULT_KEYS, startSandbox, summarizeSandbox, type Sandbox, type SandboxFaults, type SandboxOptions } from '../amplitude/sandbox/index.js'
import { NO_THROTTLE } from '../amplitude/sandbox/limits.js'

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

export default class SandboxCommand extends SegampCommand {
  static summary = 'Run the Amplitude-compatible sandbox of `replay --sandbox` as a standalone server.'
  static description = `Serves Amplitude's ingestion endpoints (/2/httpapi, /batch, /identify, /groupidentify, /usermap) on 127.0.0.1 with Amplitude's status codes, limits, insert_id deduplication and per-id throttling, so several processes (e.g. replay shards) can send to one server. Prints its URL as the first line on stdout; runs until Ctrl-C or SIGTERM.

What it ingested, as JSON ({"url","stats","events":[{"endpoint","event","receivedAt","requestSeq"}],"identifications","groupIdentifications","mappings"}):
  GET  /_sandbox/ingested   everything
  GET  /_sandbox/stats      the counts only
  POST /_sandbox/faults     replace the fault options (body: the "faults" object below)
  --dump FILE               also written on SIGUSR2 and on exit

--options FILE is JSON: {"apiKeys": [...], "secretKeys": [...] (the secret keys GET /api/2/export accepts; default any non-empty one), "limits": {...}, "faults": {"error5xxRate", "resetRate", "latencyMs", "throttle": {"deviceOrUser": [...], "times"}, "quotaExceeded": [...], "silencedDevices": [...], "projectThrottle", "seed"}}; limits are those of DEFAULT_LIMITS (e.g. {"httpApiEps": 10, "throttleWindowMs": 1000}). Flags override the file.`
  static examples = [
    { description: 'A sandbox for shards on this machine', command: '<%= config.bin %> sandbox --port 8787' },
    { description: 'Then, in other shells', command: '<%= config.bin %> replay examples/segment-logs --endpoint-url http://127.0.0.1:8787 --api-key any-key --yes --shard 0/2' },
    { description: 'What it ingested', command: 'curl -s http://127.0.0.1:8787/_sandbox/stats' },
  ]
  // A server: its stdout is its URL, then nothing until it stops.
  static enableJsonFlag = false
  static baseFlags = {}
  static flags = {
    port: Flags.integer({ description: 'Port on 127.0.0.1 (0: any free port).', default: 0, min: 0, max: 65535 }),
    options: Flags.string({ description: 'JSON file with apiKeys, limits and faults.', helpValue: 'FILE' }),
    'api-key': Flags.string({ description: 'Accept only this API key (repeatable; default: any non-empty key).', multiple: true }),
    'no-throttle': Flags.boolean({ description: 'Lift per-id, per-project and daily throttling (throughput measurements).', default: false }),
    'error-5xx-rate': Flags.string({ description: 'Share 0..1 of requests answered 500/502/503.', helpValue: 'P' }),
    'reset-rate': Flags.string({ description: 'Share 0..1 of requests whose connection is reset.', helpValue: 'P' }),
    'latency-ms': Flags.integer({ description: 'Delay added to every request.', min: 0 }),
    seed: Flags.integer({ description: 'Seed of the fault draws (default 1).' }),
    dump: Flags.string({ description: 'Write what was ingested (JSON) to FILE on SIGUSR2 and on exit.', helpValue: 'FILE' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxCommand)
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
    this.log(server.url)
    this.logToStderr(`Amplitude sandbox listening on ${server.url} (use it as --endpoint-url); what it ingested: GET ${server.url}/_sandbox/ingested. Ctrl-C stops it.`)
    const onUsr2 = (): void => {
      try {
        dump()
        this.logToStderr(`dumped ${server.events.length} events to ${flags.dump}`)
      } catch (error) {
        this.logToStderr(`could not write --dump ${flags.dump}: ${(error as Error).message}`)
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
      this.logToStderr(`could not write --dump ${flags.dump}: ${(error as Error).message}`)
      process.exitCode = exitCodes.ABORTED
    }
    await server.close()
    this.logToStderr(summarizeSandbox(server).join('\n'))
  }
}
