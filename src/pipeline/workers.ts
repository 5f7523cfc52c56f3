/**
 * `--workers N`: decode, route and map on N worker threads, results back in archive order.
 *
 * The reader (on this thread) cuts its items into batches of lines; each batch goes to the worker
 * with the least work, and the batches' plans come back here in the order the lines were read,
 * whatever order the workers finish in. Everything after planning (duplicate counting, the ledger,
 * request packing, delivery, the checkpoint) therefore sees exactly the sequence a single thread
 * sees: the same requests, in the same order, for any worker count, and resume works unchanged.
 *
 * What crosses threads is kept cheap, since on a machine with few cores it is what `--workers`
 * costs over one thread: the blocks' bytes move to the thread (not copied), and a batch's plans
 * come back in the compact form of plan-codec.ts (numbers and the `--out` bytes in transferred
 * buffers, ids and keys as one string, a live run's JSON as strings of their own) and are decoded here
 * a block of lines at a time, as the engine asks for them, so they die young instead of being
 * promoted while their batch waits its turn; only rarer shapes are structured-cloned.
 *
 * Memory stays bounded: at most `2 × N` batches are out at a time, and reading waits for the
 * oldest one. Small inputs never start a thread: the first `inlineLines` lines are planned here,
 * and the workers start only if the input goes on past them. A large input (`prestart`) starts
 * them at once and plans nothing here.
 */
import { Worker } from 'node:worker_threads'
import type { ArchiveItem } from './decode/index.js'
import type { SubscriptionSpec } from '../segment/subscriptions/index.js'
import type { ActionSettings } from '../segment/actions-amplitude/index.js'
import type { SegmentMessage, SourceRef } from '../types.js'
import { planBlock, type BlockInput, type LinePlan, type Planner, type PlannerSettings } from './plan.js'
import { PlanReader, type EncodedPlans, type GroupCache } from './plan-codec.js'

/**
 * What a worker compiles its planner from (plain data: functions cannot cross threads): the
 * planner's settings as they are, with the subscriptions, `--where` and the clock as data.
 */
export type WorkerSettings = Omit<PlannerSettings, 'subscriptions' | 'filters' | 'now' | 'keepRecords' | 'recordsFromThreads'> & {
  subscriptions: Array<{ spec: SubscriptionSpec; settings: ActionSettings }>
  filters: { since?: string; until?: string; types?: string[]; where?: string; ignoreIntegrations?: boolean }
  /** A fixed clock value (the run's `now`, read once), else the worker uses Date.now. */
  nowValue?: number
  /** Send record objects back too (not only their JSON). */
  keepRecords?: boolean
}

/** An item the engine applies: a planned line, or another archive item (file start or end, a rejection the reader made, …). */
export type PlannedItem = { ref: SourceRef; plan: LinePlan; item?: undefined } | { item: Exclude<ArchiveItem, { kind: 'block' | 'message' }>; ref?: undefined; plan?: undefined }

export interface ParallelOptions {
  workers: number
  /** Plans lines on this thread (always: for small inputs, and when a batch cannot be posted). */
  planner: Planner
  /** Absent when the run's settings cannot be sent to a thread (then everything is planned here). */
  settings?: WorkerSettings
  /** Lines per batch (default 512). */
  batchLines?: number
  /** Lines planned on this thread before any worker starts (default 4096; 0 with `prestart`). */
  inlineLines?: number
  /**
   * Start the threads at once (a large input), and plan no line here: the threads would take over
   * after a few thousand lines anyway, and planning them here cost this thread's heap and compiler
   * the warm-up of the whole planner (about 0.3 CPU-s of 100k messages' 4.5 measured, 2026-12-07).
   */
  prestart?: boolean
}

const DEFAULT_BATCH_LINES = 512
const DEFAULT_INLINE_LINES = 4096

/** What a worker plans: a block of undecoded lines, or a message decoded already (a CSV row). */
export type Unit = { block: BlockInput; message?: undefined } | { message: SegmentMessage; where: string; block?: undefined }
/** A unit's plans: a block's `[line, plan]` pairs, or a message's plan. */
export type UnitResult = Array<[number, LinePlan]> | LinePlan

/** A batch's plans: as planned (on this thread, or cloned back), or encoded by a worker (plan-codec.ts). */
type BatchResults = UnitResult[] | EncodedPlans

interface Batch {
  /** Archive items in order; `unit` indexes into `units` for blocks and messages. */
  items: Array<{ item: ArchiveItem; unit?: number }>
  units: Unit[]
  /** The blocks' buffers that move to the worker instead of being copied (`owned` blocks). */
  transfer: ArrayBuffer[]
  lines: number
  results?: Promise<BatchResults>
}

