/**
 * In-process Amplitude-compatible HTTP server on loopback (docs/amplitude-api.md): /2/httpapi,
 * /batch, /identify, /groupidentify and /usermap with Amplitude's status codes, body shapes,
 * limits, insert_id deduplication and per-id throttling, plus fault injection for tests.
 */
export { SANDBOX_FAULT_KEYS, startSandbox } from './server.js'
export type { Sandbox, SandboxFaults, SandboxOptions, SandboxRequestRecord, SandboxStats } from './server.js'
export type { IngestedEvent, SandboxRoute } from './core.js'
export { ROUTES, THROTTLE_ERROR } from './core.js'
export { DEFAULT_LIMITS, resolveLimits, type SandboxLimits } from './limits.js'
export { BLOCKED_IDS, MISSING_ID_FIELD } from './validate.js'
export { summarizeSandbox } from './summary.js'
export { buildExportLines, exportEntries, zipEntries, sandboxProjectId, applyUserProperties, type ExportSource } from './export.js'
export { saveSandboxStore, loadSandboxStore, sandboxStorePath, DEFAULT_SANDBOX_DIR } from './store.js'
