/**
 * Checks that a state directory (--state-dir), or the folder of an output file, can be created and
 * written before a run starts.
 * Node 20's `mkdir(…, { recursive: true })` never returns for some paths (under /proc), so the
 * missing folders are created one at a time, each failure named; then a file is written and
 * removed there. A failure is a usage error (exit 2) saying which path and why.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { describeFsError } from '../pipeline/source/index.js'

export function ensureWritableDir(dir: string, flag = '--state-dir'): void {
  const why = dirProblem(dir)
  if (why)
    throw new UsageError(`${flag} ${dir} cannot be created: ${why}`, {
      code: 'state-dir',
      hint: `Give ${flag} a folder you can write to (it is created if missing), e.g. ${flag} ./${flag === '--sandbox-dir' ? 'segamp-sandbox' : 'segamp-state'}.`,
    })
}

/**
 * Checks an output file a flag names (a report, a configuration) before the work that fills it:
 * a folder in its place, or a folder of it that cannot be created or written, is a usage error
 * now, not after a comparison of minutes. Missing folders are created; an existing file (or a
 * device, a pipe) is left to the write itself.
 */
export function ensureWritableFile(file: string, flag: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${file}: cannot be written: ${why}`, {
      code: 'write-failed',
      hint: `Give ${flag} a file in a folder you can write to (missing folders are created).`,
    })
  }
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) fail('it is a folder (EISDIR)')
    return
  }
  const why = dirProblem(dirname(resolve(file)))
  if (why) fail(why)
}

/** Why `dir` cannot be made a folder this process writes to (creating what is missing), or undefined. */
function dirProblem(dir: string): string | undefined {
  const missing: string[] = []
  let at = resolve(dir)
  while (!existsSync(at)) {
    missing.unshift(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  if (existsSync(at) && !statSync(at).isDirectory()) return `${at} is not a folder`
  for (const m of missing) {
    try {
      mkdirSync(m)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return `${m}: ${describeFsError(error)}`
    }
  }
  const probe = join(resolve(dir), `.write-test-${process.pid}`)
  try {
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
  } catch (error) {
    return `cannot write there (${describeFsError(error)})`
  }
  return undefined
}
