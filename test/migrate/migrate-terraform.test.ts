/**
 * Issue 16: `migrate --format terraform` writes HCL that parses, names only what Segment's
 * Terraform provider (segmentio/segment) defines, and carries triggers and mappings exactly as
 * generated, with the Amplitude keys as variables.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from '@cdktf/hcl2json'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/files.js'
import { FakeSegmentApi, ACTIONS_METADATA_ID } from '../helpers/segment-public-api.js'
import { migrateClassic, type Subscription } from '../../src/migrate/index.js'
import { hclString, renderTerraform } from '../../src/migrate/terraform.js'

/**
 * Configurable (required/optional) attributes per resource and data source, from the provider's
 * schema (internal/provider/*_resource.go, docs/resources/*.md of segmentio/terraform-provider-segment;
 * see docs/terraform.md). Read-only attributes (id, action_slug, …) may not be set and are absent.
 */
const PROVIDER_SCHEMA = {
  resource: {
    segment_destination: ['enabled', 'metadata', 'settings', 'source_id', 'name'],
    segment_destination_subscription: ['action_id', 'destination_id', 'enabled', 'name', 'settings', 'trigger', 'model_id', 'reverse_etl_schedule'],
  },
  data: {
    segment_destination_metadata: ['id'],
  },
  nested: {
    'segment_destination.metadata': ['id', 'contacts', 'partner_owned', 'region_endpoints', 'supported_regions'],
  },
} as const
/** Terraform's own top-level blocks used. */
const TERRAFORM_BLOCKS = ['terraform', 'variable', 'locals', 'data', 'resource', 'import']

const TOKEN = 'sgp_TF_TOKEN_0a1b2c'
const CLASSIC = {
  ...JSON.parse(readFileSync('examples/classic-settings.json', 'utf8')),
  apiKey: 'amp-api-key-TF-1',
  secretKey: 'amp-secret-TF-2',
  groupTypeTrait: 'industry',
  groupValueTrait: 'name',
  sendAlias: true,
}

type Hcl = Record<string, Record<string, Record<string, Array<Record<string, unknown>>>>> & Record<string, unknown>

