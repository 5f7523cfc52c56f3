/**
 * inspect's table keeps its columns aligned whatever the widths: the Identifiers section's counts
 * and shares are two right-aligned columns (a 6-digit count next to a 1-digit one, 100.0% next to
 * 0.0%, the short-ids row wider than every count), event names of wide characters (CJK, emoji)
 * take the columns a terminal gives them, an escaped control character counts as its escape, and
 * colour (on a TTY) takes no column.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { renderInspectTable } from '../../src/inspect/render.js'
import type { InspectReport } from '../../src/inspect/profile.js'
import { runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

function report(over: Partial<InspectReport> = {}): InspectReport {
  return {
    files: 1,
    messages: 123457,
    kept: 123457,
    byType: { track: 123457 },
    byEvent: {},
    rejected: 0,
    rejectedByReason: {},
    duplicates: 0,
    filtered: {},
    timeRange: { from: null, to: null },
    ids: {
      userId: 123457,
      anonymousId: 4115,
      deviceId: 0,
      userIdShare: 1,
      anonymousIdShare: 0.0333,
      deviceIdShare: 0,
      shortUserId: 555,
      shortAnonymousId: 1112,
      shortDeviceId: 0,
      noId: 7,
    },
    unreadableFiles: [],
    skippedPaths: [],
    subscriptions: {},
    ...over,
  }
}

const section = (text: string, title: RegExp): string[] => {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => title.test(l))
  assert.ok(start >= 0, `no ${title} in:\n${text}`)
  const end = lines.indexOf('', start)
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

describe('inspect table: aligned columns', () => {
  it('Identifiers: counts right-aligned in one column, shares in another', () => {
    assert.deepEqual(section(renderInspectTable(report(), { color: false }), /^Identifiers/), [
      '  userId                                       123,457  100.0%',
      '  anonymousId                                    4,115    3.3%',
      '  context.device.id                                  0    0.0%',
      '  shorter than 5 chars (user/anon/device)  555/1,112/0',
      '  no id at all                                       7',
    ])
  })

  it('with colour: the same columns once the colour sequences are taken out', () => {
    const coloured = renderInspectTable(report({ rejected: 12, rejectedByReason: { 'invalid JSON': 12 } }), { color: true })
    assert.match(coloured, /\x1b\[/)
    assert.deepEqual(section(plain(coloured), /^Identifiers/), section(renderInspectTable(report(), { color: false }), /^Identifiers/))
    assert.deepEqual(section(plain(coloured), /^Archive profile/).slice(4, 6), ['  duplicates (messageId seen before)        0', '  rejected lines                           12'])
  })

  it('event names of wide characters, emoji and escaped control characters: counts end in one column', () => {
    const byEvent = { 'Emoji 🎉 done': 1000, 注文完了: 100, 'Bell\u0007Event': 10, Viewed: 1 }
    assert.deepEqual(section(renderInspectTable(report({ byEvent }), { color: false }), /^Track events/), [
      '  Emoji 🎉 done      1,000',
      '  注文完了             100',
      '  "Bell\\u0007Event"     10',
      '  Viewed                 1',
    ])
  })

  it('from the CLI: ids of different widths', async () => {
    const dir = tempDir()
    const lines = []
    for (let i = 0; i < 12; i++)
      lines.push(JSON.stringify({ type: 'track', event: 'E', messageId: `m${i}`, userId: `user-${i}`, ...(i % 3 === 0 ? { anonymousId: `a\u0007${i}` } : {}) }))
    lines.push(JSON.stringify({ type: 'track', event: 'E', messageId: 'none' }))
    const file = writeFile(join(dir, 'a.ndjson'), lines.join('\n') + '\n')
    const r = await runCli(['inspect', file, '--no-progress', '--state-dir', join(dir, 'st')])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(section(r.stdout, /^Identifiers/), [
      '  userId                                      12  92.3%',
      '  anonymousId                                  4  30.8%',
      '  context.device.id                            0   0.0%',
      '  shorter than 5 chars (user/anon/device)  0/4/0',
      '  no id at all                                 1',
    ])
  })
})
