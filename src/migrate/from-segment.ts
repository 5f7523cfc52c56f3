/**
 * `migrate --from-segment`: reads the Classic Amplitude destination and the source's existing
 * Actions Amplitude destination (with its subscriptions) through the Public API. Read-only.
 */
import { UsageError } from '../pipeline/route/index.js'
import { ACTIONS_AMPLITUDE_METADATA_ID, type Destination, type DestinationSubscription, type SegmentApiClient } from '../segment/public-api/client.js'

export interface SegmentRead {
  classic: Destination
  actions?: { destination: Destination; subscriptions: DestinationSubscription[] }
}

export function isActionsAmplitude(d: Destination): boolean {
  return d.metadata?.id === ACTIONS_AMPLITUDE_METADATA_ID || d.metadata?.slug === 'actions-amplitude'
}

/** Amplitude (Classic): catalog slug `amplitude` (the Actions one is `actions-amplitude`). */
export function isClassicAmplitude(d: Destination): boolean {
  return !isActionsAmplitude(d) && (d.metadata?.slug === 'amplitude' || (d.metadata?.slug === undefined && d.metadata?.name === 'Amplitude'))
}

const FIND_CLASSIC = "In the Segment UI, open the source's Amplitude (Classic) destination (Connections → Destinations): its id is in the page's URL; pass it to --from-segment."

function describe(d: Destination): string {
  return `${d.metadata?.name ?? 'unknown'} (catalog slug ${d.metadata?.slug ?? '?'})`
}

export async function readFromSegment(client: SegmentApiClient, classicId: string, opts: { actionsDestinationId?: string } = {}): Promise<SegmentRead> {
  const classic = await client.getDestination(classicId)
  if (isActionsAmplitude(classic)) {
    throw new UsageError(
      `--from-segment ${classicId}: this is already an Actions Amplitude destination; pass the id of the Amplitude (Classic) destination you are migrating from`,
      FIND_CLASSIC,
    )
  }
  if (!isClassicAmplitude(classic)) {
    throw new UsageError(
      `--from-segment ${classicId}: this destination is ${describe(classic)}, not Amplitude (Classic); pass the id of the Amplitude (Classic) destination`,
      FIND_CLASSIC,
    )
  }
  const connected = await client.listConnectedDestinations(classic.sourceId)
  const candidates = connected.filter((d) => d.id !== classic.id && isActionsAmplitude(d))
  let actions: Destination | undefined
  if (opts.actionsDestinationId !== undefined) {
    actions = candidates.find((d) => d.id === opts.actionsDestinationId)
    if (!actions) {
      throw new UsageError(
        `--actions-destination ${opts.actionsDestinationId}: not an Actions Amplitude destination of source ${classic.sourceId}` +
          (candidates.length > 0 ? ` (it has: ${candidates.map((d) => d.id).join(', ')})` : ' (it has none; omit the flag to create one)'),
        candidates.length > 0
          ? 'Pass one of the ids listed, or leave out --actions-destination when the source has one Actions Amplitude destination.'
          : 'Leave out --actions-destination: segamp then plans a new Actions Amplitude destination on the source (created disabled).',
      )
    }
  } else if (candidates.length > 1) {
    throw new UsageError(
      `source ${classic.sourceId} has ${candidates.length} Actions Amplitude destinations (${candidates.map((d) => `${d.id} "${d.name ?? ''}"`).join(', ')}); choose one with --actions-destination ID`,
      'Add --actions-destination with the id of the one to compare with and apply to (its page in the Segment UI has it in the URL).',
    )
  } else {
    actions = candidates[0]
  }
  if (!actions) return { classic }
  // The list may carry a shortened destination; read the full one (settings, metadata.actions).
  const destination = await client.getDestination(actions.id)
  const subscriptions = await client.listSubscriptions(actions.id)
  return { classic, actions: { destination, subscriptions } }
}
