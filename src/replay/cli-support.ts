/** Pure helpers for the replay command: resume command line, confirmation text. */
import { createHash } from 'node:crypto'
import { keyFingerprint } from '../amplitude/requests.js'

const SECRET_FLAGS = new Map([
  ['--api-key', '"$AMPLITUDE_API_KEY"'],
  ['--secret-key', '"$AMPLITUDE_SECRET_KEY"'],
])

/**
 * The exact command that resumes this run: the same arguments (so the same run id), without
 * --fresh, with secrets replaced by their environment variables.
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
    out.push(shellQuote(arg))
  }
  return out.join(' ')
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
