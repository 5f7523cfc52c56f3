/**
 * A group call under `--classic-mode web`: analytics.js's setGroup sent an /identify whose user
 * properties are `{"$set": {<group type>: <group>}}`. The report must name it a group, as in cloud
 * mode, not an `[identify]` a reader takes for the identify calls.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, writeFile } from '../helpers/files.js'

describe('diff-mappings --classic-mode web: group calls', () => {
  it('are reported as [group] <type>, in both modes alike', async () => {
    const dir = tempDir()
    const group = { type: 'group', groupId: 'acct-18', messageId: 'g1', userId: 'user-1002', timestamp: '2024-05-06T10:00:00.000Z', traits: { name: 'Acme' } }
    const archive = writeFile(join(dir, 'archive', 'day.ndjson'), ndjson([group]))
    for (const mode of ['cloud', 'web']) {
      const r = await runCli(['diff-mappings', archive, '--classic', 'test/fixtures/classic-settings.json', '--classic-mode', mode, '--format', 'json'])
      assert.equal(r.code, 0, r.stderr)
      const rep = JSON.parse(r.stdout)
      const dropped = rep.findings.filter((f: { kind: string }) => f.kind === 'dropped').map((f: { classic: string; count: number }) => `${f.classic} × ${f.count}`)
      assert.deepEqual(dropped, ['[group] [Segment] Group × 1'], mode)
    }
  })
})
