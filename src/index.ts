/**
 * # segamp's programmatic entry (README.md, "Programmatic use")
 *
 * Owns the library's public interface: what is exported here is what a program may rely on.
 * Beside it, the files the folders share, which import only one another, never a folder's code:
 * the error model (`errors.ts`), terminal-safe text (`text.ts`), secrets to redact
 * (`secrets.ts`), times (`time.ts`), JSON syntax errors as file:line:column (`json-syntax.ts`),
 * NDJSON writing and the shared types. Delivery takes only `errors.ts` and `secrets.ts` of them
 * (`shared-files-stand-alone`, `deliver-types-only` in .dependency-cruiser.cjs).
 *
 * It must never export the command line (src/cli/, src/commands/) and does no work of its own.
 */
export * from './types.js'
export { transform, compileMapping, validateMapping, MappingValidationError, type MappingError } from './segment/mapping-kit/index.js'
export { compileTrigger, compileTriggerWithWarnings, analyzeTrigger, TriggerError, type TriggerAnalysis } from './segment/fql/index.js'
export { classicRecords, compileClassic, classicAssumptions, readClassicSettings, type ClassicMode, type ClassicRecord, type ClassicEndpoint } from './segment/classic/index.js'
export { compileAction, PRESETS, defaultValues, type ActionSlug, type ActionResult } from './segment/actions-amplitude/index.js'
export { loadMappings, compileSubscriptions, runSubscriptions, MappingFileError } from './segment/subscriptions/index.js'
export { openArchive } from './pipeline/decode/index.js'
export { inspectArchives } from './inspect/index.js'
export { replay } from './replay/index.js'
export { compareArchives } from './diff/service.js'
export { startSandbox } from './amplitude/sandbox/index.js'
