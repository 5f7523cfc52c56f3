/**
 * The base of every segamp command: whatever a command prints goes through `terminalSafe`, so
 * text from an archive can never drive the user's terminal (see terminal.ts).
 */
import { Command } from '@oclif/core'
import { format } from 'node:util'
import { terminalSafe } from './terminal.js'

export abstract class SegampCommand extends Command {
  log(message = '', ...args: unknown[]): void {
    super.log(terminalSafe(format(message, ...args)))
  }

  logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(terminalSafe(format(message, ...args)))
  }

  warn(input: string | Error): string | Error {
    if (typeof input === 'string') return super.warn(terminalSafe(input))
    input.message = terminalSafe(input.message)
    return super.warn(input)
  }

  error(input: string | Error, options: { code?: string; exit: false } & Record<string, unknown>): void
  error(input: string | Error, options?: { code?: string; exit?: number } & Record<string, unknown>): never
  error(input: string | Error, options?: { code?: string; exit?: number | false } & Record<string, unknown>): void {
    const safe = typeof input === 'string' ? terminalSafe(input) : Object.assign(input, { message: terminalSafe(input.message) })
    return super.error(safe, options as { exit: false })
  }
}
