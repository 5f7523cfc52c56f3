/**
 * A --since after every message (or an --until before every one) leaves nothing to send: the run
 * says so in a named warning, naming the flag and its value, instead of a silent exit 0.
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { noMatchWarning, outOfTimeRangeWarning } from '../../src/cli/common.js'

function archive(): string {
  const dir = tempDir()
  writeFile(
    join(dir, 'in', 'a.ndjson'),
    ndjson([track('A', { timestamp: '2024-05-06T10:00:00Z' }), track('B', { timestamp: '2024-05-07T10:00:00Z' }), track('C', { timestamp: '2024-05-08T10:00:00Z' })]),
  )
  return dir
}

describe('--since/--until that leave out every message', function () {
  this.timeout(60_000)

  it('replay --since after every message: a warning naming --since and its value, exit 0, nothing planned', async () => {
    const dir = archive()
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--since', '2030-01-01T00:00:00Z'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: --since 2030-01-01T00:00:00Z: all 3 messages were before it; nothing would be sent/)
  })

  it('replay --until before every message, --json: the warning on stderr, the JSON report on stdout', async () => {
    const dir = archive()
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--json', '--state-dir', join(dir, 'st'), '--until', '2020-01-01'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: --until 2020-01-01: all 3 messages were at or after it; nothing would be sent/)
    assert.equal(JSON.parse(r.stdout).filtered.until, 3)
  })

  it('replay --since inside the range: no such warning', async () => {
    const dir = archive()
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--since', '2024-05-07'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /--since 2024-05-07:/)
  })

  it('inspect --since after every message: the same warning, "nothing was kept"', async () => {
    const dir = archive()
    const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st'), '--since', '2030-01-01'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: --since 2030-01-01: all 3 messages were before it; nothing was kept/)
  })

  it('integrations flags and --types filter some messages first: the range that misses the rest still warns', async () => {
    // The bundled example has 12 messages routed away by their integrations flags; a range that
    // missed the other 588 used to stay silent, since not every message was the range's.
    const dir = tempDir()
    const routedAway = track('R', { timestamp: '2024-05-06T11:00:00Z', integrations: { All: false } })
    const identify = { ...track('I', { timestamp: '2024-05-06T12:00:00Z' }), type: 'identify' }
    writeFile(join(dir, 'in', 'a.ndjson'), ndjson([track('A', { timestamp: '2024-05-06T10:00:00Z' }), routedAway, identify, track('B', { timestamp: '2024-05-07T10:00:00Z' })]))
    const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--since', '2030-01-01', '--types', 'track'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Warning: --since 2030-01-01: all 2 messages were before it \(the other 2 were left out before it: integrations 1, types 1\); nothing would be sent/)
    const i = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--state-dir', join(dir, 'st2'), '--until', '2020-01-01'])
    assert.equal(i.code, 0, i.stderr)
    assert.match(i.stderr, /Warning: --until 2020-01-01: all 3 messages were at or after it \(the other 1 was left out before it: integrations 1\); nothing was kept/)
  })

  it('the wording: both flags, untimed messages, another shard, one message', () => {
    const range = { since: '2024-05-07', until: '2024-05-08' }
    assert.equal(
      outOfTimeRangeWarning({ messages: 4, filtered: { since: 2, until: 1, 'no-timestamp': 1 } }, range, 'nothing was sent'),
      "--since 2024-05-07 --until 2024-05-08: all 4 messages were left out (2 before --since, 1 at or after --until, 1 without a timestamp); nothing was sent (`segamp inspect` without --since/--until shows the archive's time range)",
    )
    assert.match(outOfTimeRangeWarning({ messages: 5, filtered: { since: 1, 'other-shard': 4 } }, { since: 'x' }, 'nothing was sent')!, /^--since x: the 1 message was before it;/)
    // Something kept, or left out for another reason, or no time flag: no warning.
    assert.equal(outOfTimeRangeWarning({ messages: 3, filtered: { since: 2 } }, range, 'nothing was sent'), undefined)
    // --where and no-subscription come after the range: what they left out passed it.
    assert.equal(outOfTimeRangeWarning({ messages: 3, filtered: { since: 2, where: 1 } }, range, 'nothing was sent'), undefined)
    assert.equal(outOfTimeRangeWarning({ messages: 3, filtered: { since: 2, 'no-subscription': 1 } }, range, 'nothing was sent'), undefined)
    // Nothing reached the range (integrations and --types come before it): not the range's doing.
    assert.equal(outOfTimeRangeWarning({ messages: 3, filtered: { types: 2, integrations: 1 } }, range, 'nothing was sent'), undefined)
    assert.equal(outOfTimeRangeWarning({ messages: 0, filtered: {} }, range, 'nothing was sent'), undefined)
    assert.equal(outOfTimeRangeWarning({ messages: 3, filtered: { since: 3 } }, {}, 'nothing was sent'), undefined)
  })

  describe('--types, --where and the range together leaving out every message', () => {
    it('replay --types with a type the archive lacks: a warning naming the flag, exit 0', async () => {
      const dir = archive()
      const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--types', 'alias'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /Warning: --types alias: all 3 messages were left out \(3 by --types\); nothing would be sent/)
    })

    it('inspect --where never true: "nothing was kept"', async () => {
      const dir = archive()
      const r = await runCli(['inspect', join(dir, 'in'), '--no-progress', '--where', 'event = "Nope"'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /Warning: --where "event = \\"Nope\\"": all 3 messages were left out \(3 by --where\); nothing was kept/)
    })

    it('a range that keeps some and a --where that drops the rest: one warning with both shares', async () => {
      const dir = archive()
      const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--since', '2024-05-07', '--where', 'event = "A"'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(
        r.stderr,
        /Warning: --since 2024-05-07 --where "event = \\"A\\"": all 3 messages were left out \(1 outside the time range, 2 by --where\); nothing would be sent/,
      )
    })

    it('replay --only with an action no message meets: a warning naming --only, exit 0', async () => {
      const dir = archive()
      const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--only', 'identifyUser'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /Warning: --only identifyUser: all 3 messages were left out \(3 matching no subscription --only kept\); nothing would be sent/)
    })

    it('--only and --where sharing the work, or --only keeping one: warned only when nothing got through', () => {
      const asked = { where: 'event = "A"', only: 'logEventV2' }
      assert.match(
        noMatchWarning({ messages: 3, filtered: { where: 2, 'no-subscription': 1 } }, asked, 'nothing was sent') ?? '',
        /all 3 messages were left out \(2 by --where, 1 matching no subscription --only kept\)/,
      )
      assert.equal(noMatchWarning({ messages: 3, filtered: { where: 2 } }, asked, 'nothing was sent'), undefined)
      // Without --only, messages no subscription matches are the mappings' doing, not a filter's.
      assert.equal(noMatchWarning({ messages: 3, filtered: { where: 2, 'no-subscription': 1 } }, { where: asked.where }, 'nothing was sent'), undefined)
    })

    it("a shard whose own messages the filters all leave out says they are its own, not the archive's", () => {
      const w = noMatchWarning({ messages: 10, filtered: { 'other-shard': 6, where: 4 } }, { where: 'userId = "u1"' }, 'nothing was sent') ?? ''
      assert.match(w, /all 4 messages this shard owns were left out \(4 by --where\); nothing was sent, other shards may keep theirs/)
      // Unsharded: the words stay as they were.
      assert.match(
        noMatchWarning({ messages: 4, filtered: { where: 4 } }, { where: 'x = 1' }, 'nothing was sent') ?? '',
        /all 4 messages were left out \(4 by --where\); nothing was sent \(/,
      )
    })

    it('filters that let a message through: no warning', async () => {
      const dir = archive()
      const r = await runCli(['replay', join(dir, 'in'), '--dry-run', '--no-progress', '--state-dir', join(dir, 'st'), '--types', 'track', '--where', 'event = "B"'])
      assert.equal(r.code, 0, r.stderr)
      assert.doesNotMatch(r.stderr, /left out/)
    })
  })
})
