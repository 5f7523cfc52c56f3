/** The repository is self-contained: code and docs cite docs/ files that exist, never outside notes. */
import { strict as assert } from 'node:assert'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT } from './helpers/cli.js'

function files(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (name === 'node_modules' || name === 'data') return []
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js|md)$/.test(name) ? [p] : []
  })
}

const SOURCES = ['src', 'test', 'bench', 'scripts', 'docs'].flatMap((d) => files(join(ROOT, d))).concat(join(ROOT, 'README.md'))

describe('docs: self-contained references', () => {
  it('every docs/<file>.md cited in src, test, bench, scripts, docs and the README exists', () => {
    const missing: string[] = []
    for (const f of SOURCES) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bdocs\/([a-z0-9-]+\.md)/g)) {
        if (!existsSync(join(ROOT, 'docs', m[1]!))) missing.push(`${relative(ROOT, f)}: docs/${m[1]}`)
      }
    }
    assert.deepEqual(missing, [])
  })

  it('nothing cites the specification notes that only exist outside the repository', () => {
    const outside = /cli-contract\.md|shared\/spec|shared\/fixtures|(?<!docs\/)\bamplitude-api\.md|(?<![/[(])\bsegment-archives\.md/
    const hits = SOURCES.filter((f) => !f.endsWith('docs-references.test.ts')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${relative(ROOT, f)}:${i + 1}` }))
        .filter(({ line }) => outside.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    )
    assert.deepEqual(hits, [])
  })
})
