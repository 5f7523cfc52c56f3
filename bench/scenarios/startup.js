/**
 * The CLI as a user starts it (bin/main.js, oclif with its manifest), in this process: its CPU
 * time (user+system) and wall time are the whole process's, Node's own start-up included. The
 * command line is params.argv (e.g. ["replay", "--help"]). Uses the package's dist/ (not the
 * snapshot: oclif finds commands through package.json).
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { finish, params } from '../lib/child.js'
import { ROOT } from '../lib/data.js'

// Read when the process exits (the command may end it): the whole run, start-up included.
finish({
  get wallSeconds() {
    return process.uptime()
  },
})
const bin = join(ROOT, 'bin', 'run.js')
process.argv = [process.argv[0], bin, ...params.argv]
const { main } = await import(pathToFileURL(join(ROOT, 'bin', 'main.js')).href)
await main({ dir: pathToFileURL(bin).href })
