/**
 * Issue 26: the HTML report in a real browser. Debian's Chromium (/usr/bin/chromium, installed by
 * .ci/run), driven by playwright-core, opens the report of the bundled example, of a hostile
 * archive compared --against a hand-built export, and of a 100k-message archive: the charts draw
 * (non-empty canvases), nothing is logged as an error, nothing is fetched, a hostile event name
 * stays text (no dialog, no img element), and the file stays under 2 MB. A screenshot is written
 * to a temp dir (its path is printed).
 */
import { strict as assert } from 'node:assert'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type Page } from 'playwright-core'
import { zipEntries } from '../../../src/amplitude/sandbox/export.js'
import { exportTime } from '../../../src/amplitude/export-api/format.js'
import { runCli, ROOT } from '../../helpers/cli.js'
import { ndjson, tempDir, track, writeFile } from '../../helpers/files.js'

const CHROMIUM = process.env.SEGAMP_CHROMIUM ?? '/usr/bin/chromium'
const HOSTILE = '<img src=x onerror=alert(1)>'
const MAX_BYTES = 2 * 1024 * 1024

interface PageCheck {
  errors: string[]
  requests: string[]
  dialogs: string[]
}

async function open(browser: Browser, file: string): Promise<{ page: Page; seen: PageCheck }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  const seen: PageCheck = { errors: [], requests: [], dialogs: [] }
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text())
  })
  page.on('pageerror', (e) => seen.errors.push(String(e)))
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) seen.requests.push(r.url())
  })
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message())
    void d.dismiss()
  })
  await page.goto(pathToFileURL(file).href)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 })
  return { page, seen }
}

/** Per canvas: how many pixels are drawn (alpha > 0). */
async function drawnPixels(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {}
    for (const c of Array.from(document.querySelectorAll('canvas'))) {
      const ctx = c.getContext('2d')!
      const d = ctx.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
      out[c.id] = n
    }
    return out
  })
}

function assertClean(seen: PageCheck): void {
  assert.deepEqual(seen.errors, [], 'no console errors')
  assert.deepEqual(seen.requests, [], 'no network access')
  assert.deepEqual(seen.dialogs, [], 'no dialog')
}

