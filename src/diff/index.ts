/**
 * # diff: `segamp diff-mappings`, Classic against Actions, or against what Amplitude holds
 *
 * Owns the comparison: per message, what the Classic emulation sent against what the Actions
 * subscriptions send (`engine.ts`, `service.ts`), findings aggregated with examples
 * (`aggregate.ts`), rename maps and `--fail-on` (`rename-map.ts`, `fail-on.ts`), what Amplitude
 * refuses (`refused.ts`), `--against` an export, pairing stored events with the messages that
 * produced them on disk-backed partitions and `--workers` threads (`against*.ts`), and the text,
 * Markdown and JSON reports (`render.ts`, `present.ts`; the CI formats are `formats/`).
 *
 * It must never send anything or change a mapping: it reads and reports. It never imports the
 * command line or the replay service, and never prints a secret found in the settings it compares
 * (`redact.ts`).
 */
export * from './types.js'
export { diffMessage, diffRecords, deepEqual, IGNORED_PATHS, REVENUE_KEYS, REVENUE_PATHS, type IgnoredPath } from './engine.js'
export { DiffAggregator, compareFindings, countedAssumptions, type MessageRef } from './aggregate.js'
export { failingKinds, parseFailOn } from './fail-on.js'
export { parseRenameMap, RenameMapError } from './rename-map.js'
export { redactSecrets, isSecretKey, REDACTED } from './redact.js'
export { renderTable, renderMarkdown, renderJson, displayName, formatCount, TABLE_SAME_LIMIT, PATH_LIMIT, MD_PATH_LIMIT, MARKDOWN_MAX_CHARS } from './render.js'
