/**
 * The CLI as a user's shell and CI see it (issue: reliability): piped output is whole whatever
 * the exit code, hostile archive content cannot drive the terminal, proxy credentials are never
 * shown, and one bad message never stops a run.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT, runCli } from '../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../helpers/files.js'
import { filesUnder } from '../helpers/replay.js'

/**
 * Runs the CLI as `segamp … | (sleep 1.5; cat)`: stdout is a real pipe whose reader takes nothing
 * for a while (as `| jq` on a busy machine), so the 64 KiB pipe buffer fills and the CLI must wait.
 */
function slowPipe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const child = spawn('bash', ['-c', `${quoted} | (sleep 1.5; cat); exit \${PIPESTATUS[0]}`], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('CLI output on a pipe is complete on every exit code', () => {
  it('diff-mappings --format json --fail-on renamed | slow reader: exit 1 and the whole JSON (> 64 KiB)', async () => {
    const r = await slowPipe(['diff-mappings', 'examples/segment-logs', '--format', 'json', '--fail-on', 'renamed', '--no-progress'])
    assert.equal(r.code, 1, r.stderr)
    assert.ok(r.stdout.length > 65_536, `${r.stdout.length} bytes`)
    const report = JSON.parse(r.stdout) as { totals: { messages: number } }
    assert.equal(report.totals.messages > 0, true)
  })

  it('inspect --format json with rejected lines | slow reader: exit 3 and the whole JSON', async () => {
    const dir = tempDir()
    const messages = Array.from({ length: 2500 }, (_, i) => track(`Event number ${String(i).padStart(5, '0')} with a longish name`))
    writeFile(join(dir, 'a.ndjson'), ndjson(messages) + '{broken\n')
    const r = await slowPipe(['inspect', dir, '--format', 'json', '--no-progress', '--state-dir', join(tempDir(), 'state')])
    assert.equal(r.code, 3, r.stderr)
    assert.ok(r.stdout.length > 65_536, `${r.stdout.length} bytes`)
    const report = JSON.parse(r.stdout) as { messages: number; rejected: number }
    assert.equal(report.messages, 2500)
    assert.equal(report.rejected, 1)
  })
})

describe('inputs that do not exist', () => {
  it('replay of paths none of which exists is a usage error (2), not a finished replay of nothing', async () => {
    const r = await runCli(['replay', '/nonexistent/segment-logs', '--dry-run', '--no-progress', '--state-dir', join(tempDir(), 'state')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /Error: nothing to read: \/nonexistent\/segment-logs: no such file or directory/)
    assert.match(r.stderr, /Hint: Check the paths/)
  })
})

describe('a reader that goes away', () => {
  it('`| head -1`: the CLI stops quietly with 141, as a program stopped by SIGPIPE', async () => {
    const child = spawn('bash', ['-c', `'${process.execPath}' '${BIN}' diff-mappings examples/segment-logs --format json --no-progress | head -1; exit \${PIPESTATUS[0]}`], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise<number | null>((r) => child.on('close', r))
    assert.equal(code, 141, stderr)
    assert.equal(stdout, '{\n')
    assert.doesNotMatch(stderr, /EPIPE|Error:|\n\s+at /)
  })
})

describe('hostile archive content', () => {
  const hostile = '\u001b[2J\u001b]0;pwned\u0007Order\u009b31mCompleted\r'
  // A name that would forge a line of the summary and hide text after it.
  const forging = 'Legit\n  rejected lines          0\n\u001b[8mhidden\u001b[0m\u202e'

  it('control characters in event names are shown escaped in every table, and stay exact in JSON', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson([track(hostile), track('Plain'), track(forging)]))
    const table = await runCli(['inspect', dir, '--no-progress', '--state-dir', join(tempDir(), 'state')])
    assert.equal(table.code, 0, table.stderr)
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(table.stdout + table.stderr), 'no raw control character reaches the terminal')
    assert.ok(table.stdout.includes('\\u001b[2J\\u001b]0;pwned\\u0007Order\\u009b31mCompleted\\u000d'), table.stdout)
    const json = await runCli(['inspect', dir, '--format', 'json', '--no-progress', '--state-dir', join(tempDir(), 'state')])
    assert.deepEqual(Object.keys((JSON.parse(json.stdout) as { byEvent: Record<string, number> }).byEvent).sort(), [hostile, 'Plain', forging].sort())
    // The forged line never appears as a line of its own; the name is shown on one line, escaped.
    assert.ok(!/^\s*rejected lines {10}0$/m.test(table.stdout), table.stdout)
    assert.ok(table.stdout.includes('Legit\\u000a  rejected lines          0\\u000a\\u001b[8mhidden\\u001b[0m\\u202e'), table.stdout)
    const diff = await runCli(['diff-mappings', dir, '--no-progress'])
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(diff.stdout + diff.stderr))
    const sandbox = await runCli(['replay', dir, '--sandbox', '--no-progress'])
    assert.equal(sandbox.code, 0, sandbox.stderr)
    assert.ok(!/\u001b|\u202e/.test(sandbox.stdout + sandbox.stderr))
    assert.ok(!/^\s*rejected lines {10}0$/m.test(sandbox.stdout), sandbox.stdout)
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(sandbox.stdout + sandbox.stderr))
    assert.ok(sandbox.stdout.includes('\\u001b[2J'), sandbox.stdout)
  })

  it('a numeric timestamp no date can hold is an unusable timestamp, not a crash', async () => {
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson([track('Far', { timestamp: 9999999999999999 }), track('Near')]))
    const r = await runCli(['inspect', dir, '--format', 'json', '--no-progress', '--state-dir', join(tempDir(), 'state')])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout) as { messages: number; timeRange: { from: string; to: string } }
    assert.equal(report.messages, 2)
    assert.deepEqual(report.timeRange, { from: '2024-05-06T10:00:00.000Z', to: '2024-05-06T10:00:00.000Z' })
    const since = await runCli(['inspect', dir, '--since', '2024-01-01', '--format', 'json', '--no-progress', '--state-dir', join(tempDir(), 'state')])
    assert.deepEqual((JSON.parse(since.stdout) as { filtered: Record<string, number> }).filtered, { 'no-timestamp': 1 })
    const dry = await runCli(['replay', dir, '--dry-run', '--no-progress', '--state-dir', join(tempDir(), 'dry')])
    assert.equal(dry.code, 0, dry.stderr)
  })

  it("a message nested 5,000 levels deep is that line's failure: the run goes on, file:line reported", async () => {
    const dir = tempDir()
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)
    const file = writeFile(
      join(dir, 'a.ndjson'),
      `${JSON.stringify(track('Fine'))}\n{"type":"track","event":"Deep","messageId":"deep-1","anonymousId":"anon-12345","properties":${deep}}\n${JSON.stringify(track('Also fine'))}\n`,
    )
    const state = join(tempDir(), 'state')
    const r = await runCli(['replay', dir, '--sandbox', '--no-progress', '--json', '--state-dir', state])
    assert.equal(r.code, 3, r.stderr)
    const report = JSON.parse(r.stdout) as { sent: number; rejected: number; rejectedByReason: Record<string, number> }
    assert.equal(report.sent, 2)
    assert.deepEqual(report.rejectedByReason, { unprocessable: 1 })
    const rejected = JSON.parse(readFileSync(join(state, 'rejected.ndjson'), 'utf8').trim()) as { file: string; line: number; reason: string }
    // A rejected line, with its text as every rejected line (README: "Inputs and filters").
    assert.deepEqual(rejected, {
      file,
      line: 2,
      reason: 'unprocessable: the message is nested more than 500 levels deep (Amplitude keeps 40)',
      text: `{"type":"track","event":"Deep","messageId":"deep-1","anonymousId":"anon-12345","properties":${deep}}`,
    })
    const diff = await runCli(['diff-mappings', dir, '--format', 'json', '--no-progress'])
    assert.equal(diff.code, 0, diff.stderr)
    assert.match(diff.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not compared: `))
    assert.equal((JSON.parse(diff.stdout) as { totals: { messages: number } }).totals.messages, 2)
  })
})

describe('proxy credentials in --endpoint-url', () => {
  it('are used for the requests, and appear in no output, state file or resume command', async () => {
    const auth: string[] = []
    const srv = http.createServer((req, res) => {
      auth.push(String(req.headers.authorization))
      req.resume()
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end('{"code":401,"error":"Unauthorized"}')
      })
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as AddressInfo).port
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson([track('A'), track('B')]))
    const state = join(tempDir(), 'state')
    const r = await runCli([
      'replay',
      dir,
      '--endpoint-url',
      `http://proxyuser:pr0xy-s3cret@127.0.0.1:${port}`,
      '--api-key',
      'key-0123456789abcdef',
      '--yes',
      '--no-progress',
      '--state-dir',
      state,
    ])
    srv.close()
    assert.equal(r.code, 1, r.stderr)
    assert.ok(auth.length > 0 && auth.every((a) => a === `Basic ${Buffer.from('proxyuser:pr0xy-s3cret').toString('base64')}`), auth.join(','))
    assert.match(
      r.stderr,
      /Resume with:\n {2}\S+ replay .*--endpoint-url="\$AMPLITUDE_ENDPOINT_URL".*\n\(with AMPLITUDE_API_KEY set to the API key, and AMPLITUDE_ENDPOINT_URL set to the endpoint URL and its credentials\)/,
    )
    for (const text of [r.stdout, r.stderr, ...filesUnder(state).map((f) => f.text)]) {
      assert.ok(!text.includes('pr0xy-s3cret'), text.slice(0, 500))
      assert.ok(!text.includes('key-0123456789abcdef'))
    }
    const report = JSON.parse(readFileSync(join(state, 'report.json'), 'utf8')) as { endpointUrl: string }
    assert.equal(report.endpointUrl, `http://127.0.0.1:${port}/`)
  })

  it('a --secret-key on the command line: the resume command names its variable, and says to set it', async () => {
    const srv = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end('{"code":401,"error":"Unauthorized"}')
      })
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as AddressInfo).port
    const dir = tempDir()
    writeFile(join(dir, 'a.ndjson'), ndjson([track('A')]))
    const args = ['replay', dir, '--endpoint-url', `http://127.0.0.1:${port}`, '--api-key', 'key-0123456789abcdef', '--secret-key', 'sec-0123456789abcdef']
    const r = await runCli([...args, '--yes', '--no-progress', '--state-dir', join(tempDir(), 'state')])
    srv.close()
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /--secret-key="\$AMPLITUDE_SECRET_KEY".*\n\(with AMPLITUDE_API_KEY set to the API key, and AMPLITUDE_SECRET_KEY set to the secret key\)/)
    assert.ok(!r.stderr.includes('sec-0123456789abcdef'))
  })
})
