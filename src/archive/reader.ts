/**
 * The archive reader: sources → numbered lines (NDJSON) or rows (CSV) → messages or rejections.
 * Streaming throughout; a bad line or an unreadable file is reported and the run goes on.
 */
import type { Readable } from 'node:stream'
import type { SegmentMessage, SourceRef } from '../types.js'
import { decodedChunks, openSource, splitLines } from './lines.js'
import { clipText, parseMessageLine, type RejectCategory } from './message.js'
import { parseTimeFlag } from './filters.js'
import { detectCsvHeader, readCsv } from './csv.js'
import { describeFsError, listSources, type ListSourcesOptions, type Source } from './sources.js'

export type ArchiveItem =
  | { kind: 'message'; message: SegmentMessage; ref: SourceRef }
  | { kind: 'rejected'; ref: SourceRef; category: RejectCategory; reason: string; text: string }
  | { kind: 'unreadable'; file: string; reason: string }
  | { kind: 'file'; file: string; format: 'ndjson' | 'csv'; index: number }

export interface ReadOptions {
  /** Skip everything up to and including this position (resume from a checkpoint). */
  resumeAfter?: SourceRef
  /** Raw bytes consumed so far (compressed), for progress and ETA. */
  onBytes?: (n: number) => void
  stdin?: Readable
}

export interface Archive {
  sources: Source[]
  /** Total bytes on disk of all file sources (stdin unknown). */
  totalBytes: number
  /** Paths that could not even be listed. */
  problems: Array<{ file: string; reason: string }>
  items(opts?: ReadOptions): AsyncGenerator<ArchiveItem>
}

export interface ArchiveOptions extends Omit<ListSourcesOptions, 'sinceMs'> {
  /** --since as given (ISO 8601 or epoch ms): lets S3 listings skip old day folders. */
  since?: string
  /** A source is about to be read (0-based index into `sources`), for progress. */
  onSourceStart?: (index: number, source: Source, total: number) => void
}

export async function openArchive(inputs: string[], opts: ArchiveOptions = {}): Promise<Archive> {
  const sinceMs = opts.since !== undefined && inputs.some((i) => /^s3:\/\//i.test(i)) ? parseTimeFlag('--since', opts.since) : undefined
  const { sources, problems, close } = await listSources(inputs, { s3: opts.s3, sinceMs, onListing: opts.onListing })
  const totalBytes = sources.reduce((sum, s) => sum + (s.size ?? 0), 0)
  return {
    sources,
    problems,
    totalBytes,
    items: (readOpts = {}) => readSources(sources, problems, { ...readOpts, onSourceStart: opts.onSourceStart }, close),
  }
}

async function* readSources(
  sources: Source[],
  problems: Array<{ file: string; reason: string }>,
  opts: ReadOptions & Pick<ArchiveOptions, 'onSourceStart'>,
  close?: () => void,
): AsyncGenerator<ArchiveItem> {
  try {
    yield* readAll(sources, problems, opts)
  } finally {
    close?.()
  }
}

async function* readAll(
  sources: Source[],
  problems: Array<{ file: string; reason: string }>,
  opts: ReadOptions & Pick<ArchiveOptions, 'onSourceStart'>,
): AsyncGenerator<ArchiveItem> {
  for (const problem of problems) yield { kind: 'unreadable', file: problem.file, reason: problem.reason }
  let skipping = opts.resumeAfter !== undefined && sources.some((s) => s.path === opts.resumeAfter!.file)
  for (let index = 0; index < sources.length; index++) {
    const source = sources[index]
    let skipThrough = 0
    if (skipping) {
      if (source.path !== opts.resumeAfter!.file) {
        opts.onBytes?.(source.size ?? 0)
        continue
      }
      skipping = false
      skipThrough = opts.resumeAfter!.line
    }
    opts.onSourceStart?.(index, source, sources.length)
    yield* readOne(source, index, skipThrough, opts)
  }
}

async function* readOne(source: Source, index: number, skipThrough: number, opts: ReadOptions): AsyncGenerator<ArchiveItem> {
  const file = source.path
  const raw = source.open ? source.open() : openSource(file, opts.stdin)
  let failed: unknown
  raw.on('error', (error) => {
    failed = error
  })
  let lastLine = 0
  try {
    const chunks = decodedChunks(raw, { onBytes: opts.onBytes })
    const lines = splitLines(chunks)
    const first = await lines.next()
    if (first.done) {
      yield { kind: 'file', file, format: 'ndjson', index }
      return
    }
    const header = detectCsvHeader(first.value.text)
    if (header) {
      yield { kind: 'file', file, format: 'csv', index }
      for await (const row of readCsv(rejoin(first.value.text, lines), header)) {
        lastLine = row.line
        if (row.line <= skipThrough) continue
        const ref = { file, line: row.line }
        if (row.result.ok) yield { kind: 'message', message: row.result.message, ref }
        else yield { kind: 'rejected', ref, category: row.result.category, reason: row.result.reason, text: clipText(row.text) }
      }
      return
    }
    yield { kind: 'file', file, format: 'ndjson', index }
    let current = first.value
    for (;;) {
      lastLine = current.line
      if (current.line > skipThrough && current.text.trim() !== '') {
        const parsed = parseMessageLine(current.text)
        const ref = { file, line: current.line }
        if (parsed.ok) yield { kind: 'message', message: parsed.message, ref }
        else yield { kind: 'rejected', ref, category: parsed.category, reason: parsed.reason, text: clipText(current.text) }
      }
      const next = await lines.next()
      if (next.done) break
      current = next.value
    }
  } catch (error) {
    // Credentials, permissions, a missing bucket: every other object would fail the same way.
    if ((failed as { fatal?: boolean } | undefined)?.fatal || (error as { fatal?: boolean } | undefined)?.fatal) throw failed ?? error
    yield { kind: 'unreadable', file, reason: describeReadError(failed ?? error, lastLine) }
  } finally {
    if (file !== '-') raw.destroy()
  }
}

/** Gives the CSV parser the text again, line by line, with the newlines the splitter removed. */
async function* rejoin(firstLine: string, rest: AsyncGenerator<{ text: string }>): AsyncGenerator<string> {
  yield firstLine + '\n'
  for await (const line of rest) yield line.text + '\n'
}

function describeReadError(error: unknown, lastLine: number): string {
  const err = error as NodeJS.ErrnoException
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err?.message ?? '')) {
    return `truncated gzip: the compressed data ends early (after line ${lastLine}); lines before it were read`
  }
  if (err?.code === 'Z_DATA_ERROR') return `corrupt gzip data after line ${lastLine}: ${err.message}`
  if (err?.code) return describeFsError(err)
  return err?.message ?? String(error)
}
