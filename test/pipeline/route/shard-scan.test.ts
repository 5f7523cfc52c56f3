/**
 * A shard's verdict from the line's text (src/pipeline/route/shard-scan.ts) against the verdict
 * from the parsed message: whenever the scan answers, the line must be a message decode accepts
 * and the scan's identity key must be the parsed message's. Differentially, over every line of the
 * corpus (the example archive, the test fixtures' archives, 20,000 generated messages) and over
 * generated hostile lines (escapes, duplicate keys, deep nesting, invalid JSON in many shapes).
 * Then end to end: `replay --shard K/3` reports the same counts as before the scan existed (every
 * line owned by exactly one shard, a line that is no message rejected by shard 0).
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import { scanIdentityKey } from '../../../src/pipeline/route/shard-scan.js'
import { identityKey } from '../../../src/pipeline/route/shard.js'
import { parseMessageLine } from '../../../src/pipeline/decode/message.js'
import { nestedDeeperThan, MAX_NESTING } from '../../../src/pipeline/plan.js'
import { runCli } from '../../helpers/cli.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

function linesUnder(dir: string, only = /\.(gz|json|ndjson)$/): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (only.test(name)) {
        const text = name.endsWith('.gz') ? gunzipSync(readFileSync(p)).toString('utf8') : readFileSync(p, 'utf8')
        for (const line of text.split('\n')) if (line.trim()) out.push(line)
      }
    }
  }
  walk(dir)
  return out
}

/** What the planner decides from the parsed line: the identity key, or that it is not a message. */
function parsedVerdict(text: string, where: string): string | undefined {
  const parsed = parseMessageLine(text)
  if (!parsed.ok) return undefined
  if (nestedDeeperThan(parsed.message, MAX_NESTING)) return undefined
  return identityKey(parsed.message, where).key
}

/** The scan may say nothing; when it answers, it must be the parsed verdict. */
function agree(text: string, where = 'f:1'): 'scanned' | 'unsure' {
  const scanned = scanIdentityKey(text, where)
  if (scanned === undefined) return 'unsure'
  assert.equal(scanned, parsedVerdict(text, where), `scan vs parse on ${JSON.stringify(text.slice(0, 300))}`)
  return 'scanned'
}

