/**
 * # deliver: records → acknowledged requests to Amplitude's HTTP V2, Batch, Identify and Group Identify APIs
 *
 * Owns everything between a mapped record and Amplitude's answer, one owner per concern:
 * - `requests.ts` (pure): endpoint, batching by count and bytes, bodies, headers. Never sends.
 * - `classify.ts` (pure): what an answer means for each record of its request. Never retries.
 * - `scheduler.ts`, the key scheduler: per-key order, paused and throttled ids, endpoint pauses.
 *   Never sends, never decides a fate.
 * - `retry.ts`, the retry policy (pure): fates → ack, dead letter or wait how long; attempt and
 *   throttle budgets; when the run must stop. Never schedules, never reads the clock.
 * - `pump.ts`, the request pump: packs ready records into requests, keeps `--concurrency` in
 *   flight, paces `--max-eps`. Never holds a record back for order, never interprets an answer.
 * - `transport.ts` (`node:http`): the only network I/O. `dry-run.ts` packs requests as a live run
 *   and writes them instead of sending; its writer (`createDryRunWriter`) settles per written
 *   request, handing back the tags its records were added with.
 * - `delivery.ts`, the engine: composes them; callbacks, counts, backpressure, flush, abort.
 *
 * It must never read input, decide what is sent (route and map did) or write state: every record
 * pushed in comes back exactly once through `onAck` or `onDeadLetter`, and commit records it.
 * It never reorders the records of one ordering key, and never logs a key or credential.
 */
export {
  assembleRequests,
  dryRunLine,
  displayUrl,
  type SerializedRecord,
  RequestAssembler,
  buildBody,
  buildHeaders,
  buildRequest,
  DEFAULT_BATCH_SIZE,
  DEFAULT_LIMITS,
  DEFAULT_USER_AGENT,
  effectiveLimit,
  endpointUrl,
  groupKey,
  keyFingerprint,
  MAX_BATCH_SIZE,
  normalizeBatchSize,
  redactRequest,
  REDACTED,
  resolveEndpoint,
  serializeRecord,
  type AssembledRequest,
  type AssembleOptions,
  type BuildOptions,
  type EndpointLimit,
  type HttpRequest,
} from './requests.js'
export { classifyResponse, scrubSecret, type Classification, type Fate, type HttpOutcome } from './classify.js'
export {
  backoffDelay,
  createDelivery,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STALLED_AFTER_MS,
  DEFAULT_UNREACHABLE_AFTER_MS,
  REFUSED_AFTER_MS,
  ROOM,
  DeliveryAbortedError,
  FatalDeliveryError,
  type DeadLetterInfo,
  type Delivery,
  type DeliveryCallbacks,
  type DeliveryItem,
  type DeliveryOptions,
  type DeliveryStats,
} from './delivery.js'
export { createHttpTransport, type Transport, type TransportOptions, type TransportResponse } from './transport.js'
export { createDryRunDelivery, createDryRunWriter, type DryRunWrite, type DryRunWriter } from './dry-run.js'
