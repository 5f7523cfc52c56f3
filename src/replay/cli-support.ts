/** Pure helpers for the replay command: resume command line, confirmation text. */
import { createHash } from 'node:crypto'
import { basename, isAbsolute, relative } from 'node:path'
import { keyFingerprint } from '../amplitude/requests.js'

const SECRET_FLAGS = new Map([
  ['--api-key', '"$AMPLITUDE_API_KEY"'],
  ['--secret-key', '"$AMPLITUDE_SECRET_KEY"'],
])

/** `--endpoint-url` carrying user:password is resumed from this variable (the flag reads it too). */
export const ENDPOINT_URL_ENV = 'AMPLITUDE_ENDPOINT_URL'

/**
 * The exact command that resumes this run: the same arguments (so the same run id), without
 * --fresh, with secrets replaced by their environment variables: the API keys, and an
 * --endpoint-url that carries credentials (`needsEnv` then names the variable to set).
 */
export function resumeCommand(bin: string, argv: string[]): string {
  const out: string[] = [bin, 'replay']
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--fresh') continue
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const secret = SECRET_FLAGS.get(name)
    if (secret) {
      out.push(`${name}=${secret}`)
      if (eq < 0) i++
      continue
    }
    if (name === '--endpoint-url') {
      const value = eq > 0 ? arg.slice(eq + 1) : (argv[++i] ?? '')
      out.push(hasCredentials(value) ? `--endpoint-url="$${ENDPOINT_URL_ENV}"` : `--endpoint-url=${shellQuote(value)}`)
      continue
    }
    out.push(shellQuote(arg))
  }
  return out.join(' ')
}

export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url)
    return u.username !== '' || u.password !== ''
  } catch {
    return false
  }
}

export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

/** Hash mixed into the run id so another project key never resumes this project's run. */
export function keyHash(apiKey: string | undefined): string {
  return apiKey ? createHash('sha256').update(apiKey).digest('hex').slice(0, 16) : ''
}

/**
 * Short, non-reversible label of a key for prompts (the delivery engine's fingerprint: at most 4
 * characters and a quarter of the key, so a short key is never shown whole, and its length).
 */
export function fingerprint(apiKey: string): string {
  return `${keyFingerprint(apiKey).replace(/\)$/, ' chars)')}`
}

/**
 * How the user started segamp, for commands we print: `./bin/run.js` in a checkout, else the
 * installed command's name.
 */
export function invocation(bin: string, script: string | undefined = process.argv[1], cwd: string = process.cwd()): string {
  if (!script || !['run.js', 'dev.js'].includes(basename(script))) return bin
  const rel = relative(cwd, script)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? script : `./${rel}`
}
