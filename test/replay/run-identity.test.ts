/**
 * A replay's run id (issue #21 item 5): what is read and sent, and the destination (API key
 * fingerprint, region, endpoint host), never the proxy credentials or the raw endpoint URL. A run
 * of the same inputs and mappings left unfinished under another id is found and its resume shown.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { endpointHost, findUnfinishedSibling, replayRunId, siblingAdvice, type RunIdentityParts } from '../../src/replay/run-identity.js'
import { tempDir, writeFile } from '../helpers/files.js'

const base: RunIdentityParts = {
  inputs: ['examples/segment-logs'],
  mappingsText: 'presets',
  work: { only: null, since: null, until: null, types: null, where: null, ig: false, batch: false, skip: false },
  destination: { apiKey: 'k'.repeat(32), region: 'us', endpointUrl: 'http://user:OLDPASS@proxy.example.com:8443/amp', sandbox: false, dryRun: false },
}
const withDest = (d: Partial<RunIdentityParts['destination']>): RunIdentityParts => ({ ...base, destination: { ...base.destination, ...d } })

describe('replay run identity', () => {
  it('a rotated proxy password, or another path or query on the same host, keeps the run id', () => {
    const id = replayRunId(base)
    assert.match(id, /^[0-9a-f]{12}$/)
    assert.equal(replayRunId(withDest({ endpointUrl: 'http://user:NEWPASS@proxy.example.com:8443/amp' })), id)
    assert.equal(replayRunId(withDest({ endpointUrl: 'http://other:x@PROXY.example.com:8443/' })), id)
  })

  it('another destination (API key, region, endpoint host) is another run, of the same work (same first 8 characters)', () => {
    const id = replayRunId(base)
    for (const d of [{ apiKey: 'z'.repeat(32) }, { region: 'eu' }, { endpointUrl: undefined }, { endpointUrl: 'http://proxy2.example.com:8443' }]) {
      const other = replayRunId(withDest(d))
      assert.notEqual(other, id, JSON.stringify(d))
      assert.equal(other.slice(0, 8), id.slice(0, 8))
    }
    assert.notEqual(replayRunId({ ...base, mappingsText: 'other' }).slice(0, 8), id.slice(0, 8))
  })

  it('endpointHost keeps host and port only', () => {
    assert.equal(endpointHost('https://u:p@Proxy.Example.com:8443/x?token=1'), 'proxy.example.com:8443')
    assert.equal(endpointHost(undefined), null)
  })

  it('finds an unfinished run of the same work under another id, and shows the command that resumes it', () => {
    const root = tempDir()
    const id = replayRunId(base)
    const old = replayRunId(withDest({ endpointUrl: undefined }))
    writeFile(join(root, old, 'checkpoint.json'), JSON.stringify({ version: 2, runId: old, done: false, counts: { messages: 120, sent: 100 } }))
    writeFile(join(root, old, 'report.json'), JSON.stringify({ runId: old, region: 'us', endpointUrl: null }))
    // Finished, or of other work: not offered.
    const done = id.slice(0, 8) + 'ffff'
    writeFile(join(root, done, 'checkpoint.json'), JSON.stringify({ version: 2, runId: done, done: true, counts: {} }))
    writeFile(join(root, 'aaaaaaaa0000', 'checkpoint.json'), JSON.stringify({ version: 2, runId: 'aaaaaaaa0000', done: false, counts: {} }))
    const found = findUnfinishedSibling(root, id)
    assert.deepEqual(found && { dir: found.dir, runId: found.runId, endpointUrl: found.endpointUrl }, { dir: join(root, old), runId: old, endpointUrl: null })
    const text = siblingAdvice(found!, {
      bin: 'segamp',
      argv: ['examples/segment-logs', '--endpoint-url', 'http://user:NEWPASS@proxy.example.com:8443', '--yes'],
      stateDir: join(root, id),
    })
    assert.match(text, new RegExp(`an unfinished run of the same inputs and mappings is in ${join(root, old).replace(/[/.]/g, '\\$&')}`))
    assert.match(text, /segamp replay examples\/segment-logs --yes --region=us\n/)
    assert.doesNotMatch(text, /NEWPASS/)
    assert.equal(findUnfinishedSibling(root, old), undefined, 'its own id is not a sibling; the finished one is not offered')
  })
})