type Reply = { id: number; results: UnitResult[] } | { id: number; encoded: EncodedPlans } | { id: number; error: string }
type Waiting = { resolve: (r: BatchResults) => void; reject: (e: Error) => void; size: number }

export function planUnit(planner: Planner, unit: Unit): UnitResult {
  return unit.block ? planBlock(planner, unit.block) : planner({ message: unit.message }, unit.where)
}

class Pool {
  private readonly workers: Array<{ worker: Worker; load: number; waiting: Map<number, Waiting> }> = []
  private nextId = 0
  private failed?: Error

  constructor(count: number, settings: WorkerSettings) {
    const here = import.meta.url
    for (let i = 0; i < count; i++) {
      const worker = here.endsWith('.ts')
        ? // From source (the tests run TypeScript through tsx): the thread registers tsx first.
          new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./worker.ts', here).href)}) })`, {
            eval: true,
            workerData: settings,
          })
        : new Worker(new URL('./worker.js', here), { workerData: settings })
      const slot = { worker, load: 0, waiting: new Map<number, Waiting>() }
      worker.on('message', (reply: Reply) => {
        const w = slot.waiting.get(reply.id)
        if (!w) return
        slot.waiting.delete(reply.id)
        slot.load -= w.size
        if (slot.waiting.size === 0) worker.unref()
        if ('error' in reply) w.reject(new Error(`worker thread: ${reply.error}`))
        else w.resolve('encoded' in reply ? reply.encoded : reply.results)
      })
      const fail = (error: Error): void => {
        this.failed ??= error
        for (const w of slot.waiting.values()) w.reject(error)
        slot.waiting.clear()
      }
      worker.on('error', fail)
      worker.on('exit', (code) => {
        if (slot.waiting.size > 0) fail(new Error(`a worker thread stopped (exit code ${code}) with lines unplanned`))
      })
      // An idle worker must not keep the process alive; one with lines to plan must.
      worker.unref()
      this.workers.push(slot)
    }
  }

  /** Plans units on the least loaded worker; undefined when they cannot be posted. */
  plan(units: Unit[], size: number, transfer: ArrayBuffer[] = []): Promise<BatchResults> | undefined {
    if (this.failed) return Promise.reject(this.failed)
    const slot = this.workers.reduce((a, b) => (b.load < a.load ? b : a))
    const id = this.nextId++
    const promise = new Promise<BatchResults>((resolve, reject) => slot.waiting.set(id, { resolve, reject, size }))
    try {
      slot.worker.postMessage({ id, units }, transfer)
    } catch {
      // A message nested beyond what structured cloning takes: planned on this thread instead (a
      // message that fails to post moves none of its buffers).
      slot.waiting.delete(id)
      return undefined
    }
    slot.load += size
    slot.worker.ref()
    return promise
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()))
  }
}

/**
 * The archive's lines, planned, in archive order, with the other items (file starts and ends,
 * rejections the reader made, unreadable files) in their place: an array per item the reader
 * gave (a block's lines together), so the engine pays one asynchronous step per block, not per line.
 */
