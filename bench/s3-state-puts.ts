/**
 * The PUTs of a replay with --state-dir s3://… (README, "State in S3"): a live replay of an archive
 * into the standalone sandbox, its state on s3rver behind a recording proxy, default cadence.
 * Prints the requests by object and how far apart the checkpoint PUTs were.
 *   npm run build && npx tsx bench/s3-state-puts.ts <archive> [replay flags…]
 */
import { startS3, s3Env, startFaultProxy } from '../test/helpers/s3.js'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const s3 = await startS3()
await s3.createBucket('state')
const proxy = await startFaultProxy(s3.endpoint)
const env = s3Env()
const sb = spawn(process.execPath, ['bin/run.js', 'sandbox', '--no-throttle'], { cwd: ROOT, env })
const url: string = await new Promise((res) => {
  let o = ''
  sb.stdout.on('data', (d) => {
    o += d
    if (o.includes('\n')) res(o.split('\n')[0].trim())
  })
})
const times: number[] = []
let seen = 0
const t = setInterval(() => {
  for (; seen < proxy.requests.length; seen++) if (/^PUT \S+checkpoint\.json/.test(proxy.requests[seen])) times.push(Date.now())
}, 20)
const start = Date.now()
const cpu0 = process.cpuUsage()
const c = spawn(
  process.execPath,
  [
    'bin/run.js',
    'replay',
    process.argv[2],
    '--endpoint-url',
    url,
    '--api-key',
    'measure-key-0123456789',
    '--yes',
    '--no-progress',
    '--json',
    '--state-dir',
    's3://state/m/',
    '--s3-endpoint',
    proxy.endpoint,
    '--s3-path-style',
    ...process.argv.slice(3),
  ],
  { cwd: ROOT, env },
)
let out = '',
  err = ''
c.stdout.on('data', (d) => (out += d))
c.stderr.on('data', (d) => (err += d))
const code = await new Promise((r) => c.on('close', r))
clearInterval(t)
for (; seen < proxy.requests.length; seen++) if (/^PUT \S+checkpoint\.json/.test(proxy.requests[seen])) times.push(Date.now())
const wall = (Date.now() - start) / 1000
const rep = JSON.parse(out)
const by: Record<string, number> = {}
for (const h of proxy.requests) {
  const m = /^(\w+) \/state\/m\/([^ ?]*)/.exec(h)
  if (!m) {
    by[h.split(' ')[0] + ' other'] = (by[h.split(' ')[0] + ' other'] ?? 0) + 1
    continue
  }
  const k = `${m[1]} ${m[2].replace(/part-\d+/, 'part-N')}`
  by[k] = (by[k] ?? 0) + 1
}
const gaps = times
  .slice(1)
  .map((x, i) => x - times[i])
  .sort((a, b) => a - b)
console.log(
  JSON.stringify(
    {
      code,
      wall,
      messages: rep.messages,
      sent: rep.sent,
      requests: rep.requests,
      byKey: by,
      checkpointPuts: times.length,
      gapMs: { min: gaps[0], median: gaps[Math.floor(gaps.length / 2)], max: gaps[gaps.length - 1] },
    },
    null,
    1,
  ),
)
sb.kill('SIGTERM')
await proxy.close()
await s3.close()
