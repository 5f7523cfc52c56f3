/** Human summary of what a sandbox ingested (printed by `segamp replay --sandbox`). */
import type { Sandbox } from './server.js'
import { shownName, visible } from '../../text.js'

export interface SummaryOptions {
  /** How many event types to list (default 10). */
  topEventTypes?: number
}

type Summarizable = Pick<Sandbox, 'events' | 'stats'> & Partial<Pick<Sandbox, 'url'>>

export function summarizeSandbox(sb: Summarizable, opts: SummaryOptions = {}): string[] {
  const s = sb.stats()
  const top = opts.topEventTypes ?? 10
  const lines: string[] = []
  const statuses = Object.entries(s.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')
  lines.push(`Sandbox${sb.url ? ` ${sb.url}` : ''} received ${s.requests} request${s.requests === 1 ? '' : 's'}${statuses ? ` (${statuses})` : ''}`)

  let httpapi = 0
  let batch = 0
  const byType = new Map<string, number>()
  const users = new Set<string>()
  const devices = new Set<string>()
  for (const e of sb.events) {
    if (e.endpoint === 'httpapi') httpapi++
    else batch++
    const t = typeof e.event.event_type === 'string' ? e.event.event_type : '(none)'
    byType.set(t, (byType.get(t) ?? 0) + 1)
    if (typeof e.event.user_id === 'string') users.add(e.event.user_id)
    if (typeof e.event.device_id === 'string') devices.add(e.event.device_id)
  }
  lines.push(
    `Events ingested: ${s.eventsIngested} (httpapi ${httpapi}, batch ${batch}); duplicates discarded: ${s.duplicatesDiscarded}; users: ${users.size}, devices: ${devices.size}`,
  )
  lines.push(`Identifications: ${s.identifications}; group identifications: ${s.groupIdentifications}; user mappings: ${s.mappings}`)
  if (s.mixedUserProperties > 0) lines.push(`Accepted with plain user_properties mixed with operations: ${s.mixedUserProperties} (as Amplitude: accepted, effect undocumented)`)
  const sorted = [...byType.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (sorted.length > 0) {
    lines.push(`Top event types (${Math.min(top, sorted.length)} of ${sorted.length}):`)
    for (const [t, n] of sorted.slice(0, top)) lines.push(`  ${String(n).padStart(7)}  ${visible(shownName(t))}`)
  }
  return lines
}
