/**
 * The sandbox on its own, for scenarios/sandbox.js (params.separate): started with
 * params.limits, it sends {url} over IPC, and on "stop" sends its stats and peak RSS and exits.
 */
import { lib, params } from '../lib/child.js'

const { startSandbox } = await lib('amplitude/sandbox/index.js')
const sandbox = await startSandbox({ limits: params.limits ?? {} })
process.send({ url: sandbox.url })
process.on('message', async (m) => {
  if (m !== 'stop') return
  const stats = sandbox.stats()
  await sandbox.close()
  const u = process.resourceUsage()
  process.send({ stats, maxRssKB: u.maxRSS, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }, () => process.exit(0))
})
