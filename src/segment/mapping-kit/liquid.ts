/**
 * The `@liquid` engine: liquidjs with Segment's limits and disabled tags/filters
 * (docs/actions-amplitude.md B.4). Templates are parsed once at compile time; rendering is synchronous.
 */

import { createRequire } from 'node:module'
import type { Liquid as LiquidEngine, Template } from 'liquidjs'

export const LIQUID_MAX_LENGTH = 1000

/**
 * liquidjs is loaded (synchronously, its CommonJS build) by the first `@liquid` directive compiled:
 * most mappings have none, and every process and worker thread would otherwise pay its load time.
 */
let loaded: LiquidEngine | undefined

function liquidEngine(): LiquidEngine {
  if (loaded) return loaded
  const { Liquid } = createRequire(import.meta.url)('liquidjs') as typeof import('liquidjs')
  const engine = new Liquid({ renderLimit: 500, parseLimit: 1000, memoryLimit: 1e8 })
  configure(engine)
  loaded = engine
  return engine
}

const DISABLED_TAGS = ['case', 'for', 'include', 'layout', 'render', 'tablerow']
const DISABLED_FILTERS = [
  'array_to_sentence_string',
  'concat',
  'find',
  'find_exp',
  'find_index',
  'find_index_exp',
  'group_by',
  'group_by_exp',
  'has',
  'has_exp',
  'map',
  'newline_to_br',
  'reject',
  'reject_exp',
  'reverse',
  'sort',
  'sort_natural',
  'uniq',
  'where_exp',
  'type',
]

function configure(engine: LiquidEngine): void {
  for (const tag of DISABLED_TAGS) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(`tag "${tag}" is disabled`)
      },
      render() {
        throw new Error(`tag "${tag}" is disabled`)
      },
    })
  }
  for (const filter of DISABLED_FILTERS) {
    engine.registerFilter(filter, () => {
      throw new Error(`filter "${filter}" is disabled`)
    })
  }
}

/** Compiles a liquid template string (already checked: string, 1..1000 chars) to a renderer. */
export function compileLiquid(source: string): (scope: unknown) => unknown {
  const engine = liquidEngine()
  let tpl: Template[]
  try {
    tpl = engine.parse(source)
  } catch {
    // Parse errors surface when the directive runs, as with parse-and-render per event.
    return (scope) => engine.parseAndRenderSync(source, scope as object)
  }
  return (scope) => engine.renderSync(tpl, scope as object)
}
