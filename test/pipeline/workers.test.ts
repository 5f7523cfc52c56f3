/**
 * `planInOrder` alone (the `--workers` pool), over a synthetic item stream: with 1 worker and with
 * 3 real threads (tiny batches, no inline start) the same sequence comes out — every line's plan
 * at its ref, in archive order, with the reader's other items (file, end, rejected, unreadable,
 * skipped) in their places; a reading error mid-stream still lets out everything read before it,
 * then is rethrown; and stopping early terminates the threads. No delivery, no ledger.
 */
import { strict as assert } from 'node:assert'
import { Worker } from 'node:worker_threads'
import type { ArchiveItem } from '../../src/pipeline/decode/reader.js'
import { compileSubscriptions, loadMappings, type CompiledSubscription } from '../../src/segment/subscriptions/index.js'
import { compileTrigger } from '../../src/segment/fql/index.js'
import { createPlanner, jsonOf, planBlock, type PlannerSettings } from '../../src/pipeline/plan.js'
import type { SerializedRecord } from '../../src/pipeline/deliver/requests.js'
import { planInOrder, toWorkerSettings, type ParallelOptions, type PlannedItem, type WorkerSettings } from '../../src/pipeline/workers.js'
import { createRng as rng } from '../../src/amplitude/sandbox/rng.js'
import type { SegmentMessage } from '../../src/types.js'

const NOW = Date.UTC(2024, 5, 1)
const WHERE = 'event != "Ignored"'

/**
 * Three files: NDJSON blocks of 1–6 lines (tracks, identifies, blank and bad lines, a message the
 * filter drops, absurd nesting), a CSV file's decoded messages, and between them the items the
 * reader makes itself. The second file's blocks carry a `skip` (a resumed run's settled lines:
 * every third line).
 */
function syntheticItems(seed: number): ArchiveItem[] {
  const random = rng(seed)
  const items: ArchiveItem[] = [
    { kind: 'unreadable', file: 'gone.gz', reason: 'truncated gzip' },
    { kind: 'skipped', path: 'loop', reason: 'a link to a folder read already' },
  ]
  let n = 0
  const lineText = (): string => {
    n++
    const r = random()
    const device = `dev-${Math.floor(random() * 5)}`
    if (r < 0.08) return ''
    if (r < 0.14) return `{"broken":${n}`
    if (r < 0.17) return '{"type":"track","event":"Deep","messageId":"deep-' + n + '","properties":' + '{"d":'.repeat(600) + '1' + '}'.repeat(601)
    if (r < 0.25) return JSON.stringify({ type: 'track', event: 'Ignored', messageId: `ign-${n}`, anonymousId: device, timestamp: '2024-05-06T10:00:00.000Z' })
    if (r < 0.4)
      return JSON.stringify({ type: 'identify', messageId: `id-${n}`, userId: `user-${device}`, anonymousId: device, traits: { n }, timestamp: '2024-05-06T10:00:00.000Z' })
    return JSON.stringify({
      type: 'track',
      event: r < 0.5 ? 'Order Completed' : 'Viewed',
      messageId: `m-${n}`,
      anonymousId: device,
      properties: { n, revenue: n, products: [{ product_id: `p${n}`, price: 1 }] },
      timestamp: '2024-05-06T10:00:00.000Z',
    })
  }
  for (const file of ['a.ndjson', 'b.ndjson.gz']) {
    items.push({ kind: 'file', file, format: 'ndjson', index: items.length })
    let line = 1
    for (let b = 0; b < 40; b++) {
      const count = 1 + Math.floor(random() * 6)
      const texts = Array.from({ length: count }, lineText)
      const crlf = random() < 0.3
      const text = Buffer.from((line === 1 ? '\uFEFF' : '') + texts.join(crlf ? '\r\n' : '\n') + '\n')
      // Every other block has a buffer of its own (as the reader's copies do): it moves to the thread.
      const owned = b % 2 === 0
      const bytes = owned ? Buffer.from(new Uint8Array(text).buffer) : text
      const skip = file === 'b.ndjson.gz' ? (l: number) => l % 3 === 0 : undefined
      items.push({ kind: 'block', ref: { file, line }, count, bytes, fileStart: line === 1, ...(skip ? { skip } : {}), ...(owned ? { owned } : {}) })
      line += count
      if (random() < 0.1) {
        // A line over the cap, rejected by the reader itself.
        items.push({ kind: 'rejected', ref: { file, line }, category: 'line too long', reason: 'line too long', text: '' })
        line++
      }
    }
    items.push({ kind: 'end', file, lines: line - 1 })
  }
  items.push({ kind: 'file', file: 'c.csv', format: 'csv', index: 2 })
  for (let i = 0; i < 30; i++) {
    const message = { type: 'track', event: 'CSV', messageId: `csv-${i}`, userId: `user-${i % 4}`, timestamp: '2024-05-06T10:00:00.000Z' } as unknown as SegmentMessage
    items.push({ kind: 'message', message, ref: { file: 'c.csv', line: i + 2 } })
  }
  items.push({ kind: 'end', file: 'c.csv', lines: 31 })
  return items
}

