/**
 * A planner compiled from plain settings (`WorkerSettings`, see workers.ts) on another thread:
 * the subscriptions and `--where` are compiled there, the clock is the run's value read once
 * (the planning pool's threads, worker.ts, and a TaskPool thread that plans lines itself).
 */
import { compileSubscriptions } from '../segment/subscriptions/index.js'
import { compileTrigger } from '../segment/fql/index.js'
import { createPlanner, type Planner } from './plan.js'
import type { WorkerSettings } from './workers.js'

export function compileWorkerPlanner(settings: WorkerSettings): Planner {
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
  return createPlanner({
    ...plain,
    subscriptions,
    filters: { ...filters, ...(where !== undefined ? { where: compileTrigger(where) } : {}) },
    now: nowValue !== undefined ? () => nowValue : undefined,
    keepRecords: keepRecords === true,
  })
}
