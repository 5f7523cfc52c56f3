/** What `segamp export` prints when it is done, next to the download service (download.ts). Pure. */
import { formatBytes, formatCount } from '../text.js'
import type { ExportResult } from './download.js'
import { formatRange } from './hours.js'

export function renderExportSummary(r: ExportResult, o: { range: { start: number; end: number }; out: string; seconds: number; bin: string }): string {
  return [
    `Exported ${formatRange(o.range)} into ${o.out}: ${formatCount(r.hoursTotal)} hour(s), ${formatCount(r.hoursWithData)} with events, ${formatCount(r.hoursEmpty)} without; ${formatCount(r.files.length)} file(s)`,
    `${formatBytes(r.bytes)} downloaded in ${o.seconds.toFixed(1)} s${r.splits > 0 ? `; ${r.splits} request(s) refused as too large were split` : ''}${r.hoursResumed > 0 ? `; ${formatCount(r.hoursResumed)} hour(s) already done by an earlier run` : ''}`,
    r.hoursWithData === 0
      ? 'Amplitude holds no events uploaded in this range (404 for every hour): check the range (it is by upload time, UTC) and the project.'
      : `Compare: ${o.bin} diff-mappings <archive> --against ${o.out}`,
  ].join('\n')
}
