#!/usr/bin/env node
/**
 * HTTP client throughput: segamp's ingestion transport (node:http) vs got, fetch and undici, against the in-process
 * Amplitude sandbox on loopback. Run with `npm run build && node bench/http-client.js`.
 * Prints figures; never asserts (it stops with an error if a request is not answered 200).
 *
 * Workload: HTTP_BENCH_REQUESTS (2000) POST /2/httpapi requests, each a JSON body of 100
 * events (distinct insert_id and device_id, event_type, time, a few event_properties, ~28 KB),
 * at each concurrency in HTTP_BENCH_CONCURRENCY ("4,16"). The bodies are built once and the
 * same strings are sent by every client.
 *
 * Clients (all keep-alive, sockets/connections capped at the concurrency unless noted):
 *   segamp         segamp's own transport, createHttpTransport(concurrency) from dist/
 *                  (node:http, http.Agent keepAlive, maxSockets = concurrency), called like the
 *                  delivery loop calls it (timeoutMs + a per-request AbortController's signal).
 *   got            got 14 with the options segamp's transport had before it moved to node:http
 *                  (the same agent, no retries, no redirects, decompress, a request timeout,
 *                  the body as a Buffer), called the same way.
 *   http           bare http.request on an http.Agent({ keepAlive, maxSockets }): the baseline,
 *                  about the least a node:http client can do.
 *   fetch          Node's global fetch (the undici bundled in Node, process.versions.undici)
 *                  on its default global dispatcher (keep-alive, no connection cap), with
 *                  AbortSignal.any([signal, AbortSignal.timeout()]) as a transport would need.
 *   undici.fetch   fetch() of the undici package in node_modules (if importable; it is only a
 *                  transitive dependency) with an undici Agent({ connections: concurrency }).
 *   undici.request undici's request() API on the same kind of Agent.
 *
 * Method: every client first gets a warm-up pass (JIT) on a throwaway sandbox. Then
 * HTTP_BENCH_RUNS (3) rounds; within a round the clients run one after the other (segamp, got, http,
 * fetch, …, so runs alternate), each run on a fresh sandbox (so insert_id dedup and the
 * sandbox's stored events start empty every time) and a fresh client, with 2 × concurrency
 * unmeasured requests to open the connections, and a forced GC before the clock starts.
 * The sandbox lifts its per-id and per-project rate limits (they would answer 429).
 * Measured per run: wall time, per-request latency (request start → body read), and
 * process.cpuUsage() user+system delta.
 * - Default: the sandbox runs in this process (startSandbox from dist/), so CPU includes the
 *   server side (JSON.parse + validation of every body); "Δ vs node:http" subtracts the bare
 *   http client's CPU per request, an estimate of each client's own extra cost.
 * - HTTP_BENCH_SANDBOX=child: the sandbox runs in a child process (one per run) that reports
 *   its own process.cpuUsage(), so client and sandbox CPU per request are measured apart.
 * Summary: req/s of the median run (and the range); p50/p99 over the latencies of all runs;
 * CPU of the median run by CPU. On a shared machine wall-clock figures include the neighbours;
 * CPU per request is the steadier figure.
 *
 * Knobs (env): HTTP_BENCH_REQUESTS, HTTP_BENCH_CONCURRENCY, HTTP_BENCH_RUNS,
 * HTTP_BENCH_CLIENTS (comma list, default all available), HTTP_BENCH_SANDBOX, SEGAMP_DIST (compiled library dir,
 * default ../dist/).
 */
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import http from 'node:http'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'

const intEnv = (name, def) => {
  const v = Number.parseInt(process.env[name] ?? '', 10)
  return Number.isFinite(v) && v > 0 ? v : def
}
const N = intEnv('HTTP_BENCH_REQUESTS', 2000)
const RUNS = intEnv('HTTP_BENCH_RUNS', 3)
const CONCURRENCIES = (process.env.HTTP_BENCH_CONCURRENCY ?? '4,16')
  .split(',')
  .map((s) => Number.parseInt(s, 10))
  .filter((n) => n > 0)
const EVENTS_PER_REQUEST = 100
const TIMEOUT_MS = 30_000
const HEADERS = { 'content-type': 'application/json', 'user-agent': 'segamp/0.1.0' }
const SANDBOX_LIMITS = { httpApiEps: 1e12, httpApiProjectEps: 1e12, dailyQuota: 1e12 }
const SANDBOX_MODE = process.env.HTTP_BENCH_SANDBOX === 'child' ? 'child' : 'in-process'

