/** Flag combinations that would do nothing are usage errors (exit 2) with a message, not silent no-ops. */
import { strict as assert } from 'node:assert'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

describe('replay: flag combinations that do nothing are rejected', () => {
  it('--out without --dry-run: exit 2, names --dry-run, writes nothing', async () => {
    const dir = tempDir('segamp-flags-')
    const out = join(dir, 'requests.ndjson')
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--out', out, '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--out: --dry-run|when using --out: --dry-run/)
    assert.equal(existsSync(out), false)
    assert.equal(existsSync(join(dir, 'state')), false)
  })

  it('--out with --dry-run still writes the requests', async () => {
    const dir = tempDir('segamp-flags-')
    const out = join(dir, 'requests.ndjson')
    const r = await runCli(['replay', EXAMPLE, '--dry-run', '--out', out, '--no-progress', '--state-dir', join(dir, 'state')])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(existsSync(out))
  })

  it('--sandbox --dry-run: exit 2, says they cannot be combined', async () => {
    const r = await runCli(['replay', EXAMPLE, '--sandbox', '--dry-run', '--state-dir', join(tempDir('segamp-flags-'), 'state')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--dry-run=true cannot also be provided when using --sandbox/)
    assert.doesNotMatch(r.stdout, /Sandbox ingested/)
  })

  for (const [label, doc] of [
    ['{"subscriptions":[]}', { subscriptions: [] }],
    ['an empty preset list', []],
    ['only disabled subscriptions', { subscriptions: [{ name: 'Off', actionSlug: 'logEvent', trigger: 'type = "track"', enabled: false, settings: {} }] }],
  ] as const) {
    for (const command of ['replay', 'inspect', 'diff-mappings']) {
      it(`${command} --mappings with ${label}: usage error naming the file`, async () => {
        const dir = tempDir('segamp-flags-')
        const file = join(dir, 'mappings.json')
        writeFileSync(file, JSON.stringify(doc))
        const extra = {
          replay: ['--sandbox', '--no-progress', '--state-dir', join(dir, 'state')],
          inspect: ['--no-progress', '--state-dir', join(dir, 'state')],
          'diff-mappings': [],
        }[command]!
        const r = await runCli([command, EXAMPLE, '--mappings', file, ...extra])
        assert.equal(r.code, 2, r.stderr + r.stdout)
        const text = r.stderr.replace(/\s*›\s*/g, ' ')
        assert.ok(text.includes(file), text)
        assert.match(text, /has no enabled subscription.*every message would be filtered/)
      })
    }
  }
})
