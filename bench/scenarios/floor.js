/**
 * The Node floor: createReadStream → createGunzip → split lines → JSON.parse, nothing else
 * (params.stringify: also JSON.stringify every message — the dry-run floor). Same read
 * buffer size as segamp's reader (256 KiB).
 *
 * params.threads (N > 1): the same work on N worker threads, the files dealt out in turn. The
 * floor has no serial part and no cost of its own for threads but the threads themselves, so what
 * it gains on N threads is the machine's own ceiling for `--workers N` on work of this kind.
 */
import { Worker } from 'node:worker_threads'
import { finish, now, params, rssSampler, secondsSince } from '../lib/child.js'
import { floor } from '../lib/floor-work.js'

const t0 = now()
const rss = rssSampler()
const threads = Math.max(1, params.threads ?? 1)
let parts
if (threads === 1) parts = [await floor(params.files, params.stringify)]
else {
  const entry = new URL('./floor-thread.js', import.meta.url)
  parts = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const files = params.files.filter((_, i) => i % threads === t)
      const w = new Worker(entry, { workerData: { files, stringify: params.stringify } })
      return new Promise((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
      })
    }),
  )
}
const sum = (k) => parts.reduce((a, p) => a + p[k], 0)
finish({
  messages: sum('messages'),
  uncompressedChars: sum('bytes'),
  stringifiedChars: sum('out'),
  threads,
  wallSeconds: secondsSince(t0),
  memory: process.memoryUsage(),
  rssQuartersMB: rss.quarters(),
})
