/**
 * A `--workers` thread: compiles the run's subscriptions and filters from plain settings (see
 * workers.ts), then plans each batch of lines it is sent (decode → route → map → serialize) and
 * answers with the plans, in the batch's order. It reads no file and writes no state.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { compileSubscriptions } from '../segment/subscriptions/index.js'
import { compileTrigger } from '../segment/fql/index.js'
import { createPlanner, unprocessable, type LinePlan, type SerializedPlannedRecord } from './plan.js'
import { planUnit, type Unit, type UnitResult, type WorkerSettings } from './workers.js'

const settings = workerData as WorkerSettings
const subscriptions = settings.subscriptions.flatMap(({ spec, settings: actionSettings }) =>
  compileSubscriptions({ source: '', subscriptions: [spec], skipped: [], warnings: [], notes: [] }, actionSettings),
)
const {
  subscriptions: _specs,
  filters: { where, ...filters },
  nowValue,
  keepRecords,
  ...plain
} = settings
const planner = createPlanner({
  ...plain,
  subscriptions,
  filters: { ...filters, ...(where !== undefined ? { where: compileTrigger(where) } : {}) },
  now: nowValue !== undefined ? () => nowValue : undefined,
  keepRecords: keepRecords === true,
})

parentPort!.on('message', (job: { id: number; units: Unit[] }) => {
  let results: UnitResult[]
  let outBytes: ArrayBuffer | undefined
  try {
    results = job.units.map((unit) => planUnit(planner, unit))
    if (settings.forOut) outBytes = encodeOuts(results)
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) })
    return
  }
  try {
    parentPort!.postMessage({ id: job.id, results, outBytes }, outBytes ? [outBytes] : [])
  } catch {
    // A plan cannot be cloned back (a message nested too deeply, kept for its dead letter): that
    // line becomes unprocessable, the others go back as they are.
    const safe = (p: LinePlan): LinePlan => {
      try {
        structuredClone(p)
        return p
      } catch (error) {
        return { t: 'rejected', category: 'unprocessable', reason: unprocessable(error), text: '', message: true }
      }
    }
    parentPort!.postMessage({ id: job.id, results: results.map((r) => (Array.isArray(r) ? r.map(([line, p]) => [line, safe(p)]) : safe(r))), outBytes }, outBytes ? [outBytes] : [])
  }
})

/**
 * A dry run's --out needs only each record's `out` piece, as UTF-8: all of a batch's pieces are
 * written into one buffer that moves to the main thread without copying (`ser.outAt` says where
 * each piece is); the JSON text and the piece's string stay here.
 */
function encodeOuts(results: UnitResult[]): ArrayBuffer {
  const sers = []
  let total = 0
  for (const r of results) {
    for (const plan of Array.isArray(r) ? r.map(([, p]) => p) : [r]) {
      if (plan.t !== 'message') continue
      // With --out the planner serializes every record.
      for (const { ser } of plan.records as SerializedPlannedRecord[]) {
        total += Buffer.byteLength(ser.out!)
        sers.push(ser)
      }
    }
  }
  const buffer = Buffer.allocUnsafeSlow(total)
  let at = 0
  for (const ser of sers) {
    const n = buffer.write(ser.out!, at)
    ser.outAt = [at, n]
    at += n
    ser.out = undefined
    ser.json = ''
  }
  return buffer.buffer as ArrayBuffer
}
