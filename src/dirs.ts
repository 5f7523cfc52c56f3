/**
 * `mkdir -p` that always returns. Node 20's `mkdir(…, { recursive: true })` never returns for some
 * paths (a folder under /proc: it retries the parent for ever), so a command given such a path for
 * a report or an output hung instead of failing. The missing folders are made one at a time, from
 * the nearest existing one down, and the first failure is thrown as the file system gave it.
 * Imports nothing of segamp's: every folder may use it.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

export function makeDirs(path: string, mode?: number): void {
  const missing: string[] = []
  let at = resolve(path)
  while (!existsSync(at)) {
    missing.unshift(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir, mode === undefined ? undefined : { mode })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}
