/**
 * A replay's settings, built once from its options and passed as they are: the planner's part
 * (what the pipeline and every `--workers` thread decode, route and map by; the threads get it
 * as plain data through `toWorkerSettings`) and delivery's part (how requests are packed and
 * sent). The API key lives only in delivery's part: mapping and the threads never see it.
 *
 * A new planner flag is a field of `ReplayOptions` and one line here (plus its use in plan.ts).
 */
import type { Region } from '../types.js'
import type { AssembleOptions, DeliveryOptions } from '../pipeline/deliver/index.js'
import type { PlannerSettings } from '../pipeline/plan.js'
import type { ReplayOptions } from './engine.js'

/** What a dry run's requests carry when no key was given (redacted in `--out` unless asked). */
export const DRY_RUN_API_KEY = 'dry-run-api-key'
/** The key a `--sandbox` run sends with when none was given (the sandbox takes any). */
export const SANDBOX_API_KEY = 'sandbox-api-key'

export interface DeliverySettings {
  dryRun: boolean
  /** What live and dry-run delivery both pack requests by: a dry run's requests are the ones a live run would send. */
  packing: AssembleOptions & { apiKey: string; region: Region }
  concurrency?: number
  maxEps?: number
  /** Keep the real key in `--out` (only when one was given). */
  outIncludeKeys: boolean
  /** Engine knobs (retries, pauses, timeouts): tests and advanced use. */
  delivery?: Partial<DeliveryOptions>
}

export interface RunSettings {
  planner: PlannerSettings
  delivery: DeliverySettings
}

/** The API key a run sends with: the one given, else a dry run's placeholder. */
export function apiKeyOf(o: { apiKey?: string; dryRun?: boolean; sandbox?: boolean }): string {
  return o.apiKey ?? (o.sandbox ? SANDBOX_API_KEY : o.dryRun ? DRY_RUN_API_KEY : '')
}

export function runSettings(opts: ReplayOptions): RunSettings {
  const dryRun = Boolean(opts.dryRun)
  const forOut = dryRun && opts.out !== undefined
  return {
    planner: {
      subscriptions: opts.subscriptions,
      filters: opts.filters,
      shard: opts.shard,
      now: opts.now,
      useBatchEndpoint: opts.useBatchEndpoint,
      skipUserPropertiesSync: opts.skipUserPropertiesSync,
      forOut,
      // No run keeps a record object once it is serialized: a request needs only the JSON, and
      // delivery reads a record's fields only for a dead letter or a throttled id (parsed then).
      // Kept, every buffered record's object tree outlived young-generation GC.
      keepRecords: false,
    },
    delivery: {
      dryRun,
      packing: {
        apiKey: apiKeyOf(opts),
        region: opts.region ?? 'us',
        endpointUrl: opts.endpointUrl,
        useBatchEndpoint: opts.useBatchEndpoint,
        batchSize: opts.batchSize,
        skipUserPropertiesSync: opts.skipUserPropertiesSync,
      },
      concurrency: opts.concurrency,
      maxEps: opts.maxEps,
      outIncludeKeys: Boolean(opts.outIncludeKeys && opts.apiKey),
      delivery: opts.delivery,
    },
  }
}
