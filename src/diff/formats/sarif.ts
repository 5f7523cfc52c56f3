/**
 * `--format sarif`: the diff report as SARIF 2.1.0 for GitHub code scanning and other SARIF
 * viewers. One rule per finding kind, one result per finding (not same-name ones), located at the
 * line of the mappings or Terraform file that produces it. Pure: items in, JSON out.
 */
import type { CheckItem } from './items.js'
import { KIND_DESCRIPTIONS } from './items.js'
import { unreadableLine, type UnreadableInput } from './unreadable.js'

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'
/** Results written at most (the most frequent findings); the JSON report has them all. */
export const MAX_RESULTS = 5000

/** A relative path as a SARIF URI reference (forward slashes, each segment percent-encoded). */
export function sarifUri(file: string): string {
  return file
    .split(/[\\/]/)
    .map((s) => encodeURIComponent(s))
    .join('/')
}

export function renderSarif(items: readonly CheckItem[], opts: { version: string; path?: (file: string) => string; unreadable?: readonly UnreadableInput[] }): string {
  const all = items.filter((i) => i.kind !== 'same' && i.count > 0)
  // Code scanning takes at most 25,000 results and 10 MB a run: the most frequent findings, one example each.
  const findings = all.length > MAX_RESULTS ? [...all].sort((x, y) => y.count - x.count).slice(0, MAX_RESULTS) : all
  const ruleIds: string[] = []
  for (const i of findings) if (!ruleIds.includes(i.kind)) ruleIds.push(i.kind)
  const rules = ruleIds.map((id) => ({
    id,
    name: id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: `${id}: ${KIND_DESCRIPTIONS[id] ?? id}` },
    fullDescription: { text: `segamp diff-mappings finding kind "${id}": ${KIND_DESCRIPTIONS[id] ?? id}. Fails the check when it is one of the --fail-on kinds.` },
    defaultConfiguration: { level: 'warning' },
  }))
  const results = findings.map((i) => ({
    ruleId: i.kind,
    ruleIndex: ruleIds.indexOf(i.kind),
    level: i.failing ? 'error' : 'warning',
    message: { text: i.message },
    ...(i.location
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: sarifUri(opts.path ? opts.path(i.location.file) : i.location.file), uriBaseId: '%SRCROOT%' },
                region: { startLine: i.location.line },
              },
            },
          ],
        }
      : {}),
    partialFingerprints: { segampFinding: `${i.kind}/${i.label}` },
    properties: { messages: i.count, subscriptions: i.subscriptions, paths: i.paths.slice(0, 20), examples: i.examples.slice(0, 1) },
  }))
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'segamp', version: opts.version, rules } },
        results,
        // An input not read to the end: the run did not succeed (exit 2), whatever the results say.
        ...(opts.unreadable?.length
          ? {
              invocations: [
                {
                  executionSuccessful: false,
                  toolExecutionNotifications: opts.unreadable.map((f) => ({ level: 'error', message: { text: `input not read to the end: ${unreadableLine(f)}` } })),
                },
              ],
            }
          : {}),
        ...(all.length > findings.length ? { properties: { resultsLeftOut: all.length - findings.length } } : {}),
      },
    ],
  }
  return JSON.stringify(log, null, 2) + '\n'
}
