/**
 * Builds the Actions Amplitude subscriptions that reproduce an Amplitude (Classic) destination.
 * Every mapping starts from the action's field defaults (`defaultValues(slug)`) and applies
 * overrides; every trigger is FQL that Segment's parser accepts. Pure data in, data out.
 */
import type { ClassicSettings } from '../segment/classic/settings.js'
import { PRESETS, defaultValues, type ActionSlug } from '../segment/actions-amplitude/index.js'
import { absent, fqlIdent, fqlString, present } from './fql.js'

export type NamesMode = 'classic' | 'actions'

export interface Subscription {
  name: string
  actionSlug: string
  trigger: string
  enabled: boolean
  settings: Record<string, unknown>
}

type Obj = Record<string, unknown>

const path = (p: string): Obj => ({ '@path': p })
const template = (t: string): Obj => ({ '@template': t })
/** `then` when the value is present and not '' (Classic's truthiness), else `otherwise`. */
const ifNotBlank = (value: Obj, then: unknown, otherwise?: unknown): Obj => ({
  '@if': otherwise === undefined ? { blank: value, then } : { blank: value, then, else: otherwise },
})
const ifExists = (value: Obj, then: unknown, otherwise: unknown): Obj => ({ '@if': { exists: value, then, else: otherwise } })
const mergeRight = (objects: unknown[]): Obj => ({ '@merge': { direction: 'right', objects } })
const excludeWhenNull = (v: unknown): Obj => ({ '@excludeWhenNull': v })

/**
 * Spellings of the Classic order event routed to Log Purchase. Classic matched "Order Completed"
 * and "Completed Order" ignoring case, spaces and underscores; FQL compares strings exactly, so
 * the common spellings are enumerated.
 */
export const ORDER_EVENT_NAMES: readonly string[] = [
  'Order Completed',
  'Completed Order',
  'Order completed',
  'Completed order',
  'order completed',
  'completed order',
  'ORDER COMPLETED',
  'COMPLETED ORDER',
  'order_completed',
  'completed_order',
  'ORDER_COMPLETED',
  'COMPLETED_ORDER',
  'OrderCompleted',
  'CompletedOrder',
  'orderCompleted',
  'completedOrder',
]

/** Event-property keys the Classic cloud mapper removed unless useCustomAmplitudeProperties. */
export const CLASSIC_STRIPPED_EVENT_PROPERTIES: readonly string[] = ['country', 'language', 'event_id', 'amplitude_event_type']

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content']

export interface BuildContext {
  settings: ClassicSettings
  names: NamesMode
}

export interface Flags {
  utm: boolean
  referrer: boolean
  /** First mapQueryParams entry (cloud Classic used only the first). */
  queryParam?: string
  groupTraits?: { type: string; value: string }
  opsTraits: { $setOnce: string[]; $add: string[]; $append: string[]; $prepend: string[] }
}

export function flagsOf(s: ClassicSettings): Flags {
  const qp = Object.keys(s.mapQueryParams ?? {})[0]
  return {
    utm: s.trackUtmProperties,
    referrer: s.trackReferrer || s.useAmplitudeReferral,
    queryParam: qp === undefined || qp === '' ? undefined : qp,
    groupTraits: s.groupTypeTrait && s.groupValueTrait ? { type: s.groupTypeTrait, value: s.groupValueTrait } : undefined,
    opsTraits: {
      $setOnce: s.traitsToSetOnce,
      $add: s.traitsToIncrement,
      $append: s.traitsToAppend,
      $prepend: s.traitsToPrepend,
    },
  }
}

function pick(obj: unknown, keys: readonly string[]): Obj {
  const out: Obj = {}
  if (typeof obj !== 'object' || obj === null) return out
  for (const k of keys) if (k in (obj as Obj)) out[k] = (obj as Obj)[k]
  return out
}

/** Keys of the Actions `setAlways`/`utm_properties` style objects to keep, from the Classic settings. */
function keptUserPropertyKeys(f: Flags, initial: boolean): string[] {
  const p = initial ? 'initial_' : ''
  return [...(f.referrer ? [`${p}referrer`] : []), ...(f.utm ? UTM_KEYS.map((k) => p + k) : [])]
}

/** `context.traits` (traits on identify) plus `id` = userId, minus `address` — Classic's user_properties. */
function classicUserProperties(traitsPath: string, extra: Obj = {}, more: Obj[] = []): Obj {
  return excludeWhenNull(mergeRight([path(traitsPath), { address: null, id: path('$.userId'), ...extra }, ...more]))
}

function eventProperties(ctx: BuildContext, f: Flags, extras: Obj[], strip: readonly string[]): Obj | undefined {
  const objects: unknown[] = [path('$.properties'), ...extras]
  if (f.queryParam !== undefined) objects.push({ [f.queryParam]: path('$.context.page.search') })
  const stripKeys = [...(ctx.settings.useCustomAmplitudeProperties ? [] : CLASSIC_STRIPPED_EVENT_PROPERTIES), ...strip]
  if (stripKeys.length > 0) {
    return excludeWhenNull(mergeRight([...objects, Object.fromEntries(stripKeys.map((k) => [k, null]))]))
  }
  return objects.length > 1 ? mergeRight(objects) : undefined
}

