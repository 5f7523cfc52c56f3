/**
 * A private copy of the compiled library for the bench: other engineers rebuild dist/
 * (`rm -rf dist && tsc`) while a run is under way, so the scenarios import from a snapshot,
 * bench/data/dist-snapshot/, taken once at the start. The copy is checked by importing every
 * module the scenarios use in a child process; a copy taken mid-rebuild is retried, and when
 * dist/ stays unusable the snapshot is compiled straight from src/ with tsc (--outDir).
 * Bare imports (@oclif/core, @segment/actions-core, …) resolve through /work/main/node_modules.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DATA, ROOT } from './data.js'

export const SNAPSHOT = join(DATA, 'dist-snapshot')
const MODULES = [
  'pipeline/decode/reader.js',
  'inspect/index.js',
  'segment/subscriptions/index.js',
  'segment/mapping-kit/index.js',
  'segment/fql/index.js',
  'segment/actions-amplitude/index.js',
  'replay/engine.js',
  'diff/service.js',
  'commands/replay.js',
  'commands/diff-mappings.js',
  'amplitude/sandbox/index.js',
]

function usable(dir) {
  if (!MODULES.every((m) => existsSync(join(dir, m)))) return false
  const code = `for (const m of ${JSON.stringify(MODULES)}) await import(${JSON.stringify('file://' + dir + '/')} + m)`
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore', cwd: ROOT }).status === 0
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** @returns {{ dir: string, from: 'dist' | 'tsc' }} */
export function snapshotDist(log = (s) => process.stderr.write(s + '\n')) {
  const dist = join(ROOT, 'dist')
  for (let attempt = 1; attempt <= 4; attempt++) {
    rmSync(SNAPSHOT, { recursive: true, force: true })
    if (existsSync(join(dist, 'index.js'))) {
      try {
        cpSync(dist, SNAPSHOT, { recursive: true })
        if (usable(SNAPSHOT)) return { dir: SNAPSHOT, from: 'dist' }
      } catch {
        // dist/ changed under the copy
      }
    }
    log(`dist/ is incomplete (being rebuilt?); retrying the snapshot in 5 s (${attempt}/4)`)
    sleep(5000)
  }
  log('compiling src/ into the snapshot with tsc -p tsconfig.build.json --outDir …')
  rmSync(SNAPSHOT, { recursive: true, force: true })
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', SNAPSHOT], { cwd: ROOT, stdio: 'inherit' })
  if (!usable(SNAPSHOT)) throw new Error(`no usable compiled library: neither dist/ nor tsc --outDir ${SNAPSHOT}`)
  return { dir: SNAPSHOT, from: 'tsc' }
}
