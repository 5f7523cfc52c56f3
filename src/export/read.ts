/**
 * Reads what `segamp export` (or Amplitude's Export API) produced: zip files, folders of them or
 * of unpacked hourly files, and single `.json.gz` / `.json` files. Gzip is detected by its magic
 * bytes. A bad zip, a truncated gzip member or a line that is not a JSON object is reported with
 * its name (`file.zip!entry` for entries) and reading goes on.
 */
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { decodedChunks, MAX_LINE_CHARS, NotAnArchive, splitLines } from '../pipeline/decode/index.js'
import yauzl from 'yauzl'
import { STATE_FILE } from './download.js'

export interface StoredRef {
  /** Path, or `path.zip!entry` inside a zip. */
  file: string
  line: number
}

export type ExportItem = { kind: 'event'; event: Record<string, unknown>; ref: StoredRef } | { kind: 'problem'; file: string; reason: string } | { kind: 'file'; file: string }

const NOT_AN_OBJECT = 'not a JSON object'
const NOT_AN_EVENT = 'not an Amplitude export event: it has no event_type'

function notAnEvent(v: Record<string, unknown>): string {
  return typeof v.type === 'string' && 'messageId' in v ? `a Segment message (type, messageId), ${NOT_AN_EVENT}` : NOT_AN_EVENT
}
const TOO_LONG = 'line too long ('
const NOT_OBJECTS = ' line(s) in all were not JSON objects or not export events'
const READ_ONCE = ': read once'
const NOT_READ = ', not a regular file: not read'
const NOT_A_TIME = ' is not a time ('

/** A stored event whose `event_time` is there but no time: it pairs by `$insert_id` only (a line read, not a file left unread). */
export function notATimeProblem(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : JSON.stringify(value)
  return `event_time ${shown}${NOT_A_TIME}expected 2024-05-06 10:00:00.123000, as exports write it, or ISO 8601): the event pairs by $insert_id only`
}

/** After the first few `notATimeProblem`s, how many there were in all. */
export function notATimeTotal(n: number): string {
  return `${n} stored event(s) in all had an event_time that${NOT_A_TIME}see the first above): they pair by $insert_id only`
}

/**
 * Whether a problem `readExport` reported left part of a file (or a whole input) unread — a path
 * that cannot be read, a bad zip, a truncated gzip — rather than a line skipped while the file was
 * read to the end (too long, not a JSON object; the export's counterpart of a rejected line).
 */
export function isUnreadableExportProblem(p: { reason: string }): boolean {
  return !(
    p.reason === NOT_AN_OBJECT ||
    p.reason.endsWith(NOT_AN_EVENT) ||
    p.reason.startsWith(TOO_LONG) ||
    p.reason.endsWith(NOT_OBJECTS) ||
    p.reason.endsWith(READ_ONCE) ||
    p.reason.endsWith(NOT_READ) ||
    p.reason.includes(NOT_A_TIME)
  )
}