/** `${jsonencode(<json>)}` as hcl2json shows it → the JSON value (HCL's `$${`/`%%{` escapes undone). */
function jsonencoded(expr: unknown): unknown {
  const s = String(expr)
  const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(s)
  assert.ok(m, `not a jsonencode(...) expression: ${s.slice(0, 80)}`)
  return JSON.parse(m[1]!.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{'))
}

/** A plain string attribute as hcl2json shows it (literal `${` is `$${` in Terraform JSON syntax). */
function literal(v: unknown): string {
  return String(v)
    .replace(/\$\$\{/g, '${')
    .replace(/%%\{/g, '%{')
}

function checkNames(hcl: Hcl): void {
  for (const block of Object.keys(hcl)) assert.ok(TERRAFORM_BLOCKS.includes(block), `unexpected block ${block}`)
  for (const [type, byName] of Object.entries(hcl.resource ?? {})) {
    const allowed = (PROVIDER_SCHEMA.resource as Record<string, readonly string[]>)[type]
    assert.ok(allowed, `resource type ${type} is not defined by the provider`)
    for (const instances of Object.values(byName))
      for (const r of instances) for (const attr of Object.keys(r)) assert.ok(allowed.includes(attr), `${type}.${attr} is not an attribute the provider lets you set`)
  }
  for (const [type, byName] of Object.entries(hcl.data ?? {})) {
    const allowed = (PROVIDER_SCHEMA.data as Record<string, readonly string[]>)[type]
    assert.ok(allowed, `data source ${type} is not defined by the provider`)
    for (const instances of Object.values(byName)) for (const r of instances) for (const attr of Object.keys(r)) assert.ok(allowed.includes(attr), `data ${type}.${attr}`)
  }
  for (const instances of Object.values(hcl.resource?.segment_destination ?? {})) {
    for (const r of instances)
      for (const k of Object.keys(r.metadata as object)) assert.ok(PROVIDER_SCHEMA.nested['segment_destination.metadata'].includes(k as never), `metadata.${k}`)
  }
}

function checkSubscriptions(hcl: Hcl, subs: Subscription[]): void {
  const resources = Object.values(hcl.resource!.segment_destination_subscription!).map((l) => l[0]!)
  assert.equal(resources.length, subs.length)
  for (const s of subs) {
    const r = resources.find((x) => literal(x.name) === s.name)
    assert.ok(r, `no resource for ${s.name}`)
    assert.equal(literal(r.trigger), s.trigger)
    assert.equal(r.enabled, s.enabled)
    assert.equal(r.action_id, `\${local.amplitude_action_ids["${s.actionSlug}"]}`)
    assert.equal(r.destination_id, '${segment_destination.actions_amplitude.id}')
    assert.deepEqual(jsonencoded(r.settings), s.settings)
  }
}

describe('migrate --format terraform', function () {
  this.timeout(120_000)

  it('from --classic: parses as HCL, names only provider resources and attributes, carries triggers and mappings exactly', async () => {
    const d = tempDir()
    const file = join(d, 'amplitude.tf')
    const r = await runCli(['migrate', '--classic', 'examples/classic-settings.json', '--format', 'terraform', '--out', file])
    assert.equal(r.code, 0, r.stderr)
    const text = readFileSync(file, 'utf8')
    assert.match(text, /^# Generated by `segamp migrate`/)
    assert.match(text, /# Review:/)
    assert.match(text, /# Enable,/)
    assert.ok(!text.includes('EXAMPLE_AMPLITUDE_API_KEY') && !text.includes('EXAMPLE_AMPLITUDE_SECRET_KEY'), 'no key literal')
    const hcl = (await parse('amplitude.tf', text)) as Hcl
    checkNames(hcl)
    const generated = migrateClassic(JSON.parse(readFileSync('examples/classic-settings.json', 'utf8')), { names: 'classic' })
    checkSubscriptions(hcl, generated.subscriptions)
    const dest = hcl.resource!.segment_destination!.actions_amplitude![0]!
    assert.equal(dest.enabled, false)
    assert.deepEqual(dest.metadata, { id: ACTIONS_METADATA_ID })
    const settings = String(dest.settings)
    assert.match(settings, /"apiKey": var\.amplitude_api_key/)
    assert.match(settings, /"secretKey": var\.amplitude_secret_key/)
    const vars = hcl.variable as Record<string, Array<Record<string, unknown>>>
    assert.equal(vars.amplitude_api_key![0]!.sensitive, true)
    assert.equal(vars.amplitude_secret_key![0]!.sensitive, true)
    assert.equal(hcl.import, undefined)
  })

  it('from --from-segment with an existing Actions destination: imports it and its same-named subscriptions', async () => {
    const api = await new FakeSegmentApi({ token: TOKEN, classicSettings: CLASSIC, withActions: true }).start()
    try {
      const r = await runCli(['migrate', '--from-segment', 'dst_classic', '--segment-api-url', api.url, '--format', 'terraform'], { env: { SEGMENT_PUBLIC_API_TOKEN: TOKEN } })
      assert.equal(r.code, 0, r.stderr)
      for (const secret of [TOKEN, CLASSIC.apiKey, CLASSIC.secretKey]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret))
      const hcl = (await parse('main.tf', r.stdout)) as Hcl
      checkNames(hcl)
      checkSubscriptions(hcl, migrateClassic(CLASSIC, { names: 'classic' }).subscriptions)
      assert.deepEqual(hcl.import, [
        { to: '${segment_destination.actions_amplitude}', id: 'dst_actions' },
        { to: '${segment_destination_subscription.track_calls}', id: 'dst_actions:sub_track' },
      ])
      assert.equal((hcl.variable as Record<string, Array<Record<string, unknown>>>).segment_source_id![0]!.default, 'src_web')
      assert.equal(api.writes().length, 0)
    } finally {
      await api.stop()
    }
  })

  it('escapes what HCL would interpolate', async () => {
    const sub: Subscription = {
      name: 'Odd "one" ${x}',
      actionSlug: 'logEventV2',
      trigger: 'event = "a${b}%{c}\\d"',
      enabled: true,
      settings: { event_type: 'x ${y} %{z} "q" \\ \n\t\u0001', '${k}': [1, null, true, { a: [] }] },
    }
    const text = renderTerraform({ endpoint: 'europe', subscriptions: [sub], origin: 'test' })
    const hcl = (await parse('x.tf', text)) as Hcl
    checkSubscriptions(hcl, [sub])
    // Nothing in the file is a template sequence: every `${` / `%{` is escaped.
    assert.doesNotMatch(text, /(?<!\$)\$\{/)
    assert.doesNotMatch(text, /(?<!%)%\{/)
    assert.equal(hclString('${a}'), '"$${a}"')
  })

  it('says when a same-named existing subscription uses another action (it cannot be imported)', async () => {
    const subs = migrateClassic(CLASSIC, { names: 'classic' }).subscriptions
    const text = renderTerraform({
      endpoint: 'north_america',
      subscriptions: subs,
      origin: 'test',
      existing: { destinationId: 'd1', enabled: false, subscriptionIds: {}, otherAction: { 'Track Calls': 'logEvent' } },
    })
    assert.match(text, /# The destination already has a subscription named "Track Calls" that uses the action logEvent/)
    const hcl = (await parse('x.tf', text)) as Hcl
    checkNames(hcl)
    assert.deepEqual(hcl.import, [{ to: '${segment_destination.actions_amplitude}', id: 'd1' }])
  })
})
