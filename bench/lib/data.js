/**
 * Generated benchmark archives under bench/data/ (git-ignored), reused between runs.
 * An archive directory is named after its generator parameters and carries a `.complete`
 * marker holding those parameters and a hash of scripts/generate-example-archive.js; a
 * directory without a matching marker (interrupted generation, changed generator) is rebuilt.
 */
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const DATA = join(ROOT, 'bench', 'data')
const GENERATOR = join(ROOT, 'scripts', 'generate-example-archive.js')

/**
 * @param {{ messages?: number, mb?: number, seed: number, days: number, filesPerDay: number }} p
 * @returns {{ dir: string, files: string[], compressedBytes: number, generated: boolean, generateSeconds?: number }}
 */
export function ensureArchive(p, log = (s) => process.stderr.write(s + '\n')) {
  const size = p.mb !== undefined ? `mb${p.mb}` : `m${p.messages}`
  const dir = join(DATA, `archive-${size}-s${p.seed}-d${p.days}-f${p.filesPerDay}`)
  const marker = join(dir, '.complete')
  const expected = JSON.stringify({ ...p, generator: createHash('sha1').update(readFileSync(GENERATOR)).digest('hex') })
  let generated = false
  let generateSeconds
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== expected) {
    rmSync(dir, { recursive: true, force: true })
    const args = [GENERATOR, '--out', dir, '--seed', String(p.seed), '--days', String(p.days), '--files-per-day', String(p.filesPerDay)]
    if (p.mb !== undefined) args.push('--mb', String(p.mb))
    else args.push('--messages', String(p.messages))
    log(`generating ${dir} (${p.mb !== undefined ? `~${p.mb} MB uncompressed` : `${p.messages} messages`}) …`)
    const t0 = process.hrtime.bigint()
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) throw new Error(`generator failed (${r.status ?? r.signal}): node ${args.join(' ')}`)
    generateSeconds = Number(process.hrtime.bigint() - t0) / 1e9
    writeFileSync(marker, expected)
    generated = true
  }
  const files = listFiles(join(dir, 'segment-logs'))
  const compressedBytes = files.reduce((s, f) => s + statSync(f).size, 0)
  return { dir: join(dir, 'segment-logs'), files, compressedBytes, generated, generateSeconds }
}

function listFiles(dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...listFiles(p))
    else out.push(p)
  }
  return out
}

// `node bench/lib/data.js '{"mb":256,"seed":11,"days":4,"filesPerDay":2}'` generates ahead of time.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = ensureArchive(JSON.parse(process.argv[2]))
  console.log(JSON.stringify({ dir: r.dir, files: r.files.length, compressedBytes: r.compressedBytes, generated: r.generated, generateSeconds: r.generateSeconds }))
}
