/**
 * Runs the oclif CLI and ends the process only once stdout and stderr are flushed.
 *
 * oclif ends every failing command (`this.error`, `this.exit`) with `process.exit`, which drops
 * whatever a pipe has not taken yet: `segamp … --format json | jq` would get the first 64 KiB
 * of the JSON exactly when the exit code is not 0. Here the exit code is recorded, both streams
 * are drained, and only then does the process exit.
 */
import { Errors, flush, handle, run, settings } from '@oclif/core'

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function drained(stream) {
  return new Promise((resolve) => {
    if (!stream.writable || stream.destroyed || stream.writableLength === 0) return resolve()
    stream.once('error', resolve)
    stream.write('', () => resolve())
  })
}

/**
 * The reader of our stdout went away (`segamp … | head -1`): stop quietly, as a program killed
 * by SIGPIPE does (exit 141), instead of an unhandled EPIPE.
 */
function quitOnClosedPipe(stream) {
  stream.on('error', (error) => {
    if (error && error.code === 'EPIPE') process.exit(141)
    throw error
  })
}

export async function main({ dir, development = false }) {
  quitOnClosedPipe(process.stdout)
  if (development) {
    // As oclif's execute() does in development: source commands through tsx, debug output.
    process.env.NODE_ENV = 'development'
    settings.debug = true
  }
  try {
    await run(process.argv.slice(2), dir)
    await flush()
  } catch (error) {
    if (error instanceof Errors.ExitError) process.exitCode = error.oclif.exit
    else {
      // An error outside a command (an unknown command): printed by oclif, after stdout is out.
      // A command's own errors never get here: the base command renders them (src/cli/base.ts)
      // and sets process.exitCode.
      await drained(process.stdout)
      await handle(error)
      return
    }
  }
  await Promise.all([drained(process.stdout), drained(process.stderr)])
  // Handles left open (a keep-alive socket, a timer) must not keep a finished command alive.
  setTimeout(() => process.exit(), 0).unref()
}
