/** Classic-vs-Actions diff (`segamp diff-mappings`): engine, aggregation, renderers. */
export * from './types.js'
export { diffMessage, diffRecords, deepEqual, IGNORED_PATHS, REVENUE_KEYS, REVENUE_PATHS, type IgnoredPath } from './engine.js'
export { DiffAggregator, compareFindings, countedAssumptions, type MessageRef } from './aggregate.js'
export { failingKinds, parseFailOn } from './fail-on.js'
export { parseRenameMap, RenameMapError } from './rename-map.js'
export { redactSecrets, isSecretKey, REDACTED } from './redact.js'
export { renderTable, renderMarkdown, renderJson, displayName, formatCount, TABLE_SAME_LIMIT, PATH_LIMIT, MD_PATH_LIMIT, MARKDOWN_MAX_CHARS } from './render.js'
