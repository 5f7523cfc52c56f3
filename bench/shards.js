#!/usr/bin/env node
/**
 * Shard throughput: `npm run build && node bench/shards.js`. One standalone `segamp sandbox
 * --no-throttle` process (fresh for each N) and N `segamp replay --shard K/N` processes started
 * together over the same generated archive, for N = 1, 2, 3 (BENCH_SHARDS=1,2,3). Prints events/s
 * over the wall time from the first start to the last exit, and the CPU seconds of the shards and
 * of the sandbox (sampled from /proc): on a shared 2-core machine the wall clock measures the
 * neighbours too, while events per CPU-second of a shard tell what one core per shard would reach.
 * Prints figures; never asserts.
 *
 * Knobs (env): BENCH_SHARD_MESSAGES (100000), BENCH_SHARDS (1,2,3), BENCH_SHARD_BATCH (1000),
 * BENCH_SHARD_CONCURRENCY (4).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { DATA, ROOT, ensureArchive } from './lib/data.js'

const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k])
const MESSAGES = Number(env('BENCH_SHARD_MESSAGES', 100000))
const NS = String(env('BENCH_SHARDS', '1,2,3')).split(',').map(Number)
const BATCH = env('BENCH_SHARD_BATCH', '1000')
const CONCURRENCY = env('BENCH_SHARD_CONCURRENCY', '4')
const BIN = join(ROOT, 'bin', 'run.js')

/** CPU seconds (user + system) of a live process, from /proc (Linux; undefined elsewhere). */
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return undefined
  }
}

/** Runs the CLI; `cpu` is its CPU time as last sampled (every 100 ms) before it exited. */
function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let cpu = 0
    const sampler = setInterval(() => (cpu = cpuOf(child.pid) ?? cpu), 100)
    child.stdout.on('data', (b) => (stdout += b))
    child.stderr.on('data', (b) => (stderr += b))
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(sampler)
      resolve({ code, stdout, stderr, cpu })
    })
  })
}

async function sandbox() {
  const child = spawn(process.execPath, [BIN, 'sandbox', '--no-throttle'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (b) => {
      out += b
      if (out.includes('\n')) resolve(out.split('\n')[0].trim())
    })
    child.on('close', () => reject(new Error('segamp sandbox exited before printing its URL')))
  })
  return { url, cpu: () => cpuOf(child.pid) ?? 0, stop: () => new Promise((r) => (child.on('close', r), child.kill('SIGTERM'))) }
}

const archive = ensureArchive({ messages: MESSAGES, seed: 7, days: 2, filesPerDay: 2 })
console.log(
  `Shard throughput: ${MESSAGES} messages (${archive.files.length} files, ${(archive.compressedBytes / 1e6).toFixed(1)} MB gzip), ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`,
)
console.log(`  batch ${BATCH}, concurrency ${CONCURRENCY} per shard, sandbox without throttling, in its own process`)
console.log('  N   wall s   events sent   events/s   shards CPU s   sandbox CPU s   slowest shard ev/CPU-s   per shard (events/wall s/CPU s)')
for (const n of NS) {
  const sb = await sandbox()
  const dirs = Array.from({ length: n }, (_, k) => join(DATA, 'shards', `n${n}-k${k}`))
  for (const d of dirs) (rmSync(d, { recursive: true, force: true }), mkdirSync(d, { recursive: true }))
  const t0 = process.hrtime.bigint()
  const results = await Promise.all(
    dirs.map((d, k) =>
      run([
        'replay',
        archive.dir,
        '--endpoint-url',
        sb.url,
        '--api-key',
        'bench-api-key',
        '--yes',
        '--no-progress',
        '--json',
        '--fresh',
        '--batch-size',
        BATCH,
        '--concurrency',
        CONCURRENCY,
        '--state-dir',
        d,
        ...(n > 1 ? ['--shard', `${k}/${n}`] : []),
      ]),
    ),
  )
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const sandboxCpu = sb.cpu()
  await sb.stop()
  const reports = results.map((r) => {
    if (r.code !== 0 && r.code !== 3) throw new Error(`a shard failed (${r.code}): ${r.stderr.slice(-500)}`)
    return JSON.parse(r.stdout)
  })
  const sent = reports.reduce((a, r) => a + r.sent, 0)
  const per = reports.map((r, k) => `${r.sent}/${(r.durationMs / 1000).toFixed(1)}/${results[k].cpu.toFixed(1)}`).join(' ')
  const shardCpu = results.reduce((a, r) => a + r.cpu, 0)
  const perCore = Math.round(Math.min(...reports.map((r, k) => r.sent / Math.max(0.01, results[k].cpu))))
  console.log(
    `  ${n}   ${wall.toFixed(1).padStart(6)}   ${String(sent).padStart(11)}   ${String(Math.round(sent / wall)).padStart(8)}   ${shardCpu.toFixed(1).padStart(12)}   ${sandboxCpu.toFixed(1).padStart(13)}   ${String(perCore).padStart(22)}   ${per}`,
  )
}
