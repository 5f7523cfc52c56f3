/**
 * `migrate --format terraform` checked by Terraform itself: each subscription's
 * `settings = jsonencode(…)` evaluated by `terraform console` equals the JSON configuration's
 * settings, for trait names a team may use that HCL would otherwise read as templates or escapes
 * (`${…}`, `%{…}`, `$${…}`, quotes, backslashes, a newline, non-ASCII). The hcl2json tests parse
 * the file; this one evaluates it. Skipped where `terraform` is not installed.
 */
import { strict as assert } from 'node:assert'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandWorks, runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

/** The argument of every `settings = jsonencode(…)` in an HCL text: parentheses counted outside strings. */
function jsonencodeArguments(hcl: string): string[] {
  const out: string[] = []
  const start = 'settings = jsonencode('
  for (let i = hcl.indexOf(start); i >= 0; i = hcl.indexOf(start, i)) {
    let p = i + start.length
    let depth = 1
    let inString = false
    for (; depth > 0; p++) {
      const c = hcl[p]!
      if (inString) {
        if (c === '\\') p++
        else if (c === '"') inString = false
      } else if (c === '"') inString = true
      else if (c === '(') depth++
      else if (c === ')') depth--
    }
    out.push(hcl.slice(i + start.length, p - 1))
    i = p
  }
  return out
}

describe('migrate --format terraform, evaluated by terraform console', function () {
  this.timeout(120_000)
  before(function () {
    if (!commandWorks('terraform', ['version'])) this.skip()
  })

  it('every subscription settings object is, to Terraform, the JSON configuration settings', async () => {
    const dir = tempDir()
    const odd = ['a"b', '${x}', '%{y}', '$${z}', '%%{w}', 'back\\slash', 'line\nbreak', 'tab\tx', 'ünï 注文']
    const classic = writeFile(
      join(dir, 'classic.json'),
      JSON.stringify({
        apiKey: 'k',
        secretKey: 's',
        traitsToIncrement: odd.slice(0, 3),
        traitsToSetOnce: odd.slice(3, 6),
        traitsToAppend: odd.slice(6),
        groupTypeTrait: '${evil}',
        groupValueTrait: '%{if x}v%{endif}',
        mapQueryParams: { '${q}': 'user_properties' },
      }),
    )
    const tf = join(dir, 'amplitude.tf')
    const json = join(dir, 'actions.json')
    assert.equal((await runCli(['migrate', '--classic', classic, '--format', 'terraform', '--out', tf])).code, 0)
    assert.equal((await runCli(['migrate', '--classic', classic, '--out', json])).code, 0)
    const subs = (JSON.parse(readFileSync(json, 'utf8')) as { subscriptions: Array<{ name: string; settings: unknown }> }).subscriptions
    // the destination's settings come first, then one per subscription, in the same order
    const args = jsonencodeArguments(readFileSync(tf, 'utf8')).slice(1)
    assert.equal(args.length, subs.length)
    const module = join(dir, 'eval')
    writeFile(join(module, 'main.tf'), `locals {\n  all = [\n${args.map((a) => `    jsonencode(${a}),`).join('\n')}\n  ]\n}\n`)
    writeFileSync(join(module, '.terraformrc'), '')
    const out = execFileSync('terraform', ['console'], {
      cwd: module,
      input: 'jsonencode(local.all)\n',
      encoding: 'utf8',
      env: { ...process.env, TF_CLI_CONFIG_FILE: join(module, '.terraformrc'), CHECKPOINT_DISABLE: '1' },
    })
    const evaluated = (JSON.parse(JSON.parse(out.trim()) as string) as string[]).map((s) => JSON.parse(s) as unknown)
    subs.forEach((s, i) => assert.deepEqual(evaluated[i], s.settings, s.name))
    // the odd names did reach the settings
    assert.ok(JSON.stringify(subs).includes('$${z}') && JSON.stringify(subs).includes('%{y}'))
  })
})
