#!/bin/sh
# Registers the job definition and submits an array job of N children: AWS Batch sets
# AWS_BATCH_JOB_ARRAY_INDEX (0..N-1) and `--shards N` in the job definition's command makes
# segamp read it. N here must equal --shards there.
#
# State: in S3, one prefix per child (--state-dir s3://…/shard-{shard} in the job definition; segamp
# puts the child's index in place of {shard}), so a retried attempt, on any host, resumes its shard's
# checkpoint; no EFS volume. The job role needs s3:GetObject, s3:PutObject, s3:DeleteObject and
# s3:ListBucket on that prefix, and read access to the archive. Attempts of one child run one after
# another, and the lock object (lease 2 minutes) keeps any other run out: an attempt that finds the
# previous attempt's lease still running exits 75, which the job definition retries.
# Exit codes: 75 (retry later), 130 (SIGTERM) and 137 (killed) are retried; 0, 1, 2 and 3 end the child.
# Fargate: 2 vCPU need at least 4096 MB; --workers=2 peaks well under 1 GB (README, "Beyond one machine").
# Combined progress, from anywhere with the same credentials:
#   segamp status "s3://your-bucket/segamp-state/run-1/shard-*"
set -eu
N="${N:-4}"
QUEUE="${QUEUE:-segamp-fargate}"
aws batch register-job-definition --cli-input-json file://deploy/aws-batch/job-definition.json
aws batch submit-job \
  --job-name segamp-replay \
  --job-queue "$QUEUE" \
  --job-definition segamp-replay \
  --array-properties "size=$N"
