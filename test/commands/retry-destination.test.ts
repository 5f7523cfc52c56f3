/**
 * `replay --retry-dead-letters --state-dir DIR` sends to the API key and region it is given and
 * counts what is acknowledged as sent for DIR's run: another project's key moved the run's dead
 * letters to sent though its own project never got them. Another key or region is exit 2; another
 * endpoint (a proxy that moved, a sandbox restarted on another port) is fine.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { startSandbox, type Sandbox } from '../../src/amplitude/sandbox/index.js'

const KEY = 'key-0123456789abcdef'

describe('replay --retry-dead-letters: the run’s project only', function () {
  this.timeout(120_000)
  const sandboxes: Sandbox[] = []
  afterEach(async () => {
    for (const sb of sandboxes.splice(0)) await sb.close()
  })

  it('another --api-key or --region: exit 2, nothing sent or counted; the same key at another endpoint: sent', async () => {
    const quota = await startSandbox({ limits: { dailyQuota: 4 } })
    sandboxes.push(quota)
    const st = join(tempDir(), 'live')
    const first = await runCli(['replay', 'examples/segment-logs', '--endpoint-url', quota.url, '--api-key', KEY, '--yes', '--no-progress', '--state-dir', st])
    assert.equal(first.code, 3, first.stderr)
    const checkpoint = readFileSync(join(st, 'checkpoint.json'), 'utf8')
    const dead = (JSON.parse(readFileSync(join(st, 'report.json'), 'utf8')) as { deadLettered: number }).deadLettered
    assert.ok(dead > 0)

    const open = await startSandbox({ limits: { dailyQuota: 1e9 } })
    sandboxes.push(open)
    const retry = ['replay', '--retry-dead-letters', '--state-dir', st, '--endpoint-url', open.url, '--yes', '--no-progress']
    for (const other of [
      ['--api-key', 'another-project-key-0123'],
      ['--api-key', KEY, '--region', 'eu'],
    ]) {
      const r = await runCli([...retry, ...other])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, /holds the dead letters of a run that sent with another API key or --region \(run \w+\): retried with these, they would go to another project/)
      assert.doesNotMatch(r.stderr, /another-project-key-0123/)
    }
    assert.equal(open.stats().requests, 0)
    assert.equal(readFileSync(join(st, 'checkpoint.json'), 'utf8'), checkpoint)

    const ok = await runCli([...retry, '--api-key', KEY])
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stderr, new RegExp(`Dead letters retried from ${st.replace(/[/\\.]/g, '\\$&')}: ${dead} resent, ${dead} sent`))

    // A retry through the moved endpoint must not make the run look like another project's:
    // the next retry (the next day's quota, the same command) is still the run's.
    const again = await runCli([...retry, '--api-key', KEY])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /nothing to retry/)
    assert.doesNotMatch(again.stderr, /another API key/)
  })
})
