import { strict as assert } from 'node:assert'

import {
  DiffAggregator,
  failingKinds,
  parseFailOn,
  renderJson,
  renderMarkdown,
  renderTable,
  type ActionsRecord,
  type ClassicRecord,
  type DiffModel,
  type DiffReport,
} from '../../src/diff/index.js'

const model: DiffModel = {
  classicMode: 'cloud',
  settings: { apiKey: 'CLASSIC_KEY', secretKey: '', trackNamedPages: true },
  mappingsSource: 'presets',
}

const page = (name: string, props: Record<string, unknown>): ClassicRecord => ({
  endpoint: '/httpapi',
  record: { event_type: name, event_properties: props },
})
const act = (subscription: string, actionSlug: string, record: Record<string, unknown>, endpoint = 'httpapi'): ActionsRecord => ({
  subscription,
  actionSlug,
  endpoint,
  record,
})

/** A small archive: 2 renamed pages, 1 double-sent order, 1 dropped group, 1 unchanged track. */
function smallReport(examples: number): DiffReport {
  const agg = new DiffAggregator({ examples })
  for (const [i, id] of ['m1', 'm2'].entries()) {
    agg.add(
      { messageId: id, file: 'a.ndjson', line: i + 1 },
      [page('Viewed Home Page', { path: '/', name: 'Home' })],
      [act('Page Calls', 'logEventV2', { event_type: 'Viewed Home', event_properties: { path: '/' } })],
      {},
    )
  }
  agg.add(
    { messageId: 'm3', file: 'a.ndjson', line: 3 },
    [{ endpoint: '/httpapi', record: { event_type: 'Order Completed', revenue: 30 } }],
    [act('Track Calls', 'logEvent', { event_type: 'Order Completed' }), act('Order Completed Calls', 'logPurchase', { event_type: 'Order Completed', revenue: 30 })],
    {},
  )
  agg.add({ file: 'b.ndjson', line: 1 }, [{ endpoint: '/identify', record: { user_id: 'u1', groups: { company: 'g1' }, user_properties: { company: 'g1' } } }], [], {})
  agg.add(
    { messageId: 'm5', file: 'b.ndjson', line: 2 },
    [{ endpoint: '/httpapi', record: { event_type: 'Signed Up' } }],
    [act('Track Calls', 'logEventV2', { event_type: 'Signed Up' })],
    {},
  )
  return agg.report(model)
}

