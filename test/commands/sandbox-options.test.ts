/**
 * `segamp sandbox --options FILE`: its `secretKeys` are the secret keys the Export API endpoint
 * accepts (HTTP Basic api key:secret key), as `startSandbox({ secretKeys })` does. They were
 * dropped, so the sandbox accepted any secret. A file whose keys are misspelt or of the wrong
 * type is a usage error naming them, not a sandbox that accepts everything.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { BIN, ROOT, runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

async function startSandboxProcess(args: string[]): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'sandbox', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const deadline = Date.now() + 30_000
  while (!stdout.includes('\n') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  const url = stdout.split('\n')[0]!.trim()
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
    child.kill('SIGKILL')
    throw new Error(`sandbox printed ${JSON.stringify(stdout)} / ${stderr}`)
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM')
      return closed
    },
  }
}

const exportStatus = async (url: string, key: string, secret: string): Promise<number> => {
  const res = await fetch(`${url}/api/2/export?start=20240506T00&end=20240506T01`, {
    headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` },
  })
  await res.arrayBuffer()
  return res.status
}

describe('segamp sandbox --options: secretKeys', function () {
  this.timeout(60_000)

  it('the Export API accepts only the secret keys of the file (401 for another), and only its API keys', async () => {
    const opts = writeFile(join(tempDir(), 'options.json'), JSON.stringify({ apiKeys: ['project-key-1'], secretKeys: ['the-right-secret'] }))
    const sb = await startSandboxProcess(['--options', opts])
    try {
      assert.equal(await exportStatus(sb.url, 'project-key-1', 'another-secret'), 401, 'a secret not in secretKeys')
      assert.equal(await exportStatus(sb.url, 'other-key', 'the-right-secret'), 401, 'an API key not in apiKeys')
      // Past authentication: nothing was uploaded in that range.
      assert.equal(await exportStatus(sb.url, 'project-key-1', 'the-right-secret'), 404)
    } finally {
      assert.equal(await sb.stop(), 0)
    }
  })

  it('without secretKeys: any non-empty secret, as documented', async () => {
    const opts = writeFile(join(tempDir(), 'options.json'), JSON.stringify({ limits: { httpApiEps: 10 } }))
    const sb = await startSandboxProcess(['--options', opts])
    try {
      assert.equal(await exportStatus(sb.url, 'any-key-1', 'any-secret'), 404)
      assert.equal(await exportStatus(sb.url, 'any-key-1', ''), 401)
    } finally {
      await sb.stop()
    }
  })

  it('secretKeys that is not a list of strings: exit 2 naming the file and the key', async () => {
    const opts = writeFile(join(tempDir(), 'options.json'), JSON.stringify({ secretKeys: 'the-right-secret' }))
    const r = await runCli(['sandbox', '--options', opts], { timeoutMs: 20_000 })
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    assert.ok(r.stderr.includes(`Error: --options ${opts}: secretKeys must be a list of non-empty strings`), r.stderr)
    assert.doesNotMatch(r.stderr, /the-right-secret/, 'the secret is not printed')
  })

  for (const [label, doc, said] of [
    ['a misspelt limit (httpApiEPS)', { limits: { httpApiEPS: 10 } }, 'limits: unknown limit "httpApiEPS" (did you mean httpApiEps? the limits: httpApiMaxBytes, batchMaxBytes, '],
    ['a limit that is no number', { limits: { httpApiEps: '10' } }, 'limits.httpApiEps must be a number ≥ 0 (got "10")'],
    [
      'a misspelt fault (error5xxrate)',
      { faults: { error5xxrate: 1 } },
      'faults: unknown fault "error5xxrate" (did you mean error5xxRate? the faults: error5xxRate, resetRate, latencyMs, throttle, quotaExceeded, silencedDevices, projectThrottle, seed)',
    ],
    ['limits that are no object', { limits: [1] }, 'limits must be an object'],
  ] as const) {
    it(`${label}: exit 2 naming it, not a sandbox with other limits or faults than asked`, async () => {
      const opts = writeFile(join(tempDir(), 'options.json'), JSON.stringify(doc))
      const r = await runCli(['sandbox', '--options', opts], { timeoutMs: 20_000 })
      assert.equal(r.code, 2, r.stderr)
      assert.equal(r.stdout, '')
      assert.ok(r.stderr.includes(`Error: --options ${opts}: ${said}`), r.stderr)
    })
  }

  it('POST /_sandbox/faults: a fault it does not know or a body that is no object is 400 naming it, and the faults stay as they were', async () => {
    const sb = await startSandboxProcess([])
    try {
      const setFaults = (body: string) => fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body })
      const typo = await setFaults(JSON.stringify({ error5xxrate: 1 }))
      assert.equal(typo.status, 400)
      assert.match(((await typo.json()) as { error: string }).error, /unknown fault "error5xxrate" \(did you mean error5xxRate\? the faults: error5xxRate, /)
      const list = await setFaults('[1]')
      assert.equal(list.status, 400)
      assert.match(((await list.json()) as { error: string }).error, /faults must be a JSON object/)
      // Nothing was changed: a request goes through.
      const post = await fetch(`${sb.url}/2/httpapi`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: 'key-12345', events: [{ device_id: 'dev-00001', event_type: 'E', insert_id: 'i1' }] }),
      })
      assert.equal(post.status, 200)
      const ok = await setFaults(JSON.stringify({ error5xxRate: 0.5 }))
      assert.equal(ok.status, 200)
    } finally {
      await sb.stop()
    }
  })

  it('a misspelt key (secretKey): exit 2 naming it and the keys the file may hold', async () => {
    const opts = writeFile(join(tempDir(), 'options.json'), JSON.stringify({ secretKey: ['s3cr3t-value'] }))
    const r = await runCli(['sandbox', '--options', opts], { timeoutMs: 20_000 })
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`Error: --options ${opts}: unknown key "secretKey" (the file may hold apiKeys, secretKeys, limits, faults)`), r.stderr)
    assert.doesNotMatch(r.stderr, /s3cr3t-value/)
  })
})
