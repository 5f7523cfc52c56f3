/** What a replay says about itself matches what it did (issue #21, item 14). */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, writeFile } from '../helpers/files.js'
import { device, replayHarness, trackMessage, waitFor } from '../helpers/replay.js'

const KEY = 'words-test-key-9f8e7d6c5b4a3921'
const { run, sandbox } = replayHarness(KEY, 'words-run')

const lines = (from: number, n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify(trackMessage(from + i, device(0)))).join('\n') + '\n'

describe('replay: honest words', function () {
  this.timeout(60_000)

  it('a resume does not call the files it has not reached yet "added since the checkpoint"', async () => {
    const root = tempDir('segamp-words-')
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) writeFile(join(root, 'in', `${name}.ndjson`), lines(i * 100, 40))
    const sb = await sandbox({ faults: { latencyMs: 20 } })
    const stateDir = join(root, 'state')
    const ac = new AbortController()
    const first = run({ inputs: [join(root, 'in')], endpointUrl: sb.url, stateDir, batchSize: 2, concurrency: 1, signal: ac.signal })
    const cp = join(stateDir, 'checkpoint.json')
    await waitFor('position in a.ndjson', () => existsSync(cp) && String(JSON.parse(readFileSync(cp, 'utf8')).position?.file).endsWith('a.ndjson'))
    ac.abort()
    assert.equal((await first).exitCode, 130)
    sb.setFaults({})
    const warnings: string[] = []
    const second = await run({ inputs: [join(root, 'in')], endpointUrl: sb.url, stateDir, onWarning: (w) => warnings.push(w) })
    assert.equal(second.exitCode, 0)
    assert.equal(second.sent, 160)
    assert.ok(!warnings.some((w) => /added since the checkpoint/.test(w)), warnings.join('\n'))
  })
})
