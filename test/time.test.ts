/**
 * The one time-flag parser of every command (--since/--until of inspect, replay, diff-mappings;
 * --start/--end of export): ISO dates and times, YYYYMMDD and YYYYMMDDTHH as UTC, a bare number
 * as epoch seconds or milliseconds only when its size says which; anything else is a usage error.
 */
import { strict as assert } from 'node:assert'
import { parseTime } from '../src/time.js'
import { UsageError } from '../src/errors.js'

const refuses = (value: string, pattern: RegExp) =>
  assert.throws(
    () => parseTime('--since', value),
    (e: Error) => e instanceof UsageError && e.exitCode === 2 && pattern.test(e.message) && /--since/.test(e.message) && typeof (e as UsageError).hint === 'string',
  )

describe('time flags (one parser for every command)', () => {
  it('reads YYYYMMDD and YYYYMMDDTHH as UTC dates, not as epoch milliseconds', () => {
    assert.equal(parseTime('--since', '20240507'), Date.UTC(2024, 4, 7))
    assert.equal(parseTime('--since', '20240507T13'), Date.UTC(2024, 4, 7, 13))
  })

  it('reads a bare number below 1e11 as epoch seconds, a 12-14 digit one as milliseconds', () => {
    assert.equal(parseTime('--since', '1715040000'), 1715040000 * 1000)
    assert.equal(parseTime('--until', ' 1714521600000 '), 1714521600000)
  })

  it('reads ISO dates and times, without an offset as UTC', () => {
    assert.equal(parseTime('--since', '2024-05-01'), Date.UTC(2024, 4, 1))
    assert.equal(parseTime('--since', '2024-05-01T12:00'), Date.UTC(2024, 4, 1, 12))
    assert.equal(parseTime('--since', '2024-05-01 12:00:30.250'), Date.UTC(2024, 4, 1, 12, 0, 30, 250))
    assert.equal(parseTime('--since', '2024-05-01T12:00:00+02:00'), Date.UTC(2024, 4, 1, 10))
    assert.equal(parseTime('--since', '2024-05-01T12:00:00Z'), Date.UTC(2024, 4, 1, 12))
  })

  it('reads an ISO hour without minutes (2024-05-07T13, the dashed form of 20240507T13), as ISO 8601 allows', () => {
    assert.equal(parseTime('--since', '2024-05-07T13'), Date.UTC(2024, 4, 7, 13))
    assert.equal(parseTime('--start', '2024-05-07T13Z'), Date.UTC(2024, 4, 7, 13))
    assert.equal(parseTime('--until', '2024-05-07T13+02:00'), Date.UTC(2024, 4, 7, 11))
    refuses('2024-05-07T1', /not a time/)
    refuses('2024-05-07T24', /hours run 00-23/)
  })

  it('refuses numbers whose unit cannot be told, with exit 2 and a hint', () => {
    refuses('2024', /not a time/)
    refuses('123456', /not a time/)
    refuses('171504000000000', /not a time/)
    refuses('1715040000.5', /not a time/)
  })

  it('refuses words, empty values and dates that do not exist, saying which', () => {
    refuses('yesterday', /not a time/)
    refuses('', /not a time/)
    refuses('20240230', /not a real date/)
    refuses('2024-02-30', /not a real date/)
    refuses('20240507T24', /hours run 00-23/)
  })

  it('says that a date that does not exist is not a real date (not that hours run 00-23)', () => {
    assert.throws(
      () => parseTime('--start', '20240230T00'),
      (e: Error) => /not a real date/.test(e.message) && !/hours run/.test(e.message),
    )
  })
})