describe('HTML report in headless Chromium (issue 26)', function () {
  this.timeout(240_000)
  let browser: Browser
  const dir = tempDir('segamp-html-')

  before(async function () {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    })
  })
  after(async () => {
    await browser?.close()
  })

  it('the bundled example: two charts drawn, findings drill down to examples, no errors; screenshot', async () => {
    const file = join(dir, 'example.html')
    const r = await runCli([
      'diff-mappings',
      'examples/segment-logs',
      '--classic',
      'examples/classic-settings.json',
      '--mappings',
      'examples/github/actions-mappings.json',
      '--fail-on',
      'renamed,dropped',
      '--format',
      'html',
      '--out',
      file,
      '--no-progress',
    ])
    assert.equal(r.code, 1, r.stderr)
    const { page, seen } = await open(browser, file)
    assert.equal(await page.getAttribute('#chart-status', 'data-charts'), '2')
    const pixels = await drawnPixels(page)
    assert.ok(pixels['chart-volume']! > 1000 && pixels['chart-kinds']! > 1000, JSON.stringify(pixels))
    assert.equal(await page.textContent('.verdict'), 'failed on dropped, renamed')
    const shot = join(dir, 'report-screenshot.png')
    await page.screenshot({ path: shot, fullPage: false })
    console.log(`      screenshot: ${shot}`)
    // Drill-down: a renamed finding opens onto its examples
    const finding = page.locator('details.finding[data-kind="renamed"]').first()
    assert.equal(await finding.locator('pre').first().isVisible(), false)
    await finding.locator('summary').click()
    assert.match((await finding.locator('pre').first().textContent())!, /^examples\/segment-logs\/.*:\d+ messageId /)
    assert.match((await page.textContent('#model'))!, /The model/)
    assert.ok((await page.locator('#model + p + h3 + ul li').count()) > 0, 'assumptions listed')
    assertClean(seen)
  })

  it('a hostile event name stays text (no dialog, no img element), --against adds pairing and agreement', async () => {
    const t = '2024-05-06T10:00:00.000Z'
    const ms = Date.parse(t)
    const archive = writeFile(
      join(dir, 'hostile', 'day.ndjson'),
      ndjson([
        track(HOSTILE, { messageId: 'ajs-h1', timestamp: t, userId: 'user-1', properties: { html: '<script>alert(2)</script>' } }),
        track('Song Played', { messageId: 'ajs-h2', timestamp: '2024-05-06T10:00:01.000Z', userId: 'user-2' }),
      ]),
    )
    const stored = (ev: Record<string, unknown>): Record<string, unknown> => ({
      $insert_id: null,
      amplitude_id: 1,
      app: 187520,
      uuid: 'u',
      event_properties: {},
      user_properties: {},
      groups: {},
      group_properties: {},
      library: 'segment',
      ip_address: '198.51.100.7',
      ...ev,
    })
    const zip = await zipEntries([
      {
        name: '187520/187520_2024-05-06_10#0.json.gz',
        data: gzipSync(
          ndjson([
            stored({ $insert_id: 'ajs-h1:x', event_type: HOSTILE, user_id: 'user-1', event_time: exportTime(ms), event_properties: { html: '<script>alert(2)</script>' } }),
            // inside the archive's span (10:00:00 to 10:00:01): after it, it would be outside-archive-span, not only-in-amplitude
            stored({ $insert_id: 'other-1', event_type: `${HOSTILE} only in Amplitude`, user_id: 'user-9', event_time: exportTime(ms + 500) }),
          ]),
        ),
      },
    ])
    const exp = writeFile(join(dir, 'hostile', 'export.zip'), zip)
    const file = join(dir, 'hostile.html')
    const r = await runCli(['diff-mappings', archive, '--against', exp, '--format', 'html', '--out', file, '--no-progress'])
    assert.equal(r.code, 0, r.stderr)
    const html = readFileSync(file, 'utf8')
    assert.ok(!html.includes(HOSTILE), 'never written raw')
    const { page, seen } = await open(browser, file)
    assert.equal(await page.locator('img').count(), 0)
    assert.equal(await page.locator('main script').count(), 0)
    assert.ok((await page.locator('.name', { hasText: HOSTILE }).count()) > 0, 'shown as text')
    assert.ok((await page.textContent('body'))!.includes(`${HOSTILE} only in Amplitude`))
    assert.equal(await page.getAttribute('#chart-status', 'data-charts'), '3')
    const pixels = await drawnPixels(page)
    for (const id of ['chart-volume', 'chart-kinds', 'chart-pairing']) assert.ok(pixels[id]! > 500, `${id}: ${JSON.stringify(pixels)}`)
    assert.match((await page.textContent('#against + .cards + p'))!, /The Classic emulation \(cloud\) matched \d+ % of stored events/)
    // open every drill-down: the examples' markup stays text too
    for (const s of await page.locator('details.finding summary').all()) await s.click()
    await page.waitForTimeout(200)
    assert.equal(await page.locator('img').count(), 0)
    assertClean(seen)
  })

  it('a 100k-message archive: under 2 MB, opens with no console errors', async function () {
    const out = join(dir, 'big')
    execFileSync(process.execPath, [join(ROOT, 'scripts/generate-example-archive.js'), '--out', out, '--messages', '100000', '--files-per-day', '4'], { stdio: 'ignore' })
    const file = join(dir, 'big.html')
    const r = await runCli(['diff-mappings', join(out, 'segment-logs'), '--classic', 'examples/classic-settings.json', '--format', 'html', '--out', file, '--no-progress'], {
      timeoutMs: 200_000,
    })
    assert.equal(r.code, 0, r.stderr)
    const size = statSync(file).size
    console.log(`      100k messages: ${(size / 1024).toFixed(0)} KiB of HTML`)
    assert.ok(size < MAX_BYTES, `${size} bytes`)
    const { page, seen } = await open(browser, file)
    assert.equal(await page.getAttribute('#chart-status', 'data-charts'), '2')
    // 100,000 lines, less those the reading filters (segamp inspect lists why)
    const compared = Number(/messages compared([\d,]+)/.exec((await page.textContent('.cards'))!)![1]!.replace(/,/g, ''))
    assert.ok(compared > 90_000 && compared <= 100_000, String(compared))
    assertClean(seen)
  })
})
