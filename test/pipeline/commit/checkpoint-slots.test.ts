/**
 * A local state directory's checkpoint between two writes of checkpoint.json: the two slots
 * written in place after every response (checkpoint-slots.ts). What a reader (resume, status,
 * --retry-dead-letters) gets is the newest whole checkpoint; a torn slot, a stale one (checkpoint.json
 * written since) or one counting bytes the append-only files do not hold is never read.
 * (A real kill -9 and resume over them: test/replay/replay-checkpoint-slots.test.ts.)
 */
import { strict as assert } from 'node:assert'
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHECKPOINT_VERSION, checkpointLine, checkpointText, type Checkpoint } from '../../../src/pipeline/commit/checkpoint.js'
import { checkpointDigest, currentSlots, openSlots, readSlot, SLOT_FILES } from '../../../src/pipeline/commit/checkpoint-slots.js'
import { LocalStateDir, readLocalCheckpoint } from '../../../src/pipeline/commit/index.js'
import { tempDir } from '../../helpers/files.js'

type Draft = Omit<Checkpoint<{ sent: number }>, 'files'>

const draft = (sent: number, line: number): Draft => ({
  version: CHECKPOINT_VERSION,
  runId: 'abc123def456',
  position: { file: '/in/a.ndjson', line },
  ahead: [{ file: '/in/a.ndjson', lines: [[line + 2, line + 3]] }],
  open: { '/in/a.ndjson': 'size:100,mtime:5' },
  counts: { sent },
  updatedAt: `2026-01-01T00:00:0${sent % 10}.000Z`,
  done: false,
})

const NO_FILES = { deadLetter: 0, rejected: 0, completed: 0 }

/** A state directory as a killed run leaves it: checkpoint.json, then slots written after it (seq 1, 2, …). */
function killedRun(json: Draft, slots: Draft[]): string {
  const dir = tempDir()
  const text = checkpointText({ ...json, files: NO_FILES })
  writeFileSync(join(dir, 'checkpoint.json'), text)
  for (const f of ['dead-letter.ndjson', 'rejected.ndjson', 'completed.ndjson']) writeFileSync(join(dir, f), '')
  const w = openSlots(dir)
  for (const s of slots) w.write(checkpointDigest(text), checkpointLine({ ...s, files: NO_FILES }))
  w.close(false)
  return dir
}

/** The slot file holding `seq`. */
const slotWith = (dir: string, seq: number): string => SLOT_FILES.map((f) => join(dir, f)).find((p) => readSlot(p)?.seq === seq)!

const sentIn = (dir: string): number | undefined => readLocalCheckpoint<{ sent: number }>(dir)?.counts.sent

