/**
 * Splitting one replay into N independent shards (`segamp replay --shard K/N`), with no
 * coordinator: every shard reads the whole input and keeps the messages whose identity key
 * hashes to its index. (`--workers` needs no partition: its threads' results are applied in archive order.)
 *
 * Identity key of a message (what Amplitude throttles and orders by), as the Quick Setup presets
 * map it: `device_id` (`context.device.id`, else `anonymousId`), else `user_id` (`userId`); a
 * message with neither is owned by its `messageId`, and one without a messageId by its
 * `file:line`. Partition: FNV-1a 32-bit over the key's UTF-8 bytes, modulo N. Pure.
 */
import type { SegmentMessage } from '../../types.js'
import { UsageError } from '../../errors.js'
import { scanIdentityKey } from './shard-scan.js'

export interface Shard {
  /** 0-based. */
  index: number
  count: number
}

/** The filter reason counted for messages another shard owns. */
export const OTHER_SHARD = 'other-shard'

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (unsigned result). */
export function fnv1a32(text: string): number {
  // ASCII (every id seen in practice) hashes straight from the char codes: no Buffer per line.
  let h = FNV_OFFSET
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80) return fnv1a32Bytes(text)
    h ^= c
    h = Math.imul(h, FNV_PRIME) >>> 0
  }
  return h >>> 0
}

function fnv1a32Bytes(text: string): number {
  let h = FNV_OFFSET
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte
    h = Math.imul(h, FNV_PRIME) >>> 0
  }
  return h >>> 0
}

/** Which of `count` partitions a key belongs to. */
export function partitionOf(key: string, count: number): number {
  return count <= 1 ? 0 : fnv1a32(key) % count
}

function idValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

/**
 * The identity key a message is partitioned by; `kind` tells which rule gave it.
 * `fallback` names the line (file:line) for a message without any id.
 */
export function identityKey(message: SegmentMessage, fallback = ''): { kind: 'device_id' | 'user_id' | 'messageId' | 'line'; key: string } {
  const m = message as Record<string, unknown>
  const context = m.context as { device?: { id?: unknown } } | undefined
  const device = idValue(context?.device?.id) ?? idValue(m.anonymousId)
  if (device !== undefined) return { kind: 'device_id', key: device }
  const user = idValue(m.userId)
  if (user !== undefined) return { kind: 'user_id', key: user }
  const id = idValue(m.messageId)
  if (id !== undefined) return { kind: 'messageId', key: id }
  return { kind: 'line', key: fallback }
}

/**
 * Whether shard `shard` owns the message on this line, decided from its text before JSON.parse
 * (shard-scan.ts); `undefined` when the text alone does not settle it (then parse and ask
 * `ownsMessage`). Never a different verdict from the parsed message's.
 */
export function ownsLine(shard: Shard, text: string, fallback = ''): boolean | undefined {
  const key = scanIdentityKey(text, fallback)
  return key === undefined ? undefined : partitionOf(key, shard.count) === shard.index
}

/** Whether shard `shard` owns this message. */
export function ownsMessage(shard: Shard, message: SegmentMessage, fallback = ''): boolean {
  return partitionOf(identityKey(message, fallback).key, shard.count) === shard.index
}

/** What to do about a --shard/--shards value that is wrong. */
const SHARD_HINT = {
  code: 'shard',
  hint: 'Shards are numbered from 0: --shard 0/3, --shard 1/3 and --shard 2/3 split the archive in three; under a scheduler, --shards N reads the index from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX.',
}

/** `K/N` (0-based K) → shard; a usage error naming the flag on anything else. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (!m) throw new UsageError(`--shard ${JSON.stringify(text)} is not K/N (0-based index / number of shards), e.g. --shard 0/3`, SHARD_HINT)
  return checkShard(Number(m[1]), Number(m[2]), `--shard ${text}`)
}

export function checkShard(index: number, count: number, what: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`${what}: the number of shards must be a whole number ≥ 1`, SHARD_HINT)
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new UsageError(`${what}: the shard index must be 0…${count - 1} (it is 0-based)`, SHARD_HINT)
  return { index, count }
}

/** Environment variables that carry a 0-based array index, in the order they are looked at. */
export const SHARD_INDEX_ENV = ['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const

/**
 * `--shards N`: the index comes from the scheduler's environment. Both variables set to different
 * indexes (a Kubernetes Job run inside an AWS Batch array, or an environment copied from another
 * job) is refused: either could be the shard's, and two shards on one index send its messages twice.
 */
export function shardFromEnv(count: number, env: NodeJS.ProcessEnv = process.env): Shard {
  const given = SHARD_INDEX_ENV.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => ({ name, value: env[name]!.trim() }))
  for (const { name, value } of given) {
    if (!/^\d+$/.test(value)) throw new UsageError(`--shards ${count}: ${name}=${JSON.stringify(env[name])} is not a 0-based index`, SHARD_HINT)
  }
  if (given.length > 1 && new Set(given.map((g) => Number(g.value))).size > 1) {
    throw new UsageError(
      `--shards ${count}: ${given.map((g) => `${g.name}=${g.value}`).join(' and ')} name different shards`,
      'Unset the one the scheduler did not set for this job, or give the index with --shard K/N.',
    )
  }
  if (given.length > 0) return checkShard(Number(given[0]!.value), count, `--shards ${count} with ${given[0]!.name}=${given[0]!.value}`)
  throw new UsageError(
    `--shards ${count} needs the shard index from ${SHARD_INDEX_ENV.join(' (Kubernetes Indexed Job) or ')} (AWS Batch array job); outside a scheduler use --shard K/${count}`,
    SHARD_HINT,
  )
}

/** `-shard-K-of-N`: appended to the run id (and so to the default state directory). */
export function shardSuffix(shard: Shard): string {
  return `-shard-${shard.index}-of-${shard.count}`
}

/** A shard's share of a project-wide events/s cap. */
export function shardMaxEps(maxEps: number | undefined, shard: Shard | undefined): number | undefined {
  if (maxEps === undefined || !shard) return maxEps
  return maxEps / shard.count
}

/** A shard as recorded in checkpoint.json and report.json: `group` is the run id all N shards share. */
export interface ShardRun extends Shard {
  group: string
}
