/**
 * Each input line's outcome, from the moment it is read to the moment it settles: the one place
 * that turns a classified line (see `LineOutcome`) into a ledger entry, and an acknowledged or
 * dead-lettered record back into its line's outcome. The replay engine only hands lines in and
 * records out; what a line counts as, and when it is done, is decided here.
 *
 * Records travel through delivery with a ticket (their line's entry, subscription, endpoint and
 * index among the line's records): the ticket is what comes back on an acknowledgement or a dead
 * letter, so no table of records in flight is kept. A dry run settles per written request
 * (`written`): its records hold nothing once their request is out.
 */
import type { SourceRef } from '../../types.js'
import type { LineEntry } from './ledger.js'
import type { Commit, LineData } from './committer.js'
import type { ReplayCounts } from './report.js'
import { noteSkipped, noteUnreadable } from './count.js'
import { rereadUnreadable } from './unreadable.js'

/** What one archive item amounts to; the same rules for every command (see src/pipeline/index.ts). */
export type LineOutcome<P = unknown> =
  | { kind: 'file'; file: string; format: 'ndjson' | 'csv' }
  /** A file's end: complete once the position passes it (`lines` + 1 is the end's own "line"); `blank`: no line held data. */
  | { kind: 'end'; file: string; lines: number; blank?: true; headerOnly?: true }
  | { kind: 'skipped'; path: string; reason: string }
  /** `retryable`: it may read another time (a store failing past its retries); see count.ts. */
  | { kind: 'unreadable'; file: string; reason: string; retryable?: boolean }
  /** Not a message (bad JSON, no type…), or a message that could not be processed (`message`). */
  | { kind: 'rejected'; ref: SourceRef; category: string; reason: string; text: string; message: boolean }
  /** A message a filter removed (or another shard owns); `duplicate` when its messageId was seen before. */
  | { kind: 'filtered'; ref: SourceRef; reason: string; duplicate: boolean; message: boolean }
  | { kind: 'message'; ref: SourceRef; duplicate: boolean; plan: P }

/** A record on its way through delivery: what its acknowledgement or dead letter settles. */
export interface Ticket {
  entry: LineEntry<LineData>
  sub: number
  endpoint: string
  /** The record's index among the line's records (what a checkpoint's `partial` names). */
  index: number
}

/** A line's record to send, with its ticket: one object (a record waiting in delivery is many). */
export type Ticketed<R> = Ticket & { record: R }

export interface DeadRecord {
  status: number | null
  reason: string
  attempts: number
  /** The request options (min_id_length): `--retry-dead-letters` resends the record as it was. */
  options?: Record<string, unknown>
  record: Record<string, unknown>
}

/** The part of a message plan the outcome needs (src/pipeline/plan.ts `LinePlan` of kind `message`). */
export interface MessageOutcomePlan<R extends { sub: number; ser: { endpoint: string } }> {
  matched: number[]
  invalid: NonNullable<LineData['invalid']>
  records: R[]
  mixed: number
  /** Matched subscriptions that ran the exact mapping path. */
  fallbacks?: number
}

export interface LineOutcomes {
  /**
   * Applies one line's outcome; for a message, returns the records still to send (an interrupted
   * run's acknowledged ones are left out), each with its ticket.
   */
  add<R extends { sub: number; ser: { endpoint: string } }>(o: LineOutcome<MessageOutcomePlan<R>>): Array<Ticketed<R>>
  /** Records acknowledged (one response, or one written request of a dry run). */
  acked(tickets: Iterable<Ticket>): void
  /** A record dead-lettered (or that could not even be serialized). */
  dead(ticket: Ticket, dead: DeadRecord): void
}

export interface OutcomeOptions {
  commit: Commit
  counts: ReplayCounts
  /** The counts of the run this one resumes: its unreadable files are read again. */
  previous?: ReplayCounts
  /** Lines an earlier run settled already (their file ends are not counted again). */
  skipLine?: (file: string, line: number) => boolean
  onWarning?: (text: string) => void
  /** A file read to its end without one line (an empty file, an empty gzip, stdin at its end, a CSV header row only: `headerOnly`). */
  onEmptyFile?: (file: string, headerOnly: boolean) => void
  /** Escapes control characters in what a warning quotes (a path, a reason). */
  visible: (text: string) => string
}