describe('shard: ownership from the line bytes before JSON.parse', function () {
  this.timeout(300_000)

  it('every line of the corpus: the scan answers and agrees with the parsed message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segamp-scan-'))
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'generate-example-archive.js'), '--out', dir, '--messages', '20000', '--plain', '--seed', '5'], {
        encoding: 'utf8',
      })
      assert.equal(r.status, 0, r.stderr)
      const lines = [...linesUnder(join(ROOT, 'examples', 'segment-logs')), ...linesUnder(join(ROOT, 'test', 'fixtures'), /\.ndjson$/), ...linesUnder(dir)]
      assert.ok(lines.length > 20_000)
      let unsure = 0
      lines.forEach((l, k) => {
        if (agree(l, `f:${k}`) === 'unsure') unsure++
      })
      // Lines that are messages are settled from their text (the scan is what a shard uses).
      // (The fixtures' NDJSON files only: their other JSON files are documents, not message lines.)
      assert.ok(unsure / lines.length < 0.01, `${unsure} of ${lines.length} lines unsure`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('hand-picked hostile lines: never a verdict the parse would not give', () => {
    const cases = [
      '{"type":"track","userId":"u1"}',
      '{"type":"track","user\\u0049d":"u2","userId":"u1"}',
      '{"type":"track","userId":"u1","userId":"u2"}',
      '{"type":"track","context":{"device":{"id":"d1"}},"context":{"device":{"id":"d2"}}}',
      '{"type":"track","context":{"device":{"id":"d\\u0031"}}}',
      '{"type":"track","context":{"devic\\u0065":{"id":"d1"}},"anonymousId":"a"}',
      '{"type":"track","context":{"device":["x"]},"anonymousId":"a"}',
      '{"type":"track","context":"device","anonymousId":""}',
      '{"type":"track","anonymousId":12.50,"userId":"u"}',
      '{"type":"track","anonymousId":1e400,"userId":"u"}',
      '{"type":"track","anonymousId":-0}',
      '{"type":"track","anonymousId":01}',
      '{"type":"track","anonymousId":1.}',
      '{"type":"track","anonymousId":.5}',
      '{"type":"track","anonymousId":"a\u0001"}',
      '{"type":"tr\\u0061ck","anonymousId":"a"}',
      '{"type":"nope","anonymousId":"a"}',
      '{"type":"track","anonymousId":"a"} x',
      '{"type":"track","anonymousId":"a",}',
      '\ufeff{"type":"track","anonymousId":"a"}',
      ' \t{"type":"track","anonymousId":"a"}\r',
      '["type","track"]',
      'null',
      '{"type":"track","anonymousId":"a"',
      '{"type":"track","messageId":"m"}',
      '{"type":"track"}',
      '{"type":"track","x":' + '['.repeat(70) + ']'.repeat(70) + ',"anonymousId":"a"}',
      '{"type":"track","x":' + '['.repeat(600) + ']'.repeat(600) + ',"anonymousId":"a"}',
      '{"type":"track","x":"\\x","anonymousId":"a"}',
      '{"type":"track","x":"\\u12G4","anonymousId":"a"}',
      '{"type":"track","x":tru,"anonymousId":"a"}',
      '{"__proto__":{"anonymousId":"p"},"type":"track","userId":"u"}',
    ]
    for (const c of cases) agree(c)
    assert.equal(scanIdentityKey('{"type":"track","context":{"device":{"id":"d1"}},"anonymousId":"a"}'), 'd1')
    assert.equal(scanIdentityKey('{"type":"track","anonymousId":12.50}'), '12.5')
    assert.equal(scanIdentityKey('{"type":"track"}', 'file:7'), 'file:7')
  })

  it('property: generated lines, valid and mangled, never get a verdict the parse would not give', () => {
    const key = fc.constantFrom('type', 'context', 'device', 'id', 'anonymousId', 'userId', 'messageId', 'x', 'user\\u0049d', '__proto__')
    const leaf = fc.oneof(
      fc.constantFrom('track', 'identify', 'page', 'bogus', '', 'd-1', 'é', '\u2028'),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
    )
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, fc.dictionary(key, tie('value'), { maxKeys: 5 }), fc.array(tie('value'), { maxLength: 3 })),
    }))
    const message = fc.record({ type: fc.constantFrom('track', 'identify', 'group', 'x'), rest: fc.dictionary(key, value, { maxKeys: 6 }) })
    const mangle = fc.constantFrom('none', 'none', 'escape', 'duplicate', 'truncate', 'garbage', 'control', 'space', 'number', 'unquote')
    let scanned = 0
    fc.assert(
      fc.property(message, mangle, fc.nat(), (m, how, at) => {
        let text = JSON.stringify({ type: m.type, ...m.rest }).replace(/"user\\\\u0049d"/g, '"user\\u0049d"')
        const p = text.length > 0 ? at % text.length : 0
        if (how === 'escape') text = text.replace(/"(context|device|id|userId|anonymousId|type)"/, (_s, k: string) => `"\\u00${k.charCodeAt(0).toString(16)}${k.slice(1)}"`)
        if (how === 'duplicate') text = text.replace(/^\{/, `{"anonymousId":"dup",`).replace(/\}$/, ',"anonymousId":"dup2"}')
        if (how === 'truncate') text = text.slice(0, p)
        if (how === 'garbage') text = text.slice(0, p) + '#' + text.slice(p)
        if (how === 'control') text = text.slice(0, p) + '\u0007' + text.slice(p)
        if (how === 'space') text = text.slice(0, p) + ' \n\t' + text.slice(p)
        if (how === 'number') text = text.replace(/:(-?\d)/, ':0$1')
        if (how === 'unquote') text = text.replace('"', '')
        if (agree(text) === 'scanned') scanned++
      }),
      { numRuns: 5000, seed: 25 },
    )
    assert.ok(scanned > 400, `the scan answered only ${scanned} times`)
  })

  it('replay --shard K/3: counts as without the scan — every message owned once, lines that are no message rejected by shard 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segamp-shard-scan-'))
    try {
      mkdirSync(join(dir, 'in'))
      const lines = linesUnder(join(ROOT, 'examples', 'segment-logs')).slice(0, 300)
      writeFileSync(
        join(dir, 'in', 'a.ndjson'),
        [...lines, '{"type":"track","anonymousId":"x"', '{"type":"nope","userId":"u"}', '{"type":"track","user\\u0049d":"esc"}'].join('\n') + '\n',
      )
      const reports = []
      for (let k = 0; k < 3; k++) {
        const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--fresh', '--no-progress', '--json', '--shard', `${k}/3`, '--state-dir', join(dir, `s${k}`)])
        reports.push(JSON.parse(r.stdout))
      }
      // A line that is no message has no identity: shard 0 rejects it, the others count it as theirs to skip.
      const owned = reports.map((r) => r.messages - (r.filtered['other-shard'] ?? 0))
      assert.equal(
        owned.reduce((a, b) => a + b, 0),
        301,
      )
      assert.ok(
        owned.every((o) => o > 50),
        `owned per shard: ${owned.join('/')}`,
      )
      assert.deepEqual(
        reports.map((r) => r.rejected),
        [2, 0, 0],
      )
      assert.deepEqual(
        reports.map((r) => r.messages + r.rejected),
        [303, 303, 303],
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
