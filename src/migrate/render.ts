/**
 * What `segamp migrate` writes and prints, next to the service that computes it: the
 * configuration as JSON or Terraform, the one-line summary of the settings, and the notes on
 * where the keys go. Pure: the command decides where each text goes.
 */
import type { MigrationResult } from './index.js'
import { configForOutput, SECRET_REFERENCES } from './output.js'
import { renderTerraform } from './terraform.js'
import { renderPlan, subscriptionDiff, type Plan } from './plan.js'
import type { SegmentRead } from './from-segment.js'
import { shellQuote } from '../text.js'

export interface ConfigRenderOptions {
  format: string
  segment?: SegmentRead
  /** Where the Classic settings came from, for the Terraform header. */
  origin: string
  plan?: Plan
  enable: boolean
  includeSecrets: boolean
}

/** The configuration file's text: Terraform HCL, or the JSON configuration. */
export function renderConfiguration(result: MigrationResult, o: ConfigRenderOptions): string {
  if (o.format !== 'terraform') return JSON.stringify(configForOutput(result, { includeSecrets: o.includeSecrets }), null, 2) + '\n'
  const actions = o.segment?.actions
  return renderTerraform({
    sourceId: o.segment?.classic.sourceId,
    endpoint: result.destination.settings.endpoint,
    subscriptions: result.subscriptions,
    origin: o.origin,
    enable: o.enable,
    existing: actions
      ? {
          destinationId: actions.destination.id,
          enabled: actions.destination.enabled,
          name: actions.destination.name,
          subscriptionIds: Object.fromEntries(
            (o.plan?.subscriptions ?? []).filter((s) => s.id !== undefined && (s.kind === 'update' || s.kind === 'unchanged')).map((s) => [s.name, s.id!]),
          ),
          otherAction: Object.fromEntries(
            actions.subscriptions.filter((s) => o.plan?.subscriptions.some((p) => p.kind === 'replace' && p.id === s.id)).map((s) => [s.name, s.actionSlug]),
          ),
        }
      : undefined,
  })
}

/**
 * How to fill in the ${…} key references of a JSON configuration written to `file`, or to stdout
 * (then the example reads the pipe: it used to name a file, actions-config.json, no one had written).
 */
export function secretReferencesNote(file: string | undefined): string {
  const fill = `AMPLITUDE_API_KEY=… AMPLITUDE_SECRET_KEY=… envsubst '$AMPLITUDE_API_KEY $AMPLITUDE_SECRET_KEY'`
  const example = file === undefined ? `segamp migrate … | ${fill} > actions-config.json` : `${fill} < ${shellQuote(file)}`
  return `destination.settings.apiKey and secretKey are written as ${SECRET_REFERENCES.apiKey} and ${SECRET_REFERENCES.secretKey}: fill them in where the ${file === undefined ? 'configuration' : 'file'} is used (e.g. ${example}; name the two variables, or envsubst also empties the mappings' $set/$setOnce keys), or pass --include-secrets to write the values`
}

/** "Migrated N subscriptions; settings: …" and one line per behaviour change. */
export function migrationSummary(result: MigrationResult): string {
  const byStatus = result.report.reduce<Record<string, number>>((acc, l) => ((acc[l.status] = (acc[l.status] ?? 0) + 1), acc), {})
  return [
    `Migrated ${result.subscriptions.length} subscriptions; settings: ${Object.entries(byStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    ...result.report.filter((l) => l.status === 'behavior-change').map((line) => `  behavior-change  ${line.setting}: ${line.note}`),
  ].join('\n')
}

/** What --from-segment read: the Classic destination and the source's Actions destination, if any. */
export function renderSegmentRead(segment: SegmentRead, baseUrl: string): string {
  const { classic, actions } = segment
  return (
    `Read ${classic.metadata.name} destination ${classic.id} (source ${classic.sourceId}, ${classic.enabled ? 'enabled' : 'disabled'}) from ${baseUrl}` +
    (actions
      ? `; existing Actions Amplitude destination ${actions.destination.id} (${actions.destination.enabled ? 'enabled' : 'disabled'}, ${actions.subscriptions.length} subscriptions)`
      : '; no Actions Amplitude destination on that source yet')
  )
}

/** The plan against the source's Actions destination: by subscription name, then step by step. */
export function renderPlanNotes(plan: Plan, segment: SegmentRead): string {
  const lines: string[] = []
  if (segment.actions) {
    const d = subscriptionDiff(plan)
    lines.push(
      `Generated configuration vs ${segment.actions.destination.id}, by subscription name: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} only on the destination, ${d.unchanged.length} unchanged`,
    )
  }
  lines.push(renderPlan(plan, { sourceId: segment.classic.sourceId }).trimEnd())
  return lines.join('\n')
}
