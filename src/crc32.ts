/**
 * CRC-32 (IEEE 802.3, as gzip and zlib compute it), continuing from `value` (0 to start). Node has
 * `zlib.crc32` from 20.15 and 22.2 only, and `engines` allows any Node 20: older ones use the table
 * here, which gives the same numbers (test/crc32.test.ts compares them).
 */
import * as zlib from 'node:zlib'

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32

export function crc32(data: Uint8Array, value = 0): number {
  return native ? native(data, value) : crc32Portable(data, value)
}

let table: Uint32Array | undefined

/** The table-driven CRC-32 (exported for the test that holds it equal to zlib's). */
export function crc32Portable(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let i = 0; i < 256; i++) {
      let c = i
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[i] = c >>> 0
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
