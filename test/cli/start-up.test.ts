/**
 * Start-up is paid by every run and by every worker thread: what a run does not need is loaded
 * only when first needed (README, Benchmarks: Start-up). These tests log every module a real CLI
 * process resolves and fail when one that a plain dry run never uses is loaded eagerly again.
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BIN } from '../helpers/cli.js'
import { gzip, ndjson, tempDir, track, writeFile } from '../helpers/files.js'

const REGISTER = fileURLToPath(new URL('../helpers/load-log/register.mjs', import.meta.url))

function modulesLoaded(args: string[]): string[] {
  const log = join(tempDir(), 'modules.log')
  const r = spawnSync(process.execPath, ['--import', REGISTER, BIN, ...args], { encoding: 'utf8', env: { ...process.env, SEGAMP_LOAD_LOG: log } })
  assert.ok(r.status === 0 || r.status === 3, r.stderr)
  return readFileSync(log, 'utf8').split('\n').filter(Boolean)
}

describe('start-up: what a run loads', function () {
  this.timeout(60_000)

  it('a dry run loads no sandbox server, diff engine, templates, schemas, HTTP client, S3 SDK, CSV parser, zip or progress display', () => {
    const dir = tempDir()
    const archive = writeFile(join(dir, 'in', 'a.gz'), gzip(ndjson(Array.from({ length: 20 }, (_, i) => track('Bought', { messageId: `m-${i}`, userId: `user-${i}` })))))
    const loaded = modulesLoaded(['replay', archive, '--dry-run', '--out', join(dir, 'out.ndjson'), '--no-progress', '--json', '--state-dir', join(dir, 'state')])
    assert.ok(
      loaded.some((url) => url.endsWith('/pipeline/plan.js')),
      'the log sees the pipeline',
    )
    const unwanted = ['/amplitude/sandbox/server.js', '/diff/', 'liquidjs', '/ajv/', 'got', 'aws-sdk', 'csv-parse', 'yazl', 'listr2']
    for (const part of unwanted) {
      const hit = loaded.filter((url) => url.includes(part === 'got' ? '/node_modules/got/' : part))
      assert.deepEqual(hit, [], `${part} is loaded by a dry run`)
    }
  })
})
