/**
 * Files segamp writes that may hold keys or what identifies a project (the state directory, its
 * checkpoint and dead letters, `--out` with `--out-include-keys`, the sandbox's store) are
 * readable by their owner only: files 0600, directories 0700, whatever the umask says.
 */
import { chmodSync } from 'node:fs'
import { makeDirs } from '../../dirs.js'

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/** Sets 0600 on a file segamp wrote (ignored where the file system has no modes, e.g. some mounts). */
export function secureFile(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE)
  } catch {
    /* a file system without modes: nothing to tighten */
  }
}

/** mkdir -p, then 0700 on the directory itself (the parents are the user's). */
export function privateDir(path: string): void {
  makeDirs(path, PRIVATE_DIR_MODE)
  try {
    chmodSync(path, PRIVATE_DIR_MODE)
  } catch {
    /* as above */
  }
}