function deviceIdOverride(s: ClassicSettings): Obj | undefined {
  return s.preferAnonymousIdForDeviceId ? ifExists(path('$.anonymousId'), path('$.anonymousId'), path('$.context.device.id')) : undefined
}

function appVersionOverride(s: ClassicSettings, base: Obj): unknown {
  return s.versionName ? ifExists(path('$.context.app.version'), path('$.context.app.version'), s.versionName) : base.app_version
}

function set(m: Obj, key: string, value: unknown): void {
  if (value === undefined) delete m[key]
  else m[key] = value
}

/** Overrides shared by the event actions (logEventV2, logPurchase). */
function eventCommon(ctx: BuildContext, slug: ActionSlug, base: Obj): Obj {
  const s = ctx.settings
  const m: Obj = { ...base }
  set(m, 'device_id', deviceIdOverride(s) ?? base.device_id)
  const actionsSession = '$.integrations.Actions Amplitude.session_id'
  set(m, 'session_id', ifExists(path(actionsSession), path(actionsSession), path('$.integrations.Amplitude.session_id')))
  // `groups` has no default; it goes right after user_properties in field order, but JSON key
  // order of a mapping does not matter to Segment.
  m.groups = path('$.integrations.Amplitude.groups')
  set(m, 'app_version', appVersionOverride(s, base))
  m.library2 = { behavior: 'auto' }
  if (slug === 'logEventV2' || slug === 'logPurchase') m.use_batch_endpoint = s.sendToBatchEndpoint
  return m
}

/** Log Event V2 mapping for tracks/pages/screens: user properties only as operations. */
function logEventV2Mapping(ctx: BuildContext, f: Flags, eventType: unknown, extras: Obj[]): Obj {
  const base = defaultValues('logEventV2')
  const m = eventCommon(ctx, 'logEventV2', base)
  set(m, 'event_type', eventType)
  set(m, 'event_properties', eventProperties(ctx, f, extras, []) ?? base.event_properties)
  // Classic sent context.traits + id as user_properties on every event; here they are $set
  // (setAlways) so that they never mix with the $setOnce/$set operations of UTM/referrer.
  delete m.user_properties
  const always = pick(base.setAlways, keptUserPropertyKeys(f, false))
  m.setAlways = classicUserProperties('$.context.traits', {}, Object.keys(always).length > 0 ? [always] : [])
  const once = pick(base.setOnce, keptUserPropertyKeys(f, true))
  set(m, 'setOnce', Object.keys(once).length > 0 ? once : undefined)
  return m
}

function logPurchaseMapping(ctx: BuildContext, f: Flags): Obj {
  const base = defaultValues('logPurchase')
  const m = eventCommon(ctx, 'logPurchase', base)
  m.trackRevenuePerProduct = ctx.settings.trackRevenuePerProduct
  // Classic removed `products` from the order event's properties.
  set(m, 'event_properties', eventProperties(ctx, f, [], ['products']))
  m.user_properties = { $set: classicUserProperties('$.context.traits') }
  if (!f.utm) delete m.utm_properties
  if (!f.referrer) delete m.referrer
  // Classic order revenue: properties.revenue, falling back to properties.total.
  m.revenue = ifNotBlank(path('$.properties.revenue'), path('$.properties.revenue'), path('$.properties.total'))
  // Classic's Product Purchased carried the whole product; productId also read from product_id.
  m.products = {
    '@arrayPath': ['$.properties.products', mergeRight([path('$.'), { productId: ifExists(path('$.productId'), path('$.productId'), path('$.product_id')) }])],
  }
  return m
}

function identifyMapping(ctx: BuildContext, f: Flags): Obj {
  const s = ctx.settings
  const base = defaultValues('identifyUser')
  const m: Obj = { ...base }
  set(m, 'device_id', deviceIdOverride(s) ?? base.device_id)
  const excluded: Obj = {}
  const ops: Obj = {}
  for (const [op, keys] of Object.entries(f.opsTraits)) {
    for (const k of keys) excluded[k] = null
    if (keys.length > 0) ops[op] = Object.fromEntries(keys.map((k) => [k, path(`$.traits.${k}`)]))
  }
  const more: Obj[] = f.queryParam !== undefined ? [{ [f.queryParam]: path('$.context.page.search') }] : []
  m.user_properties = { $set: classicUserProperties('$.traits', excluded, more), ...ops }
  m.groups = path('$.integrations.Amplitude.groups')
  set(m, 'app_version', appVersionOverride(s, base))
  if (!f.utm) delete m.utm_properties
  if (!f.referrer) delete m.referrer
  return m
}

