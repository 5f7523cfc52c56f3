/**
 * The Node floor: createReadStream → createGunzip → split lines → JSON.parse, nothing else
 * (params.stringify: also JSON.stringify every message — the dry-run floor). Same read
 * buffer size as segamp's reader (256 KiB).
 */
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { finish, now, params, rssSampler, secondsSince } from '../lib/child.js'

const t0 = now()
const rss = rssSampler()
let messages = 0
let bytes = 0
let out = 0
for (const file of params.files) {
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
        if (params.stringify) out += JSON.stringify(m).length
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
    if (params.stringify) out += JSON.stringify(m).length
  }
}
finish({ messages, uncompressedChars: bytes, stringifiedChars: out, wallSeconds: secondsSince(t0), memory: process.memoryUsage(), rssQuartersMB: rss.quarters() })
