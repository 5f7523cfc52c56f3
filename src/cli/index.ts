/**
 * # cli: what every command shares
 *
 * Owns the command line's common parts: the base command (`base.ts`: one error model rendered
 * to stderr or as `--json`, exit codes, flushed output), shared flags and their checks
 * (`flags.ts`, `common.ts`), progress and terminal-safe output (`progress.ts`, `terminal.ts`),
 * inputs and S3 settings from flags (`s3-input.ts`, `state-dir.ts`), the default worker count
 * under a container's CPU quota (`cpu-quota.ts`), Classic settings and rename maps read from
 * files (`classic-input.ts`), and each command's session, which a command calls once with its
 * parsed flags: `replay-session*.ts` (confirmation, signals, resume advice), `inspect-session.ts`,
 * `diff-session.ts` (inputs read, progress, Ctrl-C, the report written), `migrate-session.ts`
 * (settings read, configuration written, verification reported, the plan confirmed and applied),
 * `export-session.ts` and `sandbox-session.ts`.
 *
 * It must never do a service's work (read an archive, map, send, compare): it turns flags into
 * a service's options and its result into output. Nothing but src/commands/ imports it
 * (`services-not-cli`, `stages-not-cli` in .dependency-cruiser.cjs).
 */
export { SegampCommand } from './base.js'
