/**
 * # deliver: records → acknowledged requests to Amplitude's HTTP V2, Batch, Identify and Group Identify APIs
 *
 * Owns everything between a mapped record and Amplitude's answer:
 * - request assembly (`requests.ts`, pure): endpoint, batching by count and bytes, bodies, headers;
 * - response classification (`classify.ts`, pure): which records of a request are acknowledged,
 *   retried, throttled, split or dead-lettered, and whether the run must stop;
 * - the delivery engine (`delivery.ts`): per-key order, throttled ids and quota, retries with
 *   backoff, requests in flight, `--max-eps`;
 * - the transport (`transport.ts`, got) and the dry-run recorder (`dry-run.ts`), which packs
 *   requests exactly as a live run and writes them instead of sending.
 *
 * It must never read input, decide what is sent (route and map did) or write state: every record
 * pushed in comes back exactly once through `onAck` or `onDeadLetter`, and commit records it.
 * It never reorders the records of one ordering key, and never logs a key or credential.
 */
export {
  assembleRequests,
  dryRunLine,
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
  DeliveryAbortedError,
  FatalDeliveryError,
  type DeadLetterInfo,
  type Delivery,
  type DeliveryCallbacks,
  type DeliveryItem,
  type DeliveryOptions,
  type DeliveryStats,
} from './delivery.js'
export { createGotTransport, type Transport, type TransportOptions, type TransportResponse } from './transport.js'
