/**
 * The sandbox's `/api/2/export`: what it ingested, in the Export API's format (a zip of hourly
 * gzipped JSON-lines files; docs/amplitude-export.md). Events are stamped as Amplitude stamps
 * them: the user's accumulated user properties and groups, an amplitude_id, a uuid, upload
 * times; top-level revenue fields become `$revenue`… event properties; /identify calls become
 * `$identify` events.
 */
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { createRequire } from 'node:module'
import type * as Yazl from 'yazl'
import { entryName, exportTime, REVENUE_FIELDS } from '../export-api/format.js'
import { HOUR_MS } from '../export-api/hours.js'
import type { IngestedEvent, IngestedIdentification } from './core.js'

export interface ExportSource {
  events: readonly IngestedEvent[]
  identifyLog: readonly IngestedIdentification[]
}

export interface ExportBuild {
  /** Events in the range. */
  count: number
  entries: Array<{ name: string; data: Buffer }>
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Applies one user_properties object (plain keys = $set, or Amplitude's operations) to a user's state. */
export function applyUserProperties(state: Obj, up: unknown): void {
  if (!isObj(up)) return
  for (const [k, v] of Object.entries(up)) {
    if (!k.startsWith('$')) {
      state[k] = v
      continue
    }
    if (k === '$clearAll') {
      for (const key of Object.keys(state)) delete state[key]
      continue
    }
    if (!isObj(v)) continue
    for (const [p, val] of Object.entries(v)) {
      switch (k) {
        case '$set':
          state[p] = val
          break
        case '$setOnce':
          if (!(p in state)) state[p] = val
          break
        case '$unset':
          delete state[p]
          break
        case '$add':
          state[p] = (typeof state[p] === 'number' ? (state[p] as number) : 0) + (typeof val === 'number' ? val : Number(val) || 0)
          break
        case '$append':
        case '$postInsert':
          state[p] = [...(Array.isArray(state[p]) ? (state[p] as unknown[]) : state[p] === undefined ? [] : [state[p]]), ...(Array.isArray(val) ? val : [val])]
          break
        case '$prepend':
        case '$preInsert':
          state[p] = [...(Array.isArray(val) ? val : [val]), ...(Array.isArray(state[p]) ? (state[p] as unknown[]) : state[p] === undefined ? [] : [state[p]])]
          break
        case '$remove':
          if (Array.isArray(state[p])) state[p] = (state[p] as unknown[]).filter((x) => JSON.stringify(x) !== JSON.stringify(val))
          break
      }
    }
  }
}

function hashNumber(s: string, digits: number): number {
  return Number.parseInt(createHash('sha1').update(s).digest('hex').slice(0, 12), 16) % 10 ** digits
}

function uuidFor(s: string): string {
  const h = createHash('sha1').update(s).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** Project id the sandbox reports for an API key (a stable number, like Amplitude's app ids). */
export function sandboxProjectId(apiKey: string): number {
  return 100000 + hashNumber(`project:${apiKey}`, 6)
}

const SENDER_FIELDS = [
  'user_id',
  'device_id',
  'platform',
  'os_name',
  'os_version',
  'device_brand',
  'device_manufacturer',
  'device_model',
  'country',
  'region',
  'city',
  'dma',
  'language',
  'location_lat',
  'location_lng',
  'paying',
  'start_version',
  'idfa',
  'adid',
  'library',
] as const

function who(rec: Obj): string {
  return typeof rec.user_id === 'string' && rec.user_id !== '' ? `u:${rec.user_id}` : `d:${String(rec.device_id)}`
}

function groupsOf(v: unknown): Obj | undefined {
  return isObj(v) && Object.keys(v).length > 0 ? v : undefined
}

/**
 * Every ingested event and identification in arrival order, as export events (JSON lines, by
 * upload hour), stamped with the user's state at that point; only those whose upload time is in
 * [fromMs, toMs) are returned.
 */
export function buildExportLines(src: ExportSource, project: number, fromMs: number, toMs: number): { count: number; byHour: Map<number, string[]> } {
  type Item = { kind: 'event'; e: IngestedEvent; i: number } | { kind: 'identify'; e: IngestedIdentification; i: number }
  const items: Item[] = []
  src.events.forEach((e, i) => items.push({ kind: 'event', e, i }))
  src.identifyLog.forEach((e, i) => items.push({ kind: 'identify', e, i }))
  items.sort((a, b) => a.e.requestSeq - b.e.requestSeq || (a.kind === b.kind ? a.i - b.i : a.kind === 'identify' ? -1 : 1))

  const users = new Map<string, { props: Obj; groups: Obj; created: number; id: number }>()
  const byHour = new Map<number, string[]>()
  let count = 0
  let eventId = 0
  for (const it of items) {
    const rec = it.kind === 'event' ? it.e.event : it.e.identification
    const key = who(rec)
    let user = users.get(key)
    if (!user) {
      user = { props: {}, groups: {}, created: it.e.receivedAt, id: hashNumber(`user:${key}`, 11) }
      users.set(key, user)
    }
    applyUserProperties(user.props, rec.user_properties)
    const groups = groupsOf(rec.groups)
    if (groups) for (const [t, v] of Object.entries(groups)) user.groups[t] = Array.isArray(v) ? v : [v]
    eventId++
    const at = it.e.receivedAt
    if (at < fromMs || at >= toMs) continue
    const time = typeof rec.time === 'number' ? rec.time : at
    const ev: Obj = {
      $insert_id: typeof rec.insert_id === 'string' ? rec.insert_id : null,
      $schema: 12,
      amplitude_attribution_ids: null,
      amplitude_event_type: null,
      amplitude_id: user.id,
      app: project,
      client_event_time: exportTime(time),
      client_upload_time: exportTime(at),
      data: {
        path: it.kind === 'event' ? (it.e.endpoint === 'batch' ? '/batch' : '/2/httpapi') : '/identify',
        group_first_event: {},
        group_ids: {},
        user_properties_updated: isObj(rec.user_properties),
      },
      device_carrier: rec.carrier ?? null,
      device_family: null,
      device_type: null,
      event_id: typeof rec.event_id === 'number' ? rec.event_id : eventId,
      event_properties: it.kind === 'event' && isObj(rec.event_properties) ? { ...rec.event_properties } : {},
      event_time: exportTime(time),
      event_type: it.kind === 'event' ? rec.event_type : '$identify',
      group_properties: {},
      groups: user.groups,
      ip_address: rec.ip ?? null,
      is_attribution_event: false,
      processed_time: exportTime(at + 1500),
      sample_rate: null,
      server_received_time: exportTime(at),
      server_upload_time: exportTime(at),
      session_id: typeof rec.session_id === 'number' ? rec.session_id : -1,
      user_creation_time: exportTime(user.created),
      user_properties: user.props,
      uuid: uuidFor(`${project}:${it.kind}:${it.i}`),
      version_name: rec.app_version ?? null,
    }
    for (const f of SENDER_FIELDS) ev[f] = rec[f] ?? null
    if (it.kind === 'event') {
      const props = ev.event_properties as Obj
      for (const [top, prop] of REVENUE_FIELDS) if (rec[top] !== undefined && rec[top] !== null) props[prop] = rec[top]
    }
    // serialized now: the user's state changes with the next item
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS
    let lines = byHour.get(hour)
    if (!lines) byHour.set(hour, (lines = []))
    lines.push(JSON.stringify(ev))
    count++
  }
  return { count, byHour }
}

/** Hourly files (by upload time), `perFile` events each at most, gzipped JSON lines. */
export function exportEntries(built: { count: number; byHour: Map<number, string[]> }, project: number, perFile: number): ExportBuild {
  const { byHour } = built
  const entries: ExportBuild['entries'] = []
  for (const hour of [...byHour.keys()].sort((a, b) => a - b)) {
    const lines = byHour.get(hour)!
    for (let n = 0, i = 0; i < lines.length; n++, i += perFile) {
      entries.push({ name: entryName(project, hour, n), data: gzipSync(lines.slice(i, i + perFile).join('\n') + '\n') })
    }
  }
  return { count: built.count, entries }
}

/** The zip Amplitude sends: the hourly .json.gz files stored as they are. */
export function zipEntries(entries: ExportBuild['entries'], mtime = new Date(Date.UTC(2020, 0, 1))): Promise<Buffer> {
  // yazl is loaded by the first export zip built (the sandbox's export endpoint).
  const yazl = createRequire(import.meta.url)('yazl') as typeof Yazl
  const zip = new yazl.ZipFile()
  for (const e of entries) zip.addBuffer(e.data, e.name, { compress: false, mtime })
  zip.end()
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    zip.outputStream.on('error', reject)
  })
}
