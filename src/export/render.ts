/** What `segamp export` prints when it is done, next to the download service (download.ts). Pure. */
import { formatBytes, formatCount } from '../text.js'
import type { ExportResult } from './download.js'
import { formatHour, formatRange } from '../amplitude/export-api/hours.js'

/** What a `--sandbox` export's sandbox holds: its events and their upload hours (epoch hours). */
export interface SandboxHeld {
  dir: string
  count: number
  first: number
  last: number
}

export function renderExportSummary(r: ExportResult, o: { range: { start: number; end: number }; out: string; seconds: number; bin: string; sandbox?: SandboxHeld }): string {
  return [
    `Exported ${formatRange(o.range)} into ${o.out}: ${formatCount(r.hoursTotal)} hour(s), ${formatCount(r.hoursWithData)} with events, ${formatCount(r.hoursEmpty)} without; ${formatCount(r.files.length)} file(s)`,
    `${formatBytes(r.bytes)} downloaded in ${o.seconds.toFixed(1)} s${r.splits > 0 ? `; ${r.splits} request(s) refused as too large were split` : ''}${r.hoursResumed > 0 ? `; ${formatCount(r.hoursResumed)} hour(s) already done by an earlier run` : ''}`,
    ...(r.hoursOpen > 0 ? [openHoursLine(r.hoursOpen, o)] : []),
    ...(r.outside.length > 0
      ? [
          `${o.out} also holds ${formatCount(r.outside.length)} piece(s) of other ranges an earlier export wrote (${r.outside
            .slice(0, 3)
            .map((p) => (p.start === p.end ? p.start : `${p.start}-${p.end}`))
            .join(', ')}${r.outside.length > 3 ? ', …' : ''}): diff-mappings --against ${o.out} reads them too; export into another --out to compare this range alone`,
        ]
      : []),
    r.hoursWithData > 0 ? `Compare: ${o.bin} diff-mappings <archive> --against ${o.out}` : nothingExported(o),
  ].join('\n')
}

/** Hours exported before they were complete (the latest ones, or the future): not recorded as finished. */
function openHoursLine(hours: number, o: { sandbox?: SandboxHeld }): string {
  const why = o.sandbox
    ? 'the current hour, or later: the sandbox can still receive events in them'
    : "the current hour and the one before, or later: Amplitude's data for an hour is complete about two hours after it"
  return `${formatCount(hours)} hour(s) not complete yet (${why}): exported what they hold now, not recorded as finished; the same command downloads them again`
}

/**
 * Not one hour held data. A sandbox's events carry the time `replay --sandbox` sent them (today,
 * not the archive's dates), so the hours it does hold are named, with the command for them.
 */
function nothingExported(o: { out: string; bin: string; sandbox?: SandboxHeld }): string {
  const s = o.sandbox
  if (!s || s.count === 0) return 'Amplitude holds no events uploaded in this range (404 for every hour): check the range (it is by upload time, UTC) and the project.'
  const [first, last] = [formatHour(s.first), formatHour(s.last)]
  return `The sandbox (${s.dir}) holds ${formatCount(s.count)} event(s) uploaded ${first} to ${last} (UTC), none in this range: its events carry the time replay --sandbox sent them. Export those hours: ${o.bin} export --sandbox --start ${first} --end ${last} --out ${o.out}`
}
