/**
 * A replay's input: the archive opened, and what an earlier run of this one completed (files)
 * or settled (lines) already, which this run skips. Inputs that changed since are refused.
 */
import { visible } from '../text.js'
import { openArchive } from '../pipeline/decode/index.js'
import { UsageError } from '../pipeline/route/index.js'
import { checkInputsUnchanged, completedFiles, resumeFilter, type Checkpoint, type ReplayCounts, type StateDir } from '../pipeline/commit/index.js'
import { sourceIdentity, type Source } from '../pipeline/source/index.js'
import type { ReplayOptions } from './engine.js'

/** Escapes what a warning quotes from the input (a path, a reason). */
export { visible }

/** The archive, and what an earlier run of this one completed or settled already. */
export async function openInput(opts: ReplayOptions, state: StateDir, previous: Checkpoint<ReplayCounts> | undefined) {
  const archive = await openArchive(opts.inputs, { ...opts.archive, since: opts.filters?.since })
  if (archive.sources.length === 0 && archive.problems.length > 0) {
    // Not one input could be found: a mistyped path, not a finished replay of nothing.
    throw new UsageError(`nothing to read: ${archive.problems.map((p) => `${visible(p.file)}: ${visible(p.reason)}`).join('; ')}; check the paths`)
  }
  const completed = completedFiles(previous ? await state.readLog('completed', previous) : [])
  const identities = new Map(archive.sources.map((src) => [src.path, sourceIdentity(src)]))
  if (previous) checkInputsUnchanged(previous, completed, identities, opts.onWarning)
  return {
    archive,
    completed,
    identities,
    skipFile: previous ? (src: Source) => completed.get(src.path) === identities.get(src.path) : undefined,
    skipLine: previous ? resumeFilter(previous) : undefined,
  }
}
