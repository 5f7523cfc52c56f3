/**
 * The README's commands stay true: every code block marked `<!-- runnable -->` runs as written
 * (with `segamp` on PATH, as after `npm install --global .`), and the CI recipe
 * (`<!-- ci-script -->`) runs without network: `aws` is a local copy, Amplitude the sandbox.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startSandbox } from '../src/amplitude/sandbox/index.js'
import { BIN, ROOT } from './helpers/cli.js'
import { tempDir, writeFile } from './helpers/files.js'

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** Code blocks preceded by `<!-- marker -->` (the line right before the opening fence). */
function markedBlocks(markdown: string, marker: string): string[] {
  const out: string[] = []
  const re = new RegExp(`<!-- ${marker} -->\\n\`\`\`(?:sh|bash)\\n([\\s\\S]*?)\`\`\``, 'g')
  for (const m of markdown.matchAll(re)) out.push(m[1]!)
  return out
}

/** A directory with `segamp` (the checkout's bin/run.js) and any extra stubs, for PATH. */
function stubBin(extra: Record<string, string> = {}): string {
  const dir = tempDir('segamp-readme-bin-')
  const scripts: Record<string, string> = { segamp: `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`, ...extra }
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), text)
    chmodSync(join(dir, name), 0o755)
  }
  return dir
}

