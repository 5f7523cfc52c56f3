/** A TaskPool thread for test/pipeline/tasks.test.ts: echoes a job, or throws what the job asks for. */
import { serveTasks } from '../../src/pipeline/tasks.js'
import { UsageError } from '../../src/errors.js'

const init = serveTasks<{ tag: string }>((job: { echo?: unknown; usage?: string; plain?: string }) => {
  if (job.usage !== undefined) throw new UsageError(job.usage, { code: 'test-usage', hint: 'do this instead' })
  if (job.plain !== undefined) throw new Error(job.plain)
  return { echo: job.echo, tag: init.tag, index: init.index }
})
