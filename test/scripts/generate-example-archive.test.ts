/**
 * scripts/generate-example-archive.js deletes and rewrites `<out>/segment-logs/<source>/`: an
 * argument it does not know (`--help`, a typo) must write and delete nothing, and a known one still
 * writes the seeded archive.
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'

const SCRIPT = join(ROOT, 'scripts', 'generate-example-archive.js')
const SOURCE = '3S7cr7ZP4LPQwanZptak4X'

function run(args: string[], cwd: string) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' })
}

describe('scripts/generate-example-archive.js', () => {
  it('--help prints the usage and leaves an existing archive alone', () => {
    const cwd = tempDir('segamp-gen-')
    const kept = join(cwd, 'examples', 'segment-logs', SOURCE, 'mine.json')
    mkdirSync(join(cwd, 'examples', 'segment-logs', SOURCE), { recursive: true })
    writeFileSync(kept, '{}\n')
    for (const args of [['--help'], ['-h']]) {
      const r = run(args, cwd)
      assert.equal(r.status, 0, r.stderr)
      assert.match(r.stdout, /^Usage: node scripts\/generate-example-archive\.js/)
      assert.deepEqual(readdirSync(join(cwd, 'examples', 'segment-logs', SOURCE)), ['mine.json'])
    }
  })

  it('an unknown flag, a stray word or a non-numeric count exits 2 and writes nothing', () => {
    const cwd = tempDir('segamp-gen-')
    for (const [args, said] of [
      [['--out', 'x', '--mesages', '5'], /unknown argument --mesages; nothing written/],
      [['--out', 'x', '--plain', 'extra', 'word'], /unknown argument "word"; nothing written/],
      [['--out', 'x', '--messages', 'ten'], /--messages "ten" is not a number; nothing written/],
    ] as Array<[string[], RegExp]>) {
      const r = run(args, cwd)
      assert.equal(r.status, 2, r.stderr)
      assert.match(r.stderr, said)
      assert.equal(existsSync(join(cwd, 'x')), false)
    }
  })

  it('the known flags write the seeded archive', () => {
    const cwd = tempDir('segamp-gen-')
    const r = run(['--out', 'out', '--messages', '10', '--days', '1', '--files-per-day', '1', '--plain'], cwd)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /wrote 10 messages/)
    const days = readdirSync(join(cwd, 'out', 'segment-logs', SOURCE))
    assert.equal(days.length, 1)
    assert.equal(readdirSync(join(cwd, 'out', 'segment-logs', SOURCE, days[0]!)).length, 1)
  })
})
