/**
 * The README's Architecture diagram names every folder under src/ (and each of their subfolders),
 * and only folders that exist: adding, renaming or removing a folder without the diagram fails here.
 * A folder is named by a node or subgraph label that starts with its path, e.g. "pipeline/decode/: …".
 */
import { strict as assert } from 'node:assert'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ROOT } from './helpers/cli.js'

/** Folders under src/, one and two levels deep, as `a` and `a/b`. */
function srcFolders(): string[] {
  const dirs = (path: string): string[] =>
    readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
  const src = join(ROOT, 'src')
  return dirs(src)
    .flatMap((a) => [a, ...dirs(join(src, a)).map((b) => `${a}/${b}`)])
    .sort()
}

/** The mermaid block of the README's "## Architecture" section. */
export function architectureDiagram(readme: string): string {
  const start = readme.indexOf('\n## Architecture\n')
  assert.ok(start >= 0, 'README has an "## Architecture" section')
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  const blocks = [...section.matchAll(/```mermaid\n([\s\S]*?)```/g)]
  assert.equal(blocks.length, 1, 'one mermaid diagram in the Architecture section')
  return blocks[0]![1]!
}

/** Folders a diagram names: every label `["a/"]`, `["a/b/: …"]`. */
export function diagramFolders(diagram: string): string[] {
  const named = [...diagram.matchAll(/\["([a-z0-9-]+(?:\/[a-z0-9-]+)?)\/[^"]*"\]/g)].map((m) => m[1]!)
  return [...new Set(named)].sort()
}

describe('architecture: the README diagram and the folders under src/', () => {
  it('the diagram names every folder under src/ (two levels deep), and no other', () => {
    const diagram = architectureDiagram(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    const named = diagramFolders(diagram)
    const folders = srcFolders()
    assert.deepEqual(
      { missingFromDiagram: folders.filter((f) => !named.includes(f)), notAFolder: named.filter((f) => !folders.includes(f)) },
      { missingFromDiagram: [], notAFolder: [] },
    )
  })

  it('the check sees a folder the diagram leaves out, and a label naming no folder', () => {
    const diagram =
      'flowchart TB\n  subgraph pipeline["pipeline/: the stages"]\n    source["pipeline/source/"] --> decode["pipeline/decode/"]\n  end\n  cli["cli/: flags"]\n  old["olds/"]\n'
    assert.deepEqual(diagramFolders(diagram), ['cli', 'olds', 'pipeline', 'pipeline/decode', 'pipeline/source'])
    assert.ok(!diagramFolders(diagram).includes('pipeline/route'))
  })
})

/** Every folder under src/ (src itself included, any depth), as paths from the repository root. */
function allSrcFolders(): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    out.push(rel)
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) if (e.isDirectory()) walk(`${rel}/${e.name}`)
  }
  walk('src')
  return out.sort()
}

/** The first block comment of a file (its opening comment), or '' when it does not open with one. */
export function openingComment(text: string): string {
  const m = /^\s*\/\*\*?([\s\S]*?)\*\//.exec(text)
  return m ? m[1]! : ''
}

/** What an opening comment lacks: what the folder owns, what it must never do. */
export function openingProblems(comment: string): string[] {
  const problems: string[] = []
  if (!/\bowns\b/i.test(comment)) problems.push('what it owns')
  if (!/\bnever\b/i.test(comment)) problems.push('what it must never do')
  return problems
}

/** Import rules an opening comment names: the quoted names in "(`a-rule`, `another` in .dependency-cruiser.cjs)". */
export function namedRules(comment: string): string[] {
  const flat = comment.replace(/\n\s*\*\s*/g, ' ')
  return [...flat.matchAll(/\(([^()]*?) in \.dependency-cruiser\.cjs\)/g)].flatMap((p) => [...p[1]!.matchAll(/`([a-z]+(?:-[a-z]+)+)`/g)].map((m) => m[1]!))
}

describe("architecture: each folder's opening comment, and its tests", () => {
  const rules = new Set<string>((createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as { forbidden: Array<{ name: string }> }).forbidden.map((r) => r.name))

  it('every folder under src/ has an index.ts that opens with what the folder owns and what it must never do', () => {
    const missing: Record<string, string[]> = {}
    for (const folder of allSrcFolders()) {
      const index = join(ROOT, folder, 'index.ts')
      const problems = existsSync(index) ? openingProblems(openingComment(readFileSync(index, 'utf8'))) : ['an index.ts']
      if (problems.length > 0) missing[folder] = problems
    }
    assert.deepEqual(missing, {})
  })

  it('every import rule an opening comment names is a rule of .dependency-cruiser.cjs', () => {
    const unknown: string[] = []
    let named = 0
    for (const folder of allSrcFolders()) {
      const index = join(ROOT, folder, 'index.ts')
      if (!existsSync(index)) continue
      for (const name of namedRules(openingComment(readFileSync(index, 'utf8')))) {
        named++
        if (!rules.has(name)) unknown.push(`${folder}: ${name}`)
      }
    }
    assert.deepEqual(unknown, [])
    assert.ok(named >= 8, `the opening comments name ${named} rules`)
    assert.ok(rules.has('amplitude-defines-alone') && rules.has('segment-defines-alone'), [...rules].join(', '))
  })

  it('test/ mirrors src/: every folder under src/ has a folder of the same path under test/', () => {
    const unmirrored = allSrcFolders().filter((f) => !existsSync(join(ROOT, 'test', f.slice('src'.length))))
    assert.deepEqual(unmirrored, [])
  })

  it('the checks see a comment without either part, a file with no opening comment, and a rule name that does not exist', () => {
    assert.deepEqual(openingProblems(openingComment('/**\n * Owns the X.\n */\nexport {}\n')), ['what it must never do'])
    assert.deepEqual(openingProblems(openingComment('/** It must never Y. */')), ['what it owns'])
    assert.deepEqual(openingProblems(openingComment("import x from 'y'\n/** Owns X; never Y. */")), ['what it owns', 'what it must never do'])
    assert.deepEqual(openingProblems(openingComment('/** Owns X; it must never Y. */')), [])
    assert.deepEqual(namedRules(' * `diff-mappings` and `run-identity.ts` (`stages-not-cli`, `no-such-rule` in\n * .dependency-cruiser.cjs)'), ['stages-not-cli', 'no-such-rule'])
    assert.ok(!rules.has('no-such-rule'))
  })
})