/** Files of the inputs, folders walked in sorted order (hidden entries, the state file and .part files skipped). */
async function listFiles(inputs: string[]): Promise<{ files: string[]; streams: Set<string>; problems: Array<{ file: string; reason: string }> }> {
  const files: string[] = []
  // Given by name but not a regular file (a named pipe, <(…), /dev/stdin): opened once, as a stream.
  const streams = new Set<string>()
  const problems: Array<{ file: string; reason: string }> = []
  // Every real file is read once, at the first path that reaches it: an export given twice (or a
  // folder and a zip inside it) would store every event twice, and each message's Classic side
  // would be paired with both copies.
  const seen = new Map<string, string>()
  const walk = async (p: string, top: boolean): Promise<void> => {
    let st
    try {
      st = await stat(p)
    } catch (error) {
      problems.push({ file: p, reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` })
      return
    }
    if (st.isDirectory()) {
      const names = (await readdir(p)).sort()
      for (const n of names) {
        if (n.startsWith('.') || n.endsWith('.part') || n.endsWith('.tmp')) continue
        await walk(join(p, n), false)
      }
    } else if (!st.isFile() && !top) {
      // Inside a folder a named pipe is never opened: nothing may write to it, and the run would wait forever.
      problems.push({ file: p, reason: `${st.isFIFO() ? 'a named pipe (FIFO)' : 'a special file'}${NOT_READ}` })
    } else if (top || !p.endsWith(STATE_FILE)) {
      if (!st.isFile()) streams.add(p)
      const id = `${st.dev}:${st.ino}`
      const first = seen.get(id)
      if (first !== undefined) problems.push({ file: p, reason: `${first === p ? 'given twice' : `the same file as ${first}`}${READ_ONCE}` })
      else {
        seen.set(id, p)
        files.push(p)
      }
    }
  }
  for (const i of inputs) await walk(i, true)
  return { files, streams, problems }
}

/** `container`: the zip `file` is an entry of. */
async function* parseLines(file: string, raw: Readable, container?: string): AsyncGenerator<ExportItem> {
  let line = 0
  let bad = 0
  try {
    // The archive reader's splitter: linear in the input, and a line over the cap is never held whole.
    for await (const l of splitLines(decodedChunks(raw))) {
      line = l.line
      if (l.tooLong !== undefined) {
        yield { kind: 'problem', file: `${file}:${line}`, reason: `${TOO_LONG}${l.tooLong} characters; the cap is ${MAX_LINE_CHARS}): not read` }
        continue
      }
      const t = l.text.trim()
      if (t === '') continue
      let v: unknown
      try {
        v = JSON.parse(t)
      } catch {
        v = undefined
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        if (bad++ < 3) yield { kind: 'problem', file: `${file}:${line}`, reason: NOT_AN_OBJECT }
        continue
      }
      // Every stored event has an event_type: an object without one is another file's line (the Segment archive given as the export).
      if (typeof (v as Record<string, unknown>).event_type !== 'string') {
        if (bad++ < 3) yield { kind: 'problem', file: `${file}:${line}`, reason: notAnEvent(v as Record<string, unknown>) }
        continue
      }
      yield { kind: 'event', event: v as Record<string, unknown>, ref: { file, line } }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (error instanceof NotAnArchive) {
      yield { kind: 'problem', file, reason: notAnExportFile(error, container) }
      return
    }
    const what = code === 'Z_BUF_ERROR' || /unexpected end/i.test((error as Error).message) ? 'truncated gzip' : 'unreadable'
    yield { kind: 'problem', file, reason: `${what} (${(error as Error).message}) after ${line} line(s); the lines before it were read` }
  }
  if (bad > 3) yield { kind: 'problem', file, reason: `${bad}${NOT_OBJECTS}` }
}

/** A file in another format (the decoder's NotAnArchive), said as what to do with an export. */
function notAnExportFile(error: NotAnArchive, container: string | undefined): string {
  if (error.format === 'a zip file' && container !== undefined)
    return `a zip inside a zip: not read; unzip ${container} into a folder and give --against that folder (the zips in it are read)`
  return `${error.format}, not an export file: not read; ${error.format === 'a zip file' ? 'give the path of the zip file' : error.advice}`
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(path, { lazyEntries: true, autoClose: true, strictFileNames: false }, (err, zip) => (err ? reject(err) : resolve(zip!))))
}

async function* readZip(path: string): AsyncGenerator<ExportItem> {
  let zip: yauzl.ZipFile
  try {
    zip = await openZip(path)
  } catch (error) {
    yield { kind: 'problem', file: path, reason: `not a readable zip (${(error as Error).message})` }
    return
  }
  // entries one at a time: ask for the next entry only when the previous one is consumed
  const nextEntry = (): Promise<yauzl.Entry | null> =>
    new Promise((resolve, reject) => {
      const onEntry = (e: yauzl.Entry): void => {
        cleanup()
        resolve(e)
      }
      const onEnd = (): void => {
        cleanup()
        resolve(null)
      }
      const onError = (e: Error): void => {
        cleanup()
        reject(e)
      }
      const cleanup = (): void => {
        zip.off('entry', onEntry)
        zip.off('end', onEnd)
        zip.off('error', onError)
      }
      zip.on('entry', onEntry)
      zip.on('end', onEnd)
      zip.on('error', onError)
      zip.readEntry()
    })
  for (;;) {
    let entry: yauzl.Entry | null
    try {
      entry = await nextEntry()
    } catch (error) {
      yield { kind: 'problem', file: path, reason: `zip directory unreadable (${(error as Error).message}); entries after this point were skipped` }
      zip.close()
      return
    }
    if (entry === null) return
    if (entry.fileName.endsWith('/')) continue
    const name = `${path}!${entry.fileName}`
    let stream: Readable
    try {
      stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry!, (err, s) => (err ? reject(err) : resolve(s!))))
    } catch (error) {
      yield { kind: 'problem', file: name, reason: `cannot be read from the zip (${(error as Error).message})` }
      continue
    }
    yield { kind: 'file', file: name }
    yield* parseLines(name, stream, path)
  }
}

/**
 * A named pipe or `<(…)` is read once: opening it again to look at its first bytes (isZip) lost
 * them, or waited forever for a writer that had gone. A zip cannot be read from a pipe (its
 * directory is at its end): that is said, not read as lines of binary.
 */
async function* readStreamOnce(file: string): AsyncGenerator<ExportItem> {
  const raw = createReadStream(file)
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const first = await chunks.next()
  if (!first.done && isZipMagic(first.value)) {
    raw.destroy()
    yield { kind: 'problem', file, reason: 'a zip read through a pipe: a zip cannot be read as a stream; give the path of the zip file (or unzip it into a folder)' }
    return
  }
  const replayed = Readable.from(
    (async function* () {
      if (first.done) return
      yield first.value
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value
    })(),
  )
  yield { kind: 'file', file }
  yield* parseLines(file, replayed)
}

function isZipMagic(b: Buffer): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6)
}

async function isZip(path: string): Promise<boolean> {
  const s = createReadStream(path, { start: 0, end: 3 })
  const chunks: Buffer[] = []
  try {
    for await (const c of s) chunks.push(c as Buffer)
  } catch {
    return false
  }
  return isZipMagic(Buffer.concat(chunks))
}

/** Every stored event of the inputs, in file order, with problems and file boundaries. */
export async function* readExport(inputs: string[]): AsyncGenerator<ExportItem> {
  const { files, streams, problems } = await listFiles(inputs)
  for (const p of problems) yield { kind: 'problem', ...p }
  for (const file of files) {
    if (streams.has(file)) {
      yield* readStreamOnce(file)
      continue
    }
    if (file.endsWith('.zip') || (await isZip(file))) {
      yield* readZip(file)
      continue
    }
    yield { kind: 'file', file }
    yield* parseLines(file, createReadStream(file))
  }
}
