/**
 * s3rver (the S3-compatible server the tests use) in its own process, for scenarios/s3-read.js:
 * serves params.dir (a bench/data directory, kept between runs) on 127.0.0.1, uploads
 * params.files under params.prefix into params.bucket once (a marker file remembers), sends
 * {endpoint} over IPC, and on "stop" sends its CPU time and peak RSS and exits.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { createRequire } from 'node:module'
import { params } from '../lib/child.js'

const require = createRequire(import.meta.url)
const S3rver = require('s3rver')
const { S3Client, CreateBucketCommand, PutObjectCommand } = require('@aws-sdk/client-s3')

const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: params.dir })
const { port } = await server.run()
const endpoint = `http://127.0.0.1:${port}`
const marker = join(params.dir, '.uploaded')
const expected = JSON.stringify({ bucket: params.bucket, files: params.files.map((f) => relative(params.root, f)) })
if (!existsSync(marker) || readFileSync(marker, 'utf8') !== expected) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  })
  await client.send(new CreateBucketCommand({ Bucket: params.bucket })).catch(() => undefined)
  for (const f of params.files) {
    await client.send(new PutObjectCommand({ Bucket: params.bucket, Key: params.prefix + relative(params.root, f).split(sep).join('/'), Body: readFileSync(f) }))
  }
  client.destroy()
  writeFileSync(marker, expected)
}
process.send({ endpoint })
process.on('message', async (m) => {
  if (m !== 'stop') return
  await server.close()
  const u = process.resourceUsage()
  process.send({ maxRssKB: u.maxRSS, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }, () => process.exit(0))
})
