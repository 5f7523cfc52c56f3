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

const COMMANDS = ['diff-mappings', 'export', 'inspect', 'migrate', 'replay', 'sandbox', 'status']

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
function distance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]
}

/**
 * oclif's own words for a mistyped command name the arguments as a topic path ("command replya:x
 * not found") and say nothing of what exists: name the word as typed, the commands, the nearest.
 */
function unknownCommand(argv) {
  const word = String(argv[0] ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  const typed = word.toLowerCase()
  const near = COMMANDS.map((c) => [c, c.startsWith(typed) && typed.length >= 3 ? 0 : distance(typed, c)]).sort((x, y) => x[1] - y[1])[0]
  const guess = near && near[1] <= Math.max(2, Math.floor(word.length / 3)) ? `Did you mean \`segamp ${near[0]}\`? ` : ''
  process.stderr.write(`Error: unknown command "${word}" (the commands: ${COMMANDS.join(', ')})\nHint: ${guess}Run \`segamp --help\` for what each does.\n`)
  process.exitCode = 2
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
    else if (error instanceof Errors.CLIError && /^command .* not found$/.test(error.message)) {
      await drained(process.stdout)
      unknownCommand(process.argv.slice(2))
      return
    } else {
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
