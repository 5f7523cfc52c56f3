/**
 * Checks that a state directory (--state-dir) can be created and written before a run starts.
 * Node 20's `mkdir(…, { recursive: true })` never returns for some paths (under /proc), so the
 * missing folders are created one at a time, each failure named; then a file is written and
 * removed there. A failure is a usage error (exit 2) saying which path and why.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { describeFsError } from '../pipeline/source/index.js'

export function ensureWritableDir(dir: string, flag = '--state-dir'): void {
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${dir} cannot be created: ${why}`, {
      code: 'state-dir',
      hint: `Give ${flag} a folder you can write to (it is created if missing), e.g. ${flag} ./segamp-state.`,
    })
  }
  const missing: string[] = []
  let at = resolve(dir)
  while (!existsSync(at)) {
    missing.unshift(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  if (existsSync(at) && !statSync(at).isDirectory()) fail(`${at} is not a folder`)
  for (const m of missing) {
    try {
      mkdirSync(m)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') fail(`${m}: ${describeFsError(error)}`)
    }
  }
  const probe = join(resolve(dir), `.write-test-${process.pid}`)
  try {
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
  } catch (error) {
    fail(`cannot write there (${describeFsError(error)})`)
  }
}
