import { visible } from '../cli/terminal.js'
import { Args, Flags } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { writeFile } from 'node:fs/promises'
import { parseTypes } from '../route/filters.js'
import { readingFlags, mappingsFlag, s3Flags } from '../cli/flags.js'
import { InputProgress, s3Settings } from '../cli/s3-input.js'
import { exitCodes, failUsage, loadSubscriptionsForCli, whereFilter } from '../cli/common.js'
import { readClassicFile, readRenameMapFile } from '../cli/classic-input.js'
import { formatBytes, formatCount, progressMode, withProgress } from '../cli/progress.js'
import { compareArchives } from '../diff/service.js'
import { failingKinds, parseFailOn, renderJson, renderMarkdown, renderTable } from '../diff/index.js'
import { UsageError } from '../route/filters.js'
import { compareAgainstExport } from '../diff/against-service.js'
import { AGAINST_KINDS } from '../diff/against.js'
import { againstFailing, renderAgainstMarkdown, renderAgainstTable } from '../diff/against-render.js'

/** The flags the --against run reads. */
interface AgainstFlags {
  against?: string[]
  since?: string
  until?: string
  'ignore-integrations-flags': boolean
  'classic-mode': string
  mappings?: string
  examples: number
  format: string
  out?: string
}

export default class DiffMappings extends SegampCommand {
  static summary = 'Compare what Amplitude (Classic) sent with what the Actions mappings send, message by message.'
  static description = `Runs every archived message through the Classic emulation (--classic settings, --classic-mode) and through the Actions mappings (--mappings, default: the Quick Setup presets), pairs the records per message and reports findings: same, renamed (Viewed Home Page → Viewed Home), dropped, added, duplicated (e.g. Order Completed sent by both Log Event and Log Purchase), properties (by JSON path) and revenue.

The report's "model" lists the Classic settings used and every assumption the emulation makes where Segment's behaviour is not documented.

--against EXPORT (a zip, a folder or files written by segamp export) compares with what Amplitude actually holds instead of the emulation: stored events are paired with archived messages by $insert_id, else by user/device id + event time; findings gain only-in-amplitude and only-in-archive, and the report says how well the emulation agreed with the stored events.

EXIT CODES (like diff)
  0  no finding of a --fail-on kind
  1  at least one finding of a --fail-on kind
  2  trouble: bad flags, unreadable settings, mappings or rename map, no message read at all, an s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials)`
  static examples = [
    '<%= config.bin %> diff-mappings examples/segment-logs --classic examples/classic-settings.json',
    '<%= config.bin %> diff-mappings s3-export/ --classic classic.json --mappings actions.json --rename-map renames.csv --format markdown --fail-on renamed,dropped,duplicated',
    '<%= config.bin %> diff-mappings s3-export/ --against amplitude-export/ --fail-on renamed,dropped,only-in-archive',
  ]
  static args = { archive: Args.string({ description: 'Archive files or directories, s3://bucket/prefix; - for stdin.', required: true }) }
  static strict = false
  static flags = {
    classic: Flags.string({ description: 'Classic destination settings: the settings object or a Segment Public API destination response. Default: catalog defaults.', helpValue: 'FILE' }),
    'classic-mode': Flags.string({ options: ['cloud', 'web'], default: 'cloud', description: 'cloud: what the server-side Classic destination sent; web: analytics.js device-mode naming.' }),
    ...mappingsFlag,
    'rename-map': Flags.string({ description: 'CSV with columns classic,actions: renames to treat as expected.', helpValue: 'FILE.csv' }),
    format: Flags.string({ options: ['table', 'json', 'markdown'], default: 'table', description: 'Report format.' }),
    out: Flags.string({ description: 'Write the report to FILE instead of stdout.', helpValue: 'FILE' }),
    examples: Flags.integer({ description: 'Examples kept per finding.', default: 3, min: 0 }),
    'fail-on': Flags.string({ description: 'Exit 1 when any finding of these kinds exists: renamed,dropped,added,duplicated,properties,revenue (with --against also only-in-amplitude,only-in-archive).', helpValue: 'LIST' }),
    against: Flags.string({ description: 'Compare with what Amplitude holds: an Export API zip, a folder or files from segamp export (repeatable). The Classic emulation is then only measured, not compared.', helpValue: 'EXPORT', multiple: true }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...readingFlags,
    ...s3Flags,
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(DiffMappings)
    const setup = await failUsage(this, async () => {
      let failOn: string[]
      const against = (flags.against ?? []).length > 0
      const requested = (flags['fail-on'] ?? '').split(',').map((k) => k.trim()).filter(Boolean)
      const extra = requested.filter((k) => (AGAINST_KINDS as readonly string[]).includes(k))
      if (extra.length > 0 && !against) throw new UsageError(`--fail-on ${extra.join(',')}: only with --against EXPORT`)
      try {
        failOn = flags['fail-on'] ? [...parseFailOn(requested.filter((k) => !extra.includes(k))), ...extra] : []
      } catch (error) {
        throw new UsageError((error as Error).message.replace(/\)$/, against ? `, ${AGAINST_KINDS.join(', ')})` : ')'))
      }
      return {
        failOn,
        classic: await readClassicFile(flags.classic),
        renameMap: await readRenameMapFile(flags['rename-map']),
        subs: await loadSubscriptionsForCli(flags.mappings, (w) => this.warn(w)),
        types: parseTypes(flags.types),
        where: whereFilter(flags.where, (w) => this.warn(w)),
        s3: s3Settings(flags, argv as string[]),
      }
    })
    const input = new InputProgress(argv as string[])
    const mode = progressMode({ quiet: flags['no-progress'] || (flags.format !== 'table' && !flags.out) })
    if ((flags.against ?? []).length > 0) {
      await this.runAgainst(argv as string[], flags, setup, mode)
      return
    }
    const { report, counts } = await failUsage(
      this,
      () =>
        withProgress(mode, 'Comparing Classic and Actions', (progress) => {
          input.attach(progress)
          return compareArchives({
            inputs: argv as string[],
            archive: input.options(setup.s3),
            filters: { since: flags.since, until: flags.until, types: setup.types, where: setup.where, ignoreIntegrations: flags['ignore-integrations-flags'] },
            classicSettings: setup.classic,
            classicMode: flags['classic-mode'] as 'cloud' | 'web',
            subscriptions: setup.subs,
            mappingsSource: flags.mappings ?? 'presets',
            renameMap: setup.renameMap,
            examples: flags.examples,
            onProgress: (p) => progress.update(`${input.prefix()}${formatCount(p.messages)} messages, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`),
            onUnprocessable: (ref, reason) => this.warn(`${ref.file}:${ref.line}: not compared: ${reason}`),
          })
        }),
      exitCodes.USAGE,
      exitCodes.USAGE,
    )
    if (report.totals.messages === 0) {
      for (const f of counts.unreadableFiles) this.logToStderr(`unreadable: ${visible(f.file)}: ${visible(f.reason)}`)
      this.error(`nothing to compare: no message was read from ${(argv as string[]).join(' ')} (${formatCount(counts.messages)} parsed, ${formatCount(counts.unreadableFiles.length)} unreadable file(s), ${formatCount(Object.values(counts.filtered).reduce((a, b) => a + b, 0))} filtered); check the paths and filters`, { exit: exitCodes.USAGE })
    }
    const text =
      flags.format === 'json'
        ? renderJson(report)
        : flags.format === 'markdown'
          ? renderMarkdown(report, { failOn: setup.failOn })
          : renderTable(report, { color: !flags.out && Boolean(process.stdout.isTTY) })
    if (flags.out) await writeFile(flags.out, text.endsWith('\n') ? text : text + '\n')
    else this.log(text.trimEnd())
    this.readProblems(counts)
    const failing = failingKinds(report, setup.failOn)
    if (failing.length > 0) {
      this.logToStderr(`--fail-on: found ${failing.join(', ')}`)
      process.exitCode = exitCodes.ABORTED
    }
  }

