/**
 * # amplitude/export-api: the Export API's hours and event format
 *
 * Owns what Amplitude's Export API defines (docs/amplitude-export.md): hours written
 * `YYYYMMDDTHH` in UTC and the ranges one request may ask for (`hours.ts`), the event rows of an
 * export, their times and zip entry names, and which fields of a stored event the sender set
 * (`format.ts`). Used by `segamp export` (the download), the sandbox (which serves exports) and
 * `diff-mappings --against` (which reads them).
 *
 * It must never do I/O: functions of data only. Downloading is src/export/, serving is the sandbox.
 */
export * from './format.js'
export * from './hours.js'