export function openLineOutcomes(o: OutcomeOptions): LineOutcomes {
  const { commit, counts } = o
  const { ledger } = commit
  const endOfFile = rereadUnreadable(o.previous)
  const sent = sentOutcomes()
  const settleOne = (t: Ticket): void => {
    t.entry.data.outcomes!.push(sent(t.sub, t.endpoint))
    commit.ack(t.entry, t.index)
  }
  return {
    add(line) {
      switch (line.kind) {
        case 'file':
          return []
        case 'end': {
          // A file that could not be read is unreadable (warned above), not empty.
          if ((line.lines === 0 || line.blank) && !counts.unreadableFiles.some((u) => u.file === line.file)) o.onEmptyFile?.(line.file, line.headerOnly === true)
          const ref = { file: line.file, line: line.lines + 1 }
          // Also when an earlier run settled the end already: then it is not counted again.
          ledger.add(ref, 0, endOfFile(line.file, o.skipLine?.(ref.file, ref.line) === true))
          return []
        }
        case 'skipped':
          noteSkipped(counts, line.path, line.reason)
          o.onWarning?.(`skipped: ${o.visible(line.path)}: ${o.visible(line.reason)}`)
          return []
        case 'unreadable':
          endOfFile.unreadable(line.file)
          // A resumed run meets a file it already reported again: counted once.
          noteUnreadable(counts, line.file, line.reason, line.retryable)
          o.onWarning?.(`unreadable: ${o.visible(line.file)}: ${o.visible(line.reason)}`)
          return []
        case 'rejected':
          ledger.add(line.ref, 0, { kind: 'rejected', reason: line.reason, text: line.text, category: line.category })
          return []
        case 'filtered':
          ledger.add(line.ref, 0, { kind: 'filtered', reason: line.reason, duplicate: line.duplicate })
          return []
        case 'message':
          return addMessage(commit, line.ref, line.duplicate, line.plan)
      }
    },
    acked(tickets) {
      for (const t of tickets) settleOne(t)
      // One checkpoint per response: a crash then resends only the requests in flight.
      commit.saveSoon()
    },
    dead(t, dead) {
      t.entry.data.outcomes!.push({ sub: t.sub, endpoint: t.endpoint, dead })
      ledger.settle(t.entry)
      commit.saveSoon()
    },
  }
}

type SentOutcome = Readonly<{ sub: number; endpoint: string }>

/**
 * The outcome of an acknowledged record, one frozen object per (subscription, endpoint) for the
 * whole run: a line keeps its records' outcomes until it commits, and a live run's lines wait
 * long enough for an object per record to outlive young-generation GC.
 */
function sentOutcomes(): (sub: number, endpoint: string) => SentOutcome {
  const bySub: Array<Map<string, SentOutcome> | undefined> = []
  return (sub, endpoint) => {
    const m = (bySub[sub] ??= new Map())
    let o = m.get(endpoint)
    if (o === undefined) m.set(endpoint, (o = Object.freeze({ sub, endpoint })))
    return o
  }
}

function addMessage<R extends { sub: number; ser: { endpoint: string } }>(commit: Commit, ref: SourceRef, duplicate: boolean, plan: MessageOutcomePlan<R>): Array<Ticketed<R>> {
  const data: LineData = {
    kind: 'message',
    duplicate,
    matched: plan.matched,
    outcomes: [],
    invalid: plan.invalid,
    records: plan.records.length,
    mixed: plan.mixed,
    fallbacks: plan.fallbacks,
  }
  // Records an interrupted run had sent already (the line was not settled then) are not sent again.
  const done = commit.takePartial(ref)
  for (const i of done) {
    const it = plan.records[i]
    if (it) data.outcomes!.push({ sub: it.sub, endpoint: it.ser.endpoint })
  }
  if (done.size > 0) data.acked = [...done]
  const entry = commit.ledger.add(ref, plan.records.length - data.outcomes!.length, data)
  if (done.size > 0) commit.partlySent(entry)
  const out: Array<Ticketed<R>> = []
  const records = plan.records
  for (let index = 0; index < records.length; index++) {
    const record = records[index]
    if (done.size === 0 || !done.has(index)) out.push({ entry, sub: record.sub, endpoint: record.ser.endpoint, index, record })
  }
  return out
}

/** What delivery reports beyond acknowledgements and dead letters, counted for the report. */
export interface DeliveryEvents {
  onRetry(): void
  onThrottle(info: { pauseMs: number }): void
}

/** Retries and throttles, counted; the wall time during which at least one id was paused too. */
export function countDeliveryEvents(counts: ReplayCounts): DeliveryEvents {
  let pausedUntil = 0
  return {
    onRetry() {
      counts.retries++
    },
    onThrottle(info) {
      counts.throttles++
      counts.throttledMs += info.pauseMs
      // Pauses overlap; their sum is per id.
      const t = Date.now()
      const until = t + info.pauseMs
      counts.throttledWallMs = (counts.throttledWallMs ?? 0) + Math.max(0, until - Math.max(t, pausedUntil))
      pausedUntil = Math.max(pausedUntil, until)
    },
  }
}
