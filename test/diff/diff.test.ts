import { strict as assert } from 'node:assert'

import { diffMessage, diffRecords, IGNORED_PATHS, type ActionsRecord, type ClassicRecord, type MessageFinding } from '../../src/diff/index.js'

// ---- record builders (shapes as the Classic emulation / Actions pipeline produce them) ----

const base = { user_id: 'u1', device_id: 'd1', time: 1700000000000 }

function cEvent(event_type: string, extra: Record<string, unknown> = {}): ClassicRecord {
  return { endpoint: '/httpapi', record: { ...base, event_type, library: 'segment', ...extra } }
}

function aEvent(subscription: string, actionSlug: string, event_type: string, extra: Record<string, unknown> = {}): ActionsRecord {
  return {
    subscription,
    actionSlug,
    endpoint: 'httpapi',
    record: { ...base, event_type, use_batch_endpoint: false, library: 'analytics.js', ...extra },
  }
}

/** Findings without the records, for exact comparison. */
function brief(fs: MessageFinding[]): unknown[] {
  return fs.map((f) => ({
    kind: f.kind,
    record: f.record,
    classic: f.classic,
    actions: f.actions,
    paths: f.paths.map((p) => `${p.path} ${p.change}`),
  }))
}

describe('diff engine', () => {
  describe('legacy Actions config: Order Completed via Log Event and Log Purchase', () => {
    const products = [
      { productId: 'p1', price: 10, quantity: 2 },
      { productId: 'p2', price: 10, quantity: 1 },
    ]
    const classic = [
      cEvent('Order Completed', { event_properties: { order_id: 'o1', revenue: 30 }, revenue: 30 }),
      cEvent('Product Purchased', { event_properties: products[0] }),
      cEvent('Product Purchased', { event_properties: products[1] }),
    ]
    const logEvent = aEvent('Track Calls', 'logEvent', 'Order Completed', {
      event_properties: { order_id: 'o1', revenue: 30, products },
    })
    const logPurchase = aEvent('Order Completed Calls', 'logPurchase', 'Order Completed', {
      event_properties: { order_id: 'o1', revenue: 30, products },
      revenue: 30,
      revenueType: 'Purchase',
    })
    const pp1 = aEvent('Order Completed Calls', 'logPurchase', 'Product Purchased', { event_properties: products[0] })
    const pp2 = aEvent('Order Completed Calls', 'logPurchase', 'Product Purchased', { event_properties: products[1] })

    it('reports the order as duplicated and pairs Classic with the Log Purchase event', () => {
      const fs = diffMessage(classic, [logEvent, logPurchase, pp1, pp2], {})
      assert.deepEqual(brief(fs), [
        { kind: 'duplicated', record: 'event', classic: 'Order Completed', actions: 'Order Completed', paths: [] },
        { kind: 'revenue', record: 'event', classic: 'Order Completed', actions: 'Order Completed', paths: ['revenueType only-actions'] },
        {
          kind: 'properties',
          record: 'event',
          classic: 'Order Completed',
          actions: 'Order Completed',
          paths: ['event_properties.products only-actions'],
        },
        { kind: 'same', record: 'event', classic: 'Order Completed', actions: 'Order Completed', paths: [] },
        { kind: 'same', record: 'event', classic: 'Product Purchased', actions: 'Product Purchased', paths: [] },
      ])
      const dup = fs[0]!
      assert.deepEqual(dup.classicRecords, [classic[0]])
      assert.deepEqual(dup.actionsRecords, [logEvent, logPurchase])
      assert.deepEqual(fs[1]!.actionsRecords, [logPurchase])
      // the two Product Purchased pairs are one finding of this message
      assert.equal(fs[4]!.classicRecords.length, 2)
      assert.deepEqual(fs[4]!.actionsRecords, [pp1, pp2])
    })

    it('pairs with Log Purchase whatever the subscription order', () => {
      const fs = diffMessage(classic, [logPurchase, pp1, pp2, logEvent], {})
      assert.deepEqual(fs[1]!.actionsRecords, [logPurchase])
      assert.deepEqual(
        fs.map((f) => f.kind),
        ['duplicated', 'revenue', 'properties', 'same', 'same'],
      )
    })

    it('a fixed config (Log Event excludes Order Completed) is not duplicated', () => {
      const fs = diffMessage(classic, [logPurchase, pp1, pp2], {})
      assert.deepEqual(
        fs.map((f) => f.kind),
        ['revenue', 'properties', 'same', 'same'],
      )
    })
  })

  describe('Quick Setup presets vs Classic page names', () => {
    it('Viewed Home Page → Viewed Home is renamed, with name/category only in Classic', () => {
      const fs = diffMessage(
        [cEvent('Viewed Home Page', { event_properties: { path: '/', name: 'Home' } })],
        [aEvent('Page Calls', 'logEventV2', 'Viewed Home', { event_properties: { path: '/' } })],
        {},
      )
      assert.deepEqual(brief(fs), [
        { kind: 'renamed', record: 'event', classic: 'Viewed Home Page', actions: 'Viewed Home', paths: [] },
        {
          kind: 'properties',
          record: 'event',
          classic: 'Viewed Home Page',
          actions: 'Viewed Home',
          paths: ['event_properties.name only-classic'],
        },
      ])
    })

    it('Loaded a Page (unnamed page, trackAllPages) → "Viewed " is renamed', () => {
      const fs = diffMessage(
        [cEvent('Loaded a Page', { event_properties: { path: '/x' } })],
        [aEvent('Page Calls', 'logEventV2', 'Viewed ', { event_properties: { path: '/x' } })],
        {},
      )
      assert.deepEqual(brief(fs), [{ kind: 'renamed', record: 'event', classic: 'Loaded a Page', actions: 'Viewed ', paths: [] }])
    })

    it('web mode: of two Classic page events, the one sharing most words is the rename', () => {
      const fs = diffMessage([cEvent('Viewed Docs Page'), cEvent('Viewed Docs Index Page')], [aEvent('Page Calls', 'logEventV2', 'Viewed Index')], {})
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [
          ['dropped', 'Viewed Docs Page', null],
          ['renamed', 'Viewed Docs Index Page', 'Viewed Index'],
        ],
      )
    })

    it('an unnamed page Classic dropped (default settings) is added by Actions', () => {
      const fs = diffMessage([], [aEvent('Page Calls', 'logEventV2', 'Viewed ', { event_properties: {} })], {})
      assert.deepEqual(brief(fs), [{ kind: 'added', record: 'event', classic: null, actions: 'Viewed ', paths: [] }])
    })

    it('an event Actions does not send is dropped', () => {
      const c = cEvent('Signed Up', { event_properties: {} })
      const fs = diffMessage([c], [], {})
      assert.deepEqual(brief(fs), [{ kind: 'dropped', record: 'event', classic: 'Signed Up', actions: null, paths: [] }])
      assert.deepEqual(fs[0]!.classicRecords, [c])
      assert.deepEqual(fs[0]!.actionsRecords, [])
    })
  })

  describe('config keeping Classic names', () => {
    it('all same: insert_id, library, use_batch_endpoint and time values are ignored', () => {
      const classic = [cEvent('Viewed Home Page', { event_properties: { path: '/' } })]
      const actions = [
        aEvent('Page Calls', 'logEventV2', 'Viewed Home Page', {
          event_properties: { path: '/' },
          insert_id: 'm1-1',
          time: 1700000000999,
        }),
      ]
      assert.deepEqual(brief(diffMessage(classic, actions, {})), [{ kind: 'same', record: 'event', classic: 'Viewed Home Page', actions: 'Viewed Home Page', paths: [] }])
    })

    it('identify and events of one message are paired by kind', () => {
      const fs = diffMessage(
        [{ endpoint: '/identify', record: { user_id: 'u1', user_properties: { plan: 'pro' } } }, cEvent('A')],
        [
          { subscription: 'Identify Calls', actionSlug: 'identifyUser', endpoint: 'identify', record: { user_id: 'u1', user_properties: { plan: 'pro' }, library: 'segment' } },
          aEvent('Track Calls', 'logEventV2', 'A'),
        ],
        {},
      )
      assert.deepEqual(brief(fs), [
        { kind: 'same', record: 'identification', classic: '[identify]', actions: '[identify]', paths: [] },
        { kind: 'same', record: 'event', classic: 'A', actions: 'A', paths: [] },
      ])
    })

    it('nothing sent on either side: no finding', () => {
      assert.deepEqual(diffMessage([], [], {}), [])
    })
  })

  describe('groups', () => {
    const association: ClassicRecord = {
      endpoint: '/identify',
      record: { user_id: 'u1', device_id: 'd1', groups: { company: 'g1' }, user_properties: { company: 'g1' }, library: 'segment' },
    }
    const groupProps: ClassicRecord = {
      endpoint: '/groupidentify',
      record: { group_type: 'company', group_value: 'g1', group_properties: { plan: 'pro' }, library: 'segment' },
    }

    it('group dropped by the presets (no Group Identify User subscription)', () => {
      const fs = diffMessage([association, groupProps], [], {})
      assert.deepEqual(brief(fs), [
        { kind: 'dropped', record: 'group', classic: '[group] company', actions: null, paths: [] },
        { kind: 'dropped', record: 'group-properties', classic: '[group properties] company', actions: null, paths: [] },
      ])
    })

    it('Classic [Segment] Group fallback vs a Group Identify User with a group type', () => {
      const legacy: ClassicRecord = {
        endpoint: '/identify',
        record: { user_id: 'u1', device_id: 'd1', time: 1, groups: { '[Segment] Group': 'g1' }, user_properties: { '[Segment] Group': 'g1' } },
      }
      const actions: ActionsRecord[] = [
        {
          subscription: 'Group',
          actionSlug: 'groupIdentifyUser',
          endpoint: 'identify',
          record: { device_id: 'd1', groups: { company: 'g1' }, library: 'segment', time: 1, user_id: 'u1', user_properties: { company: 'g1' } },
        },
        {
          subscription: 'Group',
          actionSlug: 'groupIdentifyUser',
          endpoint: 'groupidentify',
          record: { group_properties: { plan: 'pro' }, group_value: 'g1', group_type: 'company', library: 'segment' },
        },
      ]
      const fs = diffMessage([legacy], actions, {})
      assert.deepEqual(brief(fs), [
        { kind: 'renamed', record: 'group', classic: '[group] [Segment] Group', actions: '[group] company', paths: [] },
        {
          kind: 'properties',
          record: 'group',
          classic: '[group] [Segment] Group',
          actions: '[group] company',
          paths: [
            'groups.company only-actions',
            'groups["[Segment] Group"] only-classic',
            'user_properties.company only-actions',
            'user_properties["[Segment] Group"] only-classic',
          ],
        },
        { kind: 'added', record: 'group-properties', classic: null, actions: '[group properties] company', paths: [] },
      ])
    })

    it('an identify carrying traits and groups is an identification, not a group association', () => {
      const fs = diffMessage([{ endpoint: '/identify', record: { user_id: 'u1', groups: { company: 'g1' }, user_properties: { company: 'g1', plan: 'pro' } } }], [], {})
      assert.deepEqual(brief(fs), [{ kind: 'dropped', record: 'identification', classic: '[identify]', actions: null, paths: [] }])
    })
  })

  describe('rename map', () => {
    const classic = [cEvent('Viewed Home Page')]
    const renameMap = new Map([['Viewed Home Page', 'Viewed Home']])

    it('without it the preset name is a rename', () => {
      const fs = diffMessage(classic, [aEvent('Page Calls', 'logEventV2', 'Viewed Home')], {})
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [['renamed', 'Viewed Home Page', 'Viewed Home']],
      )
    })

    it('an expected rename counts as same', () => {
      const fs = diffMessage(classic, [aEvent('Page Calls', 'logEventV2', 'Viewed Home')], { renameMap })
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [['same', 'Viewed Home Page', 'Viewed Home']],
      )
    })

    it('an expected rename that did not happen is same too', () => {
      const fs = diffMessage(classic, [aEvent('Page Calls', 'logEventV2', 'Viewed Home Page')], { renameMap })
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [['same', 'Viewed Home Page', 'Viewed Home Page']],
      )
    })

    it('a different name than the expected one is renamed', () => {
      const fs = diffMessage(classic, [aEvent('Page Calls', 'logEventV2', 'Home Viewed')], { renameMap })
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [['renamed', 'Viewed Home Page', 'Home Viewed']],
      )
    })

    it('does not apply to identify records', () => {
      const fs = diffMessage(
        [{ endpoint: '/identify', record: { user_id: 'u1' } }],
        [{ subscription: 'Identify Calls', actionSlug: 'identifyUser', endpoint: 'identify', record: { user_id: 'u1' } }],
        { renameMap: new Map([['[identify]', 'x']]) },
      )
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [['same', '[identify]', '[identify]']],
      )
    })
  })

  describe('properties', () => {
    it('language English vs en-US and the Classic id user property', () => {
      const fs = diffMessage(
        [{ endpoint: '/identify', record: { user_id: 'u1', language: 'English', user_properties: { id: 'u1', language: 'English', plan: 'pro' }, library: 'segment' } }],
        [
          {
            subscription: 'Identify Calls',
            actionSlug: 'identifyUser',
            endpoint: 'identify',
            record: { user_id: 'u1', user_properties: { language: 'en-US', plan: 'pro' }, language: 'en-US', platform: 'Web', library: 'segment' },
          },
        ],
        {},
      )
      assert.deepEqual(brief(fs), [
        {
          kind: 'properties',
          record: 'identification',
          classic: '[identify]',
          actions: '[identify]',
          paths: ['language changed', 'platform only-actions', 'user_properties.id only-classic', 'user_properties.language changed'],
        },
        { kind: 'same', record: 'identification', classic: '[identify]', actions: '[identify]', paths: [] },
      ])
    })

    it('diffRecords: nested keys, missing objects expanded, arrays whole, null a value, time presence', () => {
      assert.deepEqual(diffRecords({ a: { b: 1, c: [1, 2] }, n: null, t: 'x', time: 5, insert_id: 'i' }, { a: { b: '1', c: [1, 2] }, n: 0, u: { v: { w: 1 } }, t: undefined }), [
        { path: 'a.b', change: 'changed' },
        { path: 'n', change: 'changed' },
        { path: 't', change: 'only-classic' },
        { path: 'time', change: 'only-classic' },
        { path: 'u.v.w', change: 'only-actions' },
      ])
      assert.deepEqual(diffRecords({ e: {}, arr: [{ a: 1 }] }, { arr: [{ a: 1 }] }), [])
      assert.deepEqual(diffRecords({ x: [1] }, { x: [2] }), [{ path: 'x', change: 'changed' }])
    })

    it('IGNORED_PATHS documents every ignored path with a reason', () => {
      assert.deepEqual(
        IGNORED_PATHS.map((p) => [p.path, p.compare]),
        [
          ['event_type', 'never'],
          ['insert_id', 'never'],
          ['time', 'presence'],
          ['library', 'never'],
          ['use_batch_endpoint', 'never'],
          ['api_key', 'never'],
        ],
      )
      for (const p of IGNORED_PATHS) assert.ok(p.reason.length > 20, p.path)
    })
  })

  describe('revenue placement', () => {
    it('Classic top-level revenue fields vs Log Event V2 keeping them in event_properties', () => {
      const fs = diffMessage(
        [cEvent('Subscribed', { event_properties: { revenue: 9.99, plan: 'pro' }, revenue: 9.99, price: 9.99, quantity: 1, productId: 'pro' })],
        [
          aEvent('Track Calls', 'logEventV2', 'Subscribed', {
            event_properties: { revenue: 9.99, plan: 'pro', price: 9.99, quantity: 1, productId: 'pro' },
          }),
        ],
        {},
      )
      assert.deepEqual(brief(fs), [
        {
          kind: 'revenue',
          record: 'event',
          classic: 'Subscribed',
          actions: 'Subscribed',
          paths: [
            'event_properties.price only-actions',
            'event_properties.productId only-actions',
            'event_properties.quantity only-actions',
            'price only-classic',
            'productId only-classic',
            'quantity only-classic',
            'revenue only-classic',
          ],
        },
        { kind: 'same', record: 'event', classic: 'Subscribed', actions: 'Subscribed', paths: [] },
      ])
    })

    it('revenue changed (total fallback vs revenue only) is a revenue finding', () => {
      const fs = diffMessage([cEvent('Order Completed', { revenue: 50 })], [aEvent('Order Completed Calls', 'logPurchase', 'Order Completed', { revenue: 45 })], {})
      assert.deepEqual(brief(fs)[0], {
        kind: 'revenue',
        record: 'event',
        classic: 'Order Completed',
        actions: 'Order Completed',
        paths: ['revenue changed'],
      })
    })
  })

  describe('duplicates without a Classic counterpart', () => {
    it('two Actions events Classic did not send: added and duplicated', () => {
      const a1 = aEvent('Page Calls', 'logEventV2', 'Viewed ')
      const a2 = aEvent('Page Calls copy', 'logEventV2', 'Viewed ')
      const fs = diffMessage([], [a1, a2], {})
      assert.deepEqual(brief(fs), [
        { kind: 'duplicated', record: 'event', classic: null, actions: 'Viewed ', paths: [] },
        { kind: 'added', record: 'event', classic: null, actions: 'Viewed ', paths: [] },
      ])
      assert.deepEqual(fs[0]!.actionsRecords, [a1, a2])
    })

    it('a renamed event sent twice: renamed and duplicated under the Classic name', () => {
      const fs = diffMessage([cEvent('Viewed Home Page')], [aEvent('Page Calls', 'logEventV2', 'Viewed Home'), aEvent('Page Calls 2', 'logEventV2', 'Viewed Home')], {})
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [
          ['duplicated', 'Viewed Home Page', 'Viewed Home'],
          ['renamed', 'Viewed Home Page', 'Viewed Home'],
        ],
      )
    })

    it('Classic sending more of a name than Actions: the rest is dropped', () => {
      const fs = diffMessage(
        [cEvent('Product Purchased'), cEvent('Product Purchased')],
        [aEvent('Order Completed Calls', 'logPurchase', 'Product Purchased'), aEvent('Track Calls', 'logEventV2', 'Other')],
        {},
      )
      // the surplus Product Purchased is not offered as a rename of "Other"
      assert.deepEqual(
        fs.map((f) => [f.kind, f.classic, f.actions]),
        [
          ['dropped', 'Product Purchased', null],
          ['added', null, 'Other'],
          ['same', 'Product Purchased', 'Product Purchased'],
        ],
      )
    })
  })

  it('endpoints with or without slash, batch and usermap', () => {
    const fs = diffMessage(
      [
        { endpoint: '/batch', record: { event_type: 'A' } },
        { endpoint: '/usermap', record: { user_id: 'old', global_user_id: 'new' } },
      ],
      [
        { subscription: 'T', actionSlug: 'logEventV2', endpoint: 'batch', record: { event_type: 'A' } },
        { subscription: 'Alias', actionSlug: 'mapUser', endpoint: 'usermap', record: { user_id: 'old', global_user_id: 'new' } },
      ],
      {},
    )
    assert.deepEqual(
      fs.map((f) => [f.kind, f.record, f.classic]),
      [
        ['same', 'event', 'A'],
        ['same', 'mapping', '[usermap]'],
      ],
    )
  })
})
