/**
 * Gunzip alone: createReadStream → createGunzip, nothing else but counting the newlines
 * (Buffer.indexOf, to know the lines) — the baseline of the shard-cost figure: what every shard
 * pays at least for a line it does not own. Same read buffer size as segamp's reader (256 KiB).
 */
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { finish, now, params, secondsSince } from '../lib/child.js'

const t0 = now()
const c0 = process.cpuUsage()
let lines = 0
let bytes = 0
for (const file of params.files) {
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(createGunzip())) {
    bytes += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
  }
}
const c = process.cpuUsage(c0)
finish({ messages: lines, uncompressedBytes: bytes, wallSeconds: secondsSince(t0), loopCpuSeconds: (c.user + c.system) / 1e6 })