async function* stream(items: ArchiveItem[], failAfter?: number, error?: Error): AsyncGenerator<ArchiveItem> {
  for (let i = 0; i < items.length; i++) {
    if (i === failAfter) throw error
    // A real reader awaits its source between items.
    if (i % 5 === 0) await new Promise((r) => setImmediate(r))
    yield items[i]
  }
}

/** What planInOrder must give: each item planned in place, on this thread, in order. */
function expected(items: ArchiveItem[], planner: ReturnType<typeof createPlanner>): PlannedItem[] {
  const out: PlannedItem[] = []
  for (const item of items) {
    if (item.kind === 'block') {
      for (const [line, plan] of planBlock(planner, { file: item.ref.file, firstLine: item.ref.line, bytes: item.bytes, fileStart: item.fileStart })) {
        if (!item.skip?.(line)) out.push({ ref: { file: item.ref.file, line }, plan })
      }
    } else if (item.kind === 'message') out.push({ ref: item.ref, plan: planner({ message: item.message }, `${item.ref.file}:${item.ref.line}`) })
    else out.push({ item })
  }
  return out
}

/**
 * Plans without the record objects only this thread keeps, each record's serialization as text:
 * a worker planning for --out sends its piece back as bytes in a shared buffer, not its JSON.
 */
const withoutRecords = (items: PlannedItem[]): PlannedItem[] =>
  items.map((p) =>
    p.plan?.t === 'message' ? { ref: p.ref!, plan: { ...p.plan, records: p.plan.records.map(({ record: _r, ser, ...rest }) => ({ ...rest, ser: asText(ser) })) } } : p,
  )
const asText = (ser: SerializedRecord): SerializedRecord => {
  const { outBytes, ...rest } = ser
  return { ...rest, json: jsonOf(ser), ...(outBytes || ser.out !== undefined ? { out: ser.out ?? Buffer.from(outBytes!).toString('utf8') } : {}) }
}
const plannedHere = (p: PlannedItem): boolean => p.plan?.t === 'message' && p.plan.records.length > 0 && p.plan.records.every((r) => r.record !== undefined)
const plannedElsewhere = (p: PlannedItem): boolean => p.plan?.t === 'message' && p.plan.records.length > 0 && p.plan.records.every((r) => r.record === undefined)

/** Counts the worker threads terminated (the pool's close), and whether each one's thread is gone. */
function watchTerminate(): { calls: Worker[]; restore: () => void } {
  const original = Worker.prototype.terminate
  const calls: Worker[] = []
  Worker.prototype.terminate = function (this: Worker) {
    calls.push(this)
    return original.call(this)
  }
  return { calls, restore: () => void (Worker.prototype.terminate = original) }
}

