/**
 * What `segamp replay` prints when a run ends: the summary of the replay report (src/pipeline/commit/report.ts
 * builds the report; this renders it). Every piece of archive data is passed through `visible()`.
 */
import { Chalk } from 'chalk'
import { visible } from '../text.js'
import { mixedUserPropertiesSummary } from '../segment/subscriptions/mixed-user-properties.js'
import { isS3State, partName, STATE_FILES, type LogName, type ReplayReport } from '../pipeline/commit/index.js'
import { formatHour, HOUR_MS } from '../amplitude/export-api/hours.js'

const n = (v: number) => v.toLocaleString('en-US')

export function renderReplaySummary(r: ReplayReport, opts: { color: boolean; sandbox?: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 })
  const lines: string[] = []
  const verb = r.dryRun ? 'planned (dry run, nothing sent)' : 'sent'
  const title = r.alreadyDone
    ? `Replay already complete (checkpoint says done); use --fresh to replay again${r.deadLettered > 0 ? `, or --retry-dead-letters to resend the ${n(r.deadLettered)} dead-lettered record(s) (--reasons to choose which)` : ''}`
    : r.error
      ? c.red(`Replay aborted: ${r.error}`)
      : r.interrupted
        ? c.yellow('Replay interrupted')
        : 'Replay finished'
  lines.push(c.bold(title))
  if (!r.alreadyDone) lines.push(...reconciliation(r))
  const filtered = Object.values(r.filtered).reduce((a, b) => a + b, 0)
  const rows: Array<[string, string]> = [
    ['messages read', `${n(r.messages)}${r.leftForResume ? `  (and ${n(r.leftForResume)} read but not settled: the resume reads them again)` : ''}`],
    [
      'filtered',
      `${n(filtered)}${
        filtered
          ? `  (${Object.entries(r.filtered)
              .map(([k, v]) => `${k} ${n(v)}`)
              .join(', ')})`
          : ''
      }`,
    ],
    ['rejected lines', r.rejected ? c.yellow(n(r.rejected)) : '0'],
    ['duplicate messageIds', n(r.duplicates)],
    [`events ${verb}`, n(r.dryRun ? r.wouldSend : r.sent)],
    ['dead-lettered', r.deadLettered ? c.yellow(n(r.deadLettered)) : '0'],
    ['requests', n(r.requests)],
    ['retries', n(r.retries)],
    [
      'throttled (429) pauses',
      `${n(r.throttles)}${r.throttledMs ? `  (ids paused ${(r.throttledWallMs / 1000).toFixed(1)} s of the run; ${(r.throttledMs / 1000).toFixed(1)} s summed over the paused ids)` : ''}`,
    ],
    [
      'duration',
      `${(r.durationMs / 1000).toFixed(1)} s${r.sentThisRun && r.durationMs ? `  (${n(Math.round((r.sentThisRun / r.durationMs) * 1000))} events/s${r.resumed ? `, ${n(r.sentThisRun)} sent by this run` : ''})` : ''}`,
    ],
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(w)}  ${v}`)

  lines.push('', c.bold('By subscription'))
  // `dead` counts every dead-lettered record of the subscription: its invalid ones (never sent)
  // in the first row, so the column adds up to the dead-lettered total above.
  const subRows: string[][] = [['subscription', 'action', 'messages', 'invalid', 'endpoint', r.dryRun ? 'planned' : 'sent', 'dead']]
  for (const s of r.subscriptions) {
    const eps = Object.entries(s.byEndpoint)
    if (eps.length === 0) subRows.push([visible(s.name), s.actionSlug, n(s.messages), n(s.invalid), '-', '0', n(s.invalid)])
    const shown = (v: { sent: number; wouldSend?: number }): string => n(r.dryRun ? (v.wouldSend ?? v.sent) : v.sent)
    eps.forEach(([ep, v], i) =>
      subRows.push(
        i === 0
          ? [visible(s.name), s.actionSlug, n(s.messages), n(s.invalid), `/${ep}`, shown(v), n(v.deadLettered + s.invalid)]
          : ['', '', '', '', `/${ep}`, shown(v), n(v.deadLettered)],
      ),
    )
  }
  const widths = subRows[0].map((_, i) => Math.max(...subRows.map((row) => row[i].length)))
  for (const row of subRows)
    lines.push(
      '  ' +
        row
          .map((cell, i) => (i >= 2 && i !== 4 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
    )

  if (r.subscriptions.some((s) => s.invalid > 0))
    lines.push("  invalid: matched, but the action's schema rejected the event (Segment would not send it); dead-lettered with Segment's reason")
  if (r.deadLettered > 0) {
    lines.push('', c.yellow(`Dead-letter reasons (records in ${stateFileName(r.stateDir, 'deadLetter', true)})`))
    for (const [k, v] of Object.entries(r.deadLetterReasons).sort((a, b) => b[1] - a[1])) lines.push(`  ${n(v).padStart(8)}  ${visible(k)}`)
  }
  if (Object.keys(r.rejectedByReason).length > 0) {
    lines.push('', c.yellow('Rejected lines'))
    for (const [k, v] of Object.entries(r.rejectedByReason)) lines.push(`  ${n(v).padStart(8)}  ${k}`)
  }
  if (r.unreadableFiles.length > 0) {
    lines.push('', c.red('Unreadable files'))
    for (const f of r.unreadableFiles) lines.push(`  ${visible(f.file)}: ${visible(f.reason)}`)
    if (r.unreadableFiles.some((f) => f.retryable))
      lines.push(
        c.yellow(
          opts.sandbox
            ? '  The store failed past its retries: run the same command again later (a sandbox run starts fresh and reads everything again; exit 75).'
            : '  The store failed past its retries: run the same command again later; it resumes and reads what could not be read (exit 75).',
        ),
      )
  }
  const mixed = mixedUserPropertiesSummary(r.mixedUserProperties ?? 0)
  if (mixed) lines.push('', mixed)
  lines.push(
    '',
    `State: ${r.stateDir} (${STATE_FILES.report}${r.deadLettered ? `, ${stateFileName(r.stateDir, 'deadLetter')}` : ''}${r.rejected ? `, ${stateFileName(r.stateDir, 'rejected')}` : ''})`,
  )
  return lines.join('\n')
}

/** After `replay --sandbox`: what the sandbox ingested, where it was saved, and how to export it. */
/**
 * The headline's two sums: lines → messages (filtered or mapped) and rejected lines; mapped
 * messages → events (sent, dead-lettered, pending). Messages and events are different units (a
 * message can make several events, or none): each sum stays within its unit. Pure.
 */
export function reconciliation(r: ReplayReport): string[] {
  const filtered = Object.values(r.filtered).reduce((a, b) => a + b, 0)
  const invalid = r.subscriptions.reduce((a, s) => a + s.invalid, 0)
  const sent = r.dryRun ? r.wouldSend : r.sent
  const deadEvents = r.deadLettered - invalid
  const pending = Math.max(0, r.planned - sent - deadEvents)
  const events = [`${n(sent)} ${r.dryRun ? 'would be sent' : 'sent'}`, `${n(deadEvents)} dead-lettered`, ...(pending ? [`${n(pending)} not settled`] : [])]
  return [
    `  ${n(r.messages + r.rejected)} lines = ${n(r.messages)} messages (${n(filtered)} filtered, ${n(r.messages - filtered)} mapped) + ${n(r.rejected)} rejected lines`,
    `  ${n(r.messages - filtered)} mapped messages → ${n(r.planned)} events = ${events.join(' + ')}${invalid ? `; ${n(invalid)} more failed the action's schema (dead-lettered, never sent)` : ''}`,
  ]
}

export function renderSandboxIngested(o: { lines: string[]; saved: string; receivedAt: number[]; bin: string }): string {
  let lo = Infinity
  let hi = -Infinity
  for (const t of o.receivedAt) {
    lo = Math.min(lo, t)
    hi = Math.max(hi, t)
  }
  const exportCommand = Number.isFinite(lo)
    ? `${o.bin} export --sandbox --start ${formatHour(Math.floor(lo / HOUR_MS))} --end ${formatHour(Math.floor(hi / HOUR_MS))} --out DIR`
    : undefined
  return ['', 'Sandbox ingested:', ...o.lines.map((l) => `  ${l}`), `  Saved to ${o.saved}${exportCommand ? `; export it with: ${exportCommand}` : ''}`].join('\n')
}

/** After a run that stopped early: how to resume it (or why stdin cannot be). */
/**
 * The last lines of an aborted live run, as every other failure ends: `Error:` (what stopped it) and
 * a `Hint:` (what to check, then resume). The summary and the resume command are printed above.
 */
export function renderAbortError(error: string, o: { fromStdin: boolean; sandbox?: boolean; hint?: string }): string {
  const then = o.fromStdin
    ? 'then replay the data from a file (stdin cannot be resumed)'
    : o.sandbox
      ? 'then run the same command again (a sandbox run starts fresh)'
      : 'then run the resume command above: what Amplitude acknowledged is not sent again'
  // What to check is decided where the stop is (the answer's classification, a budget of the
  // retry policy) and carried as `hint` (the report's errorHint): never guessed from the error's
  // words, which hold URLs, ports and a server's text.
  const check = o.hint ?? 'Fix what the error names'
  return `Error: ${error}\nHint: ${check}; ${then}.`
}

export function renderResumeAdvice(o: { fromStdin: boolean; command: string; needs: string[] }): string {
  if (o.fromStdin) {
    return 'Input from stdin cannot be resumed (it cannot be read again): save it to a file and replay the file, which resumes. Replaying the same data again sends it all again: events are dropped by Amplitude as duplicates (insert_id), identify calls are applied again.'
  }
  return `Resume with:\n  ${o.command}${o.needs.length ? `\n(with ${o.needs.join(', and ')})` : ''}`
}

/** An append-only file of a state directory as a user finds it: a file, or s3:// part objects. */
function stateFileName(stateDir: string, log: LogName, full = false): string {
  const name = isS3State(stateDir) ? partName(log, 1).replace('000001', '*') : STATE_FILES[log]
  if (!full) return name
  return isS3State(stateDir) ? `${stateDir.replace(/\/?$/, '/')}${name}` : `${stateDir}/${name}`
}