describe('checkpoint slots: the checkpoints between two writes of checkpoint.json', () => {
  it('the first checkpoint goes to checkpoint.json, the next ones to the two slots in turn; the newest is read; the close puts it in checkpoint.json and removes the slots', async () => {
    const dir = tempDir()
    const state = new LocalStateDir(dir)
    const w = await state.openWriter()
    w.checkpoint(draft(1, 10))
    assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'completed.ndjson', 'dead-letter.ndjson', 'rejected.ndjson'])
    const first = readFileSync(join(dir, 'checkpoint.json'), 'utf8')
    w.checkpoint(draft(2, 11))
    w.checkpoint(draft(3, 12))
    assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', ...SLOT_FILES, 'completed.ndjson', 'dead-letter.ndjson', 'rejected.ndjson'].sort())
    assert.equal(readFileSync(join(dir, 'checkpoint.json'), 'utf8'), first, 'checkpoint.json is not rewritten per response')
    assert.deepEqual(
      SLOT_FILES.map((f) => readSlot(join(dir, f))?.seq),
      [2, 1],
    )
    assert.deepEqual(await state.readCheckpoint(), { ...draft(3, 12), files: NO_FILES })
    await w.close()
    // The run's last checkpoint is in checkpoint.json (as it always was written), and the slots are gone.
    assert.equal(readFileSync(join(dir, 'checkpoint.json'), 'utf8'), checkpointText({ ...draft(3, 12), files: NO_FILES }))
    assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'completed.ndjson', 'dead-letter.ndjson', 'rejected.ndjson'])
  })

  it('a slot torn by a kill (cut short, or a byte not yet written) is passed over for the one before it, then for checkpoint.json', () => {
    const dir = killedRun(draft(1, 10), [draft(2, 11), draft(3, 12)])
    assert.equal(sentIn(dir), 3)
    const newest = slotWith(dir, 2)
    const whole = readFileSync(newest)
    truncateSync(newest, whole.length - 10)
    assert.equal(sentIn(dir), 2, 'cut short: the slot one response older')
    const flipped = Buffer.from(whole)
    flipped[flipped.length - 5] ^= 0x20
    writeFileSync(newest, flipped)
    assert.equal(sentIn(dir), 2, 'same length, one byte differs: the CRC tells')
    truncateSync(slotWith(dir, 1), 60)
    assert.equal(sentIn(dir), 1, 'both torn: checkpoint.json')
    writeFileSync(newest, whole)
    assert.equal(sentIn(dir), 3)
  })

  it('checkpoint.json written after the slots (another run, an older segamp, or its own once a second) makes them stale', () => {
    const dir = killedRun(draft(1, 10), [draft(2, 11), draft(3, 12)])
    writeFileSync(join(dir, 'checkpoint.json'), checkpointText({ ...draft(1, 20), files: NO_FILES }))
    assert.equal(sentIn(dir), 1)
    assert.equal(readLocalCheckpoint<{ sent: number }>(dir)?.position?.line, 20)
  })

  it('an old state directory (checkpoint.json only) reads as it did; slots without checkpoint.json are no checkpoint', () => {
    const dir = killedRun(draft(4, 10), [])
    assert.deepEqual(readLocalCheckpoint(dir), { ...draft(4, 10), files: NO_FILES })
    const orphan = killedRun(draft(1, 10), [draft(2, 11)])
    rmSync(join(orphan, 'checkpoint.json'))
    assert.equal(readLocalCheckpoint(orphan), undefined)
  })

  it('a slot counting more dead-letter bytes than the file holds (the machine stopped before they reached the disk) is passed over', () => {
    const dir = killedRun(draft(1, 10), [])
    const text = readFileSync(join(dir, 'checkpoint.json'), 'utf8')
    const w = openSlots(dir)
    w.write(checkpointDigest(text), checkpointLine({ ...draft(2, 11), files: { ...NO_FILES, deadLetter: 6 } }))
    w.close(false)
    assert.equal(sentIn(dir), 1)
    writeFileSync(join(dir, 'dead-letter.ndjson'), '{"a":1}\n')
    assert.equal(sentIn(dir), 2)
  })

  it('a resumed run that stops before its first checkpoint leaves the slots of the run before as they are (they are its newest state)', async () => {
    const dir = killedRun(draft(1, 10), [draft(2, 11), draft(3, 12)])
    const state = new LocalStateDir(dir)
    const previous = await state.readCheckpoint()
    const w = await state.openWriter(previous)
    await w.close()
    assert.equal(sentIn(dir), 3)
    // Its own first checkpoint goes to checkpoint.json; its slots number on from the old ones.
    const w2 = await state.openWriter(previous)
    w2.checkpoint(draft(4, 13))
    w2.checkpoint(draft(5, 14))
    assert.deepEqual(
      currentSlots(dir, checkpointDigest(readFileSync(join(dir, 'checkpoint.json')))).map((s) => s.seq),
      [3],
    )
    assert.equal(sentIn(dir), 5)
    await w2.close()
    assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).counts.sent, 5)
    assert.equal(existsSync(join(dir, SLOT_FILES[0])), false)
  })

  it('a run gone quiet has its newest checkpoint in checkpoint.json within everyMs', async () => {
    const dir = tempDir()
    const w = await new LocalStateDir(dir).openWriter(undefined, { everyMs: 30 })
    w.checkpoint(draft(1, 10))
    w.checkpoint(draft(2, 11))
    assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).counts.sent, 1)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).counts.sent, 2)
    assert.equal(sentIn(dir), 2)
    await w.close()
  })

  it('checkpointLine is one line of JSON with the same value as checkpointText', () => {
    const cp = { ...draft(7, 10), ahead: [{ file: 'a "b"\nc', lines: [[1, 2] as [number, number]] }], partial: [{ file: 'x', line: 3, acked: [0] }], skipped: undefined }
    const line = checkpointLine(cp)
    assert.ok(!line.includes('\n'))
    assert.deepEqual(JSON.parse(line), JSON.parse(checkpointText(cp)))
  })
})
