/**
 * The sandbox's saved store (what `replay --sandbox` ingested, read back by `export --sandbox`):
 * a missing or damaged store is an error the caller can catch and explain, never a crash with
 * a stack trace from an unhandled stream error.
 */
import { strict as assert } from 'node:assert'
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { loadSandboxStore, saveSandboxStore } from '../../../src/amplitude/sandbox/index.js'
import { BIN, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/files.js'

describe('sandbox store: loading what replay --sandbox saved', () => {
  it('no store: loadSandboxStore rejects with ENOENT; a damaged gzip rejects too', async () => {
    const dir = tempDir()
    await assert.rejects(loadSandboxStore(join(dir, 'none')), { code: 'ENOENT' })
    mkdirSync(join(dir, 'bad'))
    writeFileSync(join(dir, 'bad', 'ingested.ndjson.gz'), 'not gzip\n')
    await assert.rejects(loadSandboxStore(join(dir, 'bad')), { code: 'Z_DATA_ERROR' })
  })

  it('a saved store loads its events and identifications', async () => {
    const dir = tempDir()
    const lines =
      [
        { kind: 'event', event_type: 'A' },
        { kind: 'identify', user_id: 'user-1' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n'
    writeFileSync(join(dir, 'ingested.ndjson.gz'), gzipSync(lines))
    const store = await loadSandboxStore(dir)
    assert.deepEqual(store, { events: [{ event_type: 'A' }], identifyLog: [{ user_id: 'user-1' }] })
  })

  it("the saved store holds users' events: the file is 0600 and its folder 0700, also a folder made before under another umask", async () => {
    const fresh = join(tempDir(), 'sandbox')
    const old = join(tempDir(), 'sandbox')
    mkdirSync(old, { mode: 0o755 })
    for (const dir of [fresh, old]) {
      const path = await saveSandboxStore({ events: [], identifyLog: [] }, dir)
      assert.equal(statSync(path).mode & 0o777, 0o600)
      assert.equal(statSync(dir).mode & 0o777, 0o700)
    }
  })

  it('export --sandbox with nothing saved: exit 2, Error: and Hint:, no stack trace', async () => {
    const cwd = tempDir()
    const r = await runCli(['export', '--sandbox', '--start', '20240101T00', '--end', '20240101T01', '--out', 'out'], { cwd })
    assert.equal(r.code, 2, r.stderr)
    // The hint names the bin as the user ran it (here bin/run.js by its path, from another directory).
    assert.equal(
      r.stderr,
      `Error: no sandbox data at .segamp/sandbox/ingested.ndjson.gz (ENOENT)\nHint: Run \`${BIN} replay <archive> --sandbox\` first (e.g. \`${BIN} replay examples/segment-logs --sandbox\`).\n`,
    )
  })
})
