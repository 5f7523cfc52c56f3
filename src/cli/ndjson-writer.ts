/** See src/ndjson-writer.ts (outside cli/, so that services can write NDJSON files too). */
export { NdjsonWriter } from '../ndjson-writer.js'
