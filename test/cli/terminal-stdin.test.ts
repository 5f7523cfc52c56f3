/**
 * `-` with stdin a terminal: the run waits for lines typed or pasted there. Without a word that
 * looks like a hang (`segamp inspect -` typed by mistake, a pipe forgotten); a note on stderr says
 * what it waits for and how to end it. Piped stdin gets no note.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { BIN, ROOT, commandWorks, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { waitFor } from '../helpers/replay.js'

const NOTE = /reading messages from stdin, a terminal: paste NDJSON lines and end them with Ctrl-D/

const hasScript = commandWorks('script', ['-qec', 'true', '/dev/null'])

describe('- with stdin a terminal', function () {
  this.timeout(60_000)

  for (const command of ['inspect', 'replay', 'diff-mappings', 'migrate --verify']) {
    ;(hasScript ? it : it.skip)(`${command} -: a note says it reads the terminal, and Ctrl-D ends it`, async () => {
      const dir = tempDir()
      const args = {
        inspect: ['inspect', '-', '--no-progress', '--state-dir', join(dir, 'st')],
        replay: ['replay', '-', '--no-progress', '--dry-run', '--state-dir', join(dir, 'st')],
        'diff-mappings': ['diff-mappings', '-', '--no-progress'],
        'migrate --verify': ['migrate', '--classic', join(ROOT, 'examples', 'classic-settings.json'), '--verify', '-', '--out', join(dir, 'actions.json')],
      }[command]!
      const line = ['exec', process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
      // script gives the command a terminal as stdin; what is written to script's stdin is typed there.
      const child = spawn('script', ['-qfec', line, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
      let out = ''
      child.stdout!.on('data', (d: Buffer) => (out += d))
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
      try {
        await waitFor('the note', () => NOTE.test(out) || child.exitCode !== null, 30_000, 20)
        assert.match(out, NOTE)
        child.stdin!.write(JSON.stringify({ type: 'track', event: 'Typed', userId: 'user-12345', messageId: 'm1' }) + '\n')
        child.stdin!.write('\x04')
        await waitFor('the end', () => child.exitCode !== null, 30_000, 20)
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      await closed
      assert.doesNotMatch(out, /Error:/, out)
    })
  }

  it('piped stdin: no note', async () => {
    const r = await runCli(['inspect', '-', '--no-progress', '--state-dir', join(tempDir(), 'st')], {
      input: JSON.stringify({ type: 'track', event: 'Piped', userId: 'user-12345', messageId: 'm1' }) + '\n',
    })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, NOTE)
  })
})
