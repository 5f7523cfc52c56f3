/** One text line → a Segment message or a rejection category and reason: `parseMessageLine`/`checkMessage` alone. */
import { strict as assert } from 'node:assert'
import { checkMessage, clipText, parseMessageLine, REJECTED_TEXT_LIMIT, tooLongLine } from '../../../src/pipeline/decode/message.js'

function jsonError(text: string): string {
  try {
    JSON.parse(text)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error(`${text} is JSON`)
}

describe('parseMessageLine and checkMessage', () => {
  it('a JSON object with a known type is the message itself, for every type Segment has', () => {
    for (const type of ['track', 'page', 'screen', 'identify', 'group', 'alias']) {
      assert.deepEqual(parseMessageLine(`{"type":"${type}","messageId":"m","properties":{"n":1}}`), { ok: true, message: { type, messageId: 'm', properties: { n: 1 } } })
    }
    const value = { type: 'track', event: 'X' }
    const checked = checkMessage(value)
    assert.equal(checked.ok && checked.message, value)
  })

  it('each rejection has its category and a reason that says what the line was', () => {
    assert.deepEqual(parseMessageLine('{"type":"track",'), { ok: false, category: 'invalid JSON', reason: `invalid JSON: ${jsonError('{"type":"track",')}` })
    assert.deepEqual(parseMessageLine(''), { ok: false, category: 'invalid JSON', reason: `invalid JSON: ${jsonError('')}` })
    assert.deepEqual(parseMessageLine('null'), { ok: false, category: 'not a JSON object', reason: 'not a JSON object: the line is null' })
    assert.deepEqual(parseMessageLine('[1,2]'), { ok: false, category: 'not a JSON object', reason: 'not a JSON object: the line is an array' })
    assert.deepEqual(parseMessageLine('"text"'), { ok: false, category: 'not a JSON object', reason: 'not a JSON object: the line is a string' })
    assert.deepEqual(parseMessageLine('42'), { ok: false, category: 'not a JSON object', reason: 'not a JSON object: the line is a number' })
    assert.deepEqual(parseMessageLine('true'), { ok: false, category: 'not a JSON object', reason: 'not a JSON object: the line is a boolean' })
    for (const line of ['{"event":"x"}', '{"type":null}', '{"type":""}']) {
      assert.deepEqual(parseMessageLine(line), { ok: false, category: 'missing type', reason: 'missing type: the message has no "type" field' }, line)
    }
    assert.deepEqual(parseMessageLine('{"type":"Track"}'), {
      ok: false,
      category: 'unknown type',
      reason: 'unknown type: "Track" is not one of track, page, screen, identify, group, alias',
    })
    assert.deepEqual(parseMessageLine('{"type":7}'), { ok: false, category: 'unknown type', reason: 'unknown type: 7 is not one of track, page, screen, identify, group, alias' })
  })

  it('a line over the cap is rejected with its length and the limit, in words', () => {
    assert.deepEqual(tooLongLine(5_000_000, 4_194_304), {
      ok: false,
      category: 'line too long',
      reason: 'line too long: 5,000,000 characters, over the 4,194,304-character limit (Segment messages are at most 32 KB); not read',
    })
  })

  it('a rejected line keeps at most 64 KiB of its text', () => {
    assert.equal(REJECTED_TEXT_LIMIT, 65_536)
    const short = 'x'.repeat(REJECTED_TEXT_LIMIT)
    assert.equal(clipText(short), short)
    assert.equal(clipText(short + 'yz'), short)
  })
})

describe('rejected line text', () => {
  it('never keeps a source writeKey', async () => {
    const { redactSecretsInText } = await import('../../../src/pipeline/decode/message.js')
    assert.equal(redactSecretsInText('{"type":"nope","writeKey":"WK_SECRET\\"x","a":1'), '{"type":"nope","writeKey":"<redacted>","a":1')
    assert.equal(redactSecretsInText('plain text'), 'plain text')
  })
})
