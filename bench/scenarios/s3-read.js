/**
 * The reader over s3://: starts scenarios/s3-server.js (s3rver in its own process, as a remote
 * store would be), then times `openArchive(["s3://…"]).items()` (params.mode "items") or
 * `inspectArchives` (params.mode "inspect") over it, listing included. The server's CPU is
 * reported apart (serverCpuSeconds).
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { finish, lib, now, params, rssSampler, secondsSince } from '../lib/child.js'

Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
})
delete process.env.AWS_PROFILE
const server = fork(fileURLToPath(new URL('./s3-server.js', import.meta.url)), [JSON.stringify(params.server)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
const { endpoint } = await new Promise((resolve, reject) => {
  server.once('message', resolve)
  server.once('exit', (code) => reject(new Error(`s3-server exited (${code})`)))
})
const archive = { s3: { endpoint, pathStyle: true } }
const input = `s3://${params.server.bucket}/${params.server.prefix}`

const t0 = now()
const rss = rssSampler()
let out
let listSeconds
if (params.mode === 'inspect') {
  const { inspectArchives } = await lib('inspect/index.js')
  const { report } = await inspectArchives({ inputs: [input], archive })
  out = { messages: report.messages, rejected: report.rejected ?? 0, files: report.files }
} else {
  const { openArchive } = await lib('pipeline/decode/reader.js')
  const a = await openArchive([input], archive)
  listSeconds = secondsSince(t0)
  let messages = 0
  let other = 0
  for await (const item of a.items()) {
    if (item.kind === 'message') messages++
    else if (item.kind !== 'file') other++
  }
  out = { messages, rejectedOrUnreadable: other, files: a.sources.length }
}
const wallSeconds = secondsSince(t0)
const rssQuartersMB = rss.quarters()
server.removeAllListeners('exit')
const stats = await new Promise((resolve) => {
  server.once('message', resolve)
  server.send('stop')
})
finish({ ...out, wallSeconds, listSeconds, rssQuartersMB, serverCpuSeconds: stats.cpuSeconds, serverMaxRssKB: stats.maxRssKB })
