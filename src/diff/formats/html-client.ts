/**
 * The HTML report's own script (runs in the browser, after Chart.js): draws the charts from the
 * JSON data block. Every value reaches the page as canvas text or through textContent, never as
 * markup. Kept as plain ES2017 in a string so the report stays one file.
 */
export const HTML_CLIENT_JS = String.raw`
(function () {
  'use strict'
  var data = JSON.parse(document.getElementById('segamp-data').textContent)
  var status = document.getElementById('chart-status')
  if (typeof Chart === 'undefined') {
    status.textContent = 'Charts unavailable: the bundled chart library did not load.'
    return
  }
  Chart.defaults.animation = false
  Chart.defaults.font.family = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif'
  var CLASSIC = '#6b7280', ACTIONS = '#2563eb'
  var KIND_COLORS = { dropped: '#dc2626', duplicated: '#b91c1c', renamed: '#d97706', revenue: '#9333ea', properties: '#ca8a04', added: '#0891b2', same: '#16a34a', 'only-in-amplitude': '#be185d', 'only-in-archive': '#7c3aed', ambiguous: '#64748b', 'refused-by-amplitude': '#475569' }
  function bar(id, labels, datasets, horizontal) {
    var el = document.getElementById(id)
    if (!el) return null
    return new Chart(el, {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { autoSkip: false, precision: 0 } } }
      }
    })
  }
  var charts = []
  var v = data.volumes
  charts.push(bar('chart-volume', v.map(function (r) { return r.name }), [
    { label: 'Classic (messages)', data: v.map(function (r) { return r.classic }), backgroundColor: CLASSIC },
    { label: 'Actions (messages)', data: v.map(function (r) { return r.actions }), backgroundColor: ACTIONS }
  ], true))
  var k = data.kinds
  charts.push(bar('chart-kinds', k.map(function (r) { return r.kind }), [
    { label: 'messages', data: k.map(function (r) { return r.count }), backgroundColor: k.map(function (r) { return KIND_COLORS[r.kind] || '#334155' }) }
  ], false))
  if (data.pairing) {
    var p = data.pairing
    charts.push(bar('chart-pairing', p.map(function (r) { return r.label }), [
      { label: 'stored events', data: p.map(function (r) { return r.count }), backgroundColor: ['#16a34a', '#2563eb', '#d97706', '#dc2626'] }
    ], false))
  }
  var drawn = charts.filter(function (c) { return c !== null }).length
  status.textContent = drawn + ' charts drawn'
  status.setAttribute('data-charts', String(drawn))
  document.body.setAttribute('data-ready', 'true')
})()
`
