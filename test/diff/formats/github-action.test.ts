/**
 * Issue 26 acceptance: the example workflow (examples/github/segamp.yml) runs the action
 * (action.yml) on the bundled example. This test runs each job's action step as GitHub would —
 * the step's `run` script under bash, its `env` filled from the workflow's `with` and the action's
 * defaults — in a copy of the repository's examples, with GITHUB_ACTIONS=true and
 * GITHUB_STEP_SUMMARY/GITHUB_OUTPUT pointing at temp files. (The action's install step, `npm ci`
 * + build in the action folder, is what the test run already did.) It asserts the summary, the
 * outputs and the annotation lines, whose line numbers must land on the subscription's field in
 * the mappings file and in the Terraform file that `migrate --format terraform` wrote.
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { parse as parseHcl } from '@cdktf/hcl2json'
import { ROOT } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/files.js'

type Step = { id?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string>; 'working-directory'?: string }
const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }>; runs: { using: string; steps: Step[] } }
const workflow = parseYaml(readFileSync(join(ROOT, 'examples/github/segamp.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> }

interface Annotation {
  level: string
  props: Record<string, string>
  message: string
}

const unescape = (s: string): string => s.replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')

function annotations(stdout: string): Annotation[] {
  const out: Annotation[] = []
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const props: Record<string, string> = {}
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) props[kv.slice(0, kv.indexOf('='))] = unescape(kv.slice(kv.indexOf('=') + 1))
    out.push({ level: m[1]!, props, message: unescape(m[3]!) })
  }
  return out
}

function outputs(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
  return out
}

/** Runs the action's `segamp` step for a job of the example workflow, as the runner would. */
function runActionStep(
  job: string,
  override: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string; summary: string; outputs: Record<string, string>; workspace: string; with: Record<string, string> } {
  const use = workflow.jobs[job]!.steps.find((s) => s.uses === './')
  assert.ok(use, `job ${job} uses the action from the checkout`)
  const inputs: Record<string, string> = {}
  for (const [k, v] of Object.entries(action.inputs)) inputs[k] = v.default ?? ''
  Object.assign(inputs, use.with, override)
  const step = action.runs.steps.find((s) => s.id === 'segamp')!
  const expr = (v: string): string =>
    v.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, e: string) => {
      if (e === 'github.action_path') return ROOT
      if (e.startsWith('inputs.')) return inputs[e.slice(7)] ?? ''
      throw new Error(`unexpected expression ${e}`)
    })
  const workspace = tempDir('segamp-action-')
  cpSync(join(ROOT, 'examples'), join(workspace, 'examples'), { recursive: true })
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_STEP_SUMMARY: join(workspace, '.summary.md'),
    GITHUB_OUTPUT: join(workspace, '.output'),
  }
  writeFileSync(env.GITHUB_STEP_SUMMARY!, '')
  writeFileSync(env.GITHUB_OUTPUT!, '')
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expr(String(v))
  const r = spawnSync('bash', ['-e', '-c', step.run!], { cwd: join(workspace, expr(step['working-directory'] ?? '.')), env, encoding: 'utf8', timeout: 120_000 })
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    summary: readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8'),
    outputs: outputs(readFileSync(env.GITHUB_OUTPUT!, 'utf8')),
    workspace,
    with: { ...use.with, ...override },
  }
}

/** The nearest `"name": "…"` above `line` at a subscription's indentation (the JSON mappings file). */
function jsonSubscriptionAt(lines: string[], line: number): string | undefined {
  for (let i = line - 1; i >= 0; i--) {
    const m = /^ {6}"name": (".*"),?$/.exec(lines[i]!)
    if (m) return JSON.parse(m[1]!) as string
  }
  return undefined
}

/** The `name = "…"` of the segment_destination_subscription resource `line` is in (Terraform). */
function tfSubscriptionAt(lines: string[], line: number): string | undefined {
  for (let i = line - 1; i >= 0; i--) {
    if (/^resource "segment_destination_subscription"/.test(lines[i]!)) {
      for (let j = i + 1; j < lines.length; j++) {
        const m = /^ {2}name\s+= (".*")$/.exec(lines[j]!)
        if (m) return JSON.parse(m[1]!) as string
      }
    }
    if (/^\S/.test(lines[i]!) && i < line - 1 && !/^resource "segment_destination_subscription"/.test(lines[i]!)) return undefined
  }
  return undefined
}

