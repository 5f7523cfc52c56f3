/**
 * # export: `segamp export`, Amplitude's Export API downloaded
 *
 * Owns the download (`download.ts`: the range split into the pieces Amplitude serves, a piece
 * too large split by hour and retried, 404 as "no data", the zips or unpacked hourly files
 * written under the output folder, what was fetched kept so a re-run resumes), reading an
 * export back (`read.ts`: zips, folders, `.json.gz` and `.json` files, for
 * `diff-mappings --against`), and what the command prints at the end (`render.ts`).
 *
 * It must never compare or interpret the events it downloads (diff-mappings does), never write
 * outside the output folder (a zip entry that would is refused), and never show the secret key.
 * The Export API's own formats are Amplitude's: src/amplitude/export-api/.
 */
export { runExport, ExportError, type ExportOptions, type ExportResult } from './download.js'
export { readExport, isUnreadableExportProblem, type ExportItem } from './read.js'