describe('diff report', () => {
  it('aggregates findings by kind and names, counts messages, sorts what matters first', () => {
    const r = smallReport(3)
    assert.deepEqual(r.model, {
      classicMode: 'cloud',
      settings: { apiKey: '[redacted]', secretKey: '', trackNamedPages: true },
      mappingsSource: 'presets',
    })
    assert.deepEqual(r.totals, {
      messages: 5,
      classicEvents: 5,
      actionsEvents: 5,
      byKind: { dropped: 1, duplicated: 1, renamed: 2, revenue: 0, properties: 2, added: 0, 'refused-by-amplitude': 0, same: 2 },
    })
    assert.deepEqual(
      r.findings.map((f) => [f.kind, f.classic, f.actions, f.count, f.paths, f.examples.map((e) => `${e.file}:${e.line}`)]),
      [
        ['dropped', '[group] company', null, 1, [], ['b.ndjson:1']],
        ['duplicated', 'Order Completed', 'Order Completed', 1, [], ['a.ndjson:3']],
        ['renamed', 'Viewed Home Page', 'Viewed Home', 2, [], ['a.ndjson:1', 'a.ndjson:2']],
        ['properties', 'Viewed Home Page', 'Viewed Home', 2, [{ path: 'event_properties.name', change: 'only-classic', count: 2 }], ['a.ndjson:1', 'a.ndjson:2']],
        ['same', 'Order Completed', 'Order Completed', 1, [], ['a.ndjson:3']],
        ['same', 'Signed Up', 'Signed Up', 1, [], ['b.ndjson:2']],
      ],
    )
    const dup = r.findings[1]!
    assert.deepEqual(dup.examples[0], {
      messageId: 'm3',
      file: 'a.ndjson',
      line: 3,
      classic: [{ endpoint: '/httpapi', record: { event_type: 'Order Completed', revenue: 30 } }],
      actions: [
        { subscription: 'Track Calls', actionSlug: 'logEvent', endpoint: 'httpapi', record: { event_type: 'Order Completed' } },
        { subscription: 'Order Completed Calls', actionSlug: 'logPurchase', endpoint: 'httpapi', record: { event_type: 'Order Completed', revenue: 30 } },
      ],
    })
    assert.equal(r.findings[0]!.examples[0]!.messageId, null)
  })

  it('a config keeping Classic names: only same findings, nothing fails', () => {
    const agg = new DiffAggregator({ examples: 2 })
    const track = (n: string): [ClassicRecord[], ActionsRecord[]] => [
      [{ endpoint: '/httpapi', record: { event_type: n, time: 1, library: 'segment', event_properties: { a: 1 } } }],
      [act('Track Calls', 'logEventV2', { event_type: n, time: 2, library: 'analytics.js', use_batch_endpoint: false, insert_id: 'x', event_properties: { a: 1 } })],
    ]
    agg.add({ messageId: '1', file: 'f', line: 1 }, ...track('Signed Up'), {})
    agg.add({ messageId: '2', file: 'f', line: 2 }, ...track('Viewed Home Page'), {})
    agg.add({ messageId: '3', file: 'f', line: 3 }, ...track('Signed Up'), {})
    agg.add(
      { messageId: '4', file: 'f', line: 4 },
      [{ endpoint: '/identify', record: { user_id: 'u', user_properties: { plan: 'pro' } } }],
      [act('Identify Calls', 'identifyUser', { user_id: 'u', user_properties: { plan: 'pro' }, library: 'segment' }, 'identify')],
      {},
    )
    const r = agg.report(model)
    assert.deepEqual(r.totals.byKind, { dropped: 0, duplicated: 0, renamed: 0, revenue: 0, properties: 0, added: 0, 'refused-by-amplitude': 0, same: 4 })
    assert.deepEqual(
      r.findings.map((f) => [f.kind, f.classic, f.actions, f.count]),
      [
        ['same', 'Signed Up', 'Signed Up', 2],
        ['same', 'Viewed Home Page', 'Viewed Home Page', 1],
        ['same', '[identify]', '[identify]', 1],
      ],
    )
    assert.deepEqual(failingKinds(r, ['renamed', 'dropped', 'added', 'duplicated', 'properties', 'revenue']), [])
    assert.equal(renderTable(r, { color: false }).split('\n').at(-2), 'No differences.')
  })

  it('keeps at most N examples per finding', () => {
    const r = smallReport(1)
    const renamed = r.findings.find((f) => f.kind === 'renamed')!
    assert.equal(renamed.count, 2)
    assert.deepEqual(
      renamed.examples.map((e) => e.messageId),
      ['m1'],
    )
    assert.ok(smallReport(0).findings.every((f) => f.examples.length === 0))
  })

  it('paths are counted per message and sorted by count', () => {
    const agg = new DiffAggregator({ examples: 0 })
    const c = (lang: string, plan?: string): ClassicRecord => ({ endpoint: '/httpapi', record: { event_type: 'E', language: lang, event_properties: { plan } } })
    const a = act('Track Calls', 'logEventV2', { event_type: 'E', language: 'en-US', event_properties: {} })
    agg.add({ file: 'f', line: 1 }, [c('English', 'pro')], [a], {})
    agg.add({ file: 'f', line: 2 }, [c('English')], [a], {})
    agg.add({ file: 'f', line: 3 }, [c('German', 'free'), c('German', 'free')], [a, { ...a }], {})
    const r = agg.report(model)
    assert.deepEqual(
      r.findings.map((f) => [f.kind, f.count, f.paths]),
      [
        [
          'properties',
          3,
          [
            { path: 'language', change: 'changed', count: 3 },
            { path: 'event_properties.plan', change: 'only-classic', count: 2 },
          ],
        ],
        ['same', 3, []],
      ],
    )
  })

  it('redacts writeKey and api_key in examples', () => {
    const agg = new DiffAggregator({ examples: 1 })
    agg.add(
      { messageId: 'x', file: 'f', line: 1 },
      [{ endpoint: '/httpapi', record: { event_type: 'E', api_key: 'K', event_properties: { writeKey: 'WK', nested: [{ apiKey: 'K2' }] } } }],
      [],
      {},
    )
    const text = renderJson(agg.report(model))
    assert.ok(!text.includes('WK') && !text.includes('"K"') && !text.includes('K2') && !text.includes('CLASSIC_KEY'))
    assert.deepEqual(agg.report(model).findings[0]!.examples[0]!.classic[0]!.record, {
      event_type: 'E',
      api_key: '[redacted]',
      event_properties: { writeKey: '[redacted]', nested: [{ apiKey: '[redacted]' }] },
    })
  })

  it('failingKinds and parseFailOn', () => {
    const r = smallReport(0)
    assert.deepEqual(failingKinds(r, []), [])
    assert.deepEqual(failingKinds(r, ['revenue', 'added']), [])
    assert.deepEqual(failingKinds(r, ['renamed', 'dropped', 'revenue']), ['dropped', 'renamed'])
    assert.throws(() => failingKinds(r, ['nope']), /unknown finding kind: nope/)
    assert.deepEqual(parseFailOn('renamed, dropped,,renamed'), ['renamed', 'dropped'])
    assert.deepEqual(parseFailOn(''), [])
    assert.throws(() => parseFailOn('dropped,same,bogus'), /unknown kinds same, bogus \(allowed: renamed, dropped, added, duplicated, properties, revenue, refused-by-amplitude\)/)
  })

  it('renderJson is the report, 2-space indented', () => {
    const r = smallReport(1)
    assert.equal(renderJson(r), JSON.stringify(r, null, 2) + '\n')
    assert.deepEqual(Object.keys(JSON.parse(renderJson(r))), ['model', 'totals', 'findings'])
    assert.deepEqual(Object.keys(r.findings[0]!), ['kind', 'classic', 'actions', 'count', 'paths', 'examples'])
  })
})

