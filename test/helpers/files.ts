/** Test helpers that write real archive files (plain, gzip, multi-member gzip) to a temp dir. */
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'

export function tempDir(prefix = 'segamp-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function writeFile(path: string, content: string | Buffer): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  return path
}

export function ndjson(messages: unknown[]): string {
  return messages.map((m) => JSON.stringify(m)).join('\n') + '\n'
}

export function gzip(text: string): Buffer {
  return gzipSync(Buffer.from(text))
}

export function readNdjson(path: string): unknown[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

let counter = 0
export function track(event: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  counter++
  return {
    type: 'track',
    event,
    messageId: `msg-${counter}`,
    userId: 'user-1234',
    anonymousId: 'anon-1234',
    timestamp: '2024-05-06T10:00:00.000Z',
    properties: { n: counter },
    ...extra,
  }
}
