/**
 * `replay --retry-dead-letters` reads no archive: --state-dir alone says where the dead letters
 * are; a retry with nothing to resend says so in a named warning (exit 0); a state directory that
 * does not exist is exit 2 with a hint, and is not created.
 */
import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { nothingToRetryWarning, type RetryReport } from '../../src/replay/retry-dead-letters.js'

const LIVE = ['--api-key', 'key-0123456789abcdef', '--yes', '--endpoint-url', 'http://127.0.0.1:9', '--no-progress']

describe('replay --retry-dead-letters: no ARCHIVE needed', function () {
  this.timeout(60_000)

  it('a finished run without dead letters, --state-dir only: "nothing to retry" warning, exit 0', async () => {
    const dir = tempDir()
    const st = join(dir, 'st')
    const first = await runCli(['replay', 'examples/segment-logs', '--sandbox', '--sandbox-dir', join(dir, 'sb'), '--state-dir', st, '--no-progress'])
    assert.equal(first.code, 0, first.stderr)
    const r = await runCli(['replay', '--retry-dead-letters', '--sandbox', '--sandbox-dir', join(dir, 'sb'), '--state-dir', st, '--no-progress'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.stderr.includes(`Warning: nothing to retry: ${st} holds no dead letters`), r.stderr)
  })

  it('a --state-dir that does not exist: exit 2 with a hint, and no directory created', async () => {
    const st = join(tempDir(), 'no', 'such')
    const r = await runCli(['replay', '--retry-dead-letters', '--state-dir', st, ...LIVE])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: ${st} does not exist: there are no dead letters to retry there`), r.stderr)
    assert.match(r.stderr, /Hint: Give --state-dir the state directory of the replay that dead-lettered them/)
    assert.equal(existsSync(join(st, '..')), false)
  })

  it('neither ARCHIVE nor --state-dir: exit 2 saying which is needed; a plain replay without ARCHIVE: exit 2', async () => {
    const retry = await runCli(['replay', '--retry-dead-letters', ...LIVE], { cwd: tempDir() })
    assert.equal(retry.code, 2, retry.stderr)
    assert.match(retry.stderr, /Error: --retry-dead-letters needs --state-dir DIR, or the ARCHIVE of the replay that dead-lettered the records/)
    const plain = await runCli(['replay', '--dry-run'], { cwd: tempDir() })
    assert.equal(plain.code, 2, plain.stderr)
    assert.match(plain.stderr, /Error: missing ARCHIVE: give archive files or directories, s3:\/\/bucket\/prefix, or - for stdin/)
  })

  it('dead letters there, but none of the reasons asked: the warning names what is there', () => {
    const report = (remaining: Record<string, number>, selected = 0) =>
      ({ stateDir: 'st', retry: { selected, sent: 0, deadLetteredAgain: 0, notRetryable: 0, remaining } }) as unknown as RetryReport
    assert.equal(
      nothingToRetryWarning(report({ payload_too_large: 2 }), undefined),
      'nothing to retry: st holds 2 dead letter(s) (payload_too_large 2), none of them a record to resend of --reasons exceeded_daily_quota,throttled,retries_exhausted,not_ingested (--reasons all selects every reason)',
    )
    assert.equal(nothingToRetryWarning(report({}), ['all']), 'nothing to retry: st holds no dead letters')
    assert.equal(nothingToRetryWarning(report({ throttled: 1 }, 1), undefined), undefined)
  })
})
