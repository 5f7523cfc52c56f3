/**
 * `--classic FILE` (diff-mappings, replay --sandbox --classic, migrate) holding not one Amplitude
 * (Classic) setting — a Segment message, a mappings file, a JSON list given by mistake — is a usage
 * error naming the file and what it holds, not a run on the catalog defaults. A misspelt setting
 * among real ones, or a value that cannot be read, is named in a warning by every command
 * (diff-mappings and replay said nothing and compared or sent with the default).
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { ROOT, runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

const EXAMPLE = join(ROOT, 'examples', 'segment-logs')

const commands = (classic: string, dir: string): Record<string, string[]> => ({
  'diff-mappings': ['diff-mappings', EXAMPLE, '--classic', classic, '--no-progress'],
  'replay --sandbox --classic': ['replay', EXAMPLE, '--sandbox', '--classic', classic, '--no-progress', '--state-dir', join(dir, 'st'), '--sandbox-dir', join(dir, 'sb')],
  migrate: ['migrate', '--classic', classic, '--out', join(dir, 'actions.json')],
})

describe('--classic FILE that holds no Classic settings', function () {
  this.timeout(60_000)

  for (const name of ['diff-mappings', 'replay --sandbox --classic', 'migrate']) {
    it(`${name}: a file with none of the settings is exit 2 naming it and its keys`, async () => {
      const dir = tempDir()
      const classic = writeFile(join(dir, 'message.json'), JSON.stringify({ type: 'track', event: 'Signed Up', userId: 'user-12345' }))
      const r = await runCli(commands(classic, dir)[name]!, { cwd: dir })
      assert.equal(r.code, 2, r.stderr)
      assert.ok(r.stderr.includes(`Error: --classic ${classic}: not one Amplitude (Classic) setting in it (its keys: event, type, userId)`), r.stderr)
      assert.match(r.stderr, /Hint: .*examples\/classic-settings\.json/)
    })
  }

  it('a JSON list: exit 2, not an object', async () => {
    const dir = tempDir()
    const classic = writeFile(join(dir, 'list.json'), JSON.stringify([{ name: 'Track Calls' }]))
    const r = await runCli(commands(classic, dir)['diff-mappings']!, { cwd: dir })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: --classic ${classic}: not a JSON object (a list)`), r.stderr)
  })

  for (const name of ['diff-mappings', 'replay --sandbox --classic', 'migrate']) {
    it(`${name}: a misspelt setting and an unreadable value among real ones are named in warnings; the run goes on`, async () => {
      const dir = tempDir()
      const classic = writeFile(join(dir, 'classic.json'), JSON.stringify({ apiKey: 'abc123', trackAllPages: true, trackAllPagez: true, trackNamedPages: 'maybe' }))
      const r = await runCli(commands(classic, dir)[name]!, { cwd: dir })
      assert.equal(r.code, 0, r.stderr)
      const text = r.stderr.replace(/\s*›\s*/g, ' ')
      assert.ok(text.includes(`Warning: --classic ${classic}: unknown setting "trackAllPagez" (ignored)`), text)
      assert.ok(text.includes(`Warning: --classic ${classic}: setting trackNamedPages: cannot read "maybe" as`), text)
    })
  }

  it('an empty object still means the catalog defaults, without a word', async () => {
    const dir = tempDir()
    const classic = writeFile(join(dir, 'empty.json'), '{}')
    const r = await runCli(commands(classic, dir)['diff-mappings']!, { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /--classic/)
  })
})
