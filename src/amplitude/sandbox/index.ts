/**
 * # amplitude/sandbox: an Amplitude stand-in on loopback
 *
 * Owns an in-process Amplitude-compatible HTTP server (docs/amplitude-api.md): /2/httpapi,
 * /batch, /identify, /groupidentify and /usermap with Amplitude's status codes, body shapes,
 * limits, insert_id deduplication and per-id throttling, the Export API over what it ingested,
 * its store on disk (`segamp sandbox`, `replay --sandbox`), and fault injection for tests.
 *
 * It must never listen beyond 127.0.0.1, never reach the real Amplitude, and never
 * know Segment or segamp's pipeline (`amplitude-defines-alone` in .dependency-cruiser.cjs): it
 * answers as Amplitude documents it does, so that what segamp sends is checked against
 * Amplitude's rules, not segamp's.
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
