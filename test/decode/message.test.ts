/** One text line → a Segment message or a rejection category and reason: `parseMessageLine`/`checkMessage` alone. */
import { strict as assert } from 'node:assert'
import { checkMessage, clipText, parseMessageLine, REJECTED_TEXT_LIMIT, tooLongLine } from '../../src/decode/message.js'

function jsonError(text: string): string {
  try {
    JSON.parse(text)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error(`${text} is JSON`)
}

describe('rejected line text', () => {
  it('never keeps a source writeKey', async () => {
    const { redactSecretsInText } = await import('../../src/decode/message.js')
    assert.equal(redactSecretsInText('{"type":"nope","writeKey":"WK_SECRET\\"x","a":1'), '{"type":"nope","writeKey":"<redacted>","a":1')
    assert.equal(redactSecretsInText('plain text'), 'plain text')
  })
})
