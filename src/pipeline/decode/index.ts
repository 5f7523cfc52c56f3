/**
 * # decode: bytes → numbered lines → Segment messages
 *
 * Owns turning a source's byte stream into messages: gzip detected by its magic bytes (also
 * multi-member), UTF-8, lines split and numbered (`lines.ts`, linear, capped at 4 Mi characters),
 * NDJSON parsed and checked for an object with a known `type` (`message.ts`), Segment's S3 CSV
 * layout (`csv.ts`), and what reading counts (`scan.ts`).
 * `reader.ts` composes a listed source with these into archive items; for `replay` (any
 * `--workers`, 1 included) it hands NDJSON on as blocks of whole undecoded lines (`lineBlocks`),
 * whose cap counts UTF-8 bytes rather than characters, and a plan decodes them.
 *
 * It must never filter or map (route and map do), and never stop on a bad line: every line that
 * is no message comes out as a rejection with its file:line, category and a clipped text, and an
 * unreadable file (truncated gzip, permissions) as one `unreadable` item after the lines read.
 */
export { openArchive, type Archive, type ArchiveItem, type ArchiveOptions, type ReadOptions } from './reader.js'
export { CSV_LOST_FIELDS } from './csv.js'
export { clipText, parseMessageLine, redactSecretsInText, type RejectCategory } from './message.js'
export { blockLines, decodedChunks, MAX_LINE_CHARS, NotAnArchive, splitLines } from './lines.js'
export { emptyCounts, type ScanCounts } from './scan.js'
