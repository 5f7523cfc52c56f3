/**
 * A mistyped command: exit 2, the word as typed (escaped), the commands there are, and the nearest
 * one. oclif's own message named the arguments as a topic path ("command replya:x not found") and
 * nothing else.
 */
import { strict as assert } from 'node:assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'

describe('segamp <unknown command>', () => {
  it('exit 2 naming the word, the commands and the nearest one', async () => {
    const r = await runCli(['replya', 'examples/segment-logs'])
    assert.equal(r.code, 2, r.stderr)
    assert.equal(
      r.stderr,
      'Error: unknown command "replya" (the commands: diff-mappings, export, inspect, migrate, replay, sandbox, status)\nHint: Did you mean `segamp replay`? Run `segamp --help` for what each does.\n',
    )
    const prefix = await runCli(['diff', 'examples/segment-logs'])
    assert.match(prefix.stderr, /Did you mean `segamp diff-mappings`\?/)
    const far = await runCli(['\u001b[31mzzz'])
    assert.equal(far.code, 2)
    assert.match(far.stderr, /^Error: unknown command "\\u001b\[31mzzz" /)
    assert.doesNotMatch(far.stderr, /\u001b|Did you mean/)
  })

  it('"index" is no command: commands/index.ts opens the folder, and oclif\'s discovery skips it', async () => {
    const r = await runCli(['index'])
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stderr.split('\n')[0], 'Error: unknown command "index" (the commands: diff-mappings, export, inspect, migrate, replay, sandbox, status)')
    // Without the exclusion in package.json, oclif takes the file for a single-command CLI's command.
    assert.doesNotMatch(r.stderr, /MODULE_NOT_FOUND|SINGLE_COMMAND/)
    const help = await runCli(['--help'])
    assert.doesNotMatch(help.stdout, /^\s+index\b/m)
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }
    assert.deepEqual(Object.keys(manifest.commands).sort(), ['diff-mappings', 'export', 'inspect', 'migrate', 'replay', 'sandbox', 'status'])
  })

  it("the list in bin/main.js is the command files' list", () => {
    // index.ts opens the folder; oclif's command discovery skips it (package.json oclif.commands).
    const files = readdirSync(join(ROOT, 'src', 'commands'))
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort()
    const listed = /const COMMANDS = (\[[^\]]*\])/.exec(readFileSync(join(ROOT, 'bin', 'main.js'), 'utf8'))
    assert.ok(listed)
    assert.deepEqual(JSON.parse(listed[1]!.replace(/'/g, '"')), files)
  })
})
