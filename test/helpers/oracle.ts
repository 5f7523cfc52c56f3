/**
 * The reference side of the Amplitude differential tests: the published
 * @segment/action-destinations Amplitude destination, run locally through actions-core, with its
 * HTTP requests captured (through nock, or at the actions-core fetch boundary) and turned back
 * into segamp-shaped records per endpoint.
 *
 *   startReference()                       once, before running anything
 *   installFetchCapture() / installNockCapture(hosts)   returns the matching uninstall function
 *   runReference(slug, event, mapping, settings, { now })
 */
import { strict as assert } from 'node:assert'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { AmplitudeRecord } from '../../src/types.js'
import type { ActionSettings, ActionSlug } from '../../src/segment/actions-amplitude/index.js'

// nock 15 (@mswjs/interceptors) needs Promise.withResolvers, which Node 20 lacks.
const P = Promise as unknown as { withResolvers?: unknown }
if (!P.withResolvers) {
  P.withResolvers = function withResolvers() {
    let resolve: unknown
    let reject: unknown
    const promise = new Promise((a, b) => {
      resolve = a
      reject = b
    })
    return { promise, resolve, reject }
  }
}

const require = createRequire(import.meta.url)
/* eslint-disable @typescript-eslint/no-explicit-any */
export const core = require('@segment/actions-core') as any
const nockModule = require('nock') as any
export const nock = nockModule.default ?? nockModule
// Requiring nock patches http and fetch for the whole process. Switch it off until a test asks
// for it, so other suites (the sandbox, the delivery engine) talk real HTTP in the same run.
nock.restore()
const AMPLITUDE_MODULE = '@segment/action-destinations/dist/destinations/amplitude/index.js'
export const AmplitudeDestination = require(AMPLITUDE_MODULE).default
// actions-core's request client calls `fetch_1.default(request)` from this module at call time.
const coreFetchModule = require(join(dirname(require.resolve('@segment/actions-core')), 'fetch.js')) as any
// The dayjs instance the reference's groupIdentifyUser calls as `dayjs.utc(payload.time)`.
const referenceDayjs = createRequire(require.resolve(AMPLITUDE_MODULE))('dayjs') as any

export type Obj = Record<string, any>
export type Outcome = { ok: true; records: AmplitudeRecord[]; urls: string[] } | { ok: false; reason: string }

const captured: Array<{ url: string; body: string }> = []

export const AMPLITUDE_HOSTS = ['https://api2.amplitude.com', 'https://api.amplitude.com', 'https://api.eu.amplitude.com']

export function endpointOf(url: URL): AmplitudeRecord['endpoint'] {
  const p = url.pathname
  if (p === '/2/httpapi') return 'httpapi'
  if (p === '/batch') return 'batch'
  if (p === '/identify') return 'identify'
  if (p === '/groupidentify') return 'groupidentify'
  if (p === '/usermap') return 'usermap'
  throw new Error(`unexpected path ${p}`)
}

function toRecords(settings: ActionSettings): { records: AmplitudeRecord[]; urls: string[] } {
  const records: AmplitudeRecord[] = []
  const urls: string[] = []
  for (const c of captured) {
    const url = new URL(c.url)
    const endpoint = endpointOf(url)
    urls.push(`${url.origin}${url.pathname}`)
    if (endpoint === 'httpapi' || endpoint === 'batch') {
      const body = JSON.parse(c.body)
      assert.equal(body.api_key, settings.apiKey)
      for (const ev of body.events) records.push(body.options ? { endpoint, record: ev, options: body.options } : { endpoint, record: ev })
    } else {
      const params = new URLSearchParams(c.body)
      assert.equal(params.get('api_key'), String(settings.apiKey))
      const rawOptions = params.get('options')
      const options = rawOptions && rawOptions !== 'undefined' ? JSON.parse(rawOptions) : undefined
      const payload = JSON.parse(params.get(endpoint === 'usermap' ? 'mapping' : 'identification')!)
      for (const rec of Array.isArray(payload) ? payload : [payload]) {
        records.push(options ? { endpoint, record: rec, options } : { endpoint, record: rec })
      }
    }
  }
  return { records, urls }
}

let reference: any

/** Builds the reference destination (call once, e.g. in a `before` hook). */
export function startReference(): void {
  // The destination name only keys AJV's schema cache; "Actions Amplitude:<title>" trips the
  // newer fast-uri scheme check, so the reference runs under a space-free name.
  reference ??= core.createTestIntegration({ ...AmplitudeDestination, name: 'ActionsAmplitude' })
}

export interface ReferenceOptions {
  /**
   * Pins "now" for the reference: while the action runs, `dayjs.utc(undefined)` (groupIdentifyUser
   * with no `time`) is evaluated as `dayjs.utc(now)`. Pair with segamp's `{ now: () => now }`.
   */
  now?: number
}

/**
 * Runs one action of the reference destination; returns the records of the requests it made
 * (a capture must be installed), or Segment's validation error text (AggregateAjvError).
 */
export async function runReference(slug: ActionSlug, event: Obj, mapping: Obj, settings: ActionSettings, opts: ReferenceOptions = {}): Promise<Outcome> {
  if (!reference) throw new Error('startReference() first')
  captured.length = 0
  const realUtc = referenceDayjs.utc
  if (opts.now !== undefined) {
    const now = opts.now
    referenceDayjs.utc = (date?: unknown, ...rest: unknown[]) => realUtc(date === undefined ? now : date, ...rest)
  }
  try {
    await reference.executeAction(slug, { event, mapping, settings, signal: new AbortController().signal })
  } catch (e) {
    const err = e as Error
    if (err.name !== 'AggregateAjvError') throw err
    return { ok: false, reason: err.message }
  } finally {
    referenceDayjs.utc = realUtc
  }
  return { ok: true, ...toRecords(settings) }
}

/**
 * Captures the reference's requests at the actions-core fetch boundary (every request answers
 * 200; nothing reaches the network). Returns the function that restores the real fetch.
 */
export function installFetchCapture(): () => void {
  const realFetch = coreFetchModule.default
  coreFetchModule.default = async (request: { url: string; text(): Promise<string> }) => {
    captured.push({ url: request.url, body: await request.text() })
    return new coreFetchModule.Response('{"code":200}', { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return () => {
    coreFetchModule.default = realFetch
  }
}

/**
 * Captures the reference's requests with persistent nock interceptors on the given hosts
 * (answering 200). Returns the function that removes exactly these interceptors.
 */
export function installNockCapture(hosts: string[] = AMPLITUDE_HOSTS): () => void {
  const interceptors: unknown[] = []
  if (!nock.isActive()) nock.activate()
  for (const host of hosts) {
    const interceptor = nock(host).persist().post(/.*/)
    interceptors.push(interceptor)
    interceptor.reply(200, { code: 200 }).on('request', (req: { url: string }, _i: unknown, body: string) => captured.push({ url: req.url, body }))
  }
  return () => {
    for (const i of interceptors) nock.removeInterceptor(i)
    nock.restore()
  }
}
