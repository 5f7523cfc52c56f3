/**
 * # replay: one replay, as a library call
 *
 * Owns what makes a run of the pipeline a replay: its identity and state directory
 * (`run-identity.ts`, `state.ts`), the input and what an earlier run settled (`input.ts`), its
 * settings for the planner and delivery (`settings.ts`), where records go, live or `--out`
 * (`sink.ts`), the run itself (`engine.ts`: source → decode → route → map → deliver → commit),
 * `--retry-dead-letters`, the Classic stand-in of `replay --sandbox --classic`, `segamp status`
 * over shards, and what a run prints when it ends (`render.ts`).
 *
 * It must never write a line's outcome or the state directory's files (src/pipeline/commit/ does),
 * never read the command line (src/cli/ calls it), and other services never import it: what they
 * share is in src/pipeline/ (`services-not-cli`, `services-read-through-pipeline` in
 * .dependency-cruiser.cjs).
 */
export { replay, type ReplayOptions, type ReplayProgress } from './engine.js'
export { retryDeadLetters, type RetryOptions, type RetryReport } from './retry-dead-letters.js'
export { combineShards, readShardState, renderStatus, StatusError } from './status.js'
