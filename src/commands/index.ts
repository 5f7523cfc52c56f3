/**
 * # commands: the oclif commands
 *
 * Owns one file per command (`inspect`, `replay`, `diff-mappings`, `migrate`, `export`,
 * `status`, `sandbox`): its flags, arguments, help text and exit codes. Each is thin: flags →
 * one service call → render, through the base command of src/cli/.
 *
 * It must never hold the work itself (reading, mapping, sending, comparing, planning a
 * migration live in the services and the pipeline) and nothing imports it. oclif finds each
 * command file by itself; this file only opens the folder, and oclif's command discovery skips
 * it (`oclif.commands.globPatterns` in package.json), as an index file here would be taken for
 * the command of a single-command CLI.
 */
export {}
