import { Args } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { combineShards, readShardState, renderStatus, type CombinedStatus } from '../replay/status.js'

export default class Status extends SegampCommand {
  static summary = 'Combined progress and report of the shards of one replay, from their state directories.'
  static description = `Reads the state directories of \`segamp replay --shard K/N\` (or --shards N) runs — local, or copied from pods or containers — and prints each shard's progress, which shards have not finished or are missing, and the combined report: messages, sent, dead-lettered, rejected, filtered (messages owned by other shards are not counted twice). An unsharded run's state directory works too (one shard of one).

EXIT CODES
  0  every shard finished
  3  every shard finished, but some lines were rejected, events dead-lettered or files unreadable
  1  a shard has not finished, or a shard's directory is missing
  2  usage error: a directory that is not a replay state directory, or directories of different runs`
  static examples = [
    { description: 'Three shards run on this machine', command: '<%= config.bin %> status .segamp/*-shard-*-of-3' },
    { description: 'State copied from pods, as JSON', command: '<%= config.bin %> status state/shard-0 state/shard-1 state/shard-2 --json' },
  ]
  static args = { dirs: Args.string({ description: 'State directories of the shards (one per shard).', required: true }) }
  static strict = false
  async run(): Promise<CombinedStatus> {
    const { argv } = await this.parse(Status)
    const status = combineShards((argv as string[]).map((d) => readShardState(d)))
    this.log(renderStatus(status))
    if (status.exitCode !== 0) process.exitCode = status.exitCode
    return status
  }
}
