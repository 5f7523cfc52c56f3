/**
 * segamp's reader over an archive: params.mode "items" is a bare loop over
 * `openArchive(inputs).items()`; "inspect" is `inspectArchives({inputs})` (reader + scan +
 * duplicate counting + the inspect profile).
 */
import { finish, lib, now, params, rssSampler, secondsSince } from '../lib/child.js'

const t0 = now()
const rss = rssSampler()
if (params.mode === 'inspect') {
  const { inspectArchives } = await lib('inspect/index.js')
  const { report } = await inspectArchives({ inputs: params.inputs })
  finish({ messages: report.messages, rejected: report.rejected ?? 0, wallSeconds: secondsSince(t0), memory: process.memoryUsage(), rssQuartersMB: rss.quarters() })
} else {
  const { openArchive } = await lib('pipeline/decode/reader.js')
  const archive = await openArchive(params.inputs)
  let messages = 0
  let other = 0
  for await (const item of archive.items()) {
    if (item.kind === 'message') messages++
    else if (item.kind !== 'file') other++
  }
  finish({ messages, rejectedOrUnreadable: other, wallSeconds: secondsSince(t0), memory: process.memoryUsage(), rssQuartersMB: rss.quarters() })
}
