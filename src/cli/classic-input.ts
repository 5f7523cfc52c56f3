/** Reads a --classic settings file (settings object or Public API destination response). */
import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { visible, withoutBom } from '../text.js'
import { jsonErrorPlace, jsonSyntaxError } from '../json-syntax.js'

/**
 * `onWarning` hears of each setting that falls back to its default: a key segamp does not know
 * (a typo) or a value it cannot read (`"yes"` for a boolean), naming the file.
 */
export async function readClassicFile(path: string | undefined, onWarning?: (text: string) => void): Promise<unknown> {
  if (!path) return {}
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(
      `--classic ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'Give the path of a JSON file holding the Classic settings (e.g. examples/classic-settings.json), or read them from Segment with `segamp migrate --from-segment DESTINATION_ID`.',
    )
  }
  const json = withoutBom(text)
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch (error) {
    const e = jsonSyntaxError(json, error)
    throw new UsageError(`--classic ${jsonErrorPlace(path, e)}: not JSON (${e.problem}); expected the Classic settings object or a Segment Public API destination response`, {
      code: 'classic-settings',
      hint: 'Fix the JSON at that line and column (a missing comma or quote, a trailing comma, a bare word: strings, true, false and null are JSON); the file holds the settings object (e.g. examples/classic-settings.json).',
    })
  }
  if (onWarning) {
    const { readClassicSettings } = await import('../segment/classic/index.js')
    const read = readClassicSettings(parsed)
    for (const key of read.unknownKeys) onWarning(`--classic ${path}: unknown setting "${visible(key)}" (ignored)`)
    for (const w of read.warnings) onWarning(`--classic ${path}: ${visible(w)}`)
  }
  return parsed
}

export async function readRenameMapFile(path: string | undefined): Promise<Map<string, string> | undefined> {
  if (!path) return undefined
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(
      `--rename-map ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'Give the path of a CSV file with the header classic,actions and one rename per line.',
    )
  }
  // Loaded here: every replay reads --classic settings through this file, none needs csv-parse.
  const { parseRenameMap, RenameMapError } = await import('../diff/rename-map.js')
  try {
    return parseRenameMap(text, path)
  } catch (error) {
    if (error instanceof RenameMapError)
      throw new UsageError(error.message, { code: 'rename-map', hint: 'Fix the lines named above; the file is a CSV with the header classic,actions and one rename per line.' })
    throw error
  }
}
