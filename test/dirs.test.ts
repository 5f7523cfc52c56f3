import { strict as assert } from 'node:assert'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeDirs } from '../src/dirs.js'
import { runCli } from './helpers/cli.js'
import { tempDir } from './helpers/files.js'

describe('makeDirs (mkdir -p that always returns)', () => {
  it('makes the missing folders, with the mode asked, and is idempotent', () => {
    const root = tempDir()
    const deep = join(root, 'a', 'b', 'c')
    makeDirs(deep, 0o700)
    assert.ok(statSync(deep).isDirectory())
    assert.equal(statSync(join(root, 'a')).mode & 0o777, 0o700)
    makeDirs(deep)
  })

  it('throws what the file system says: a file in the way', () => {
    const root = tempDir()
    writeFileSync(join(root, 'file'), '')
    assert.throws(() => makeDirs(join(root, 'file', 'x')), /ENOTDIR/)
  })

  // Node 20's mkdir(…, { recursive: true }) never returns for such a path: the command hung.
  ;(existsSync('/proc/self') ? it : it.skip)('a folder that cannot exist under /proc fails at once instead of hanging', async () => {
    assert.throws(() => makeDirs('/proc/segamp-nope/x'), /ENOENT/)
    const r = await runCli(['diff-mappings', 'examples/segment-logs', '--report', 'junit=/proc/segamp-nope/x.xml', '--no-progress'], { timeoutMs: 30_000 })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /\/proc\/segamp-nope: no such file or directory/)
  })
})
