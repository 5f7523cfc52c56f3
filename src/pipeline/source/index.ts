/**
 * # source: where the bytes of an archive come from
 *
 * Owns finding and opening the inputs a user names: local files and folder trees (walked once per
 * real file: links are followed, a second path to a file or folder read already and a link
 * loop are reported as skipped, not read again), stdin (`-`), and object stores (`s3://`,
 * `s3/`: listing by Segment's day folders, ranged reads that resume a stalled stream). Each
 * source has a path for messages (`file`, `s3://bucket/key`), a size for progress, and an
 * identity (size + mtime, or ETag) that a resumed run checks.
 *
 * It must never decompress, split or parse (decode does), and never hold more than a stream's
 * buffer of any file: a source is listed, then opened as a byte stream when its turn comes.
 * Credentials it is given never appear in its errors.
 */
export {
  listSources,
  sourceIdentity,
  streamInputs,
  describeFsError,
  type StreamKind,
  type ListSourcesOptions,
  type Source,
  type SourceList,
  type SourceProblem,
  type UnmatchedInput,
} from './sources.js'
export { type S3Settings } from './s3/client.js'
// Types only: the S3 client (and the AWS SDK) load when an s3:// input or state directory needs them.
export type { S3Clients } from './s3/index.js'
export { isS3Input, parseS3Input } from './s3/url.js'