describe('replay: planInOrder (the --workers pool)', function () {
  // Each thread compiles the TypeScript sources through tsx as it starts: seconds on a busy machine.
  this.timeout(120_000)
  let presets: CompiledSubscription[]
  let settings: PlannerSettings
  let watch: ReturnType<typeof watchTerminate>

  before(async () => {
    presets = compileSubscriptions(await loadMappings())
    const where = Object.assign(compileTrigger(WHERE) as (m: Record<string, unknown>) => boolean, { fql: WHERE })
    settings = { subscriptions: presets, filters: { where, since: '2024-01-01' }, now: () => NOW, forOut: true }
  })
  beforeEach(() => {
    watch = watchTerminate()
  })
  afterEach(() => watch.restore())

  const run = async (items: AsyncIterable<ArchiveItem>, o: Partial<ParallelOptions> & { workers: number }): Promise<PlannedItem[]> => {
    const out: PlannedItem[] = []
    for await (const p of planInOrder(items, { planner: createPlanner(settings), settings: toWorkerSettings(settings), ...o })) out.push(...p)
    return out
  }

  it('1 worker and 3 threads: the same sequence — every plan at its ref, the other items in their places', async () => {
    const items = syntheticItems(12)
    const want = expected(items, createPlanner(settings))
    // The stream has a bit of everything.
    const kinds = new Set(want.map((p) => p.item?.kind ?? p.plan!.t))
    assert.deepEqual([...kinds].sort(), ['end', 'file', 'filtered', 'message', 'rejected', 'skipped', 'unreadable'])
    assert.ok(
      want.some((p) => p.plan?.t === 'rejected' && p.plan.category === 'unprocessable'),
      'absurd nesting is in the stream',
    )

    const one = await run(stream(items), { workers: 1 })
    assert.equal(watch.calls.length, 0, 'one worker: no thread')
    assert.deepEqual(one, want)

    const three = await run(stream(items), { workers: 3, batchLines: 4, inlineLines: 0 })
    // The blocks with buffers of their own moved to the threads (nothing left here), the others were copied.
    const owned = items.filter((i) => i.kind === 'block' && i.owned) as Array<Extract<ArchiveItem, { kind: 'block' }>>
    assert.ok(owned.length > 20 && owned.every((i) => i.bytes.buffer.byteLength === 0), 'owned buffers moved')
    assert.ok(
      items.every((i) => i.kind !== 'block' || i.owned || i.bytes.length > 0),
      'the others stay',
    )
    assert.ok(three.filter(plannedElsewhere).length > 50, 'planned on the threads')
    assert.equal(three.filter(plannedHere).length, 0, 'no inline start')
    assert.deepEqual(withoutRecords(three), withoutRecords(want))
    assert.equal(watch.calls.length, 3, 'the three threads are terminated at the end')
    // Settled lines (skip) are left out: none of b's lines 3, 6, 9… is there, its others are.
    const bLines = three.filter((p) => p.ref?.file === 'b.ndjson.gz').map((p) => p.ref!.line)
    assert.ok(bLines.length > 20 && bLines.every((l) => l % 3 !== 0), bLines.join(','))
  })

  it('the first inlineLines lines are planned here, the rest on the threads; a large input plans none here; a small input never starts a thread', async () => {
    const items = syntheticItems(7)
    const want = expected(items, createPlanner(settings))
    const out = await run(stream(items), { workers: 2, batchLines: 3, inlineLines: 60 })
    assert.deepEqual(withoutRecords(out), withoutRecords(want))
    const lastHere = out.findLastIndex(plannedHere)
    const firstElsewhere = out.findIndex(plannedElsewhere)
    assert.ok(lastHere >= 0 && firstElsewhere > lastHere, `${lastHere} < ${firstElsewhere}`)
    // All lines planned here are among the first 60 lines of a.ndjson.
    for (const p of out.slice(0, lastHere + 1)) if (p.ref) assert.ok(p.ref.file === 'a.ndjson' && p.ref.line <= 60 + 6, `${p.ref.file}:${p.ref.line}`)
    assert.equal(watch.calls.length, 2)

    // A large input (prestart): the threads start at once and no line is planned here.
    watch.calls.length = 0
    const large = await run(stream(syntheticItems(7)), { workers: 2, batchLines: 3, prestart: true })
    assert.deepEqual(withoutRecords(large), withoutRecords(want))
    assert.equal(large.filter(plannedHere).length, 0, 'nothing planned here')
    assert.ok(large.filter(plannedElsewhere).length > 50)
    assert.equal(watch.calls.length, 2)

    watch.calls.length = 0
    const small = await run(stream(syntheticItems(7)), { workers: 3, batchLines: 3, inlineLines: 1_000_000 })
    assert.equal(small.filter(plannedElsewhere).length, 0)
    assert.equal(watch.calls.length, 0, 'no thread started')
  })

  it('a reading error mid-stream: everything read before it comes out, in order, then the error', async () => {
    const items = syntheticItems(99)
    const want = withoutRecords(expected(items, createPlanner(settings)))
    for (const workers of [1, 3]) {
      // Each pool start costs seconds (tsx compiles the sources on each thread): one failing run with threads.
      for (const failAfter of workers === 1 ? [0, 37, items.length - 1] : [61]) {
        const error = new Error(`disk gone after ${failAfter}`)
        const out: PlannedItem[] = []
        await assert.rejects(
          async () => {
            // A fresh copy each time: blocks that moved to a thread are empty here afterwards.
            for await (const p of planInOrder(stream(syntheticItems(99), failAfter, error), {
              workers,
              planner: createPlanner(settings),
              settings: toWorkerSettings(settings),
              batchLines: 5,
              inlineLines: 0,
            }))
              out.push(...p)
          },
          (e) => e === error,
        )
        assert.deepEqual(withoutRecords(out), withoutRecords(expected(items.slice(0, failAfter), createPlanner(settings))), `workers ${workers}, fail after ${failAfter}`)
        assert.deepEqual(withoutRecords(out), want.slice(0, out.length))
      }
    }
    assert.equal(watch.calls.length, 3, 'the threads of the failed run are terminated')
  })

  it('stopping early (break) terminates the threads, and the loop returns', async () => {
    const items = syntheticItems(5)
    const want = withoutRecords(expected(items, createPlanner(settings)))
    const out: PlannedItem[] = []
    for await (const p of planInOrder(stream(items), { workers: 3, planner: createPlanner(settings), settings: toWorkerSettings(settings), batchLines: 2, inlineLines: 0 })) {
      out.push(...p)
      if (out.length >= 25) break
    }
    assert.deepEqual(withoutRecords(out), want.slice(0, out.length))
    assert.ok(out.length >= 25 && out.length < want.length, `${out.length}`)
    assert.equal(watch.calls.length, 3)
    // Terminated for real by the time the loop returns: a thread that has stopped has no id any more.
    assert.deepEqual(
      watch.calls.map((w) => w.threadId),
      [-1, -1, -1],
    )
  })
})