// Other work rebuilds dist/ (`rm -rf dist && tsc`) at any time, and the child-process sandbox
// imports it once per run: so the two modules used are imported from a private copy of dist/,
// bench/data/http-client-dist-<pid>/ (git-ignored; removed at exit), taken at start and checked
// by importing it (retried while dist/ is being rebuilt). Bare imports (got, …) still resolve
// through /work/main/node_modules.
const srcDist = process.env.SEGAMP_DIST ? process.env.SEGAMP_DIST : fileURLToPath(new URL('../dist/', import.meta.url))
const copyDir = fileURLToPath(new URL(`data/http-client-dist-${process.pid}/`, import.meta.url))
process.on('exit', () => rmSync(copyDir, { recursive: true, force: true }))
process.on('SIGINT', () => process.exit(130))
const distDir = pathToFileURL(copyDir)
let startSandbox, createHttpTransport
for (let attempt = 1; ; attempt++) {
  const probe = `await import(${JSON.stringify(new URL('amplitude/sandbox/index.js', distDir).href)}); await import(${JSON.stringify(new URL('pipeline/deliver/transport.js', distDir).href)})`
  try {
    rmSync(copyDir, { recursive: true, force: true })
    cpSync(srcDist, copyDir, { recursive: true })
    if (spawnSync(process.execPath, ['--input-type=module', '-e', probe], { stdio: 'ignore' }).status === 0) break
  } catch {
    // dist/ changed (or vanished) under the copy
  }
  if (attempt === 6) {
    console.error(`no usable compiled library in ${srcDist} (run \`npm run build\` first)`)
    process.exit(2)
  }
  process.stderr.write(`dist/ is incomplete (being rebuilt?); retrying in 5 s (${attempt}/5)\n`)
  await new Promise((r) => setTimeout(r, 5000))
}
try {
  ;({ startSandbox } = await import(new URL('amplitude/sandbox/index.js', distDir).href))
  ;({ createHttpTransport } = await import(new URL('pipeline/deliver/transport.js', distDir).href))
} catch (err) {
  console.error(`cannot import the compiled library from ${distDir.href} (run \`npm run build\` first): ${err.message}`)
  process.exit(2)
}
let undici = null
try {
  undici = await import('undici')
} catch {
  // not installed: the undici.* clients are skipped
}

v8.setFlagsFromString('--expose-gc')
const gc = globalThis.gc ?? vm.runInNewContext('gc')

// --- workload -------------------------------------------------------------------------------

const EVENT_TYPES = ['Page Viewed', 'Product Added', 'Checkout Started', 'Order Completed', 'Signed In']
const hex = (n, len) => n.toString(16).padStart(len, '0')

/** `count` request bodies; ids embed `tag` so warm-up bodies never collide with measured ones. */
function makeBodies(tag, count) {
  const base = Date.UTC(2026, 0, 1)
  const bodies = []
  for (let r = 0; r < count; r++) {
    const events = []
    for (let e = 0; e < EVENTS_PER_REQUEST; e++) {
      const n = r * EVENTS_PER_REQUEST + e
      events.push({
        device_id: `dev-${tag}-${hex(n, 8)}-4c1e-9a7f-${hex(n * 7919, 12)}`,
        user_id: `user-${(n % 5000) + 1}`,
        event_type: EVENT_TYPES[n % EVENT_TYPES.length],
        time: base + n * 250,
        insert_id: `${tag}-${hex(n, 8)}-6f2b-4d1a-8c3e-${hex(n * 104729, 12)}`,
        platform: 'Web',
        library: 'segment',
        event_properties: { path: `/products/${n % 997}`, plan: n % 3 ? 'free' : 'pro', value: (n % 1000) / 10 },
      })
    }
    bodies.push(JSON.stringify({ api_key: 'k', events }))
  }
  return bodies
}

// --- clients --------------------------------------------------------------------------------
// create(concurrency) → { send(url, body, signal) → Promise<status>, close() }; every send
// reads the whole response body as text.