function groupMapping(ctx: BuildContext, groupType: unknown, groupValue: unknown, withProperties: boolean): Obj {
  const base = defaultValues('groupIdentifyUser')
  const m: Obj = { ...base }
  set(m, 'device_id', deviceIdOverride(ctx.settings) ?? base.device_id)
  if (!withProperties) delete m.group_properties
  m.group_type = groupType
  m.group_value = groupValue
  return m
}

const SEGMENT_GROUP = '[Segment] Group'

interface PageRule {
  name: string
  trigger: string
  eventType: unknown
}

/** Page/screen subscriptions reproducing Classic cloud's send decision (one event per call at most). */
function pageRules(ctx: BuildContext, type: 'page' | 'screen'): PageRule[] {
  const s = ctx.settings
  const Title = type === 'page' ? 'Page' : 'Screen'
  const namedType = ifNotBlank(path('$.category'), template(`Viewed {{category}} {{name}} ${Title}`), template(`Viewed {{name}} ${Title}`))
  const quick = PRESETS.find((p) => p.name === `${Title} Calls`)?.mapping.event_type
  const actions = (): unknown => structuredClone(quick)
  const typeCond = `type = ${fqlString(type)}`
  const category = present('properties.category')
  if (s.trackAllPages) {
    return [
      {
        name: `${Title} Calls`,
        trigger: typeCond,
        eventType: ctx.names === 'actions' ? actions() : ifNotBlank(path('$.name'), namedType, `Loaded a ${Title}`),
      },
    ]
  }
  const rules: PageRule[] = []
  if (s.trackNamedPages || s.trackCategorizedPages) {
    rules.push({
      name: `Named ${Title} Calls`,
      trigger: s.trackNamedPages ? `${typeCond} and ${present('name')}` : `${typeCond} and ${present('name')} and ${category}`,
      eventType: ctx.names === 'actions' ? actions() : namedType,
    })
  }
  if (s.trackCategorizedPages) {
    rules.push({
      name: `Categorized ${Title} Calls`,
      trigger: `${typeCond} and ${category} and ${absent('name')}`,
      eventType: ctx.names === 'actions' ? actions() : `Loaded a ${Title}`,
    })
  }
  return rules
}

export function buildSubscriptions(ctx: BuildContext): Subscription[] {
  const f = flagsOf(ctx.settings)
  const subs: Subscription[] = []
  const add = (name: string, actionSlug: ActionSlug, trigger: string, settings: Obj): void => {
    subs.push({ name, actionSlug, trigger, enabled: true, settings })
  }
  const notOrder = ORDER_EVENT_NAMES.map((n) => `event != ${fqlString(n)}`).join(' and ')
  const isOrder = ORDER_EVENT_NAMES.map((n) => `event = ${fqlString(n)}`).join(' or ')
  add('Track Calls', 'logEventV2', `type = "track" and ${notOrder}`, logEventV2Mapping(ctx, f, defaultValues('logEventV2').event_type, []))
  add('Order Completed Calls', 'logPurchase', `type = "track" and (${isOrder})`, logPurchaseMapping(ctx, f))
  // Classic's facade added the call's name and category to the page/screen properties.
  const pageExtras: Obj[] = [
    {
      category: ifNotBlank(path('$.category'), path('$.category'), path('$.properties.category')),
      name: ifNotBlank(path('$.name'), path('$.name'), path('$.properties.name')),
    },
  ]
  for (const type of ['page', 'screen'] as const) {
    for (const rule of pageRules(ctx, type)) add(rule.name, 'logEventV2', rule.trigger, logEventV2Mapping(ctx, f, rule.eventType, pageExtras))
  }
  add('Identify Calls', 'identifyUser', 'type = "identify"', identifyMapping(ctx, f))
  if (f.groupTraits) {
    const t = `traits.${fqlIdent(f.groupTraits.type)}`
    const v = `traits.${fqlIdent(f.groupTraits.value)}`
    add(
      'Group Calls (group traits)',
      'groupIdentifyUser',
      `type = "group" and ${present(t)} and ${present(v)}`,
      // group_value only when groupId exists: Classic required a groupId; without it the
      // required field is empty and Segment does not send the call.
      groupMapping(ctx, path(`$.traits.${f.groupTraits.type}`), { '@if': { exists: path('$.groupId'), then: path(`$.traits.${f.groupTraits.value}`) } }, true),
    )
    add('Group Calls', 'groupIdentifyUser', `type = "group" and (${t} = null or ${t} = "" or ${v} = null or ${v} = "")`, groupMapping(ctx, SEGMENT_GROUP, path('$.groupId'), false))
  } else {
    add('Group Calls', 'groupIdentifyUser', 'type = "group"', groupMapping(ctx, SEGMENT_GROUP, path('$.groupId'), false))
  }
  if (ctx.settings.sendAlias) add('Alias Calls', 'mapUser', 'type = "alias"', defaultValues('mapUser'))
  return subs
}
