/**
 * The `--format json` document. By default the Amplitude keys are `${AMPLITUDE_API_KEY}` /
 * `${AMPLITUDE_SECRET_KEY}` references (envsubst syntax), so the file can be committed; the
 * values are written only on request (`--include-secrets`). Pure.
 */
import type { MigrationResult } from './index.js'

export const SECRET_REFERENCES = { apiKey: '${AMPLITUDE_API_KEY}', secretKey: '${AMPLITUDE_SECRET_KEY}' } as const

export interface OutputOptions {
  includeSecrets: boolean
}

export function configForOutput(result: MigrationResult, opts: OutputOptions): Record<string, unknown> {
  const settings = opts.includeSecrets ? result.destination.settings : { ...result.destination.settings, ...SECRET_REFERENCES }
  const report = opts.includeSecrets
    ? result.report
    : result.report.map((l) => (l.setting === 'apiKey' || l.setting === 'secretKey' ? { ...l, value: l.value ? SECRET_REFERENCES[l.setting] : l.value } : l))
  return { destination: { settings }, subscriptions: result.subscriptions, report, ...(result.renameMap ? { renameMap: result.renameMap } : {}) }
}
