/**
 * Builds an Amplitude export of a bench archive for `diff-mappings --against`: what the preset
 * mappings send for every kept message, stamped as Amplitude stores it (accumulated user
 * properties and groups per user, `$revenue`… event properties, Amplitude's own fields), the way
 * a live Classic destination leaves it: identifications carry their upload time (receivedAt +
 * 0.2–3 s) and no $insert_id, records Amplitude refuses are absent. Streamed to gzipped JSON-lines
 * files of at most 100,000 events (a folder `readExport` reads like an unpacked export), so the
 * builder itself holds no more than the users' state. params: { archive, out, seed }.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import { createGzip } from 'node:zlib'
import { finish, lib, now, params, secondsSince } from '../lib/child.js'

const { openArchive } = await lib('pipeline/decode/reader.js')
const { readMessages } = await lib('pipeline/index.js')
const { messageTime } = await lib('pipeline/route/filters.js')
const { loadSubscriptionsForCli } = await lib('cli/common.js')
const { refusal } = await lib('diff/refused.js')
const { applyUserProperties } = await lib('amplitude/sandbox/export.js')
const { createRng } = await lib('amplitude/sandbox/rng.js')
const { exportTime, REVENUE_FIELDS } = await lib('amplitude/export-api/format.js')

const PER_FILE = 100_000
const SENDER = [
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
  'library',
]
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v)

const t0 = now()
rmSync(params.out, { recursive: true, force: true })
mkdirSync(params.out, { recursive: true })
const subs = await loadSubscriptionsForCli(undefined, () => {})
const rng = createRng(params.seed ?? 24)
const users = new Map()
let file = 0
let inFile = 0
let events = 0
let identifications = 0
let gz
let sink

async function close() {
  if (gz === undefined) return
  gz.end()
  await once(sink, 'close')
}

async function write(line) {
  if (gz === undefined || inFile >= PER_FILE) {
    await close()
    gz = createGzip()
    sink = createWriteStream(join(params.out, `187520_part-${String(file++).padStart(4, '0')}.json.gz`))
    gz.pipe(sink)
    inFile = 0
  }
  inFile++
  if (!gz.write(line + '\n')) await once(gz, 'drain')
}

function stamp(rec, identify, at) {
  const who = typeof rec.user_id === 'string' && rec.user_id !== '' ? `u:${rec.user_id}` : `d:${rec.device_id}`
  let user = users.get(who)
  if (!user) users.set(who, (user = { props: {}, groups: {}, id: users.size + 1 }))
  applyUserProperties(user.props, rec.user_properties)
  if (isObj(rec.groups)) for (const [t, v] of Object.entries(rec.groups)) user.groups[t] = Array.isArray(v) ? v : [v]
  const time = !identify && typeof rec.time === 'number' ? rec.time : at
  const props = !identify && isObj(rec.event_properties) ? { ...rec.event_properties } : {}
  if (!identify) for (const [top, prop] of REVENUE_FIELDS) if (rec[top] !== undefined && rec[top] !== null) props[prop] = rec[top]
  const ev = {
    $insert_id: identify ? null : (rec.insert_id ?? null),
    $schema: 12,
    amplitude_id: user.id,
    app: 187520,
    event_time: exportTime(time),
    client_event_time: exportTime(time),
    server_upload_time: exportTime(at),
    server_received_time: exportTime(at),
    event_type: identify ? '$identify' : rec.event_type,
    event_properties: props,
    user_properties: user.props,
    groups: user.groups,
    group_properties: {},
    session_id: typeof rec.session_id === 'number' ? rec.session_id : -1,
    uuid: `${who}-${events}`,
    version_name: rec.app_version ?? null,
    device_carrier: rec.carrier ?? null,
    ip_address: rec.ip ?? null,
    data: { group_ids: {} },
  }
  for (const f of SENDER) ev[f] = rec[f] ?? null
  return JSON.stringify(ev)
}

let at = 0
let messages = 0
// The records as diff-mappings maps them (a group identify without a time gets the message's own).
for await (const { message, duplicate, records } of readMessages({ archive: await openArchive([params.archive]), subscriptions: subs })) {
  if (duplicate) continue
  messages++
  at = messageTime(message) ?? 0
  const received = Date.parse(String(message.receivedAt ?? message.timestamp))
  for (const { record: r } of records) {
    if (refusal(r.endpoint, r.record, r.options) !== undefined) continue
    const ep = r.endpoint.replace(/^\//, '')
    if (ep === 'identify') {
      identifications++
      await write(stamp(r.record, true, received + 200 + Math.floor(rng() * 2800)))
    } else if (ep === 'httpapi' || ep === 'batch') await write(stamp(r.record, false, received + 100))
    else continue
    events++
  }
}
await close()
writeFileSync(join(params.out, '.complete'), JSON.stringify({ archive: params.archive, seed: params.seed ?? 24 }))
finish({ wallSeconds: secondsSince(t0), messages, events, identifications, files: file })
