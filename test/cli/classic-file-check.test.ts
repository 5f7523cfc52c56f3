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

  for (const name of ['diff-mappings', 'replay --sandbox --classic', 'migrate']) {
    it(`${name}: the Public API response of another destination (Actions Amplitude, a webhook) is exit 2 naming it`, async () => {
      const dir = tempDir()
      const actions = writeFile(
        join(dir, 'actions-destination.json'),
        JSON.stringify({
          data: {
            destination: {
              id: 'dst-actions',
              name: 'Amplitude (Actions)',
              metadata: { id: '5f7dd6d21ad74f3842b1fc47', name: 'Actions Amplitude', slug: 'actions-amplitude' },
              settings: { apiKey: 'k', secretKey: 's', endpoint: 'north_america' },
            },
          },
        }),
      )
      const r = await runCli(commands(actions, dir)[name]!, { cwd: dir })
      assert.equal(r.code, 2, r.stderr)
      assert.ok(
        r.stderr.includes(`Error: --classic ${actions}: the destination dst-actions is already Actions Amplitude (catalog slug actions-amplitude), not Amplitude (Classic)`),
        r.stderr,
      )
      assert.match(r.stderr, /Hint: .*Amplitude \(Classic\) destination/)
    })
  }

  it('a Public API destination of another kind, or a list of destinations: exit 2 saying which', async () => {
    const dir = tempDir()
    const webhook = writeFile(
      join(dir, 'webhook.json'),
      JSON.stringify({ data: { destination: { id: 'dst-w', metadata: { name: 'Webhooks', slug: 'webhooks' }, settings: { apiKey: 'k' } } } }),
    )
    const w = await runCli(commands(webhook, dir)['diff-mappings']!, { cwd: dir })
    assert.equal(w.code, 2, w.stderr)
    assert.ok(w.stderr.includes(`Error: --classic ${webhook}: the destination dst-w is Webhooks (catalog slug webhooks), not Amplitude (Classic)`), w.stderr)
    const list = writeFile(
      join(dir, 'list.json'),
      JSON.stringify({
        data: {
          destinations: [
            { id: 'dst-c', metadata: { name: 'Amplitude', slug: 'amplitude' }, settings: { apiKey: 'k' } },
            { id: 'dst-a', metadata: { slug: 'actions-amplitude' }, settings: {} },
          ],
          pagination: {},
        },
      }),
    )
    const l = await runCli(commands(list, dir).migrate!, { cwd: dir })
    assert.equal(l.code, 2, l.stderr)
    assert.ok(l.stderr.includes(`Error: --classic ${list}: a list of 2 destinations (a Public API list response); the Amplitude (Classic) one in it is dst-c`), l.stderr)
  })

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
