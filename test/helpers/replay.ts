import { strict as assert } from 'node:assert'
/** Shared fixtures for test/replay*.test.ts: archives with known devices, short ids and groups. */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ndjson, tempDir, writeFile } from './files.js'
import { replay, type ReplayOptions } from '../../src/replay/engine.js'
import type { ReplayReport } from '../../src/pipeline/commit/report.js'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../../src/segment/subscriptions/index.js'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'

export const DAY = Date.UTC(2024, 4, 6)

export function device(d: number): string {
  return `device-${String(d).padStart(2, '0')}`
}

export function trackMessage(i: number, dev: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'track',
    event: `Event ${i % 5}`,
    messageId: `m-${String(i).padStart(5, '0')}`,
    anonymousId: dev,
    userId: `user-${dev}`,
    timestamp: new Date(DAY + i * 1000).toISOString(),
    properties: { i },
    ...extra,
  }
}

export interface ArchiveSpec {
  /** Track messages, spread round-robin over `devices` devices. */
  messages: number
  devices: number
  /** Every n-th message gets userId "abc" (shorter than Amplitude's 5 characters). */
  shortIdEvery?: number
  /** Every n-th message is an identify instead of a track. */
  identifyEvery?: number
  /** Lines that are not JSON, inserted every n-th line. */
  garbageEvery?: number
}

/** Writes `<dir>/archive/part-N.ndjson` (two files) and returns the archive directory. */
export function writeArchive(dir: string, spec: ArchiveSpec): { dir: string; shortIds: number; lines: number } {
  const messages: unknown[] = []
  let shortIds = 0
  for (let i = 0; i < spec.messages; i++) {
    const dev = device(i % spec.devices)
    if (spec.garbageEvery && i % spec.garbageEvery === spec.garbageEvery - 1) messages.push('{not json')
    if (spec.shortIdEvery && i % spec.shortIdEvery === spec.shortIdEvery - 1) {
      shortIds++
      messages.push(trackMessage(i, dev, { userId: 'abc' }))
    } else if (spec.identifyEvery && i % spec.identifyEvery === spec.identifyEvery - 1) {
      messages.push({
        type: 'identify',
        messageId: `m-${String(i).padStart(5, '0')}`,
        anonymousId: dev,
        userId: `user-${dev}`,
        timestamp: new Date(DAY + i * 1000).toISOString(),
        traits: { plan: `p${i % 3}` },
      })
    } else messages.push(trackMessage(i, dev))
  }
  const half = Math.ceil(messages.length / 2)
  const text = (list: unknown[]) => list.map((m) => (typeof m === 'string' ? m : ndjson([m]).trimEnd())).join('\n') + '\n'
  const root = join(dir, 'archive')
  writeFile(join(root, 'part-1.ndjson'), text(messages.slice(0, half)))
  writeFile(join(root, 'part-2.ndjson'), text(messages.slice(half)))
  return { dir: root, shortIds, lines: messages.length }
}

/** The records one dry-run `--out` line carries (JSON events, or a form's identification/mapping). */
export function recordsOfRequest(req: { url: string; body: string }): Array<Record<string, unknown>> {
  if (req.body.startsWith('{')) return (JSON.parse(req.body) as { events?: Array<Record<string, unknown>> }).events ?? []
  const form = new URLSearchParams(req.body)
  for (const k of ['identification', 'mapping']) {
    const v = form.get(k)
    if (v !== null) return JSON.parse(v) as Array<Record<string, unknown>>
  }
  return []
}

/** Every file under `dir` (recursively) with its text. */
export function filesUnder(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...filesUnder(p))
    else out.push({ path: p, text: readFileSync(p, 'utf8') })
  }
  return out
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000, stepMs = 20): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += stepMs) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, stepMs))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Engine timings that keep library tests fast (the engine's defaults are Amplitude's). */
export const FAST = {
  baseDelayMs: 2,
  maxDelayMs: 20,
  flushIntervalMs: 5,
  throttlePauseMs: { httpapi: 300, batch: 300 },
  projectPauseMs: 300,
  requestTimeoutMs: 5000,
}

/**
 * replay() over loopback with the presets: `run` fills in what a test does not care about,
 * `sandbox` starts sandboxes that are all closed after the test file. Call in a describe body.
 */
export function replayHarness(
  key: string,
  runId: string,
): { run: (o: Partial<ReplayOptions> & { inputs: string[] }) => Promise<ReplayReport>; sandbox: (o?: Parameters<typeof startSandbox>[0]) => Promise<Sandbox> } {
  let subs: CompiledSubscription[]
  const sandboxes: Sandbox[] = []
  before(async () => {
    subs = compileSubscriptions(await loadMappings())
  })
  after(async () => {
    await Promise.all(sandboxes.map((s) => s.close()))
  })
  return {
    async sandbox(o = {}) {
      const s = await startSandbox(o)
      sandboxes.push(s)
      return s
    },
    run(o) {
      return replay({
        subscriptions: subs,
        mappingsSource: 'presets',
        runId,
        stateDir: tempDir('segamp-replay-state-'),
        apiKey: key,
        checkpointEveryMs: 20,
        ...o,
        // Dry runs keep the engine's own settings (as the CLI does).
        delivery: o.dryRun ? o.delivery : { ...FAST, ...o.delivery },
      })
    },
  }
}

/**
 * After crashes and a final run into `sb`: every planned record arrived, and what arrived twice
 * (events Amplitude drops by insert_id, identify calls it cannot) stays within the records that
 * were in flight at the kills (`kills × batchSize × concurrency`).
 */
export function assertResendsWithinFlight(sb: Sandbox, report: ReplayReport, o: { kills: number; batchSize: number; concurrency: number }): void {
  // Events: Amplitude keeps one per insert_id; resent events are the sandbox's discarded duplicates.
  const events = sb.events.map((e) => String(e.event.insert_id))
  assert.equal(new Set(events).size, events.length)
  // Identify calls cannot be deduplicated: each resend is one more identification.
  const idents = sb.identifications.map((r) => String(r.insert_id))
  const resentIdents = idents.length - new Set(idents).size
  const inFlight = o.kills * o.batchSize * o.concurrency
  assert.ok(
    resentIdents + sb.stats().duplicatesDiscarded <= inFlight,
    `resent ${resentIdents} identifications and ${sb.stats().duplicatesDiscarded} events after ${o.kills} kills; at most ${inFlight} records were in flight`,
  )
  assert.equal(new Set(idents).size + new Set(events).size, report.planned)
}
