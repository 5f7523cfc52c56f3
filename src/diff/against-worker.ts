/**
 * A TaskPool thread of `diff-mappings --against` (src/diff/against-service.ts): compiles the
 * run's planner and Classic emulation from plain settings, then runs the jobs it is sent
 * (src/diff/against-tasks.ts). Each thread writes only its own files of the work directory.
 */
import { compileWorkerPlanner, serveTasks, type WorkerSettings } from '../pipeline/index.js'
import { compileClassic, type ClassicMode } from '../segment/classic/index.js'
import { runJob, type Job, type TaskContext } from './against-tasks.js'

/** What the service gives each thread (plain data). */
export interface AgainstThreadInit extends Omit<TaskContext, 'writer' | 'planner' | 'classic' | 'files'> {
  [key: string]: unknown
  planner: WorkerSettings
  classicSettings: unknown
  classicMode: ClassicMode
}

let ctx: TaskContext | undefined
const init = serveTasks<AgainstThreadInit>((job: Job) => runJob((ctx ??= context()), job))

function context(): TaskContext {
  const { planner, classicSettings, classicMode, index, ...plain } = init
  return { ...plain, writer: `w${index}`, planner: compileWorkerPlanner(planner), classic: compileClassic(classicSettings, { mode: classicMode }) }
}
