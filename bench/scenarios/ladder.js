/**
 * One rung of the cost ladder (bench/run.js, "dry run cost ladder"): segamp's own stages over the
 * archive's NDJSON blocks, as the engine runs them, stopping after `params.step`:
 *   lines      read: gunzip, split into blocks of lines, decode each line to a string (no parse);
 *   route      decode each line (JSON.parse + decode's checks) and route it (filters, triggers);
 *   map        + map: the matched subscriptions' records (compiled path, or the exact path with
 *              SEGAMP_MAP=exact; mapping and validation are one step on the compiled path);
 *   serialise  the whole planner (decode, route, map, serialise each record for --out) and each
 *              record's --out text written to params.out in 1 MB writes (what the dry run writes).
 * `params.shard` ("K/N"): the planner runs as that shard (the shard-cost figure).
 * The floor and the full CLI are other scenarios (floor.js, cli.js).
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import { finish, lib, now, params, secondsSince } from '../lib/child.js'

const { openArchive } = await lib('pipeline/decode/reader.js')
const { blockLines } = await lib('pipeline/decode/lines.js')
const { parseMessageLine } = await lib('pipeline/decode/message.js')
const { createRouter } = await lib('pipeline/route/index.js')
const { mapMessage } = await lib('pipeline/map/index.js')
const { createPlanner } = await lib('pipeline/plan.js')
const { compileSubscriptions, loadMappings } = await lib('segment/subscriptions/index.js')
const { parseShard } = await lib('pipeline/route/shard.js')

const subs = compileSubscriptions(await loadMappings())
const clock = () => 1_715_000_000_000
const shard = params.shard ? { ...parseShard(params.shard), group: 'bench' } : undefined
const t0 = now()
const c0 = process.cpuUsage()
const archive = await openArchive(params.inputs)
let lines = 0
let records = 0
let fallbacks = 0
let pairs = 0
let otherShard = 0
const route = createRouter({ subscriptions: subs, shard })
const planner = createPlanner({ subscriptions: subs, now: clock, forOut: true, keepRecords: false, shard })
const fd = params.step === 'serialise' ? openSync(params.out, 'w') : undefined
let pending = []
let pendingChars = 0
const flush = () => {
  if (pending.length) writeSync(fd, pending.join('\n') + '\n')
  pending = []
  pendingChars = 0
}
for await (const item of archive.items({ blocks: true })) {
  if (item.kind !== 'block') continue
  for (const { line, text } of blockLines(item.bytes, item.ref.line, item.fileStart)) {
    lines++
    if (params.step === 'lines') continue
    const where = `${item.ref.file}:${line}`
    if (params.step === 'serialise') {
      const plan = planner({ text }, where)
      if (plan.t === 'filtered' && plan.reason === 'other-shard') otherShard++
      if (plan.t !== 'message') continue
      fallbacks += plan.fallbacks ?? 0
      pairs += plan.matched.length
      for (const r of plan.records) {
        records++
        pending.push(r.ser.out ?? '')
        pendingChars += r.ser.bytes ?? 0
        if (pendingChars > 1 << 20) flush()
      }
      continue
    }
    const parsed = parseMessageLine(text)
    if (!parsed.ok) continue
    const routed = route(parsed.message, where)
    if (routed.filtered !== undefined) continue
    if (params.step === 'route') continue
    const mapped = mapMessage(parsed.message, subs, routed.matched, clock)
    pairs += routed.matched.length
    records += mapped.records.length
    fallbacks += mapped.fallbacks ?? 0
  }
}
if (fd !== undefined) {
  flush()
  closeSync(fd)
}
const c = process.cpuUsage(c0)
// loopCpuSeconds: the work alone (module loading and compiling the subscriptions excluded).
finish({ step: params.step, messages: lines, records, pairs, fallbacks, otherShard, wallSeconds: secondsSince(t0), loopCpuSeconds: (c.user + c.system) / 1e6 })
