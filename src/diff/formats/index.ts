/**
 * # diff/formats: a diff report in the formats CI systems and people read
 *
 * Owns `--format` and `--report` beyond text, Markdown and JSON: GitHub annotations, step summary
 * and outputs (`github.ts`), JUnit XML (`junit.ts`), SARIF 2.1.0 (`sarif.ts`), the one-file HTML
 * report (`html.ts`, `html-client.ts`), the shared list of checks they are made from
 * (`items.ts`), the line of the mappings or Terraform file each finding comes from
 * (`locate.ts`), inputs that could not be read (`unreadable.ts`), and where each report is
 * written (`emit.ts`; the only other I/O is `html.ts` reading Chart.js from the installed package).
 *
 * It must never decide a finding or the exit code (src/diff/ compares, the command exits); the
 * renderers are functions of the report, and every value from the data is escaped for its format
 * (XML, HTML, workflow commands).
 */
export { emitDiffReport, parseReportTarget, checkDistinctFiles, defaultFormat, type ReportTarget } from './emit.js'