const { default: got } = await import('got')
const CLIENTS = {
  segamp: {
    label: 'segamp (node:http)',
    create(c) {
      const t = createHttpTransport(c)
      return {
        send: (url, body, signal) => t.send({ method: 'POST', url, headers: HEADERS, body }, { timeoutMs: TIMEOUT_MS, signal }).then((r) => r.status),
        close: async () => t.close(),
      }
    },
  },
  got: {
    label: 'got 14',
    create(c) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: c, keepAliveMsecs: 10_000 })
      const client = got.extend({ agent: { http: agent }, retry: { limit: 0 }, throwHttpErrors: false, followRedirect: false, decompress: true, responseType: 'text' })
      return {
        send: (url, body, signal) =>
          client(url, { method: 'POST', headers: HEADERS, body: Buffer.from(body, 'utf8'), timeout: { request: TIMEOUT_MS }, signal }).then((r) => r.statusCode),
        close: async () => agent.destroy(),
      }
    },
  },
  http: {
    label: 'node:http (bare)',
    create(c) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: c, keepAliveMsecs: 10_000 })
      const send = (url, body) =>
        new Promise((resolve, reject) => {
          const req = http.request(url, { method: 'POST', agent, timeout: TIMEOUT_MS, headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } }, (res) => {
            res.setEncoding('utf8')
            let text = ''
            res.on('data', (d) => (text += d))
            res.on('end', () => resolve(res.statusCode))
            res.on('error', reject)
          })
          req.on('error', reject)
          req.end(body)
        })
      return { send, close: async () => agent.destroy() }
    },
  },
  fetch: {
    label: `fetch (Node's undici ${process.versions.undici})`,
    create() {
      const send = async (url, body, signal) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: HEADERS,
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
        })
        await res.text()
        return res.status
      }
      return { send, close: async () => {} }
    },
  },
}
if (undici) {
  const version = await import('undici/package.json', { with: { type: 'json' } }).then((m) => m.default.version).catch(() => '?')
  CLIENTS['undici.fetch'] = {
    label: `undici ${version} fetch`,
    create(c) {
      const dispatcher = new undici.Agent({ connections: c, keepAliveTimeout: 10_000 })
      const send = async (url, body, signal) => {
        const res = await undici.fetch(url, {
          method: 'POST',
          headers: HEADERS,
          body,
          dispatcher,
          signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
        })
        await res.text()
        return res.status
      }
      return { send, close: () => dispatcher.close() }
    },
  }
  CLIENTS['undici.request'] = {
    label: `undici ${version} request`,
    create(c) {
      const dispatcher = new undici.Agent({ connections: c, keepAliveTimeout: 10_000 })
      const send = async (url, body, signal) => {
        const res = await undici.request(url, {
          method: 'POST',
          headers: HEADERS,
          body,
          dispatcher,
          signal,
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        })
        await res.body.text()
        return res.statusCode
      }
      return { send, close: () => dispatcher.close() }
    },
  }
}
const wanted = process.env.HTTP_BENCH_CLIENTS?.split(',').map((s) => s.trim())
const clientNames = Object.keys(CLIENTS).filter((k) => !wanted || wanted.includes(k))

// --- sandbox: in this process (default) or in a child process (HTTP_BENCH_SANDBOX=child) ---
// → { url, stats() → Promise<{ eventsIngested, cpuMs? }>, close() }; cpuMs (child only) is the
// child's process.cpuUsage() user+system total so far.

async function openSandbox() {
  if (SANDBOX_MODE === 'in-process') {
    const sb = await startSandbox({ limits: SANDBOX_LIMITS })
    return { url: sb.url, stats: async () => ({ eventsIngested: sb.stats().eventsIngested }), close: () => sb.close() }
  }
  const code = `
    import { createInterface } from 'node:readline'
    const { startSandbox } = await import(${JSON.stringify(new URL('amplitude/sandbox/index.js', distDir).href)})
    const sb = await startSandbox({ limits: ${JSON.stringify(SANDBOX_LIMITS)} })
    const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
    out({ url: sb.url })
    for await (const line of createInterface({ input: process.stdin })) {
      if (line === 'stats') {
        const c = process.cpuUsage()
        out({ eventsIngested: sb.stats().eventsIngested, cpuMs: (c.user + c.system) / 1000 })
      } else if (line === 'close') { await sb.close(); out({ closed: true }); process.exit(0) }
    }`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const read = async () => {
    const { value, done } = await lines.next()
    if (done) throw new Error('sandbox child exited')
    return JSON.parse(value)
  }
  const { url } = await read()
  const ask = (cmd) => {
    child.stdin.write(cmd + '\n')
    return read()
  }
  return {
    url,
    stats: () => ask('stats'),
    close: async () => {
      await ask('close')
      child.stdin.end()
    },
  }
}

// --- driver ---------------------------------------------------------------------------------

/** Sends `bodies` with `concurrency` workers; latencies (ms) into `lat` if given. */
async function drive(client, url, bodies, concurrency, lat) {
  const statuses = {}
  let next = 0
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++
      const t0 = performance.now()
      // one AbortController per request, as segamp's delivery loop does
      const status = await client.send(url, bodies[i], new AbortController().signal)
      if (lat) lat[i] = performance.now() - t0
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker))
  return statuses
}

