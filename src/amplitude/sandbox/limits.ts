/**
 * Limits the sandbox enforces. Defaults follow docs/amplitude-api.md; every value can be
 * lowered in tests (e.g. a 1-second window with 5 events/s) to trigger behaviour quickly.
 */
export interface SandboxLimits {
  /** Largest accepted /2/httpapi body in bytes (after gzip decompression). Docs: "under 1 MB". */
  httpApiMaxBytes: number
  /** Largest accepted /batch body in bytes. Docs: 20 MB. */
  batchMaxBytes: number
  /** Largest accepted /identify, /groupidentify, /usermap body in bytes. Docs: 1 MB. */
  formMaxBytes: number
  /** Most events per /2/httpapi request (docs: "fewer than"/"up to" 2,000; 2,000 accepted). */
  httpApiMaxEvents: number
  /** Most events per /batch request. */
  batchMaxEvents: number
  /** Most identifications per /identify request (undocumented; sandbox assumption). */
  identifyMaxItems: number
  /** Most group identifications per /groupidentify request. Docs: 1,024. */
  groupIdentifyMaxItems: number
  /** Most mappings per /usermap request. Docs: 2,000. */
  usermapMaxItems: number
  /** Default minimum user_id/device_id length (overridable per request by options.min_id_length). */
  minIdLength: number
  /** Longest accepted user_id/device_id/insert_id/event_type string. Docs: 1,024. */
  maxStringLength: number
  /** Per user_id/device_id events/s threshold on /2/httpapi and /identify. Docs: 30. */
  httpApiEps: number
  /** Per user_id/device_id events/s threshold on /batch. Docs: 1,000. */
  batchEps: number
  /** Per-project (API key) events/s on /2/httpapi before a 429 without per-id detail. Docs: 50,000. */
  httpApiProjectEps: number
  /** Per-project (API key) events/s on /batch. Docs: 100,000 ("other endpoints"). */
  batchProjectEps: number
  /** Window over which the per-id rate is averaged (ms). Docs: 30 s. */
  throttleWindowMs: number
  /** Events per id per rolling daily window before exceeded_daily_quota. Docs: 500,000. */
  dailyQuota: number
  /** Length of the daily-quota window (ms). Default 24 h. */
  dailyQuotaWindowMs: number
  /** /usermap calls allowed per second, averaged over throttleWindowMs (docs: 50/s over 30 s). */
  usermapCallsPerSecond: number
  /** insert_id dedup window (ms). Docs: 7 days. */
  dedupWindowMs: number
  /** /api/2/export answers 400 when the zip for the range would be larger (bytes). Docs: 4 GB. */
  exportMaxBytes: number
  /** Longest /api/2/export range in hours. Docs: 365 days. */
  exportMaxHours: number
  /** Events per hourly file inside the export zip (Amplitude splits an hour into several files). */
  exportEventsPerFile: number
}

export const DEFAULT_LIMITS: SandboxLimits = Object.freeze({
  httpApiMaxBytes: 1_000_000,
  batchMaxBytes: 20_000_000,
  formMaxBytes: 1_000_000,
  httpApiMaxEvents: 2000,
  batchMaxEvents: 2000,
  identifyMaxItems: 2000,
  groupIdentifyMaxItems: 1024,
  usermapMaxItems: 2000,
  minIdLength: 5,
  maxStringLength: 1024,
  httpApiEps: 30,
  batchEps: 1000,
  httpApiProjectEps: 50_000,
  batchProjectEps: 100_000,
  throttleWindowMs: 30_000,
  dailyQuota: 500_000,
  dailyQuotaWindowMs: 24 * 60 * 60 * 1000,
  usermapCallsPerSecond: 50,
  dedupWindowMs: 7 * 24 * 60 * 60 * 1000,
  exportMaxBytes: 4 * 1024 ** 3,
  exportMaxHours: 365 * 24,
  exportEventsPerFile: 50_000,
})

export function resolveLimits(partial?: Partial<SandboxLimits>): SandboxLimits {
  const out: SandboxLimits = { ...DEFAULT_LIMITS }
  if (partial) {
    for (const key of Object.keys(partial) as Array<keyof SandboxLimits>) {
      const v = partial[key]
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = v
    }
  }
  return out
}

/** Limits that never throttle (per id, per project, daily quota): for throughput measurements. */
export const NO_THROTTLE: Partial<SandboxLimits> = Object.freeze({
  httpApiEps: 1e12,
  batchEps: 1e12,
  httpApiProjectEps: 1e12,
  batchProjectEps: 1e12,
  dailyQuota: 1e15,
  usermapCallsPerSecond: 1e12,
})
