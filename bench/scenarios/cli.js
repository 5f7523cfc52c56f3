/**
 * A segamp command, end to end, in this process: the oclif command class from the compiled
 * library (SEGAMP_DIST snapshot of dist/commands) run with `Command.run(argv, ROOT)` — the
 * same code path as `node bin/run.js <command> …`, minus oclif's command lookup. stdout
 * (the --json summary / --format json report) is captured and parsed.
 */
import { finish, lib, now, params, secondsSince } from '../lib/child.js'
import { ROOT } from '../lib/data.js'

const { default: Command } = await lib(`commands/${params.command}.js`)
let stdout = ''
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = (chunk, ...rest) => {
  stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
  const cb = rest.find((r) => typeof r === 'function')
  if (cb) cb()
  return true
}
const t0 = now()
let exitCode = 0
let error
try {
  await Command.run(params.argv, ROOT)
} catch (e) {
  exitCode = e?.oclif?.exit ?? 1
  if (exitCode !== 0 && exitCode !== 3) error = e?.message ?? String(e)
}
const wallSeconds = secondsSince(t0)
process.stdout.write = write
let summary
try {
  summary = stdout.trim() ? JSON.parse(stdout) : undefined
} catch {
  summary = undefined
}
finish({ wallSeconds, exitCode, error, summary, stdoutChars: stdout.length })
