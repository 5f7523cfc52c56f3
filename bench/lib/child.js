/**
 * Helpers for a scenario child process. The parent (bench/run.js) passes the scenario's
 * parameters as JSON in argv[2] and a result path in BENCH_RESULT_FILE; the child calls
 * `finish(result)` and the result is written at process exit, together with the peak RSS
 * of this process (`process.resourceUsage().maxRSS`, KB) and its CPU time (user+system, which
 * whole-process includes startup) so scenarios never share a heap.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from './data.js'

export const params = JSON.parse(process.argv[2] ?? '{}')

/** The compiled library: the snapshot run.js took of dist/ (SEGAMP_DIST), else dist/. */
export const DIST = process.env.SEGAMP_DIST ?? join(ROOT, 'dist')
export const lib = (rel) => import(pathToFileURL(join(DIST, rel)).href)

let result
process.on('exit', () => {
  const u = process.resourceUsage()
  const out = { ...(result ?? { error: 'the scenario ended without a result' }), maxRssKB: u.maxRSS, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(out))
  else process.stdout.write(JSON.stringify(out) + '\n')
})

export function finish(r) {
  result = r
}

export const now = () => process.hrtime.bigint()
export const secondsSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e9

/**
 * Samples RSS every `ms` while the work runs; `quarters()` gives the largest RSS (MB) seen in
 * each quarter of the run, to tell a plateau from growth with archive size.
 */
export function rssSampler(ms = 250) {
  const samples = []
  const timer = setInterval(() => samples.push(process.memoryUsage.rss()), ms)
  timer.unref()
  return {
    quarters() {
      clearInterval(timer)
      samples.push(process.memoryUsage.rss())
      const q = [0, 1, 2, 3].map((i) =>
        samples.slice(Math.floor((i * samples.length) / 4), Math.max(Math.floor(((i + 1) * samples.length) / 4), Math.floor((i * samples.length) / 4) + 1)),
      )
      return q.map((part) => Math.round(Math.max(...part) / 1048576))
    },
  }
}
