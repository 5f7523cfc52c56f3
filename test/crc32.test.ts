import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import { crc32, crc32Portable } from '../src/crc32.js'

describe('crc32', () => {
  it('the table used on Node before 20.15 gives what zlib gives, whole and continued piece by piece', () => {
    const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32
    assert.ok(native, 'this Node has zlib.crc32 to compare with')
    assert.equal(crc32Portable(Buffer.from('123456789')), 0xcbf43926) // the check value of CRC-32/ISO-HDLC
    assert.equal(crc32Portable(Buffer.alloc(0)), 0)
    for (const size of [1, 7, 255, 4096, 100_000]) {
      const data = randomBytes(size)
      assert.equal(crc32Portable(data), native(data), `${size} bytes`)
      assert.equal(crc32(data), native(data))
      const cut = Math.floor(size / 3)
      assert.equal(crc32Portable(data.subarray(cut), crc32Portable(data.subarray(0, cut))), native(data), `${size} bytes in two pieces`)
    }
  })
})
