/** Module hooks for start-up tests: every module a process resolves is appended to $SEGAMP_LOAD_LOG. */
import { appendFileSync } from 'node:fs'

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  if (process.env.SEGAMP_LOAD_LOG) appendFileSync(process.env.SEGAMP_LOAD_LOG, resolved.url + '\n')
  return resolved
}
