/**
 * Settings and mapping files saved by Windows editors (Notepad, PowerShell 5's Out-File) start
 * with a UTF-8 BOM and end lines with CRLF. Archives and rename maps already take both; the JSON
 * files a flag names must too, instead of "not JSON (Unexpected token '\ufeff')".
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

const windows = (file: string): Buffer => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(readFileSync(file, 'utf8').replace(/\n/g, '\r\n'))])

describe('JSON files with a UTF-8 BOM and CRLF', function () {
  this.timeout(120_000)

  it('--classic and --mappings: the same report as without, annotations at the same lines', async () => {
    const dir = tempDir()
    const classic = writeFile(join(dir, 'classic.json'), windows('examples/classic-settings.json'))
    const mappings = writeFile(join(dir, 'actions-mappings.json'), windows('examples/github/actions-mappings.json'))
    const plain = await runCli([
      'diff-mappings',
      'examples/segment-logs',
      '--classic',
      'examples/classic-settings.json',
      '--mappings',
      'examples/github/actions-mappings.json',
      '--format',
      'github',
      '--no-progress',
    ])
    const bom = await runCli(['diff-mappings', 'examples/segment-logs', '--classic', classic, '--mappings', mappings, '--format', 'github', '--no-progress'])
    assert.equal(bom.code, plain.code, bom.stderr)
    assert.equal(bom.stdout.replaceAll(mappings, 'M'), plain.stdout.replaceAll('examples/github/actions-mappings.json', 'M'))
  })

  it('migrate --classic and sandbox --options', async () => {
    const dir = tempDir()
    const classic = writeFile(join(dir, 'classic.json'), windows('examples/classic-settings.json'))
    const m = await runCli(['migrate', '--classic', classic, '--out', join(dir, 'actions.json')])
    assert.equal(m.code, 0, m.stderr)
    const options = writeFile(join(dir, 'options.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"limits": {"httpApiEps": 10}}\r\n')]))
    const s = await runCli(['sandbox', '--port', '0', '--options', options], { timeoutMs: 3000 })
    assert.match(s.stdout, /^http:\/\/127\.0\.0\.1:\d+$/m, s.stderr)
    assert.doesNotMatch(s.stderr, /Error/)
  })
})
