/**
 * Progress on stderr: listr2 on a TTY, plain periodic lines otherwise (when asked for), nothing
 * when silent (--json, --format json, --no-progress). Never writes to stdout.
 */

export type ProgressMode = 'tty' | 'plain' | 'silent'

export interface ProgressHandle {
  /** Replace the progress line (cheap: rendering is throttled). */
  update(text: string): void
}

export function progressMode(opts: { quiet: boolean; plainWhenNotTty?: boolean }): ProgressMode {
  if (opts.quiet) return 'silent'
  if (process.stderr.isTTY) return 'tty'
  return opts.plainWhenNotTty ? 'plain' : 'silent'
}

export async function withProgress<T>(mode: ProgressMode, title: string, work: (progress: ProgressHandle) => Promise<T>, plainEveryMs = 5000): Promise<T> {
  if (mode === 'silent') return work({ update() {} })
  if (mode === 'plain') {
    let last = 0
    let latest = ''
    const handle = {
      update(text: string) {
        latest = text
        const now = Date.now()
        if (now - last >= plainEveryMs) {
          last = now
          process.stderr.write(`${title}: ${text}\n`)
        }
      },
    }
    const result = await work(handle)
    if (latest) process.stderr.write(`${title}: ${latest}\n`)
    return result
  }
  let result!: T
  // listr2 is loaded only for a progress display on a terminal.
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2')
  const listr = new Listr(
    [
      {
        title,
        task: async (_ctx, task) => {
          result = await work({
            update(text) {
              task.output = text
            },
          })
        },
        rendererOptions: { persistentOutput: true, outputBar: 1 },
      },
    ],
    {
      concurrent: false,
      exitOnError: true,
      registerSignalListeners: false,
      rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
    },
  )
  await listr.run()
  return result
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