  private async runAgainst(
    inputs: string[],
    flags: AgainstFlags,
    setup: { failOn: string[]; classic: unknown; renameMap?: Map<string, string>; subs: Parameters<typeof compareAgainstExport>[0]['subscriptions']; types?: string[]; where?: (m: Record<string, unknown>) => boolean },
    mode: ReturnType<typeof progressMode>,
  ): Promise<void> {
    const started = Date.now()
    const { report, counts } = await failUsage(this, () =>
      withProgress(mode, 'Comparing with the Amplitude export', (progress) =>
        compareAgainstExport({
          inputs,
          exportInputs: flags.against ?? [],
          filters: { since: flags.since, until: flags.until, types: setup.types, where: setup.where, ignoreIntegrations: flags['ignore-integrations-flags'] },
          classicSettings: setup.classic,
          classicMode: flags['classic-mode'] as 'cloud' | 'web',
          subscriptions: setup.subs,
          mappingsSource: flags.mappings ?? 'presets',
          renameMap: setup.renameMap,
          examples: flags.examples,
          onProgress: (p) => progress.update(`${p.phase}: ${formatCount(p.messages)} messages, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`),
        }),
      ),
    )
    if (report.totals.messages === 0) {
      for (const f of counts.unreadableFiles) this.logToStderr(`unreadable: ${visible(f.file)}: ${visible(f.reason)}`)
      this.error(`nothing to compare: no message was read from ${inputs.join(' ')}; check the paths and filters`, { exit: exitCodes.USAGE })
    }
    if (report.against.export.events === 0) {
      for (const p of report.against.export.problems) this.logToStderr(`export problem: ${p.file}: ${p.reason}`)
      this.error(`nothing to compare against: no stored event was read from ${(flags.against ?? []).join(' ')}; check the path (a zip, a folder or files written by segamp export)`, { exit: exitCodes.USAGE })
    }
    const text =
      flags.format === 'json'
        ? renderJson(report)
        : flags.format === 'markdown'
          ? renderAgainstMarkdown(report, { failOn: setup.failOn })
          : renderAgainstTable(report, { color: !flags.out && Boolean(process.stdout.isTTY) })
    if (flags.out) await writeFile(flags.out, text.endsWith('\n') ? text : text + '\n')
    else this.log(text.trimEnd())
    const seconds = (Date.now() - started) / 1000
    this.logToStderr(`${formatCount(report.totals.messages)} messages and ${formatCount(report.against.export.events)} stored events compared in ${seconds.toFixed(1)} s (${formatCount(Math.round(report.totals.messages / Math.max(seconds, 0.001)))} messages/s)`)
    for (const p of report.against.export.problems) this.logToStderr(`export problem: ${p.file}: ${p.reason}`)
    this.readProblems(counts)
    const failing = againstFailing(report, setup.failOn)
    if (failing.length > 0) {
      this.logToStderr(`--fail-on: found ${failing.join(', ')}`)
      process.exitCode = exitCodes.ABORTED
    }
  }

  /** What reading left out, on stderr: rejected lines, unreadable files, skipped link paths. */
  private readProblems(counts: { rejected: number; unreadableFiles: Array<{ file: string; reason: string }>; skippedPaths?: Array<{ path: string; reason: string }> }): void {
    if (counts.rejected > 0) this.logToStderr(`${formatCount(counts.rejected)} line(s) were rejected or could not be processed (rejected lines: see segamp inspect)`)
    for (const f of counts.unreadableFiles) this.logToStderr(`unreadable: ${visible(f.file)}: ${visible(f.reason)}`)
    for (const s of counts.skippedPaths ?? []) this.logToStderr(`skipped: ${visible(s.path)}: ${visible(s.reason)}`)
  }
}
