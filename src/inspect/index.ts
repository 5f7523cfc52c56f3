/**
 * # inspect: `segamp inspect`, an archive profiled before anything is sent
 *
 * Owns reading an archive through the pipeline (filters, subscriptions matched, nothing mapped
 * to be sent) into a profile (`profile.ts`: messages by type and event, time range, identifiers,
 * what each subscription would match, what it would leave out) and its table and notes
 * (`render.ts`); rejected lines go to the state directory's `rejected.ndjson`.
 *
 * It must never send or write anything but that file, and never import the command line or
 * the replay service: it reads as every command does, through src/pipeline/.
 */
import { existsSync, truncateSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { openArchive, type ArchiveOptions } from '../pipeline/decode/index.js'
import type { FilterOptions } from '../pipeline/route/index.js'
import { emptyCounts } from '../pipeline/decode/index.js'
import { emptyFilesOf, headerOnlyFilesOf, readMessages, type FileEnd, type PipelineThreads } from '../pipeline/index.js'
import { NdjsonWriter } from '../ndjson-writer.js'
import { redactSecretsInText } from '../pipeline/decode/index.js'
import { UsageError } from '../errors.js'
import { InspectProfile, type InspectReport, type SubscriptionMatcher } from './profile.js'

export * from './profile.js'

export interface ReadProgress {
  bytes: number
  totalBytes: number
  messages: number
}

export interface InspectOptions extends PipelineThreads {
  inputs: string[]
  /** How inputs are reached (S3 settings, listing and object progress). */
  archive?: ArchiveOptions
  filters?: FilterOptions
  subscriptions?: SubscriptionMatcher[]
  /** Where rejected lines go (`{"file","line","reason","text"}` a line); not written when none. */
  rejectedPath?: string
  onProgress?: (progress: ReadProgress) => void
  stdin?: Readable
}

export interface InspectResult {
  report: InspectReport
  /** Files read as AWS S3 (Actions) CSV: what that format lost stays missing. */
  csvFiles: number
  /** Path of rejected.ndjson when any line was rejected. */
  rejectedFile?: string
  /** Paths not read because they lead to a file or folder read already (links, loops). */
  skippedPaths: Array<{ path: string; reason: string }>
  /** Kept messages (filters passed) that match no subscription: nothing is sent for them. */
  unmatched: number
  /** Files (or stdin, `-`) that were read to their end and held no line: a 0-byte file, an empty gzip. */
  emptyFiles: string[]
  /** Of `emptyFiles`, the CSV files that held their header row only. */
  headerOnlyFiles: string[]
}

export async function inspectArchives(opts: InspectOptions): Promise<InspectResult> {
  const archive = await openArchive(opts.inputs, { ...opts.archive, since: opts.filters?.since })
  // This run's rejected lines only: an earlier run's must not survive a clean run.
  if (opts.rejectedPath && existsSync(opts.rejectedPath)) truncateSync(opts.rejectedPath, 0)
  const counts = emptyCounts()
  const profile = new InspectProfile(opts.subscriptions)
  const rejected = opts.rejectedPath ? new NdjsonWriter(opts.rejectedPath, 'w') : undefined
  const progress = { bytes: 0, totalBytes: archive.totalBytes, messages: 0 }
  let lastTick = 0
  const ended: FileEnd[] = []
  try {
    for await (const kept of readMessages({
      archive,
      counts,
      stdin: opts.stdin,
      filters: opts.filters,
      workers: opts.workers,
      batchLines: opts.batchLines,
      inlineLines: opts.inlineLines,
      onBytes: (n) => {
        progress.bytes += n
      },
      onRejected: async (line) => {
        await rejected?.write({ file: line.ref.file, line: line.ref.line, reason: line.reason, text: redactSecretsInText(line.text) })
      },
      onFileEnd: (file, lines, headerOnly) => ended.push({ file, lines, headerOnly }),
    })) {
      profile.add(kept.message)
      if (opts.onProgress && (counts.messages & 0x3ff) === 0) {
        const now = Date.now()
        if (now - lastTick > 100) {
          lastTick = now
          progress.messages = counts.messages
          opts.onProgress(progress)
        }
      }
    }
  } finally {
    await rejected?.close()
  }
  return {
    report: profile.report(counts),
    csvFiles: counts.csvFiles,
    rejectedFile: rejected && rejected.count > 0 ? rejected.path : undefined,
    skippedPaths: counts.skippedPaths,
    unmatched: profile.unmatched,
    // A file that could not be read is reported as unreadable, not as empty.
    emptyFiles: emptyFilesOf(ended, counts),
    headerOnlyFiles: headerOnlyFilesOf(ended, counts),
  }
}

/**
 * Nothing at all was read (every input empty, or blank lines only): a profile of zeros is no result. The same rule as
 * diff-mappings' "nothing to compare": exit 2, naming the inputs. Undefined when anything was
 * read, or when a file could not be read (that is exit 3, named in the notes).
 */
export function nothingReadError(result: InspectResult, inputs: string[]): UsageError | undefined {
  const r = result.report
  if (r.messages + r.rejected > 0 || r.unreadableFiles.length > 0 || r.files === 0) return undefined
  return new UsageError(
    `nothing to inspect: not one line was read from ${inputs.join(' ')} (empty or blank files, CSV files with a header row only, an empty gzip, or stdin at its end)`,
    {
      code: 'nothing-read',
      hint: "Check the paths: give the files or folder that hold the export (`ls -l` shows each file's size), or, for -, the command that writes to the pipe.",
    },
  )
}
