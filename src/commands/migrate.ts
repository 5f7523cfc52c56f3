import { Command, Flags } from '@oclif/core'
import { writeFile } from 'node:fs/promises'
import { exitCodes, failUsage } from '../cli/common.js'
import { s3Flags } from '../cli/flags.js'
import { s3Settings } from '../cli/s3-input.js'
import { readClassicFile, readRenameMapFile } from '../cli/classic-input.js'
import { migrateClassic, renderRenameMapCsv, mixedUserPropertyWarnings } from '../migrate/index.js'
import { verifyMigration } from '../compare/verify.js'
import { failingKinds, parseFailOn, renderJson, renderMarkdown, renderTable } from '../diff/index.js'
import { UsageError } from '../archive/filters.js'

export default class Migrate extends Command {
  static summary = 'Turn Amplitude (Classic) settings into an Actions configuration, and verify it on real data.'
  static description = `Reads the Classic destination settings (the settings object, or a Segment Public API destination response; unknown keys are reported, not fatal) and writes {"destination":{"settings":{apiKey,secretKey,endpoint}},"subscriptions":[...],"report":[...]}: destination settings, subscriptions in Public API shape (accepted as-is by Segment's Actions Amplitude destination), and a status for every Classic setting (migrated, no-equivalent, behavior-change) with a note saying what will differ.

--names classic (default) keeps the event names Classic produced (Viewed Home Page, Loaded a Page, …) so existing charts keep working; --names actions adopts the Quick Setup naming and writes a rename map (Classic → Actions) for your dashboards.

--verify runs the Classic emulation and the generated configuration side by side over a sample of an archive (see diff-mappings) and exits with the diff's codes: the one-line CI migration check.

EXIT CODES
  0  configuration written (and, with --verify, no finding of a --fail-on kind)
  1  --verify found a finding of a --fail-on kind
  2  trouble: unreadable settings or rename map, bad flags, --verify read no message, a --verify s3:// input that cannot be read (no such bucket, access denied, missing or expired AWS credentials)`
  static examples = [
    '<%= config.bin %> migrate --classic classic-settings.json --out actions-config.json',
    '<%= config.bin %> migrate --classic destination.json --names actions --rename-map-out renames.csv',
    '<%= config.bin %> migrate --classic classic-settings.json --verify s3-export/2024-05-01 --fail-on renamed,dropped,duplicated --format markdown',
  ]
  static flags = {
    classic: Flags.string({ description: 'Classic settings: the settings object or a Public API destination response.', required: true, helpValue: 'FILE' }),
    names: Flags.string({ options: ['classic', 'actions'], default: 'classic', description: 'Keep Classic event names, or adopt the Actions Quick Setup names (with a rename map).' }),
    'rename-map': Flags.string({ description: 'Your own renames (CSV classic,actions) to merge into the rename map.', helpValue: 'FILE.csv' }),
    'rename-map-out': Flags.string({ description: 'Write the rename map (CSV classic,actions) here.', helpValue: 'FILE.csv' }),
    out: Flags.string({ description: 'Write the configuration here (default stdout).', helpValue: 'FILE' }),
    verify: Flags.string({ description: 'Archive(s) to verify the configuration on: files, directories or s3://bucket/prefix (repeatable).', multiple: true, helpValue: 'ARCHIVE' }),
    sample: Flags.integer({ description: 'With --verify: messages compared at most.', default: 10_000, min: 1 }),
    'fail-on': Flags.string({ description: 'With --verify: exit 1 when any finding of these kinds exists.', default: 'renamed,dropped,duplicated', helpValue: 'LIST' }),
    format: Flags.string({ options: ['table', 'json', 'markdown'], default: 'table', description: 'With --verify: format of the verification report (on stderr, or stdout when --out is given).' }),
    examples: Flags.integer({ description: 'With --verify: examples per finding.', default: 3, min: 0 }),
    ...s3Flags,
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Migrate)
    const { classic, renameMap, failOn, s3 } = await failUsage(this, async () => {
      let failOn: string[]
      try {
        failOn = parseFailOn(flags['fail-on'])
      } catch (error) {
        throw new UsageError((error as Error).message)
      }
      return { classic: await readClassicFile(flags.classic), renameMap: await readRenameMapFile(flags['rename-map']), failOn, s3: s3Settings(flags, flags.verify ?? []) }
    })
    const result = migrateClassic(classic, { names: flags.names as 'classic' | 'actions', renameMap })
    for (const key of result.unknownKeys) this.warn(`--classic: unknown setting "${key}" (ignored)`)
    for (const w of mixedUserPropertyWarnings(result.subscriptions)) this.warn(w)

    let verified
    if (flags.verify?.length) {
      verified = await failUsage(this, () => verifyMigration({ inputs: flags.verify!, archive: { s3 }, classicSettings: classic, migration: result, limit: flags.sample, examples: flags.examples }), exitCodes.USAGE, exitCodes.USAGE)
      if (verified.report.totals.messages === 0) {
        this.error(`--verify: nothing to compare: no message was read from ${flags.verify.join(' ')}; check the paths (a CI sync that brought no files must not pass)`, { exit: exitCodes.USAGE })
      }
      if (flags.names === 'actions') {
        const known = new Set((result.renameMap ?? []).map((r) => r.classic))
        result.renameMap = [...(result.renameMap ?? []), ...verified.observedRenames.filter((r) => !known.has(r.classic)).map(({ classic, actions }) => ({ classic, actions }))]
      }
    }

    const config = { destination: result.destination, subscriptions: result.subscriptions, report: result.report, ...(result.renameMap ? { renameMap: result.renameMap } : {}) }
    const text = JSON.stringify(config, null, 2) + '\n'
    if (flags.out) await writeFile(flags.out, text)
    else process.stdout.write(text)
    if (flags['rename-map-out'] && result.renameMap) await writeFile(flags['rename-map-out'], renderRenameMapCsv(result.renameMap))

    const byStatus = result.report.reduce<Record<string, number>>((acc, l) => ((acc[l.status] = (acc[l.status] ?? 0) + 1), acc), {})
    this.logToStderr(`Migrated ${result.subscriptions.length} subscriptions; settings: ${Object.entries(byStatus).map(([k, v]) => `${v} ${k}`).join(', ')}`)
    for (const line of result.report.filter((l) => l.status === 'behavior-change')) this.logToStderr(`  behavior-change  ${line.setting}: ${line.note}`)

    if (verified) {
      const report = verified.report
      const rendered =
        flags.format === 'json' ? renderJson(report) : flags.format === 'markdown' ? renderMarkdown(report, { failOn }) : renderTable(report, { color: Boolean(process.stdout.isTTY) && !flags.out })
      if (flags.out) this.log(rendered.trimEnd())
      else this.logToStderr(rendered.trimEnd())
      const failing = failingKinds(report, failOn)
      if (failing.length > 0) {
        this.logToStderr(`--verify: found ${failing.join(', ')} (--fail-on ${failOn.join(',')})`)
        this.exit(exitCodes.ABORTED)
      }
    }
  }
}
