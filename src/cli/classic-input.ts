/** Reads a --classic settings file (settings object or Public API destination response). */
import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { withoutBom } from '../text.js'
import { jsonErrorPlace, jsonSyntaxError } from '../json-syntax.js'

export async function readClassicFile(path: string | undefined): Promise<unknown> {
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
  try {
    return JSON.parse(json)
  } catch (error) {
    const e = jsonSyntaxError(json, error)
    throw new UsageError(`--classic ${jsonErrorPlace(path, e)}: not JSON (${e.problem}); expected the Classic settings object or a Segment Public API destination response`, {
      code: 'classic-settings',
      hint: 'Fix the JSON at that line and column (a missing comma or quote, a trailing comma, a bare word: strings, true, false and null are JSON); the file holds the settings object (e.g. examples/classic-settings.json).',
    })
  }
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
