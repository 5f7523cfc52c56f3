/** Reads a --classic settings file (settings object or Public API destination response). */
import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { nearestName, visible, withoutBom } from '../text.js'
import { jsonErrorPlace, jsonSyntaxError } from '../json-syntax.js'
import { CLASSIC_SETTINGS, readClassicSettings } from '../segment/classic/index.js'

/**
 * Reads --classic FILE. A file holding not one Classic setting (a Segment message, a mappings file,
 * a list given by mistake) is a usage error: the run would otherwise go on the catalog defaults.
 * `warn`, when given, hears of a misspelt setting among real ones and of a value that cannot be
 * read (the default is used for both); migrate reports those itself.
 */
export async function readClassicFile(path: string | undefined, warn?: (text: string) => void): Promise<unknown> {
  if (!path) return {}
  const parsed = await parseClassicFile(path)
  checkClassicSettings(path, parsed, warn)
  return parsed
}

const HOLDS =
  'Give the Classic destination\'s settings object (like examples/classic-settings.json) or a Segment Public API destination response {"data":{"destination":{"settings":{…}}}}.'

function checkClassicSettings(path: string, parsed: unknown, warn?: (text: string) => void): void {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`--classic ${path}: not a JSON object (${Array.isArray(parsed) ? 'a list' : parsed === null ? 'null' : `a ${typeof parsed}`})`, HOLDS)
  checkPublicApiDestination(path, parsed as Record<string, unknown>)
  const read = readClassicSettings(parsed)
  if (read.explicitKeys.length === 0 && read.unknownKeys.length > 0) {
    const keys = read.unknownKeys.slice(0, 8).map(visible).join(', ') + (read.unknownKeys.length > 8 ? `, … ${read.unknownKeys.length - 8} more` : '')
    throw new UsageError(`--classic ${path}: not one Amplitude (Classic) setting in it (its keys: ${keys})`, HOLDS)
  }
  if (!warn) return
  for (const key of read.unknownKeys) warn(`--classic ${path}: ${unknownSettingText(key)}`)
  for (const w of read.warnings) warn(`--classic ${path}: ${w}`)
}

/** `unknown setting "trackNamedPage" (ignored); did you mean "trackNamedPages"?`: the nearest setting of the catalog, when one is a typo away. */
export function unknownSettingText(key: string): string {
  const near = nearestName(
    key,
    CLASSIC_SETTINGS.map((s) => s.key),
  )
  return `unknown setting ${JSON.stringify(visible(key))} (ignored)${near ? `; did you mean ${JSON.stringify(near)}?` : ''}`
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const slugOf = (d: Obj): string | undefined => (isObj(d.metadata) && typeof d.metadata.slug === 'string' ? d.metadata.slug : undefined)
const FIND_CLASSIC =
  "Give the response for the source's Amplitude (Classic) destination (GET /destinations/{id}, catalog slug amplitude), or read it with `segamp migrate --from-segment DESTINATION_ID`."

/**
 * A Segment Public API response names its destination's catalog entry: the settings of another
 * destination (the Actions Amplitude one, already created, is the likely mistake) would be read as
 * Classic settings, most of them unknown, and the run would go on the catalog defaults. A list
 * response is named as such, with the Classic destination's id when it holds one.
 */
function checkPublicApiDestination(path: string, parsed: Obj): void {
  const data = isObj(parsed.data) ? parsed.data : parsed
  if (Array.isArray(data.destinations)) {
    const list = data.destinations.filter(isObj)
    const classic = list.filter((d) => slugOf(d) === 'amplitude').map((d) => String(d.id))
    const which = classic.length > 0 ? `the Amplitude (Classic) one in it is ${classic.map((id) => visible(id)).join(', ')}` : 'none of them is Amplitude (Classic)'
    throw new UsageError(`--classic ${path}: a list of ${list.length} destinations (a Public API list response); ${which}`, FIND_CLASSIC)
  }
  const d = isObj(data.destination) ? data.destination : undefined
  const slug = d === undefined ? undefined : slugOf(d)
  if (d === undefined || slug === undefined || slug === 'amplitude') return
  const name = isObj(d.metadata) && typeof d.metadata.name === 'string' ? d.metadata.name : slug
  const what = slug === 'actions-amplitude' ? `already Actions Amplitude (catalog slug ${slug})` : `${visible(name)} (catalog slug ${visible(slug)})`
  throw new UsageError(`--classic ${path}: the destination ${visible(String(d.id ?? '?'))} is ${what}, not Amplitude (Classic)`, FIND_CLASSIC)
}

async function parseClassicFile(path: string): Promise<unknown> {
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
    // file:line:column and the fault, never V8's excerpt of the file (the API key sits there).
    const e = jsonSyntaxError(json, error)
    throw new UsageError(`--classic ${jsonErrorPlace(path, e)}: not JSON (${e.problem}); expected the Classic settings object or a Segment Public API destination response`, {
      code: 'classic-settings',
      hint: 'Fix the JSON at that line and column (a missing comma or quote, a trailing comma, a bare word: strings, true, false and null are JSON); the file holds the settings object (e.g. examples/classic-settings.json).',
    })
  }
}

export async function readRenameMapFile(path: string | undefined, warn?: (warning: string) => void): Promise<Map<string, string> | undefined> {
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
    return parseRenameMap(text, path, warn && ((w) => warn(`--rename-map: ${w}`)))
  } catch (error) {
    if (error instanceof RenameMapError)
      throw new UsageError(error.message, { code: 'rename-map', hint: 'Fix the lines named above; the file is a CSV with the header classic,actions and one rename per line.' })
    throw error
  }
}
