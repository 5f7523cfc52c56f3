/**
 * A `--workers` thread: compiles the run's subscriptions and filters from plain settings (see
 * workers.ts), then plans each batch of lines it is sent (decode → route → map → serialize) and
 * answers with the plans, in the batch's order, encoded compactly (plan-codec.ts) unless the run
 * keeps record objects or messages in its plans. It reads no file and writes no state.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { compileSubscriptions } from '../segment/subscriptions/index.js'
import { compileTrigger } from '../segment/fql/index.js'
import { createPlanner, planBlockEach, unprocessable, type LinePlan } from './plan.js'
import { PlanWriter, type EncodedPlans } from './plan-codec.js'
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
/** Plans holding record objects or messages (diff-mappings, inspect) go back structured-cloned. */
const compact = keepRecords !== true && settings.keepMessage !== true && settings.serialize !== false

parentPort!.on('message', (job: { id: number; units: Unit[] }) => {
  let results: UnitResult[] = []
  let encoded: EncodedPlans | undefined
  try {
    if (compact) encoded = planEncoded(job.units)
    else results = job.units.map((unit) => planUnit(planner, unit))
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) })
    return
  }
  try {
    post(job.id, results, encoded)
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
    if (encoded) post(job.id, results, { ...encoded, rare: encoded.rare.map(safe) })
    else
      post(
        job.id,
        results.map((r) => (Array.isArray(r) ? r.map(([line, p]) => [line, safe(p)] as [number, LinePlan]) : safe(r))),
      )
  }
})

/** --out bytes of the last batch: the next batch's buffer starts about that large. */
let lastOutBytes = 0

/** Plans a job's units, each line's plan encoded as soon as it is made (see plan-codec.ts). */
function planEncoded(units: Unit[]): EncodedPlans {
  const w = new PlanWriter(settings.forOut === true, lastOutBytes)
  for (const unit of units) {
    if (unit.block)
      planBlockEach(
        planner,
        unit.block,
        (count) => w.block(count),
        (line, plan) => w.entry(line, plan),
      )
    else w.plan(planner({ message: unit.message }, unit.where))
  }
  lastOutBytes = w.outBytes
  return w.finish()
}

function post(id: number, results: UnitResult[], encoded?: EncodedPlans): void {
  if (!encoded) parentPort!.postMessage({ id, results })
  else parentPort!.postMessage({ id, encoded }, encoded.out ? [encoded.nums, encoded.out] : [encoded.nums])
}