export async function* planInOrder(items: AsyncIterable<ArchiveItem>, o: ParallelOptions): AsyncGenerator<PlannedItem[]> {
  const batchLines = Math.max(1, o.batchLines ?? DEFAULT_BATCH_LINES)
  const inlineLines = o.inlineLines ?? (o.prestart ? 0 : DEFAULT_INLINE_LINES)
  const parallel = o.workers > 1 && o.settings !== undefined
  let pool: Pool | undefined = parallel && o.prestart ? new Pool(o.workers, o.settings!) : undefined
  let planned = 0
  const queue: Batch[] = []
  let batch: Batch = newBatch()
  // The request groups of decoded plans, shared for the whole run.
  const groups: GroupCache = new Map()

  const dispatch = (): void => {
    const b = batch
    batch = newBatch()
    if (b.items.length === 0) return
    if (b.units.length > 0) {
      pool ??= new Pool(o.workers, o.settings!)
      b.results = pool.plan(b.units, b.lines, b.transfer) ?? Promise.resolve(b.units.map((u) => planUnit(o.planner, u)))
      // Awaited in order later; a run stopped early must not leave an unhandled rejection behind.
      b.results.catch(() => undefined)
    }
    queue.push(b)
  }
  async function* emit(b: Batch): AsyncGenerator<PlannedItem[]> {
    const results = b.results ? await b.results : []
    // Encoded plans are decoded a block at a time, as the engine asks for them, in order (the units are in item order).
    const reader = Array.isArray(results) ? undefined : new PlanReader(results, groups)
    for (const { item, unit } of b.items) {
      if (unit === undefined) yield [{ item: item as Exclude<ArchiveItem, { kind: 'block' | 'message' }> }]
      else {
        const planned = reader ? readerItems(item, reader) : unitItems(item, (results as UnitResult[])[unit])
        if (planned.length > 0) yield planned
      }
    }
  }

  let readError: unknown
  try {
    try {
      for await (const item of items) {
        const unit = toUnit(item)
        if (!parallel || (planned < inlineLines && queue.length === 0 && batch.items.length === 0)) {
          // On this thread: a single-thread run, or the start of an input that may stay small.
          if (unit) {
            planned += item.kind === 'block' ? item.count : 1
            const here = unitItems(item, planUnit(o.planner, unit))
            if (here.length > 0) yield here
          } else yield [{ item: item as Exclude<ArchiveItem, { kind: 'block' | 'message' }> }]
          continue
        }
        if (unit) {
          const lines = item.kind === 'block' ? item.count : 1
          batch.items.push({ item, unit: batch.units.length })
          batch.units.push(unit)
          if (item.kind === 'block' && item.owned) batch.transfer.push(item.bytes.buffer as ArrayBuffer)
          batch.lines += lines
          planned += lines
        } else batch.items.push({ item })
        if (batch.lines >= batchLines) {
          dispatch()
          // Reading waits for the oldest batch once 2 × N are out: memory stays bounded.
          while (queue.length >= 2 * o.workers) yield* emit(queue.shift()!)
        }
      }
    } catch (error) {
      // Reading stopped: what was read still goes out (and settles) before the error does.
      readError = error
    }
    dispatch()
    while (queue.length > 0) yield* emit(queue.shift()!)
    if (readError !== undefined) throw readError
  } finally {
    await pool?.close()
  }
}

function toUnit(item: ArchiveItem): Unit | undefined {
  if (item.kind === 'block') return { block: { file: item.ref.file, firstLine: item.ref.line, bytes: item.bytes, fileStart: item.fileStart } }
  if (item.kind === 'message') return { message: item.message, where: `${item.ref.file}:${item.ref.line}` }
  return undefined
}

function unitItems(item: ArchiveItem, result: UnitResult): PlannedItem[] {
  if (item.kind === 'message') return [{ ref: item.ref, plan: result as LinePlan }]
  const out: PlannedItem[] = []
  if (item.kind !== 'block') return out
  const file = item.ref.file
  for (const [line, plan] of result as Array<[number, LinePlan]>) {
    if (item.skip?.(line)) continue
    out.push({ ref: { file, line }, plan })
  }
  return out
}

/** A unit's items from an encoded batch, decoded as the unit is asked for (every line read, a skipped one too). */
function readerItems(item: ArchiveItem, reader: PlanReader): PlannedItem[] {
  if (item.kind === 'message') return [{ ref: item.ref, plan: reader.plan() }]
  const out: PlannedItem[] = []
  if (item.kind !== 'block') return out
  const file = item.ref.file
  for (const [line, plan] of reader.block()) {
    if (item.skip?.(line)) continue
    out.push({ ref: { file, line }, plan })
  }
  return out
}

function newBatch(): Batch {
  return { items: [], units: [], transfer: [], lines: 0 }
}

/**
 * The planner's settings as plain data for worker threads, or undefined when something in them
 * exists only as code here (a hand-built subscription, a `--where` given as a function).
 */
export function toWorkerSettings(p: PlannerSettings): WorkerSettings | undefined {
  if (!p.subscriptions.every((s) => s.spec && s.settings)) return undefined
  const where = p.filters?.where as (((m: Record<string, unknown>) => boolean) & { fql?: string }) | undefined
  if (where && typeof where.fql !== 'string') return undefined
  const { where: _where, ...filters } = p.filters ?? {}
  const { subscriptions, filters: _filters, now, keepRecords: _keep, recordsFromThreads, ...plain } = p
  return {
    ...plain,
    subscriptions: subscriptions.map((s) => ({ spec: s.spec, settings: s.settings })),
    filters: { ...filters, ...(where ? { where: where.fql } : {}) },
    nowValue: now ? now() : undefined,
    ...(recordsFromThreads ? { keepRecords: true } : {}),
  }
}
