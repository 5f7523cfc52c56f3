/**
 * Carries out a migration plan through Segment's Public API: creates or updates the Actions
 * Amplitude destination and its subscriptions. It only ever writes to the Actions destination it
 * planned for; the Classic destination is read, never written.
 */
import { ACTIONS_AMPLITUDE_METADATA_ID, SegmentApiError, type DestinationMetadataAction, type SegmentApiClient } from '../segment/public-api/client.js'
import { shortChanges, type Plan } from './plan.js'

export interface ApplyContext {
  sourceId: string
  /** The Classic destination: any write to it is refused (a guard against a wrong plan). */
  classicDestinationId?: string
  /** Actions already known (the existing destination's metadata), slug → id. */
  actions?: DestinationMetadataAction[]
  onStep?: (line: string) => void
}

export interface ApplyResult {
  destinationId: string
  created: number
  updated: number
  deleted: number
}

async function actionIds(client: SegmentApiClient, known: DestinationMetadataAction[] | undefined): Promise<Map<string, string>> {
  const list = known && known.length > 0 ? known : ((await client.getDestinationMetadata(ACTIONS_AMPLITUDE_METADATA_ID)).actions ?? [])
  return new Map(list.map((a) => [a.slug, a.id]))
}

export async function applyPlan(client: SegmentApiClient, plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  if (plan.conflicts.length > 0) throw new SegmentApiError(`not applied: ${plan.conflicts.join('; ')}`, undefined, client.baseUrl)
  const say = ctx.onStep ?? (() => {})
  const d = plan.destination
  if (d.id !== undefined && d.id === ctx.classicDestinationId) throw new Error(`refusing to write to the Classic destination ${d.id}`)
  let destinationId = d.id
  let known = ctx.actions
  const result = { destinationId: '', created: 0, updated: 0, deleted: 0 }
  if (d.kind === 'create') {
    const created = await client.createDestination({ sourceId: ctx.sourceId, metadataId: ACTIONS_AMPLITUDE_METADATA_ID, enabled: d.enabled, name: d.name, settings: d.settings })
    destinationId = created.id
    known = created.metadata?.actions
    say(`created destination ${created.id} (${d.enabled ? 'enabled' : 'disabled'})`)
  } else if (d.kind === 'update') {
    const input: { settings?: Record<string, unknown>; enabled?: boolean } = {}
    if (Object.keys(d.settings).length > 0) input.settings = d.settings
    if (d.changes.includes('enabled')) input.enabled = true
    await client.updateDestination(d.id!, input)
    say(`updated destination ${d.id}: ${d.changes.join(', ')}`)
  }
  result.destinationId = destinationId!
  const needIds = plan.subscriptions.some((s) => s.kind === 'create' || s.kind === 'replace')
  const ids = needIds ? await actionIds(client, known) : new Map<string, string>()
  for (const s of plan.subscriptions) {
    const g = s.generated
    if (s.kind === 'replace') {
      await client.removeSubscription(destinationId!, s.id!)
      result.deleted++
      say(`removed subscription "${s.name}" (${s.id}) to replace it`)
    }
    if (s.kind === 'create' || s.kind === 'replace') {
      const actionId = ids.get(g!.actionSlug)
      if (actionId === undefined)
        throw new SegmentApiError(`creating subscription "${s.name}": the Actions Amplitude catalog entry has no action "${g!.actionSlug}"`, undefined, client.baseUrl)
      const made = await client.createSubscription(destinationId!, { name: g!.name, actionId, trigger: g!.trigger, enabled: g!.enabled, settings: g!.settings })
      result.created++
      say(`created subscription "${s.name}" (${made.id})`)
    } else if (s.kind === 'update') {
      const input: { trigger?: string; enabled?: boolean; settings?: Record<string, unknown> } = {}
      if (s.changes.includes('trigger')) input.trigger = g!.trigger
      if (s.changes.includes('enabled')) input.enabled = g!.enabled
      if (s.changes.some((c) => c.startsWith('settings.'))) input.settings = g!.settings
      await client.updateSubscription(destinationId!, s.id!, input)
      result.updated++
      say(`updated subscription "${s.name}" (${s.id}): ${shortChanges(s.changes)}`)
    } else if (s.kind === 'delete') {
      await client.removeSubscription(destinationId!, s.id!)
      result.deleted++
      say(`deleted subscription "${s.name}" (${s.id})`)
    }
  }
  return result
}
