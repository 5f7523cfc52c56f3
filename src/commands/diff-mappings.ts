import { Args, Command, Flags } from '@oclif/core'
import { writeFile } from 'node:fs/promises'
import { parseTypes } from '../archive/filters.js'
import { readingFlags, mappingsFlag, s3Flags } from '../cli/flags.js'
import { InputProgress, s3Settings } from '../cli/s3-input.js'
import { exitCodes, failUsage, loadSubscriptionsForCli, whereFilter } from '../cli/common.js'
import { readClassicFile, readRenameMapFile } from '../cli/classic-input.js'
import { formatBytes, formatCount, progressMode, withProgress } from '../cli/progress.js'
import { compareArchives } from '../compare/index.js'
import { failingKinds, parseFailOn, renderJson, renderMarkdown, renderTable } from '../diff/index.js'
import { UsageError } from '../archive/filters.js'

export default class DiffMappings extends Command {
  static summary = 'Compare what Amplitude (Classic) sent with what the Actions mappings send, message by message.'
  static description = `Runs every archived message through the Classic emulation (--classic settings, --classic-mode) and through the Actions mappings (--mappings, default: the Quick Setup presets), pairs the records per message and reports findings: same, renamed (Viewed Home Page → Viewed Home), dropped, added, duplicated (e.g. Order Completed sent by both Log Event and Log Purchase), properties (by JSON path) and revenue.

The report's "model" lists the Classic settings used and every assumption the emulation makes where Segment's behaviour is not documented.

EXIT CODES (like diff)
  0  no finding of a --fail-on kind
  1  at least one finding of a --fail-on kind
  2  trouble: bad flags, unreadable settings, mappings or rename map, no message read at all, an s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials)`
  static examples = [
    '<%= config.bin %> diff-mappings examples/segment-logs --classic classic-settings.json',
    '<%= config.bin %> diff-mappings s3-export/ --classic classic.json --mappings actions.json --rename-map renames.csv --format markdown --fail-on renamed,dropped,duplicated',
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
    'fail-on': Flags.string({ description: 'Exit 1 when any finding of these kinds exists: renamed,dropped,added,duplicated,properties,revenue.', helpValue: 'LIST' }),
    'no-progress': Flags.boolean({ description: 'No progress display on stderr.', default: false }),
    ...readingFlags,
    ...s3Flags,
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(DiffMappings)
    const setup = await failUsage(this, async () => {
      let failOn: string[]
      try {
        failOn = flags['fail-on'] ? parseFailOn(flags['fail-on']) : []
      } catch (error) {
        throw new UsageError((error as Error).message)
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
          })
        }),
      exitCodes.USAGE,
      exitCodes.USAGE,
    )
    if (report.totals.messages === 0) {
      for (const f of counts.unreadableFiles) this.logToStderr(`unreadable: ${f.file}: ${f.reason}`)
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
    if (counts.rejected > 0) this.logToStderr(`${formatCount(counts.rejected)} line(s) could not be read as messages (see segamp inspect)`)
    for (const f of counts.unreadableFiles) this.logToStderr(`unreadable: ${f.file}: ${f.reason}`)
    const failing = failingKinds(report, setup.failOn)
    if (failing.length > 0) {
      this.logToStderr(`--fail-on: found ${failing.join(', ')}`)
      this.exit(exitCodes.ABORTED)
    }
  }
}
