#!/bin/sh
# Registers the job definition and submits an array job of N children: AWS Batch sets
# AWS_BATCH_JOB_ARRAY_INDEX (0..N-1) and `--shards N` in the job definition's command makes
# segamp read it. N here must equal --shards there.
#
# Every child works in /state (an EFS volume shared by all children, through an access point with
# uid/gid 1000, the image's `node` user); its default state directory,
# /state/.segamp/<run-id>-shard-<K>-of-<N>, is its own, and a retried child resumes it.
# Combined progress, from any machine or task that mounts the volume:
#   segamp status /state/.segamp/*-shard-*-of-4
set -eu
N="${N:-4}"
QUEUE="${QUEUE:-segamp-fargate}"
aws batch register-job-definition --cli-input-json file://deploy/aws-batch/job-definition.json
aws batch submit-job \
  --job-name segamp-replay \
  --job-queue "$QUEUE" \
  --job-definition segamp-replay \
  --array-properties "size=$N"
