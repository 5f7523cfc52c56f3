/**
 * Mapping: the Quick Setup preset mappings, compiled by segamp (`compileMapping` per preset)
 * vs `@segment/actions-core` `transform`, on the same (preset, event) pairs in this process.
 * Events are the first params.events messages of the archive; a pair is a message and a
 * preset whose trigger matches it (segamp's FQL compiler decides, for both sides alike).
 * Outputs are compared on a sample (mismatches are printed, never asserted).
 */
import { createReadStream } from 'node:fs'
import { createRequire } from 'node:module'
import { isDeepStrictEqual } from 'node:util'
import { createGunzip } from 'node:zlib'
import { finish, lib, now, params, secondsSince } from '../lib/child.js'

const require = createRequire(import.meta.url)
const core = require('@segment/actions-core')
const { PRESETS } = await lib('segment/actions-amplitude/index.js')
const { compileMapping } = await lib('segment/mapping-kit/index.js')
const { compileTrigger } = await lib('segment/fql/index.js')

const events = []
outer: for (const file of params.files) {
  const gunzip = createReadStream(file).pipe(createGunzip())
  gunzip.setEncoding('utf8')
  let carry = ''
  for await (const chunk of gunzip) {
    const lines = (carry + chunk).split('\n')
    carry = lines.pop()
    for (const line of lines) {
      if (line) events.push(JSON.parse(line))
      if (events.length >= params.events) {
        gunzip.destroy()
        break outer
      }
    }
  }
}

const presets = PRESETS.map((p) => ({ name: p.name, mapping: p.mapping, match: compileTrigger(p.subscribe), compiled: compileMapping(p.mapping) }))
const pairs = []
for (const e of events) for (const p of presets) if (p.match(e)) pairs.push([p, e])

// Same outputs? (sample of up to 2000 pairs)
let mismatches = 0
const step = Math.max(1, Math.floor(pairs.length / 2000))
for (let i = 0; i < pairs.length; i += step) {
  const [p, e] = pairs[i]
  if (!isDeepStrictEqual(p.compiled(e), core.transform(p.mapping, e))) mismatches++
}

/**
 * Runs `run` over `list` in rounds until minSeconds of CPU time; rates are computed from the
 * process CPU time of the loop (robust to a busy machine), wall seconds are reported too.
 */
function time(run, minSeconds, list, warm) {
  let sink = 0
  for (let i = 0; i < Math.min(list.length, warm); i++) sink += run(list[i]) ? 1 : 0
  const t0 = now()
  const c0 = process.cpuUsage()
  let rounds = 0
  let cpu
  do {
    for (const pair of list) sink += run(pair) ? 1 : 0
    rounds++
    const c = process.cpuUsage(c0)
    cpu = (c.user + c.system) / 1e6
  } while (cpu < minSeconds)
  const wall = secondsSince(t0)
  return { rounds, pairs: list.length, cpuSeconds: cpu, seconds: wall, mappingsPerSecond: (rounds * list.length) / cpu, wallMappingsPerSecond: (rounds * list.length) / wall, sink }
}

const viaCore = ([p, e]) => core.transform(p.mapping, e)
const viaSegamp = ([p, e]) => p.compiled(e)
const t0 = now()
// All presets interleaved in archive order (what replay does): actions-core one round after a
// 2000-pair warm-up; segamp after a full warm-up round, for at least minSeconds of CPU.
const coreRun = time(viaCore, 0, pairs, 2000)
const segampRun = time(viaSegamp, params.minSeconds ?? 2, pairs, pairs.length)
// Each preset on its own (actions-core on at most 3000 pairs of it).
const perPreset =
  params.perPreset === false
    ? []
    : presets.map((p) => {
        const list = pairs.filter((pair) => pair[0] === p)
        if (list.length === 0) return { name: p.name, pairs: 0 }
        const c = time(viaCore, 0, list.slice(0, 3000), 500)
        const s = time(viaSegamp, (params.minSeconds ?? 2) / 4, list, list.length)
        return { name: p.name, pairs: list.length, coreMappingsPerSecond: c.mappingsPerSecond, segampMappingsPerSecond: s.mappingsPerSecond }
      })
finish({
  perPreset,
  events: events.length,
  pairs: pairs.length,
  presets: presets.map((p) => p.name),
  sampleChecked: Math.ceil(pairs.length / step),
  mismatches,
  core: coreRun,
  segamp: segampRun,
  wallSeconds: secondsSince(t0),
})