async function runOnce(name, concurrency, bodies, warmBodies) {
  const sandbox = await openSandbox()
  const url = `${sandbox.url}/2/httpapi`
  const client = CLIENTS[name].create(concurrency)
  try {
    const warm = warmBodies.slice(0, 2 * concurrency)
    await drive(client, url, warm, concurrency)
    gc()
    const lat = new Float64Array(bodies.length)
    const sb0 = SANDBOX_MODE === 'child' ? await sandbox.stats() : undefined
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const statuses = await drive(client, url, bodies, concurrency, lat)
    const wallMs = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const sb1 = await sandbox.stats()
    const ingested = sb1.eventsIngested - warm.length * EVENTS_PER_REQUEST
    if (statuses[200] !== bodies.length || ingested !== bodies.length * EVENTS_PER_REQUEST) {
      throw new Error(`${name} c=${concurrency}: statuses ${JSON.stringify(statuses)}, ${ingested} events ingested`)
    }
    const serverCpuMs = sb0 ? sb1.cpuMs - sb0.cpuMs : 0
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 + serverCpuMs, clientCpuMs: sb0 ? (cpu.user + cpu.system) / 1000 : undefined, lat }
  } finally {
    await client.close()
    await sandbox.close()
  }
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })

async function main() {
  const log = (s) => process.stderr.write(s + '\n')
  log(`node ${process.version}, bundled undici ${process.versions.undici}; clients: ${clientNames.join(', ')}`)
  const bodies = makeBodies('m', N)
  const warmBodies = makeBodies('w', Math.max(...CONCURRENCIES) * 2)
  const jitBodies = makeBodies('j', Math.min(N, 300))
  const kb = bodies.reduce((s, b) => s + b.length, 0) / bodies.length / 1024
  log(`workload: ${N} requests × ${EVENTS_PER_REQUEST} events (${kb.toFixed(1)} KB/body), concurrency ${CONCURRENCIES.join(' and ')}, ${RUNS} runs each`)

  for (const name of clientNames) {
    for (const c of CONCURRENCIES) await runOnce(name, c, jitBodies, warmBodies)
  }
  log('warm-up done')

  const results = {} // `${name}|${c}` → runs
  for (let round = 1; round <= RUNS; round++) {
    for (const c of CONCURRENCIES) {
      for (const name of clientNames) {
        const r = await runOnce(name, c, bodies, warmBodies)
        ;(results[`${name}|${c}`] ??= []).push(r)
        log(`  round ${round} c=${String(c).padStart(2)} ${name.padEnd(14)} ${fmt((N / r.wallMs) * 1000).padStart(6)} req/s  cpu ${fmt(r.cpuMs).padStart(5)} ms`)
      }
    }
  }

  const child = SANDBOX_MODE === 'child'
  const rows = []
  for (const c of CONCURRENCIES) {
    const base = results[`http|${c}`]
    const baseCpuPerReqUs = base ? (median(base.map((r) => r.cpuMs)) / N) * 1000 : undefined
    for (const name of clientNames) {
      const runs = results[`${name}|${c}`]
      const rps = runs.map((r) => (N / r.wallMs) * 1000)
      const lat = Float64Array.from(runs.flatMap((r) => Array.from(r.lat))).sort()
      const cpuMs = median(runs.map((r) => r.cpuMs))
      const cpuPerReqUs = (cpuMs / N) * 1000
      const row = [
        CLIENTS[name].label,
        String(c),
        fmt(median(rps)),
        `${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}`,
        fmt(median(rps) * EVENTS_PER_REQUEST),
        fmt(pct(lat, 50), 1),
        fmt(pct(lat, 99), 1),
        fmt(cpuMs / 1000, 2),
        fmt(cpuPerReqUs),
      ]
      if (child) {
        const clientUs = (median(runs.map((r) => r.clientCpuMs)) / N) * 1000
        row.push(fmt(clientUs), fmt(cpuPerReqUs - clientUs))
      } else {
        row.push(baseCpuPerReqUs === undefined ? '' : fmt(cpuPerReqUs - baseCpuPerReqUs))
      }
      rows.push(row)
    }
  }
  const head = ['client', 'conc', 'req/s', 'req/s range', 'events/s', 'p50 ms', 'p99 ms', 'CPU s', 'CPU µs/req']
  head.push(...(child ? ['client µs/req', 'sandbox µs/req'] : ['Δ vs node:http µs/req']))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ')
  console.log(`\nHTTP clients → ${SANDBOX_MODE} sandbox, ${N} × POST /2/httpapi (${EVENTS_PER_REQUEST} events, ${kb.toFixed(1)} KB), ${RUNS} runs, Node ${process.version}`)
  console.log(line(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
  console.log('req/s: median run (range over runs); p50/p99: all runs pooled; CPU: user+system of the median run by CPU,')
  console.log(
    child
      ? 'client (this process) + sandbox (child process); µs/req splits it.'
      : "whole process, so it includes the sandbox's own work; Δ vs node:http ≈ the client's cost over bare http.request.",
  )
}

await main()
