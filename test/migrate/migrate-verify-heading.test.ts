/**
 * `migrate --verify --report-format markdown`: the report's heading names the command that
 * produced it (a PR comment headed "segamp diff-mappings" sent readers to a command never run).
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

describe('migrate --verify: the markdown heading', function () {
  this.timeout(120_000)

  it('is "### segamp migrate --verify: …", not diff-mappings', async () => {
    const dir = tempDir()
    const r = await runCli([
      'migrate',
      '--classic',
      'examples/classic-settings.json',
      '--verify',
      'examples/segment-logs',
      '--sample',
      '200',
      '--report-format',
      'markdown',
      '--out',
      join(dir, 'actions-config.json'),
    ])
    assert.ok(r.code === 0 || r.code === 1, r.stderr)
    assert.match(r.stdout, /^### segamp migrate --verify: /m)
    assert.doesNotMatch(r.stdout, /### segamp diff-mappings/)
  })

  it('diff-mappings keeps its own heading', async () => {
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--classic', 'examples/classic-settings.json', '--sample', '200', '--format', 'markdown', '--no-progress'])
    assert.ok(r.code === 0 || r.code === 1, r.stderr)
    assert.match(r.stdout, /^### segamp diff-mappings: /m)
  })
})
