/** What a replay says about itself matches what it did (issue #21, item 14). */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readNdjson, tempDir, writeFile } from '../helpers/files.js'
import { device, replayHarness, trackMessage, waitFor, writeArchive } from '../helpers/replay.js'
import { renderReplaySummary } from '../../src/replay/render.js'

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

  it('the summary\'s headline reconciles lines, messages and events; a dry run says "would be sent"', async () => {
    const root = tempDir('segamp-words-')
    const archive = writeArchive(root, { messages: 40, devices: 4, shortIdEvery: 8, garbageEvery: 10 })
    const sb = await sandbox()
    const report = await run({ inputs: [archive.dir], stateDir: join(root, 'state'), endpointUrl: sb.url, filters: { types: ['track'] } })
    const text = renderReplaySummary(report, { color: false })
    // 44 lines: 4 not JSON; 40 messages, all tracks, all mapped; 5 of them with a 3-character user_id Amplitude refuses.
    assert.match(text, /^ {2}44 lines = 40 messages \(0 filtered, 40 mapped\) \+ 4 rejected lines$/m)
    assert.match(text, /^ {2}40 mapped messages → 40 events = 35 sent \+ 5 dead-lettered$/m)
    const dry = await run({ inputs: [archive.dir], stateDir: join(root, 'dry'), dryRun: true })
    assert.match(renderReplaySummary(dry, { color: false }), /^ {2}40 mapped messages → 40 events = 40 would be sent \+ 0 dead-lettered$/m)
  })

  it('an object the store kept failing: a sandbox run is told it starts fresh, not that it resumes', async () => {
    const root = tempDir('segamp-words-')
    const archive = writeArchive(root, { messages: 4, devices: 1 })
    const sb = await sandbox()
    const report = await run({ inputs: [archive.dir], stateDir: join(root, 'state'), endpointUrl: sb.url })
    report.unreadableFiles = [{ file: 's3://arch/logs/a.gz', reason: 'the store kept failing', retryable: true }]
    const live = renderReplaySummary(report, { color: false })
    assert.match(live, /run the same command again later; it resumes and reads what could not be read \(exit 75\)/)
    const fresh = renderReplaySummary(report, { color: false, sandbox: true })
    assert.match(fresh, /run the same command again later \(a sandbox run starts fresh and reads everything again; exit 75\)/)
    assert.doesNotMatch(fresh, /resumes/)
  })

  it('a line nested too deeply is a rejected line with its text, as the README says', async () => {
    const root = tempDir('segamp-words-')
    const deep = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000)
    const line = `{"type":"track","event":"Deep","messageId":"deep-1","anonymousId":"anon-12345","properties":${deep}}`
    writeFile(join(root, 'in', 'a.ndjson'), `${JSON.stringify(trackMessage(1, device(1)))}\n${line}\n`)
    const stateDir = join(root, 'state')
    const report = await run({ inputs: [join(root, 'in')], stateDir, dryRun: true })
    assert.deepEqual(report.rejectedByReason, { unprocessable: 1 })
    assert.equal(report.deadLettered, 0)
    const rejected = readNdjson(join(stateDir, 'rejected.ndjson')) as Array<{ line: number; reason: string; text: string }>
    assert.equal(rejected.length, 1)
    assert.equal(rejected[0].line, 2)
    assert.match(rejected[0].reason, /^unprocessable: /)
    assert.equal(rejected[0].text, line)
  })
})