/** smallReport's messages plus an unnamed page, a revenue difference and 12 unchanged names. */
function renderReport(): DiffReport {
  const agg = new DiffAggregator({ examples: 1 })
  for (const [i, id] of ['m1', 'm2'].entries()) {
    agg.add(
      { messageId: id, file: 'a.ndjson', line: i + 1 },
      [page('Viewed Home Page', { path: '/', name: 'Home' })],
      [act('Page Calls', 'logEventV2', { event_type: 'Viewed Home', event_properties: { path: '/' } })],
      {},
    )
  }
  agg.add(
    { messageId: 'm3', file: 'a.ndjson', line: 3 },
    [{ endpoint: '/httpapi', record: { event_type: 'Order Completed', revenue: 30 } }],
    [act('Track Calls', 'logEvent', { event_type: 'Order Completed' }), act('Order Completed Calls', 'logPurchase', { event_type: 'Order Completed', revenue: 30 })],
    {},
  )
  agg.add({ file: 'b.ndjson', line: 1 }, [{ endpoint: '/identify', record: { user_id: 'u1', groups: { company: 'g1' }, user_properties: { company: 'g1' } } }], [], {})
  agg.add({ messageId: 'm5', file: 'b.ndjson', line: 2 }, [page('Loaded a Page', {})], [act('Page Calls', 'logEventV2', { event_type: 'Viewed ', event_properties: {} })], {})
  agg.add(
    { messageId: 'm6', file: 'b.ndjson', line: 3 },
    [{ endpoint: '/httpapi', record: { event_type: 'Upgraded', revenue: 9, event_properties: { revenue: 9 } } }],
    [act('Track Calls', 'logEventV2', { event_type: 'Upgraded', event_properties: { revenue: 9 } })],
    {},
  )
  for (let i = 1; i <= 12; i++) {
    agg.add(
      { messageId: `s${i}`, file: 'c.ndjson', line: i },
      [{ endpoint: '/httpapi', record: { event_type: `Event ${String(i).padStart(2, '0')}` } }],
      [act('Track Calls', 'logEventV2', { event_type: `Event ${String(i).padStart(2, '0')}` })],
      {},
    )
  }
  return agg.report({ ...model, assumptions: ['Classic cloud page logic: one event per call'] })
}

