#!/usr/bin/env node
/**
 * Shard throughput: `npm run build && node bench/shards.js`. One standalone `segamp sandbox
 * --no-throttle` process (fresh for each N) and N `segamp replay --shard K/N` processes started
 * together over the same generated archive, for N = 1, 2, 3 (BENCH_SHARDS=1,2,3). Prints events/s
 * over the wall time from the first start to the last exit. Prints figures; never asserts.
 *
 * Knobs (env): BENCH_SHARD_MESSAGES (100000), BENCH_SHARDS (1,2,3), BENCH_SHARD_BATCH (1000),
 * BENCH_SHARD_CONCURRENCY (4).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { DATA, ROOT, ensureArchive } from './lib/data.js'

const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k])
const MESSAGES = Number(env('BENCH_SHARD_MESSAGES', 100000))
const NS = String(env('BENCH_SHARDS', '1,2,3')).split(',').map(Number)
const BATCH = env('BENCH_SHARD_BATCH', '1000')
const CONCURRENCY = env('BENCH_SHARD_CONCURRENCY', '4')
const BIN = join(ROOT, 'bin', 'run.js')

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b) => (stdout += b))
    child.stderr.on('data', (b) => (stderr += b))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
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
  return { url, stop: () => new Promise((r) => (child.on('close', r), child.kill('SIGTERM'))) }
}

const archive = ensureArchive({ messages: MESSAGES, seed: 7, days: 2, filesPerDay: 2 })
console.log(`Shard throughput: ${MESSAGES} messages (${archive.files.length} files, ${(archive.compressedBytes / 1e6).toFixed(1)} MB gzip), ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`)
console.log(`  batch ${BATCH}, concurrency ${CONCURRENCY} per shard, sandbox without throttling, in its own process`)
console.log('  N   wall s   events sent   events/s   per shard (events, s)')
for (const n of NS) {
  const sb = await sandbox()
  const dirs = Array.from({ length: n }, (_, k) => join(DATA, 'shards', `n${n}-k${k}`))
  for (const d of dirs) rmSync(d, { recursive: true, force: true }), mkdirSync(d, { recursive: true })
  const t0 = process.hrtime.bigint()
  const results = await Promise.all(
    dirs.map((d, k) =>
      run(['replay', archive.dir, '--endpoint-url', sb.url, '--api-key', 'bench-api-key', '--yes', '--no-progress', '--json', '--fresh', '--batch-size', BATCH, '--concurrency', CONCURRENCY, '--state-dir', d, ...(n > 1 ? ['--shard', `${k}/${n}`] : [])]),
    ),
  )
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  await sb.stop()
  const reports = results.map((r) => {
    if (r.code !== 0 && r.code !== 3) throw new Error(`a shard failed (${r.code}): ${r.stderr.slice(-500)}`)
    return JSON.parse(r.stdout)
  })
  const sent = reports.reduce((a, r) => a + r.sent, 0)
  const per = reports.map((r) => `${r.sent}/${(r.durationMs / 1000).toFixed(1)}`).join(' ')
  console.log(`  ${n}   ${wall.toFixed(1).padStart(6)}   ${String(sent).padStart(11)}   ${String(Math.round(sent / wall)).padStart(8)}   ${per}`)
}
