/**
 * The Node floor's work (scenarios/floor.js): createReadStream → createGunzip → split lines →
 * JSON.parse (and JSON.stringify with `stringify`), over `files`; also the body of each worker
 * thread of the floor on N threads (scenarios/floor-thread.js).
 */
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'

export async function floor(files, stringify) {
  let messages = 0
  let bytes = 0
  let out = 0
  for (const file of files) {
    const gunzip = createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(createGunzip())
    gunzip.setEncoding('utf8')
    let carry = ''
    for await (const chunk of gunzip) {
      const text = carry + chunk
      let start = 0
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        if (nl > start) {
          const m = JSON.parse(text.slice(start, nl))
          messages++
          if (stringify) out += JSON.stringify(m).length
        }
        bytes += nl - start + 1
        start = nl + 1
      }
      carry = text.slice(start)
    }
    if (carry.length > 0) {
      const m = JSON.parse(carry)
      messages++
      bytes += carry.length
      if (stringify) out += JSON.stringify(m).length
    }
  }
  return { messages, bytes, out }
}
