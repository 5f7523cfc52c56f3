/**
 * # segment/public-api: the part of Segment's Public API that `migrate` uses
 *
 * Owns the HTTP client (`client.ts`, docs/segment-public-api.md): destinations, a source's
 * connected destinations, destination metadata and subscriptions, created, updated and listed;
 * its regions, bearer-token auth, rate-limit waits (Retry-After) and its errors with what to do.
 *
 * It must never decide what to create or change (src/migrate/ plans that), and never show the
 * token: not in an error, a URL or a log line.
 */
export * from './client.js'
