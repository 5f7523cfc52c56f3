/**
 * The README's Architecture diagram names every folder under src/ (and each of their subfolders),
 * and only folders that exist: adding, renaming or removing a folder without the diagram fails here.
 * A folder is named by a node or subgraph label that starts with its path, e.g. "pipeline/decode/: …".
 */
import { strict as assert } from 'node:assert'
import { readdirSync, readFileSync } from 'node:fs'
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
