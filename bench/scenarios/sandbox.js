/**
 * Replay into the sandbox through the library (what `replay --sandbox` does: presets, batch
 * size 1000, concurrency 4), with sandbox limits overridden by params.limits — used with
 * Amplitude's per-user/device throttle lifted, to show the pipeline's own rate. With
 * params.separate the sandbox runs in its own process (scenarios/sandbox-server.js), so this
 * process's peak RSS and CPU are the replay's alone; the sandbox's are reported beside them.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { finish, lib, now, params, secondsSince } from '../lib/child.js'

const { loadMappings, compileSubscriptions } = await lib('segment/subscriptions/index.js')
const { replay } = await lib('replay/engine.js')
const { startSandbox } = await lib('amplitude/sandbox/index.js')

const t0 = now()
const loaded = await loadMappings()
const subscriptions = compileSubscriptions(loaded, { apiKey: 'sandbox-api-key', endpoint: 'north_america' })

let url
let stop
if (params.separate) {
  const server = fork(fileURLToPath(new URL('./sandbox-server.js', import.meta.url)), [JSON.stringify({ limits: params.limits ?? {} })], {
    env: { ...process.env, BENCH_RESULT_FILE: '' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  ;[{ url }] = await once(server, 'message')
  stop = async () => {
    server.send('stop')
    const [r] = await once(server, 'message')
    return r
  }
} else {
  const sandbox = await startSandbox({ limits: params.limits ?? {} })
  url = sandbox.url
  stop = async () => {
    const stats = sandbox.stats()
    await sandbox.close()
    return { stats }
  }
}
let summary
let server
try {
  summary = await replay({
    inputs: params.inputs,
    subscriptions,
    mappingsSource: loaded.source,
    runId: 'bench-sandbox',
    stateDir: params.stateDir,
    fresh: true,
    apiKey: 'sandbox-api-key',
    region: 'us',
    endpointUrl: url,
    batchSize: params.batchSize ?? 1000,
    concurrency: params.concurrency ?? 4,
  })
} finally {
  server = await stop()
}
finish({ wallSeconds: secondsSince(t0), summary, sandbox: server })
