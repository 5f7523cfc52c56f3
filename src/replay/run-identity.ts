/**
 * A replay's identity, the name of its state directory (`.segamp/<run-id>`) and what a re-run
 * resumes by. Two parts, both hashes:
 * - the work (8 hex): the inputs, the mappings and every option that decides what is sent;
 * - the destination (4 hex): the API key's hash, the region, the endpoint's host and port, and
 *   whether it is a sandbox or a dry run.
 * Never the endpoint URL as typed: a proxy's user:password, path or query are not part of where
 * the events go, so rotating a proxy password resumes the same run instead of resending it all.
 *
 * Another destination is another run, but one of the same work left unfinished is worth knowing
 * about (the proxy was dropped, the host renamed): `findUnfinishedSibling` finds it among the
 * state directories, and `siblingAdvice` shows the command that resumes it.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readLocalCheckpoint, runIdFor } from '../pipeline/commit/index.js'
import { keyHash, resumeCommand } from './cli-support.js'

export interface RunIdentityParts {
  inputs: string[]
  mappingsText: string
  /** Options that decide what is read and sent (filters, --only, batch endpoint, …). */
  work: Record<string, unknown>
  destination: { apiKey?: string; region: string; endpointUrl?: string; sandbox: boolean; dryRun: boolean }
}

/** The endpoint's host and port, lower-cased; null for Amplitude's own hosts (no --endpoint-url). */
export function endpointHost(url: string | undefined): string | null {
  if (url === undefined) return null
  try {
    return new URL(url).host.toLowerCase()
  } catch {
    return null
  }
}

export function replayRunId(parts: RunIdentityParts): string {
  const work = runIdFor({ inputs: parts.inputs, mappingsText: parts.mappingsText, options: parts.work }).slice(0, 8)
  return work + destinationId(parts.destination)
}

/** The destination part of a run id (its 4 hex after the work's 8). */
export function destinationId(d: RunIdentityParts['destination']): string {
  return createHash('sha256')
    .update(JSON.stringify({ key: keyHash(d.apiKey), region: d.region, host: endpointHost(d.endpointUrl), sandbox: d.sandbox, dryRun: d.dryRun }))
    .digest('hex')
    .slice(0, 4)
}

/** Whether run id `runId` (a shard's too) was a `--sandbox` run with this API key flag and region. */
export function wasSandboxRun(runId: string, d: { apiKey?: string; region: string }): boolean {
  return runId.slice(8, 12) === destinationId({ ...d, sandbox: true, dryRun: false })
}

export interface UnfinishedRun {
  dir: string
  runId: string
  messages?: number
  sent?: number
  updatedAt?: string
  /** From the run's report.json, when it wrote one (an interrupted or aborted run does). */
  region?: string
  endpointUrl?: string | null
}

/** A state directory's newest checkpoint (checkpoint.json or a slot after it) as plain JSON; undefined when missing or unreadable. */
const newestCheckpoint = (dir: string): Record<string, unknown> | undefined => {
  try {
    return readLocalCheckpoint<unknown>(dir, { anyVersion: true }) as unknown as Record<string, unknown> | undefined
  } catch {
    return undefined
  }
}

const readJson = (path: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/**
 * An unfinished run in `root` (the default state root, `.segamp`) of the same work as `runId` for
 * another destination: same first 8 characters and the same shard suffix. The latest one.
 */
export function findUnfinishedSibling(root: string, runId: string): UnfinishedRun | undefined {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return undefined
  }
  const work = runId.slice(0, 8)
  const suffix = runId.slice(12)
  let best: UnfinishedRun | undefined
  for (const name of names) {
    if (name === runId || name.length !== runId.length || !name.startsWith(work) || name.slice(12) !== suffix || !/^[0-9a-f]{12}/.test(name)) continue
    const cp = newestCheckpoint(join(root, name))
    if (!cp || cp.done !== false || cp.runId !== name) continue
    const counts = (cp.counts ?? {}) as { messages?: number; sent?: number }
    const report = readJson(join(root, name, 'report.json'))
    const run: UnfinishedRun = {
      dir: join(root, name),
      runId: name,
      messages: counts.messages,
      sent: counts.sent,
      updatedAt: typeof cp.updatedAt === 'string' ? cp.updatedAt : undefined,
      ...(report ? { region: String(report.region ?? ''), endpointUrl: (report.endpointUrl as string | null | undefined) ?? null } : {}),
    }
    if (!best || (run.updatedAt ?? '') > (best.updatedAt ?? '')) best = run
  }
  return best
}

/** Flags that name the destination: replaced by the unfinished run's own in the command shown. */
const DESTINATION_FLAGS = new Set(['--endpoint-url', '--region', '--state-dir', '--fresh'])

/** What to tell the user about an unfinished run of the same work for another destination. Pure. */
export function siblingAdvice(run: UnfinishedRun, o: { bin: string; argv: string[]; stateDir: string }): string {
  const kept: string[] = []
  for (let i = 0; i < o.argv.length; i++) {
    const arg = o.argv[i]
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg
    if (DESTINATION_FLAGS.has(name)) {
      if (!arg.includes('=') && name !== '--fresh') i++
      continue
    }
    kept.push(arg)
  }
  const progress = run.messages !== undefined ? ` (${run.messages} message(s) read, ${run.sent ?? 0} event(s) sent)` : ''
  const head = `an unfinished run of the same inputs and mappings is in ${run.dir}${progress}, for another destination (API key, region or endpoint host differ); this run starts a new one in ${o.stateDir}.`
  if (run.region === undefined) {
    return `${head}\nTo resume that run instead, run the command that started it (with its API key, --region and --endpoint-url host): it finds ${run.dir} by itself.\n`
  }
  const destination = [`--region=${run.region}`, ...(run.endpointUrl ? [`--endpoint-url=${run.endpointUrl}`] : [])]
  const command = resumeCommand(o.bin, [...kept, ...destination])
  const creds = run.endpointUrl ? " (add the proxy's user:password to --endpoint-url if it needs one)" : ''
  return `${head}\nTo resume that run instead (same API key)${creds}:\n  ${command}\n`
}
