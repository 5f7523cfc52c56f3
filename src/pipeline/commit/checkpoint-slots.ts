/**
 * The two checkpoint slots of a local state directory (`checkpoint.slot-a`, `checkpoint.slot-b`):
 * where the checkpoint after every response goes between two durable writes of checkpoint.json.
 *
 * checkpoint.json is replaced (temp file + fsync + rename) at most once a second and at the end of
 * a run; in between, each checkpoint is written in place into one slot, the two in turn, through a
 * file descriptor kept open (one pwrite at offset 0: no new file, no rename; a rename per response
 * was a tenth of a live run's CPU). A slot is a header line and the checkpoint as one line of JSON:
 *
 *     segamp-checkpoint-slot 1 seq=<n> base=<digest of checkpoint.json> bytes=<length> crc32=<of the JSON>
 *
 * (padded with spaces to `HEADER_BYTES`; bytes after the JSON are left over from a longer one).
 * A slot counts only while it is whole (its length and CRC-32 match: a process killed in the middle
 * of a write leaves it torn, and the other slot, one response older, is read instead) and while
 * `base` is the digest of the checkpoint.json it follows (a durable write, or another segamp version
 * or run writing checkpoint.json, makes both slots stale at once). The newest whole, current slot
 * wins (highest `seq`); without one, checkpoint.json is the checkpoint. Since each checkpoint
 * records everything settled before it, a torn or stale slot only makes a resume older, never
 * skip a line: it resends what the newer checkpoint had recorded as settled (at most the requests
 * of one response, for a torn slot).
 *
 * Durability is checkpoint.json's: slots are in the kernel once written (a killed process loses
 * nothing) but are not forced to disk. After the machine itself stops, a slot survives only if it
 * is whole and the append-only files are at least as long as it records (else checkpoint.json,
 * fsynced after them, is read).
 */
import { closeSync, constants, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { crc32 } from '../../crc32.js'
import { PRIVATE_FILE_MODE, secureFile } from './private-files.js'

export const SLOT_FILES = ['checkpoint.slot-a', 'checkpoint.slot-b'] as const

/** The header's fixed size (the JSON starts right after it, so its checksum is known before the header is written). */
const HEADER_BYTES = 128
const HEADER = /^segamp-checkpoint-slot 1 seq=(\d+) base=([0-9a-f]+) bytes=(\d+) crc32=([0-9a-f]{8}) *\n$/

/** Digest of checkpoint.json's text: the `base` its slots name. */
export function checkpointDigest(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32)
}

/** Open slots of one writer: `write` puts one checkpoint (one line of JSON) into the older slot. */
export interface SlotWriter {
  write(base: string, json: string): void
  /** Closes the slots; `remove`: deletes them (the checkpoint after the last one is in checkpoint.json). */
  close(remove: boolean): void
}

export function openSlots(dir: string): SlotWriter {
  const paths = SLOT_FILES.map((f) => join(dir, f))
  let fds: number[] | undefined
  let seq = 0
  let buf = Buffer.allocUnsafe(0)
  const open = (): number[] => {
    // Not truncated: the newest slot of the run before stays readable until this run's are written.
    const out = paths.map((p) => openSync(p, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE))
    for (const p of paths) secureFile(p)
    // Numbering goes on above the slots found (written after the checkpoint.json this run read, or stale).
    for (const fd of out) seq = Math.max(seq, slotSeq(fd))
    return out
  }
  return {
    write(base, json) {
      fds ??= open()
      seq++
      if (buf.length < HEADER_BYTES + json.length * 3) buf = Buffer.allocUnsafe(HEADER_BYTES + json.length * 3 + 4096)
      const n = buf.write(json, HEADER_BYTES, 'utf8')
      const header = `segamp-checkpoint-slot 1 seq=${seq} base=${base} bytes=${n} crc32=${crc32Hex(buf.subarray(HEADER_BYTES, HEADER_BYTES + n))}`
      buf.write(header.padEnd(HEADER_BYTES - 1, ' ') + '\n', 0, 'latin1')
      writeAll(fds[seq % 2], buf, HEADER_BYTES + n)
    },
    close(remove) {
      if (fds) for (const fd of fds) closeSync(fd)
      fds = undefined
      if (remove) for (const p of paths) rmSync(p, { force: true })
    },
  }
}

/** pwrite at 0 until all of it is written (a regular file takes it in one call). */
function writeAll(fd: number, buf: Buffer, length: number): void {
  let done = 0
  while (done < length) done += writeSync(fd, buf, done, length - done, done)
}

/** The seq in a slot's header (0 when it has none), whole or not. */
function slotSeq(fd: number): number {
  const head = Buffer.alloc(HEADER_BYTES)
  let n = 0
  for (let got = -1; got !== 0 && n < HEADER_BYTES; n += got) got = readSync(fd, head, n, HEADER_BYTES - n, n)
  const m = HEADER.exec(head.toString('latin1', 0, n))
  return m ? Number(m[1]) : 0
}

/** A whole slot: its seq, the checkpoint.json it follows, and its JSON. */
export interface Slot {
  path: string
  seq: number
  base: string
  json: string
}

/** A slot as written, or undefined when it is missing, torn or not a slot. */
export function readSlot(path: string): Slot | undefined {
  let data: Buffer
  try {
    data = readFileSync(path)
  } catch {
    return undefined
  }
  if (data.length < HEADER_BYTES) return undefined
  const m = HEADER.exec(data.toString('latin1', 0, HEADER_BYTES))
  if (!m) return undefined
  const bytes = Number(m[3])
  if (data.length < HEADER_BYTES + bytes) return undefined
  const body = data.subarray(HEADER_BYTES, HEADER_BYTES + bytes)
  if (crc32Hex(body) !== m[4]) return undefined
  return { path, seq: Number(m[1]), base: m[2], json: body.toString('utf8') }
}

/** The whole slots of `dir` that follow checkpoint.json as `base` names it, newest first. */
export function currentSlots(dir: string, base: string): Slot[] {
  const out: Slot[] = []
  for (const f of SLOT_FILES) {
    const s = readSlot(join(dir, f))
    if (s && s.base === base) out.push(s)
  }
  return out.sort((a, b) => b.seq - a.seq)
}

/** CRC-32 as 8 hex digits. */
function crc32Hex(data: Buffer): string {
  return crc32(data).toString(16).padStart(8, '0')
}
