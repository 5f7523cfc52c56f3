/**
 * Where a diff report goes (the I/O edge of `diff-mappings` and `migrate --verify`): the main
 * format to --out or stdout, each `--report FORMAT=FILE`, and under GitHub Actions
 * (GITHUB_ACTIONS=true) the Markdown step summary ($GITHUB_STEP_SUMMARY, under 1 MiB) and the
 * step outputs ($GITHUB_OUTPUT: verdict, counts per kind, report paths).
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import type { AgainstReport } from '../against.js'
import type { DiffReport } from '../types.js'
import { failingDiffKinds, renderDiffReport, DIFF_FORMATS, type DiffFormat, type RenderOptions } from '../present.js'
import { fitStepSummary, renderOutputs } from './github.js'
import { countsByKind } from './items.js'
import { locatorFor, type Locator } from './locate.js'
import { exitCodes, SegampError, UsageError, writeFailureText } from '../../errors.js'
import type { UnreadableInput } from './unreadable.js'
import { visible, withoutBom } from '../../text.js'
import { makeDirs } from '../../dirs.js'

export interface ReportTarget {
  format: DiffFormat
  file: string
}

/** `junit=reports/segamp.xml` → { format, file }; a bad value is a usage error. */
export function parseReportTarget(value: string): ReportTarget {
  const at = value.indexOf('=')
  const format = at > 0 ? value.slice(0, at) : ''
  const file = at > 0 ? value.slice(at + 1) : ''
  if (!(DIFF_FORMATS as readonly string[]).includes(format) || file === '') {
    throw new UsageError(
      `--report ${value}: expected FORMAT=FILE with FORMAT one of ${DIFF_FORMATS.join(', ')}`,
      'e.g. --report junit=reports/segamp.xml --report html=reports/segamp.html',
    )
  }
  return { format: format as DiffFormat, file }
}

/** A file a flag names: `--out x.json`, `--report sarif=x.sarif`. */
export interface FlagFile {
  flag: string
  file: string | undefined
}

/**
 * Writes and reads of one run, by flag: two writes to one file (`--out` and a `--report`, two
 * `--report`s), or a write over a file the run reads (`--mappings`, `--classic`), are a usage
 * error before anything is read or written. The later write used to replace the earlier, with
 * exit 0. Paths are compared resolved against `cwd`; an input `-` is stdin, no file.
 */
export function checkDistinctFiles(writes: readonly FlagFile[], reads: readonly FlagFile[] = [], cwd = process.cwd()): void {
  const written = new Map<string, string>()
  const named = (f: FlagFile): string => `${f.flag} ${f.file}`
  for (const w of writes) {
    if (!w.file) continue
    const key = resolve(cwd, w.flag === '--report' ? w.file.slice(w.file.indexOf('=') + 1) : w.file)
    const first = written.get(key)
    if (first !== undefined) {
      throw new UsageError(`${first} and ${named(w)}: the same file twice; the second write would replace the first`, {
        code: 'same-output-file',
        hint: 'Give each report a file of its own (and --out another one).',
      })
    }
    written.set(key, named(w))
  }
  for (const r of reads) {
    if (!r.file || r.file === '-') continue
    const writer = written.get(resolve(cwd, r.file))
    if (writer !== undefined) {
      throw new UsageError(`${writer} would write over ${named(r)}, which this command reads`, {
        code: 'output-over-input',
        hint: `Write it to another file; ${r.flag} stays as it is.`,
      })
    }
  }
}

/** The default report format: `github` (annotations) under GitHub Actions, else `fallback`. */
export function defaultFormat(env: NodeJS.ProcessEnv, fallback: DiffFormat): DiffFormat {
  return env.GITHUB_ACTIONS === 'true' ? 'github' : fallback
}

/** A file as GitHub names it: relative to $GITHUB_WORKSPACE (else the working directory), with `/`. */
export function repositoryPath(file: string, env: NodeJS.ProcessEnv, cwd: string): string {
  const abs = resolve(cwd, file)
  for (const root of [env.GITHUB_WORKSPACE, cwd]) {
    if (!root) continue
    const rel = relative(resolve(root), abs)
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/')
  }
  return file.split(sep).join('/')
}

export interface EmitOptions {
  report: DiffReport | AgainstReport
  failOn: string[]
  format: DiffFormat
  out?: string
  reports: ReportTarget[]
  /** The mappings or Terraform file that defines the subscriptions (findings point at its lines). */
  locationsFile?: string
  command: string
  version: string
  color: boolean
  env: NodeJS.ProcessEnv
  cwd: string
  /** Input files not read to the end: every report says so, and the verdict output is `error`. */
  unreadable?: readonly UnreadableInput[]
  /** Prints the main report when there is no --out. */
  print: (text: string) => void
}

