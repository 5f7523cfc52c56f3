/**
 * `segamp sandbox --dump FILE`: the file holds what the sandbox ingested, users' events, so it is
 * 0600 like the saved store of `replay --sandbox`; and a FILE that cannot be written is exit 2 at
 * start, not a failure found at Ctrl-C, when the whole session's dump is lost.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

describe('sandbox --dump', function () {
  this.timeout(60_000)

  it('a --dump FILE that cannot be written is exit 2 before the sandbox listens', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'not-a-folder'), '')
    const file = join(dir, 'not-a-folder', 'ingested.json')
    const r = await runCli(['sandbox', '--port', '0', '--dump', file], { timeoutMs: 15_000 })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: --dump ${file}: cannot be written: ${join(dir, 'not-a-folder')} is not a folder`), r.stderr)
    assert.equal(r.stdout, '')
  })

  it('the dump written on Ctrl-C is 0600 (it holds the events), also over an existing 0644 file', async () => {
    const file = join(tempDir(), 'ingested.json')
    writeFileSync(file, '{}\n', { mode: 0o644 })
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--dump', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
    for (let i = 0; i < 300 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50))
    const url = stdout.trim()
    const r = await fetch(`${url}/2/httpapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'k', events: [{ event_type: 'Song Played', user_id: 'user-1-abcde', insert_id: 'dump-1-0badc0de' }] }),
    })
    assert.equal(r.status, 200)
    child.kill('SIGINT')
    assert.equal(await closed, 0)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).events.length, 1)
  })
})
