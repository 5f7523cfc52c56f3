/**
 * A pool of worker threads of the same kind as `--workers`' planning pool (workers.ts), for a
 * service's own jobs: each thread loads one module (`serveTasks` in it answers the jobs) and
 * runs one job at a time; `TaskPool.run` sends a job to the thread with the fewest jobs out.
 * What crosses is plain data (structured clone): callers send compact jobs and results (file
 * names, counts, a few examples), never big object graphs, or the crossing costs what the
 * work saves. A thread's SegampError comes back with its message, hint, code and exit code.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads'
import { SegampError } from '../errors.js'

type Reply = { id: number; result: unknown } | { id: number; error: { message: string; name?: string; hint?: string; code?: string; exitCode?: number } }

interface Slot {
  worker: Worker
  waiting: Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>
}

export class TaskPool {
  private readonly slots: Slot[] = []
  private nextId = 0
  private failed?: Error

  /**
   * `count` threads, each loading `module` (a .js file, or a .ts one when running from source:
   * the thread registers tsx first). Thread `i` gets `{ ...init, index: i }` as its workerData.
   */
  constructor(module: URL, count: number, init: Record<string, unknown>) {
    for (let index = 0; index < count; index++) {
      // A young generation larger than the default: jobs allocate much and keep little (measured: about 20 % less CPU).
      const options = { workerData: { ...init, index }, resourceLimits: { maxYoungGenerationSizeMb: 64 } }
      const worker = module.href.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(module.href)}) })`, { eval: true, ...options })
        : new Worker(module, options)
      const slot: Slot = { worker, waiting: new Map() }
      worker.on('message', (reply: Reply) => {
        const w = slot.waiting.get(reply.id)
        if (!w) return
        slot.waiting.delete(reply.id)
        if (slot.waiting.size === 0) worker.unref()
        if ('error' in reply) w.reject(revive(reply.error))
        else w.resolve(reply.result)
      })
      const fail = (error: Error): void => {
        this.failed ??= error
        for (const w of slot.waiting.values()) w.reject(error)
        slot.waiting.clear()
      }
      worker.on('error', fail)
      worker.on('exit', (code) => {
        if (slot.waiting.size > 0) fail(new Error(`a worker thread stopped (exit code ${code}) with work unfinished`))
      })
      worker.unref()
      this.slots.push(slot)
    }
  }

  get size(): number {
    return this.slots.length
  }

  /** Runs `job` on the thread with the fewest jobs out. */
  run<R>(job: unknown): Promise<R> {
    if (this.failed) return Promise.reject(this.failed)
    const slot = this.slots.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a))
    const id = this.nextId++
    const promise = new Promise<unknown>((resolve, reject) => slot.waiting.set(id, { resolve, reject }))
    slot.worker.postMessage({ id, job })
    slot.worker.ref()
    return promise as Promise<R>
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}

function revive(e: { message: string; name?: string; hint?: string; code?: string; exitCode?: number }): Error {
  if (e.code === undefined) return new Error(`worker thread: ${e.message}`)
  const error = new SegampError(e.message, { hint: e.hint, code: e.code, exitCode: e.exitCode })
  if (e.name !== undefined) error.name = e.name
  return error
}

/**
 * In a TaskPool thread: answers each job with `handle(job)`, one job at a time, in the order
 * they come. Returns the thread's workerData (what the pool was given, plus `index`).
 */
export function serveTasks<T extends Record<string, unknown>>(handle: (job: never) => unknown): T & { index: number } {
  let chain = Promise.resolve()
  parentPort!.on('message', ({ id, job }: { id: number; job: never }) => {
    chain = chain.then(async () => {
      try {
        parentPort!.postMessage({ id, result: await handle(job) })
      } catch (error) {
        const e = error as Partial<SegampError> & { message?: string }
        const plain = { message: e?.message ?? String(error), name: e?.name }
        parentPort!.postMessage({ id, error: error instanceof SegampError ? { ...plain, hint: e.hint, code: e.code, exitCode: e.exitCode } : plain })
      }
    })
  })
  return workerData as T & { index: number }
}