async function loadLocator(file: string | undefined, cwd: string): Promise<Locator | undefined> {
  if (file === undefined) return undefined
  try {
    return locatorFor(file, withoutBom(await readFile(resolve(cwd, file), 'utf8')))
  } catch {
    return undefined // already read (or written) by the command; no locations rather than no report
  }
}

async function writeReport(file: string, text: string, cwd: string): Promise<void> {
  const abs = resolve(cwd, file)
  try {
    makeDirs(dirname(abs))
    await writeFile(abs, text.endsWith('\n') ? text : text + '\n')
  } catch (error) {
    // A full disk, a folder named as the file, one that cannot be created: say which report and
    // why, not Node's bare ENOSPC. Trouble (2) for both commands that write reports: 1 is a finding.
    throw new SegampError(`${visible(file)}: cannot write the report there: ${writeFailureText(error)}`, {
      code: 'write-failed',
      exitCode: exitCodes.USAGE,
      hint: 'Give --out (or --report FORMAT=FILE) a file in a folder with free space, then run the same command again.',
      cause: error,
    })
  }
}

/** Appends to a file the runner names in an environment variable; a failure names the variable. */
async function appendRunnerFile(variable: string, file: string, what: string, text: string): Promise<void> {
  try {
    await appendFile(file, text)
  } catch (error) {
    throw new SegampError(`$${variable} (${visible(file)}): cannot append ${what}: ${writeFailureText(error)}`, {
      code: 'write-failed',
      hint: `The runner sets ${variable} to a file it created; outside a runner, unset GITHUB_ACTIONS or point ${variable} at a writable file.`,
      cause: error,
    })
  }
}

/**
 * The step outputs: verdict (`error` when an input was not read to the end: the command exits 2,
 * and a later step must not read a pass), failing kinds, unreadable input files, messages, counts per kind (JSON and one each), report
 * paths (relative to the repository root, as later steps' `path:` inputs take them, whatever the
 * step's working directory).
 */
export function stepOutputs(
  report: DiffReport | AgainstReport,
  failOn: string[],
  written: readonly ReportTarget[],
  path: (file: string) => string = (f) => f,
  unreadable = 0,
): Record<string, string> {
  const failing = failingDiffKinds(report, failOn)
  const counts = countsByKind(report)
  const out: Record<string, string> = {
    verdict: unreadable > 0 ? 'error' : failing.length > 0 ? 'failed' : 'passed',
    failing: failing.join(','),
    unreadable: String(unreadable),
    messages: String(report.totals.messages),
    findings: JSON.stringify(counts),
  }
  for (const [k, n] of Object.entries(counts)) out[`findings-${k}`] = String(n)
  for (const r of written) out[`report-${r.format}`] ??= path(r.file)
  return out
}

/** Writes the report everywhere it goes; returns the files written, with their formats. */
export async function emitDiffReport(o: EmitOptions): Promise<ReportTarget[]> {
  const locator = await loadLocator(o.locationsFile, o.cwd)
  const base: RenderOptions = {
    failOn: o.failOn,
    color: o.color,
    locator,
    command: o.command,
    version: o.version,
    path: (f) => repositoryPath(f, o.env, o.cwd),
    unreadable: o.unreadable,
  }
  const written: ReportTarget[] = []
  const main = renderDiffReport(o.report, o.format, base)
  if (o.out) {
    await writeReport(o.out, main, o.cwd)
    written.push({ format: o.format, file: o.out })
  } else o.print(main.trimEnd())
  for (const r of o.reports) {
    await writeReport(r.file, renderDiffReport(o.report, r.format, { ...base, color: false }), o.cwd)
    written.push(r)
  }
  if (o.env.GITHUB_ACTIONS === 'true') {
    // The outputs first: the verdict a later step reads matters more than the summary.
    if (o.env.GITHUB_OUTPUT)
      await appendRunnerFile(
        'GITHUB_OUTPUT',
        o.env.GITHUB_OUTPUT,
        'the step outputs',
        renderOutputs(stepOutputs(o.report, o.failOn, written, base.path, o.unreadable?.length ?? 0)),
      )
    if (o.env.GITHUB_STEP_SUMMARY) {
      const summary = fitStepSummary((maxChars) => renderDiffReport(o.report, 'markdown', { ...base, maxChars }))
      await appendRunnerFile('GITHUB_STEP_SUMMARY', o.env.GITHUB_STEP_SUMMARY, 'the job summary', summary.endsWith('\n') ? summary : summary + '\n')
    }
  }
  return written
}
