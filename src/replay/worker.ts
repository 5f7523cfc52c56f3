/**
 * A `--workers` thread: compiles the run's subscriptions and filters from plain settings (see
 * workers.ts), then plans each batch of lines it is sent (decode → route → map → serialize) and
 * answers with the plans, in the batch's order. It reads no file and writes no state.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { compileSubscriptions } from '../mapping/subscriptions.js'
import { compileTrigger } from '../mapping/fql/index.js'
import { createPlanner, unprocessable, type LinePlan } from './plan.js'
import { planUnit, type Unit, type UnitResult, type WorkerSettings } from './workers.js'

const settings = workerData as WorkerSettings
const subscriptions = settings.subscriptions.flatMap(({ spec, settings: actionSettings }) =>
  compileSubscriptions({ source: '', subscriptions: [spec], skipped: [], warnings: [], notes: [] }, actionSettings),
)
const { where, ...filters } = settings.filters
const nowValue = settings.nowValue
const planner = createPlanner({
  subscriptions,
  filters: { ...filters, ...(where !== undefined ? { where: compileTrigger(where) } : {}) },
  shard: settings.shard,
  now: nowValue !== undefined ? () => nowValue : undefined,
  useBatchEndpoint: settings.useBatchEndpoint,
  skipUserPropertiesSync: settings.skipUserPropertiesSync,
  forOut: settings.forOut,
  keepRecords: false,
})

parentPort!.on('message', (job: { id: number; units: Unit[] }) => {
  let results: UnitResult[]
  try {
    results = job.units.map((unit) => planUnit(planner, unit))
    // A dry run's --out needs only each record's `out` piece: the JSON stays here (half the copying).
    if (settings.forOut) for (const r of results) for (const plan of Array.isArray(r) ? r.map(([, p]) => p) : [r]) if (plan.t === 'message') for (const rec of plan.records) rec.ser.json = ''
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) })
    return
  }
  try {
    parentPort!.postMessage({ id: job.id, results })
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
    parentPort!.postMessage({ id: job.id, results: results.map((r) => (Array.isArray(r) ? r.map(([line, p]) => [line, safe(p)]) : safe(r))) })
  }
})
