import { Args } from '@oclif/core'
import { SegampCommand } from '../cli/base.js'
import { combineShards, readShardState, renderStatus, type CombinedStatus } from '../replay/status.js'
import { expandStateDirs, stateDirAt } from '../replay/state.js'
import { s3Flags } from '../cli/flags.js'
import { s3Settings } from '../cli/s3-input.js'

export default class Status extends SegampCommand {
  static summary = 'Combined progress and report of the shards of one replay, from their state directories.'
  static description = `Reads the state directories of \`segamp replay --shard K/N\` (or --shards N) runs — local, copied from pods or containers, or s3://bucket/prefix/ — and prints each shard's progress, which shards have not finished or are missing, and the combined report: messages, sent, dead-lettered, rejected, filtered (messages owned by other shards are not counted twice). An unsharded run's state directory works too (one shard of one).

EXIT CODES
  0  every shard finished
  3  every shard finished, but some lines were rejected, events dead-lettered or files unreadable
  75 every shard finished, but an s3:// object the store kept failing is unreadable for now: re-run that shard's replay command later, it resumes and reads it
  1  a shard has not finished, or a shard's directory is missing, or the s3:// store refused (no such bucket, unknown credentials, access denied)
  2  usage error: a directory that is not a replay state directory, or directories of different runs`
  static examples = [
    { description: 'Three shards run on this machine', command: '<%= config.bin %> status .segamp/*-shard-*-of-3' },
    { description: 'State copied from pods, as JSON', command: '<%= config.bin %> status state/shard-0 state/shard-1 state/shard-2 --json' },
    {
      description: 'Shards that keep their state in S3 (--state-dir s3://my-bucket/segamp/run-1/shard-$(index))',
      command: '<%= config.bin %> status "s3://my-bucket/segamp/run-1/shard-*"',
    },
  ]
  static args = {
    dirs: Args.string({ description: 'State directories of the shards (one per shard): paths, or s3://bucket/prefix/ (s3://bucket/run/shard-* lists them).', required: true }),
  }
  static strict = false
  static flags = { ...s3Flags }
  async run(): Promise<CombinedStatus> {
    const { argv, flags } = await this.parse(Status)
    const s3 = s3Settings(flags)
    const states = []
    for (const dir of await expandStateDirs(argv as string[], s3)) {
      const state = stateDirAt(dir, { s3 })
      try {
        states.push(await readShardState(state))
      } finally {
        state.close()
      }
    }
    const status = combineShards(states)
    this.log(renderStatus(status))
    if (status.exitCode !== 0) process.exitCode = status.exitCode
    return status
  }
}
