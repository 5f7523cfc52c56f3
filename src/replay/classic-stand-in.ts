/**
 * `segamp replay --sandbox --classic SETTINGS`: the stand-in for a Classic period. Every message
 * of the archive goes through the Classic emulation (src/segment/classic, cloud mode: what the
 * server-side Classic destination sent) instead of the Actions mappings, and its records are sent
 * to the sandbox through the same delivery a replay uses. The sandbox then holds what Amplitude
 * would hold after the Classic years, with Classic's event names ("Viewed Home Page"), so
 * `export --sandbox` + `diff-mappings --against` show the real renames, and a migrated
 * configuration can be verified to remove them. Sandbox only: nothing here is a migration path.
 */
import type { AmplitudeEndpoint, AmplitudeRecord } from '../types.js'
import { openArchive, emptyCounts, type ArchiveOptions, type ScanCounts } from '../pipeline/decode/index.js'
import { readMessages } from '../pipeline/index.js'
import { createDelivery, type DeliveryOptions } from '../pipeline/deliver/index.js'
import { orderingKey } from '../pipeline/map/index.js'
import { compileClassic, type ClassicRecord } from '../segment/classic/index.js'
import { UsageError } from '../errors.js'

export interface ClassicStandInOptions {
  inputs: string[]
  archive?: ArchiveOptions
  /** The Classic destination settings (an object, or a Public API destination response). */
  settings: unknown
  /** The sandbox's URL. */
  endpointUrl: string
  apiKey: string
  delivery?: Partial<DeliveryOptions>
}

export interface ClassicStandInResult {
  classic: true
  read: ScanCounts
  /** Records the Classic emulation made. */
  records: number
  sent: number
  deadLettered: number
  deadLetterReasons: Record<string, number>
}

const ENDPOINTS: Record<ClassicRecord['endpoint'], AmplitudeEndpoint> = {
  '/httpapi': 'httpapi',
  '/batch': 'batch',
  '/identify': 'identify',
  '/groupidentify': 'groupidentify',
  '/usermap': 'usermap',
}

/** A Classic record as delivery sends it. Pure. */
export function classicToAmplitude(r: ClassicRecord): AmplitudeRecord {
  return { endpoint: ENDPOINTS[r.endpoint], record: r.record }
}

export async function replayClassicStandIn(o: ClassicStandInOptions): Promise<ClassicStandInResult> {
  const classic = compileClassic(o.settings, { mode: 'cloud' })
  const archive = await openArchive(o.inputs, o.archive)
  if (archive.sources.length === 0) throw new UsageError(`nothing to read: ${o.inputs.join(', ')}`, 'Give the archive files or directories to replay.')
  const result: ClassicStandInResult = { classic: true, read: emptyCounts(), records: 0, sent: 0, deadLettered: 0, deadLetterReasons: {} }
  const delivery = createDelivery(
    { apiKey: o.apiKey, region: 'us', endpointUrl: o.endpointUrl, ...o.delivery },
    {
      onAck(items) {
        result.sent += items.length
      },
      onDeadLetter(_item, d) {
        result.deadLettered++
        result.deadLetterReasons[d.reason] = (result.deadLetterReasons[d.reason] ?? 0) + 1
      },
    },
  )
  let seq = 0
  try {
    for await (const kept of readMessages({ archive, counts: result.read })) {
      for (const r of classic(kept.message as Record<string, unknown>)) {
        if (r.sdkGenerated) continue
        const record = classicToAmplitude(r)
        result.records++
        await delivery.push({ seq: ++seq, record, ref: kept.ref, key: orderingKey(record) })
      }
    }
    await delivery.flush()
  } finally {
    delivery.close()
  }
  return result
}

/** What `replay --sandbox --classic` prints. Pure. */
export function renderClassicStandIn(r: ClassicStandInResult): string {
  const n = (v: number): string => v.toLocaleString('en-US')
  return [
    "Classic stand-in replayed (the Classic emulation's records, not the Actions mappings)",
    `  ${n(r.read.messages)} messages read, ${n(r.read.rejected)} rejected lines → ${n(r.records)} Classic records = ${n(r.sent)} sent + ${n(r.deadLettered)} dead-lettered`,
    ...Object.entries(r.deadLetterReasons).map(([k, v]) => `    ${n(v)}  ${k}`),
  ].join('\n')
}
