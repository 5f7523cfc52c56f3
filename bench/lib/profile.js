/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function and by file, and
 * inclusive ("total") time of the heaviest frames. Standalone: node bench/lib/profile.js FILE [N]
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ROOT } from './data.js'

export function summarizeProfile(path, top = 15) {
  const prof = JSON.parse(readFileSync(path, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map()
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0))
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0)
  const label = (n) => {
    const f = n.callFrame
    const url = f.url
      .replace('file://', '')
      .replace(ROOT, '')
      .replace(/^.*node_modules\//, 'node_modules/')
    return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim()
  }
  const fileOf = (n) => {
    const u = n.callFrame.url.replace('file://', '').replace(ROOT, '')
    if (!u) return `(${n.callFrame.functionName || 'native'})`
    const m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
    return m ? `node_modules/${m[1]}` : u
  }
  const selfByFn = new Map()
  const selfByFile = new Map()
  const inclusive = new Map()
  for (const [id, us] of self) {
    const n = byId.get(id)
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us)
    selfByFile.set(fileOf(n), (selfByFile.get(fileOf(n)) ?? 0) + us)
    // inclusive: count each distinct frame label once per sample stack
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur))
      if (seen.has(l)) continue
      seen.add(l)
      inclusive.set(l, (inclusive.get(l) ?? 0) + us)
    }
  }
  const idleUs = [...selfByFn].filter(([k]) => /^\((idle|program)\)/.test(k)).reduce((a, [, us]) => a + us, 0)
  const busyUs = totalUs - idleUs
  const rows = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ name: k, ms: us / 1000, pct: (100 * us) / totalUs, busyPct: /^\(?\((idle|program)\)/.test(k) ? undefined : (100 * us) / busyUs }))
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, selfByFunction: rows(selfByFn, top), selfByFile: rows(selfByFile, top), inclusive: rows(inclusive, top * 2) }
}

export function formatProfile(s) {
  const fmt = (r) =>
    `  ${r.pct.toFixed(1).padStart(5)}%  ${r.busyPct === undefined ? '     ' : (r.busyPct.toFixed(1) + '%').padStart(6)}  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`
  return [
    `sampled ${(s.totalMs / 1000).toFixed(1)} s, of which ${(s.idleMs / 1000).toFixed(1)} s idle (waiting) — columns: % of all samples, % of busy samples`,
    'self time by function:',
    ...s.selfByFunction.map(fmt),
    'self time by file / package:',
    ...s.selfByFile.map(fmt),
    'inclusive time (frame on the stack):',
    ...s.inclusive.filter((r) => !/^\(root\)|^\(program\)/.test(r.name)).map(fmt),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatProfile(summarizeProfile(process.argv[2], Number(process.argv[3] ?? 15))))
}