function bash(script: string, opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A working directory that looks like a fresh clone's root for the example paths. */
function cloneLikeDir(): string {
  const dir = tempDir('segamp-readme-cwd-')
  symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'))
  return dir
}

function baseEnv(bin: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' }
  delete env.AMPLITUDE_API_KEY
  delete env.AMPLITUDE_SECRET_KEY
  return env
}

describe('README', () => {
  it("never tells anyone to run `npx segamp` (segamp is not published: npx would fetch a stranger's package)", () => {
    assert.doesNotMatch(README.replace(/never run it with\s+`npx segamp`/, ''), /npx\s+segamp/)
  })

  const runnable = markedBlocks(README, 'runnable')
  it('has runnable blocks', () => assert.ok(runnable.length >= 2, `${runnable.length} blocks marked <!-- runnable -->`))

  runnable.forEach((block, i) => {
    const first = block.split('\n').find((l) => l.trim() && !l.startsWith('#'))
    it(`runnable block ${i + 1} runs as written: ${first}`, async function () {
      this.timeout(180_000)
      const cwd = cloneLikeDir()
      const r = await bash(`set -euo pipefail\n${block}`, { cwd, env: baseEnv(stubBin()), timeoutMs: 170_000 })
      assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}`)
    })
  })

  it("the CI recipe runs offline: yesterday's UTC-midnight folder, the migration check, then the replay into Amplitude (the sandbox)", async function () {
    this.timeout(180_000)
    const [script] = markedBlocks(README, 'ci-script')
    assert.ok(script, 'a block marked <!-- ci-script -->')
    assert.match(README, /bash ci\/segamp-nightly\.sh/)
    const key = 'ci-recipe-key-0123456789abcdef'
    const sandbox = await startSandbox({ apiKeys: [key] })
    try {
      const cwd = tempDir('segamp-readme-ci-')
      writeFile(join(cwd, 'ci', 'segamp-nightly.sh'), script)
      writeFileSync(join(cwd, 'amplitude-classic.json'), readFileSync(join(ROOT, 'test', 'fixtures', 'classic-settings.json')))
      // `aws s3 sync s3://… sample/`: record the URL, copy one day of the example archive.
      const day = join(ROOT, 'examples', 'segment-logs', '3S7cr7ZP4LPQwanZptak4X', '1714953600000')
      const aws = `#!/usr/bin/env bash\nset -e\n[ "$1 $2" = "s3 sync" ] || exit 64\necho "$3" > aws-url.txt\nmkdir -p "$4"\ncp "${day}"/*.gz "$4"\n`
      const env = { ...baseEnv(stubBin({ aws })), BUCKET: 'my-bucket', SOURCE_ID: 'src-1', AMPLITUDE_API_KEY: key, SEGAMP_ENDPOINT_URL: sandbox.url }
      const before = Date.now()
      const r = await bash('bash ci/segamp-nightly.sh', { cwd, env, timeoutMs: 170_000 })
      assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}`)

      const url = readFileSync(join(cwd, 'aws-url.txt'), 'utf8').trim()
      const m = /^s3:\/\/my-bucket\/segment-logs\/src-1\/(\d+)\/$/.exec(url)
      assert.ok(m, url)
      const dayMs = Number(m[1])
      const expected = (Math.floor(before / 86_400_000) - 1) * 86_400_000
      // (a run crossing UTC midnight may see the next day)
      assert.ok(dayMs === expected || dayMs === expected + 86_400_000, `${dayMs} vs ${expected}`)
      assert.equal(new Date(dayMs).toISOString().slice(11), '00:00:00.000Z', 'a UTC midnight')

      assert.match(readFileSync(join(cwd, 'migration-check.md'), 'utf8'), /^### segamp migrate --verify: ✅ passed/)
      assert.ok(existsSync(join(cwd, 'actions-config.json')))
      const files = readdirSync(join(cwd, 'sample'))
      assert.equal(files.length, readdirSync(day).length)
      // The day's events reached "Amplitude", and nothing else was contacted (the sandbox is the endpoint).
      assert.ok(sandbox.events.length > 50, `${sandbox.events.length} events`)
      assert.ok(sandbox.identifications.length > 0)
      assert.ok(
        sandbox.requests.every((q) => q.status === 200),
        JSON.stringify(sandbox.requests.filter((q) => q.status !== 200)),
      )
    } finally {
      await sandbox.close()
    }
  })
})

describe('README: the whole loop (export → diff → migrate → verify)', () => {
  it("step 0 stands in for Classic with the Classic emulation's records: step 2 shows the renames, step 4 none", async function () {
    this.timeout(300_000)
    const [block] = markedBlocks(README, 'whole-loop')
    assert.ok(block, 'a block marked <!-- whole-loop -->')
    // A clone-like directory: the README's ./bin/run.js and examples/ (bin/run.js finds dist/ by its real path).
    const cwd = cloneLikeDir()
    symlinkSync(join(ROOT, 'bin'), join(cwd, 'bin'))
    // The steps, each with its continuation lines, run one after another (outputs kept apart).
    const steps = block.split(/^(?=# \d+\.)/m).filter((s) => s.trim())
    assert.equal(steps.length, 5, steps.join('\n---\n'))
    const out: Array<{ code: number | null; stdout: string; stderr: string }> = []
    for (const step of steps) {
      const r = await bash(`set -euo pipefail\n${step}`, { cwd, env: baseEnv(stubBin()), timeoutMs: 120_000 })
      assert.equal(r.code, 0, `${step}\nexit ${r.code}\n${r.stderr.slice(-3000)}`)
      out.push(r)
    }
    // Step 0 sent Classic's records: Classic's names are what the sandbox ingested.
    assert.match(out[0]!.stderr, /Classic stand-in replayed/)
    // Step 2: the presets rename Classic's page and screen names, and drop its group events.
    assert.match(out[2]!.stdout, /^Renamed: /m)
    assert.match(out[2]!.stdout, /Viewed Home Page +→ Viewed Home/)
    assert.match(out[2]!.stdout, /^Dropped: /m)
    // Step 4: the migrated configuration keeps every Classic name: nothing renamed, dropped or duplicated.
    assert.doesNotMatch(out[4]!.stdout, /^(Renamed|Dropped|Duplicated): /m)
    // Every stored event paired with what the migrated configuration sends.
    assert.match(out[4]!.stdout, /^Export: \d+ stored events .*ambiguous 0, unpaired 0$/m)
    // Steps 2 and 4 emulate the Classic settings that made the stand-in: 100 % by construction, as the README says.
    for (const i of [2, 4]) assert.match(out[i]!.stdout, /^Emulation agreement: the Classic emulation \(cloud\) matched 100 % of stored events/m, `step ${i}`)
  })
})

describe('README: the status example', () => {
  it('reads the state directories the sharding demo writes', () => {
    const demo = /--state-dir (\.segamp\/demo-)\$k/.exec(README)
    assert.ok(demo, 'the sharding demo names its state directories')
    const section = README.slice(README.indexOf('### `segamp status'), README.indexOf('### `segamp sandbox`'))
    const example = /\.\/bin\/run\.js status (.+)/.exec(section)
    assert.ok(example, section)
    assert.deepEqual(
      example[1]!.trim().split(/\s+/),
      [0, 1, 2].map((k) => `${demo[1]}${k}`),
    )
  })
})
