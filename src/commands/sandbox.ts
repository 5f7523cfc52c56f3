import { Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { sandboxSession } from '../cli/sandbox-session.js'

export default class SandboxCommand extends SegampCommand {
  static summary = 'Run the Amplitude-compatible sandbox of `replay --sandbox` as a standalone server.'
  static description = `Serves Amplitude's ingestion endpoints (/2/httpapi, /batch, /identify, /groupidentify, /usermap) on 127.0.0.1 with Amplitude's status codes, limits, insert_id deduplication and per-id throttling, so several processes (e.g. replay shards) can send to one server. Prints its URL as the first line on stdout; runs until Ctrl-C or SIGTERM.

What it ingested, as JSON ({"url","stats","events":[{"endpoint","event","receivedAt","requestSeq"}],"identifications","groupIdentifications","mappings"}):
  GET  /_sandbox/ingested   everything
  GET  /_sandbox/stats      the counts only
  POST /_sandbox/faults     replace the fault options (body: the "faults" object below)
  --dump FILE               also written on SIGUSR2 and on exit

--options FILE is JSON: {"apiKeys": [...], "secretKeys": [...] (the secret keys GET /api/2/export accepts; default any non-empty one), "limits": {...}, "faults": {"error5xxRate", "resetRate", "latencyMs", "throttle": {"deviceOrUser": [...], "times"}, "quotaExceeded": [...], "silencedDevices": [...], "projectThrottle", "seed"}}; limits are those of DEFAULT_LIMITS (e.g. {"httpApiEps": 10, "throttleWindowMs": 1000}). Flags override the file.`
  static examples = [
    { description: 'A sandbox for shards on this machine', command: '<%= config.bin %> sandbox --port 8787' },
    { description: 'Then, in other shells', command: '<%= config.bin %> replay examples/segment-logs --endpoint-url http://127.0.0.1:8787 --api-key any-key --yes --shard 0/2' },
    { description: 'What it ingested', command: 'curl -s http://127.0.0.1:8787/_sandbox/stats' },
  ]
  // A server: its stdout is its URL, then nothing until it stops.
  static enableJsonFlag = false
  static baseFlags = {}
  static flags = {
    port: Flags.integer({ description: 'Port on 127.0.0.1 (0: any free port).', default: 0, min: 0, max: 65535 }),
    options: Flags.string({ description: 'JSON file with apiKeys, limits and faults.', helpValue: 'FILE' }),
    'api-key': Flags.string({ description: 'Accept only this API key (repeatable; default: any non-empty key).', multiple: true }),
    'no-throttle': Flags.boolean({ description: 'Lift per-id, per-project and daily throttling (throughput measurements).', default: false }),
    'error-5xx-rate': Flags.string({ description: 'Share 0..1 of requests answered 500/502/503.', helpValue: 'P' }),
    'reset-rate': Flags.string({ description: 'Share 0..1 of requests whose connection is reset.', helpValue: 'P' }),
    'latency-ms': Flags.integer({ description: 'Delay added to every request.', min: 0 }),
    seed: Flags.integer({ description: 'Seed of the fault draws (default 1).' }),
    dump: Flags.string({ description: 'Write what was ingested (JSON) to FILE on SIGUSR2 and on exit.', helpValue: 'FILE' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxCommand)
    return sandboxSession(flags, {
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
    })
  }
}