describe('diff renderers', () => {
  it('renderTable without colour: what matters first, aligned renames, paths, capped same list', () => {
    assert.equal(
      renderTable(renderReport(), { color: false }),
      [
        'Classic (cloud) vs Actions (presets): 18 messages, Classic sent 18 records, Actions sent 18 records',
        '',
        'Dropped: Classic sent it, Actions sends nothing (1 message)',
        '  [group] company  (1 message)',
        '',
        'Duplicated: Actions sends it more than once (1 message)',
        '  Order Completed  (1 message)',
        '      via Track Calls (logEvent) + Order Completed Calls (logPurchase)',
        '',
        'Renamed: Actions sends another name (3 messages)',
        '  Viewed Home Page → Viewed Home  (2 messages)',
        '  Loaded a Page    → "Viewed "    (1 message)',
        '',
        'Revenue: revenue fields placed differently (1 message)',
        '  Upgraded  (1 message)',
        '      revenue  only in Classic  (1 message)',
        '',
        'Properties: keys on one side only or changed values (2 messages)',
        '  Viewed Home Page → Viewed Home  (2 messages)',
        '      event_properties.name  only in Classic  (2 messages)',
        '',
        'Same name (14 messages)',
        '  Event 01  (1 message)',
        '  Event 02  (1 message)',
        '  Event 03  (1 message)',
        '  Event 04  (1 message)',
        '  Event 05  (1 message)',
        '  Event 06  (1 message)',
        '  Event 07  (1 message)',
        '  Event 08  (1 message)',
        '  Event 09  (1 message)',
        '  Event 10  (1 message)',
        '  … 4 more (see --format json)',
        '',
        'Assumptions:',
        '  - Classic cloud page logic: one event per call',
        '',
        'Differences found.',
        '',
      ].join('\n'),
    )
  })

  const bigReport: DiffReport = {
    model: { classicMode: 'web', settings: {}, mappingsSource: 'mappings.json' },
    totals: {
      messages: 2500,
      classicEvents: 2500,
      actionsEvents: 2500,
      byKind: { dropped: 0, duplicated: 0, renamed: 1204, revenue: 0, properties: 0, added: 0, same: 1296 },
    },
    findings: [
      { kind: 'renamed', classic: 'Viewed Home Page', actions: 'Viewed Home', count: 1204, paths: [], examples: [] },
      { kind: 'same', classic: 'Viewed Pricing Page', actions: 'Pricing', count: 1296, paths: [], examples: [] },
    ],
  }

  it('renderTable: thousands separators, expected renames shown with an arrow under same', () => {
    assert.equal(
      renderTable(bigReport, { color: false }),
      [
        'Classic (web) vs Actions (mappings.json): 2,500 messages, Classic sent 2,500 records, Actions sent 2,500 records',
        '',
        'Renamed: Actions sends another name (1,204 messages)',
        '  Viewed Home Page → Viewed Home  (1,204 messages)',
        '',
        'Same name (1,296 messages)',
        '  Viewed Pricing Page → Pricing  (1,296 messages)',
        '',
        'Differences found.',
        '',
      ].join('\n'),
    )
  })

  it('renderTable with colour uses ANSI codes on headings only; no findings says so', () => {
    const text = renderTable(bigReport, { color: true })
    assert.ok(text.includes('\u001b[1m\u001b[33mRenamed: Actions sends another name (1,204 messages)\u001b[39m\u001b[22m'))
    assert.ok(text.includes('\n  Viewed Home Page → Viewed Home  (1,204 messages)\n'))
    assert.equal(text.replace(/\u001b\[\d+m/g, ''), renderTable(bigReport, { color: false }))
    const empty = new DiffAggregator({ examples: 1 }).report(model)
    assert.equal(renderTable(empty, { color: false }), 'Classic (cloud) vs Actions (presets): 0 messages, Classic sent 0 records, Actions sent 0 records\n\nNo differences.\n')
  })

  it('renderMarkdown: verdict, findings table, collapsible same names and examples', () => {
    assert.equal(
      renderMarkdown(renderReport(), { failOn: ['dropped', 'revenue'] }),
      [
        '### segamp diff-mappings: ❌ failed on dropped, revenue',
        '',
        'Classic (cloud) vs Actions (presets): 18 messages, Classic sent 18 records, Actions sent 18 records',
        '',
        'Messages per finding kind: dropped 1 · duplicated 1 · renamed 3 · revenue 1 · properties 2 · same 14',
        '',
        '| | Kind | Classic | Actions | Messages | Details |',
        '|---|---|---|---|---:|---|',
        '| ❌ | dropped | `[group] company` | — | 1 |  |',
        '|  | duplicated | `Order Completed` | `Order Completed` | 1 | via Track Calls (logEvent) + Order Completed Calls (logPurchase) |',
        '|  | renamed | `Viewed Home Page` | `Viewed Home` | 2 |  |',
        '|  | renamed | `Loaded a Page` | `"Viewed "` | 1 |  |',
        '| ❌ | revenue | `Upgraded` | `Upgraded` | 1 | `revenue` only in Classic (1) |',
        '|  | properties | `Viewed Home Page` | `Viewed Home` | 2 | `event_properties.name` only in Classic (2) |',
        '',
        '<details><summary>Assumptions (1)</summary>',
        '',
        '- Classic cloud page logic: one event per call',
        '',
        '</details>',
        '',
        '<details><summary>Same name: 14 names (14 messages)</summary>',
        '',
        '| Classic | Actions | Messages |',
        '|---|---|---:|',
        ...Array.from({ length: 12 }, (_, i) => `| \`Event ${String(i + 1).padStart(2, '0')}\` | \`Event ${String(i + 1).padStart(2, '0')}\` | 1 |`),
        '| `Order Completed` | `Order Completed` | 1 |',
        '| `Upgraded` | `Upgraded` | 1 |',
        '',
        '</details>',
        '',
        '<details><summary>dropped: <code>[group] company</code> (1 example)</summary>',
        '',
        '`b.ndjson:1`',
        '',
        '```jsonc',
        '// Classic /identify',
        '{"user_id":"u1","groups":{"company":"g1"},"user_properties":{"company":"g1"}}',
        '```',
        '',
        '</details>',
        '',
        '<details><summary>duplicated: <code>Order Completed</code> (1 example)</summary>',
        '',
        '`a.ndjson:3` messageId `m3`',
        '',
        '```jsonc',
        '// Classic /httpapi',
        '{"event_type":"Order Completed","revenue":30}',
        '// Actions Track Calls (logEvent) httpapi',
        '{"event_type":"Order Completed"}',
        '// Actions Order Completed Calls (logPurchase) httpapi',
        '{"event_type":"Order Completed","revenue":30}',
        '```',
        '',
        '</details>',
        '',
        '<details><summary>renamed: <code>Viewed Home Page</code> → <code>Viewed Home</code> (1 example)</summary>',
        '',
        '`a.ndjson:1` messageId `m1`',
        '',
        '```jsonc',
        '// Classic /httpapi',
        '{"event_type":"Viewed Home Page","event_properties":{"path":"/","name":"Home"}}',
        '// Actions Page Calls (logEventV2) httpapi',
        '{"event_type":"Viewed Home","event_properties":{"path":"/"}}',
        '```',
        '',
        '</details>',
        '',
        '<details><summary>renamed: <code>Loaded a Page</code> → <code>"Viewed "</code> (1 example)</summary>',
        '',
        '`b.ndjson:2` messageId `m5`',
        '',
        '```jsonc',
        '// Classic /httpapi',
        '{"event_type":"Loaded a Page","event_properties":{}}',
        '// Actions Page Calls (logEventV2) httpapi',
        '{"event_type":"Viewed ","event_properties":{}}',
        '```',
        '',
        '</details>',
        '',
        '<details><summary>revenue: <code>Upgraded</code> (1 example)</summary>',
        '',
        '`b.ndjson:3` messageId `m6`',
        '',
        '```jsonc',
        '// Classic /httpapi',
        '{"event_type":"Upgraded","revenue":9,"event_properties":{"revenue":9}}',
        '// Actions Track Calls (logEventV2) httpapi',
        '{"event_type":"Upgraded","event_properties":{"revenue":9}}',
        '```',
        '',
        '</details>',
        '',
        '<details><summary>properties: <code>Viewed Home Page</code> → <code>Viewed Home</code> (1 example)</summary>',
        '',
        '`a.ndjson:1` messageId `m1`',
        '',
        '```jsonc',
        '// Classic /httpapi',
        '{"event_type":"Viewed Home Page","event_properties":{"path":"/","name":"Home"}}',
        '// Actions Page Calls (logEventV2) httpapi',
        '{"event_type":"Viewed Home","event_properties":{"path":"/"}}',
        '```',
        '',
        '</details>',
        '',
      ].join('\n'),
    )
  })

  it('renderMarkdown verdicts', () => {
    const head = (r: DiffReport, failOn: string[]): string => renderMarkdown(r, { failOn }).split('\n')[0]!
    assert.equal(head(bigReport, ['dropped', 'added']), '### segamp diff-mappings: ✅ passed (--fail-on dropped,added)')
    assert.equal(head(bigReport, []), '### segamp diff-mappings: ⚠️ differences found')
    assert.equal(head(bigReport, ['renamed']), '### segamp diff-mappings: ❌ failed on renamed')
    assert.equal(head(new DiffAggregator({ examples: 1 }).report(model), []), '### segamp diff-mappings: ✅ no differences')
  })

  it('renderMarkdown leaves examples out past maxChars, with a note', () => {
    const text = renderMarkdown(renderReport(), { failOn: [], maxChars: 2200 })
    assert.ok(text.length <= 2200, String(text.length))
    assert.ok(!text.includes('more findings in the JSON report') && !text.includes('more in the JSON report'))
    assert.ok(text.includes('<details><summary>dropped: <code>[group] company</code> (1 example)</summary>'))
    assert.ok(!text.includes('<details><summary>duplicated'))
    assert.ok(text.endsWith('_Examples of 5 more findings left out to keep this comment short; see the JSON report (`--format json`)._\n'))
    // tiny budgets cut the tables too
    const tiny = renderMarkdown(renderReport(), { failOn: [], maxChars: 1000 })
    assert.ok(tiny.includes('| | … | 4 more findings in the JSON report | | | |'), tiny)
    assert.ok(tiny.includes('| … 14 more in the JSON report | | |'), tiny)
  })

  it('path lists are cut: 10 in the table, 5 in Markdown', () => {
    const paths = Array.from({ length: 12 }, (_, i) => ({ path: `event_properties.p${i}`, change: 'changed' as const, count: 12 - i }))
    const r: DiffReport = {
      ...bigReport,
      totals: { ...bigReport.totals, byKind: { ...bigReport.totals.byKind, renamed: 0, same: 0, properties: 12 } },
      findings: [{ kind: 'properties', classic: 'E', actions: 'E', count: 12, paths, examples: [] }],
    }
    const table = renderTable(r, { color: false }).split('\n')
    assert.deepEqual(table.slice(2, 5), [
      'Properties: keys on one side only or changed values (12 messages)',
      '  E  (12 messages)',
      '      event_properties.p0  changed  (12 messages)',
    ])
    assert.equal(table[13], '      event_properties.p9  changed  (3 messages)')
    assert.equal(table[14], '      … 2 more paths (see --format json)')
    const md = renderMarkdown(r, { failOn: ['properties'] })
    assert.ok(
      md.includes(
        '| ❌ | properties | `E` | `E` | 12 | `event_properties.p0` changed (12)<br>`event_properties.p1` changed (11)<br>' +
          '`event_properties.p2` changed (10)<br>`event_properties.p3` changed (9)<br>`event_properties.p4` changed (8)<br>… 7 more |',
      ),
    )
  })

  it('Markdown escapes pipes and backticks in names', () => {
    const r: DiffReport = {
      ...bigReport,
      findings: [{ kind: 'renamed', classic: 'a|b', actions: 'x`y', count: 1, paths: [], examples: [] }],
    }
    assert.ok(renderMarkdown(r, { failOn: [] }).includes('|  | renamed | `a\\|b` | `` x`y `` | 1 |  |'))
  })

  it("Markdown shows an example's file and messageId with control characters escaped (data, never a terminal's escape sequence)", () => {
    const agg = new DiffAggregator({ examples: 1 })
    agg.add(
      { messageId: 'm1\u001b[31mX', file: 'a\u001b]0;t\u0007.ndjson', line: 1 },
      [page('Viewed Home Page', { path: '/', name: 'Home' })],
      [act('Page Calls', 'logEventV2', { event_type: 'Viewed Home', event_properties: { path: '/' } })],
      {},
    )
    const md = renderMarkdown(agg.report(model), { failOn: [] })
    assert.doesNotMatch(md, /[\u0000-\u0008\u000b-\u001f\u007f]/)
    assert.ok(md.includes('`a\\u001b]0;t\\u0007.ndjson:1` messageId `m1\\u001b[31mX`'), md)
  })

  it('Markdown fences a name holding a run of two backticks with three, so the code span does not end inside it', () => {
    const r: DiffReport = {
      ...bigReport,
      findings: [{ kind: 'renamed', classic: 'a``b', actions: 'c```d`', count: 1, paths: [], examples: [] }],
    }
    // CommonMark closes a code span at the next backtick run of the opening run's length.
    assert.ok(renderMarkdown(r, { failOn: [] }).includes('|  | renamed | ``` a``b ``` | ```` c```d` ```` | 1 |  |'))
  })
})
