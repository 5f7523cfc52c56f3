/**
 * # migrate: `segamp migrate`, Classic settings → an Actions configuration
 *
 * Owns turning an Amplitude (Classic) destination's settings into an Actions Amplitude
 * configuration (destination settings + subscriptions, `mappings.ts`, `fql.ts`, `rename.ts`)
 * with a report line per setting (`report.ts`); its outputs, JSON with key references or
 * Terraform for Segment's provider (`output.ts`, `terraform.ts`, `render.ts`); reading the Classic
 * destination from Segment's Public API (`from-segment.ts`); the plan of what applying it
 * creates, updates or removes, and applying it (`plan.ts`, `apply.ts`); and `--verify` on real
 * data (`verify.ts`).
 *
 * This file is pure: data in, data out; no I/O, no console output. The folder must never print
 * a key or token (references, or redacted), never change a destination without `--apply`, and
 * never import the command line or the replay service.
 */
import { readClassicSettings, unwrapClassicSettings } from '../segment/classic/settings.js'
import { buildSubscriptions, type NamesMode, type Subscription } from './mappings.js'
import { buildReport, endpointRegion, type ReportLine } from './report.js'
import { mergeRenameRows, settingsRenameRows, type RenameRow } from './rename.js'

export type { Subscription } from './mappings.js'
export type { ReportLine, ReportStatus } from './report.js'
export type { RenameRow } from './rename.js'
export { ORDER_EVENT_NAMES, CLASSIC_STRIPPED_EVENT_PROPERTIES } from './mappings.js'
export { endpointRegion } from './report.js'
export { mixedUserPropertyWarnings, type MixedCheckSubscription } from '../segment/subscriptions/mixed-user-properties.js'
export { classicPageEventName, quickSetupPageEventName, renameRowsFromMessages, renderRenameMapCsv, settingsRenameRows, mergeRenameRows } from './rename.js'

export interface MigrateOptions {
  /** `classic` (default): keep Classic event names; `actions`: Quick Setup names + rename map. */
  names: NamesMode
  /** User-supplied renames (`--rename-map`), merged into the output rename map (they win). */
  renameMap?: Map<string, string>
}

export interface MigrationResult {
  destination: { settings: { apiKey: string; secretKey: string; endpoint: 'north_america' | 'europe' } }
  subscriptions: Subscription[]
  report: ReportLine[]
  /** Present with `names: 'actions'` or when `renameMap` was given. */
  renameMap?: RenameRow[]
  unknownKeys: string[]
  /** Settings whose value could not be read, so their default is used (`setting X: cannot read …`). */
  settingWarnings: string[]
  /** The naming the subscriptions follow (`--names`). */
  names: NamesMode
}

/**
 * Migrates Classic settings (a settings object, or a Public API destination response
 * `{"data":{"destination":{"settings":{...}}}}`). Unknown keys are reported, never fatal.
 */
export function migrateClassic(input: unknown, opts: MigrateOptions = { names: 'classic' }): MigrationResult {
  const names: NamesMode = opts.names === 'actions' ? 'actions' : 'classic'
  const read = readClassicSettings(input)
  const s = read.settings
  const subscriptions = buildSubscriptions({ settings: s, names })
  const report = buildReport(read, unwrapClassicSettings(input), names, subscriptions)
  const result: MigrationResult = {
    destination: { settings: { apiKey: s.apiKey, secretKey: s.secretKey, endpoint: endpointRegion(s.endpoint).region } },
    subscriptions,
    report,
    unknownKeys: read.unknownKeys,
    settingWarnings: read.warnings,
    names,
  }
  const user: RenameRow[] = opts.renameMap ? [...opts.renameMap].map(([classic, actions]) => ({ classic, actions })) : []
  if (names === 'actions') result.renameMap = mergeRenameRows(settingsRenameRows(s), user)
  else if (opts.renameMap) result.renameMap = user
  return result
}