/** Checks that an annotation lands on the line of the field (or trigger) of the subscription it names. */
function checkLine(a: Annotation, lines: string[], subscriptionAt: (lines: string[], line: number) => string | undefined): void {
  const line = Number(a.props.line)
  assert.ok(line >= 1 && line <= lines.length, `line ${line} is in the file`)
  const text = lines[line - 1]!
  const sub = /\(subscription "([^"]+)"(?:, field (\S+?))?\)/.exec(a.message)
  if (sub === null) return
  assert.equal(subscriptionAt(lines, line), sub[1], `${a.props.title}: line ${line} (${text.trim()}) is inside subscription ${sub[1]}`)
  if (sub[2] !== undefined) assert.match(text, new RegExp(`^\\s*"${sub[2]}"\\s*:`), `${a.props.title}: line ${line} is the field ${sub[2]}`)
  else assert.match(text, /^\s*"?trigger"?\s*[:=]/, `${a.props.title}: line ${line} is the trigger`)
}

describe('GitHub Action: the example workflow run locally (issue 26 acceptance)', function () {
  this.timeout(180_000)

  it('the action installs segamp from its own checkout and runs it, nothing from outside the repository', () => {
    assert.equal(action.runs.using, 'composite')
    const install = action.runs.steps[0]!
    assert.match(install.run!, /npm ci/)
    assert.match(install.run!, /npm run build/)
    assert.equal(install['working-directory'], '${{ github.action_path }}')
    const all = action.runs.steps.map((s) => s.run ?? '').join('\n')
    assert.doesNotMatch(all, /npx|curl|wget|npm (i|install) /)
    // Inputs are never pasted into the script text (script injection): only env carries them.
    assert.doesNotMatch(all, /\$\{\{/)
  })

  it('mappings job: annotations on the mappings file lines, step summary, outputs and reports', () => {
    const r = runActionStep('mappings')
    assert.equal(r.code, 1, r.stderr)
    const mappingsFile = r.with.mappings!
    const lines = readFileSync(join(r.workspace, mappingsFile), 'utf8').split('\n')
    const found = annotations(r.stdout)
    const errors = found.filter((a) => a.level === 'error')
    const warnings = found.filter((a) => a.level === 'warning')
    assert.equal(errors.length, 8) // 1 dropped + 7 renamed, all fail-on kinds
    assert.equal(warnings.length, 10) // the 10 most frequent of 21 other findings
    assert.match(found.at(-1)!.message, /^11 more warnings not annotated/)
    for (const a of [...errors, ...warnings]) {
      assert.equal(a.props.file, mappingsFile)
      checkLine(a, lines, jsonSubscriptionAt)
    }
    const renamed = errors.find((a) => a.props.title === 'segamp renamed: Viewed Home Page → Viewed Home')!
    assert.equal(lines[Number(renamed.props.line) - 1]!.trim(), '"event_type": {')
    assert.equal(jsonSubscriptionAt(lines, Number(renamed.props.line)), 'Page Calls')
    // No subscription sends the group call: the annotation points at the subscription list.
    const dropped = errors.find((a) => a.props.title === 'segamp dropped: [group] [Segment] Group')!
    assert.equal(lines[Number(dropped.props.line) - 1]!.trim(), '"subscriptions": [')
    // Warnings are ordered by messages, most first.
    const counts = warnings.map((a) => Number(/in (\d+) messages/.exec(a.message)![1]))
    assert.deepEqual(
      counts,
      [...counts].sort((x, y) => y - x),
    )

    assert.equal(r.outputs.verdict, 'failed')
    assert.equal(r.outputs.failing, 'dropped,renamed')
    assert.equal(r.outputs.messages, '588')
    assert.equal(r.outputs['findings-renamed'], '106')
    assert.equal(r.outputs['findings-dropped'], '72')
    assert.deepEqual(JSON.parse(r.outputs.findings!), { dropped: 72, duplicated: 0, renamed: 106, revenue: 84, properties: 471, added: 23, 'refused-by-amplitude': 0, same: 365 })
    for (const f of ['json', 'markdown', 'junit', 'sarif', 'html']) {
      assert.ok(r.outputs[`report-${f}`], `report-${f} output`)
      assert.ok(existsSync(join(r.workspace, r.outputs[`report-${f}`]!)), `${f} report written`)
    }
    assert.ok(r.summary.startsWith('### segamp diff-mappings: ❌ failed on dropped, renamed\n'), r.summary.slice(0, 200))
    assert.match(r.summary, /\| ❌ \| renamed \| `Viewed Home Page` \| `Viewed Home` \| 16 \|/)
    assert.ok(Buffer.byteLength(r.summary) < 1024 * 1024)
    const json = JSON.parse(readFileSync(join(r.workspace, r.outputs['report-json']!), 'utf8')) as { totals: { messages: number } }
    assert.equal(json.totals.messages, 588)
  })

  it('with a working-directory, annotation files and report outputs stay relative to the repository root', () => {
    const r = runActionStep('mappings', {
      'working-directory': 'examples',
      archive: 'segment-logs',
      classic: 'classic-settings.json',
      mappings: 'github/actions-mappings.json',
      'reports-dir': 'out',
    })
    assert.equal(r.code, 1, r.stderr)
    const files = new Set(
      annotations(r.stdout)
        .filter((a) => a.level !== 'notice')
        .map((a) => a.props.file),
    )
    assert.deepEqual([...files], ['examples/github/actions-mappings.json'])
    assert.equal(r.outputs['report-html'], 'examples/out/segamp.html')
    assert.ok(existsSync(join(r.workspace, r.outputs['report-html']!)))
  })

  /** Warnings only (the configuration keeps the Classic names), each on its subscription's field or trigger in the Terraform file. */
  async function checkTerraformRun(r: ReturnType<typeof runActionStep>, summaryTitle: string): Promise<void> {
    assert.equal(r.code, 0, r.stderr)
    const tfFile = r.with.terraform!
    const text = readFileSync(join(r.workspace, tfFile), 'utf8')
    const lines = text.split('\n')
    const found = annotations(r.stdout)
    const warnings = found.filter((a) => a.level === 'warning')
    assert.equal(found.filter((a) => a.level === 'error').length, 0)
    assert.equal(warnings.length, 10)
    const hcl = (await parseHcl(tfFile, text)) as { resource: { segment_destination_subscription: Record<string, Array<{ name: string }>> } }
    const names = Object.values(hcl.resource.segment_destination_subscription).map((l) => l[0]!.name)
    for (const a of warnings) {
      assert.equal(a.props.file, tfFile)
      checkLine(a, lines, tfSubscriptionAt)
      assert.ok(names.includes(tfSubscriptionAt(lines, Number(a.props.line))!), 'a subscription resource hcl2json reads')
    }
    const purchased = warnings.find((a) => a.props.title === 'segamp revenue: Product Purchased')!
    assert.equal(lines[Number(purchased.props.line) - 1]!.trim(), '"event_properties": {')
    assert.equal(tfSubscriptionAt(lines, Number(purchased.props.line)), 'Order Completed Calls')
    const group = warnings.find((a) => a.props.title === 'segamp added: [group properties] [Segment] Group')!
    assert.match(lines[Number(group.props.line) - 1]!, /^ {2}trigger {8}= "type = \\"group\\""$/)
    assert.equal(r.outputs.verdict, 'passed')
    assert.equal(r.outputs.failing, '')
    assert.equal(r.outputs['findings-renamed'], '0')
    assert.ok(r.summary.startsWith(summaryTitle), r.summary.slice(0, 200))
    assert.ok(existsSync(join(r.workspace, r.outputs['report-sarif']!)))
  }

  it('terraform job: diff-mappings reads the committed Terraform (written by migrate --format terraform) and annotates its lines', async () => {
    const r = runActionStep('terraform')
    await checkTerraformRun(r, '### segamp diff-mappings: ✅ passed (--fail-on renamed,dropped,duplicated)')
    assert.equal(r.outputs.messages, '588')
  })

  it('regenerate job: migrate --verify writes the Terraform (as committed) and annotates its lines', async () => {
    const r = runActionStep('regenerate')
    // The workflow's next step: the committed Terraform is what segamp generates.
    assert.equal(readFileSync(join(r.workspace, r.with.terraform!), 'utf8'), readFileSync(join(ROOT, r.with.terraform!), 'utf8'))
    await checkTerraformRun(r, '### segamp migrate --verify: ✅ passed (--fail-on renamed,dropped,duplicated)')
  })
})
