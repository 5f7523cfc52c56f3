/**
 * What a sandbox ingested, kept on disk between commands: `replay --sandbox` saves it, and
 * `export --sandbox` serves it again from a new sandbox, so the README's loop needs no account.
 * One gzipped JSON line per ingested event or identification, in arrival order. No keys are kept.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { chmod, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { createGunzip, createGzip } from 'node:zlib'
import type { ExportSource } from './export.js'
import type { IngestedEvent, IngestedIdentification } from './core.js'
import { makeDirs } from '../../dirs.js'

export const DEFAULT_SANDBOX_DIR = join('.segamp', 'sandbox')
const FILE = 'ingested.ndjson.gz'

export function sandboxStorePath(dir: string): string {
  return join(dir, FILE)
}

/** Writes (replacing) the store in `dir`; returns the file path. */
export async function saveSandboxStore(src: ExportSource, dir: string): Promise<string> {
  // What a sandbox ingested is users' events, as a state directory's dead letters are: owner only.
  makeDirs(dir, 0o700)
  await chmod(dir, 0o700).catch(() => undefined)
  const path = sandboxStorePath(dir)
  const tmp = `${path}.tmp-${process.pid}`
  async function* lines(): AsyncGenerator<string> {
    for (const e of src.events) yield JSON.stringify({ kind: 'event', ...e }) + '\n'
    for (const i of src.identifyLog) yield JSON.stringify({ kind: 'identify', ...i }) + '\n'
  }
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(tmp, { mode: 0o600 }))
  await rename(tmp, path)
  return path
}

/** Reads a store written by `saveSandboxStore`. Throws ENOENT when there is none. */
export async function loadSandboxStore(dir: string): Promise<ExportSource> {
  const events: IngestedEvent[] = []
  const identifyLog: IngestedIdentification[] = []
  // `.pipe` does not pass on a read error (no store yet: ENOENT): forward it, or it is thrown
  // as an unhandled 'error' event instead of rejecting here.
  const raw = createReadStream(sandboxStorePath(dir))
  const input = createGunzip()
  raw.on('error', (error) => input.destroy(error))
  raw.pipe(input)
  const rl = createInterface({ input, crlfDelay: Infinity })
  for await (const line of rl) {
    if (line === '') continue
    const { kind, ...rest } = JSON.parse(line) as { kind: string } & Record<string, unknown>
    if (kind === 'event') events.push(rest as unknown as IngestedEvent)
    else if (kind === 'identify') identifyLog.push(rest as unknown as IngestedIdentification)
  }
  return { events, identifyLog }
}
