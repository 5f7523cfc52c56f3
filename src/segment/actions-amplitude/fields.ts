/**
 * Field definitions of the Actions Amplitude actions (docs/actions-amplitude.md A.5), as data,
 * in definition order, plus the Quick Setup presets (docs/actions-amplitude.md A.3) derived from the field defaults.
 */

export type ActionSlug = 'logEvent' | 'logEventV2' | 'logPurchase' | 'identifyUser' | 'groupIdentifyUser' | 'mapUser'

export const ACTION_SLUGS: readonly ActionSlug[] = ['logEvent', 'identifyUser', 'mapUser', 'groupIdentifyUser', 'logPurchase', 'logEventV2']

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'datetime'

export interface FieldChoice {
  label: string
  value: string
}

export interface FieldDefinition {
  label: string
  type: FieldType
  required?: boolean
  multiple?: boolean
  allowNull?: boolean
  /** Default mapping (mapping-kit JSON). */
  default?: unknown
  properties?: Record<string, FieldDefinition>
  additionalProperties?: boolean
  choices?: FieldChoice[]
  /** `unsafe_hidden` in Segment: hidden in the UI, still part of defaults and payload. */
  hidden?: boolean
  defaultObjectUI?: 'keyvalue'
}

export type FieldSet = Record<string, FieldDefinition>

export interface ActionDefinition {
  slug: ActionSlug
  title: string
  description: string
  defaultSubscription: string
  fields: FieldSet
}

const path = (p: string) => ({ '@path': p })

const deviceIdDefault = {
  '@if': { exists: path('$.context.device.id'), then: path('$.context.device.id'), else: path('$.anonymousId') },
}
const advertisingIdDefault = {
  '@if': {
    exists: path('$.context.device.advertisingId'),
    then: path('$.context.device.advertisingId'),
    else: path('$.context.device.idfa'),
  },
}

const str = (label: string, def?: unknown, extra: Partial<FieldDefinition> = {}): FieldDefinition =>
  def === undefined ? { label, type: 'string', ...extra } : { label, type: 'string', default: def, ...extra }

/** The five UTM values and where their defaults come from (context.campaign). */
const UTM_SOURCES: Array<[key: string, label: string, from: string]> = [
  ['utm_source', 'UTM Source', '$.context.campaign.source'],
  ['utm_medium', 'UTM Medium', '$.context.campaign.medium'],
  ['utm_campaign', 'UTM Campaign', '$.context.campaign.name'],
  ['utm_term', 'UTM Term', '$.context.campaign.term'],
  ['utm_content', 'UTM Content', '$.context.campaign.content'],
]
const REFERRER_SOURCE: [key: string, label: string, from: string] = ['referrer', 'Referrer', '$.context.page.referrer']

/** An object field of string sub-fields, each defaulting to a path (keys and labels prefixed). */
function stringObjectField(label: string, sources: Array<[string, string, string]>, keyPrefix = '', labelPrefix = ''): FieldDefinition {
  return {
    label,
    type: 'object',
    properties: Object.fromEntries(sources.map(([key, title]) => [keyPrefix + key, { label: labelPrefix + title, type: 'string' }])),
    default: Object.fromEntries(sources.map(([key, , from]) => [keyPrefix + key, path(from)])),
  }
}

const utmProperties = (): FieldDefinition => stringObjectField('UTM Properties', UTM_SOURCES)

const userAgentData = (): FieldDefinition => ({
  label: 'User Agent Data',
  type: 'object',
  properties: {
    model: { label: 'Model', type: 'string' },
    platformVersion: { label: 'PlatformVersion', type: 'string' },
  },
  default: {
    model: path('$.context.userAgentData.model'),
    platformVersion: path('$.context.userAgentData.platformVersion'),
  },
})

const minIdLength = (): FieldDefinition => ({ label: 'Minimum ID Length', type: 'integer', allowNull: true })

const products = (): FieldDefinition => ({
  label: 'Products',
  type: 'object',
  multiple: true,
  additionalProperties: true,
  properties: {
    price: { label: 'Price', type: 'number' },
    quantity: { label: 'Quantity', type: 'integer' },
    revenue: { label: 'Revenue', type: 'number' },
    productId: { label: 'Product ID', type: 'string' },
    revenueType: { label: 'Revenue Type', type: 'string' },
  },
  default: {
    '@arrayPath': [
      '$.properties.products',
      {
        price: path('price'),
        revenue: path('revenue'),
        quantity: path('quantity'),
        productId: path('productId'),
        revenueType: path('revenueType'),
      },
    ],
  },
})

const useBatchEndpoint = (): FieldDefinition => ({ label: 'Use Batch Endpoint', type: 'boolean', default: false })
const userAgent = (): FieldDefinition => str('User Agent', path('$.context.userAgent'))
const userAgentParsing = (): FieldDefinition => ({ label: 'User Agent Parsing', type: 'boolean', default: true })
const includeRawUserAgent = (): FieldDefinition => ({ label: 'Include Raw User Agent', type: 'boolean', default: false })

/**
 * The groups/device/location/language block that event-schema.ts and identifyUser both define
 * (same keys, labels and defaults, same order).
 */
function deviceAndLocationFields(): FieldSet {
  return {
    groups: { label: 'Groups', type: 'object' },
    app_version: str('App Version', path('$.context.app.version')),
    platform: str('Platform', path('$.context.device.type')),
    os_name: str('OS Name', path('$.context.os.name')),
    os_version: str('OS Version', path('$.context.os.version')),
    device_brand: str('Device Brand', path('$.context.device.brand')),
    device_manufacturer: str('Device Manufacturer', path('$.context.device.manufacturer')),
    device_model: str('Device Model', path('$.context.device.model')),
    carrier: str('Carrier', path('$.context.network.carrier')),
    country: str('Country', path('$.context.location.country')),
    region: str('Region', path('$.context.location.region')),
    city: str('City', path('$.context.location.city')),
    dma: str('Designated Market Area'),
    language: str('Language', path('$.context.locale')),
  }
}

/** event-schema.ts: the shared fields of logEvent / logPurchase / logEventV2, in order. */
function eventSchema(): FieldSet {
  return {
    user_id: str('User ID', path('$.userId'), { allowNull: true }),
    device_id: str('Device ID', deviceIdDefault),
    event_type: str('Event Type', path('$.event'), { required: true }),
    session_id: { label: 'Session ID', type: 'datetime', default: path('$.integrations.Actions Amplitude.session_id') },
    time: { label: 'Timestamp', type: 'datetime', default: path('$.timestamp') },
    event_properties: { label: 'Event Properties', type: 'object', default: path('$.properties') },
    user_properties: { label: 'User Properties', type: 'object', default: path('$.traits') },
    ...deviceAndLocationFields(),
    price: { label: 'Price', type: 'number', default: path('$.properties.price') },
    quantity: { label: 'Quantity', type: 'integer', default: path('$.properties.quantity') },
    revenue: { label: 'Revenue', type: 'number', default: path('$.properties.revenue') },
    productId: str('Product ID', path('$.properties.productId')),
    revenueType: str('Revenue Type', path('$.properties.revenueType')),
    location_lat: { label: 'Latitude', type: 'number', default: path('$.context.location.latitude') },
    location_lng: { label: 'Longtitude', type: 'number', default: path('$.context.location.longitude') },
    ip: str('IP Address', path('$.context.ip')),
    idfa: str('Identifier For Advertiser (IDFA)', advertisingIdDefault),
    idfv: str('Identifier For Vendor (IDFV)', path('$.context.device.id')),
    adid: str('Google Play Services Advertising ID', advertisingIdDefault),
    android_id: str('Android ID'),
    event_id: { label: 'Event ID', type: 'integer' },
    insert_id: str('Insert ID'),
    library: str('HIDDEN: Library', path('$.context.library.name'), { hidden: true }),
    library2: {
      label: 'Library Settings',
      type: 'object',
      defaultObjectUI: 'keyvalue',
      properties: {
        behavior: {
          label: 'Behavior',
          type: 'string',
          choices: [
            { label: 'Auto', value: 'auto' },
            { label: 'Use Mapping', value: 'use_mapping' },
          ],
        },
        mapping: { label: 'Library Mapping', type: 'string' },
      },
      default: { behavior: 'use_mapping', mapping: path('$.context.library.name') },
    },
  }
}

const logEventFields = (): FieldSet => ({
  ...eventSchema(),
  products: products(),
  use_batch_endpoint: useBatchEndpoint(),
  userAgent: userAgent(),
  userAgentParsing: userAgentParsing(),
  includeRawUserAgent: includeRawUserAgent(),
  utm_properties: utmProperties(),
  referrer: str('Referrer', path('$.context.page.referrer')),
  min_id_length: minIdLength(),
  userAgentData: userAgentData(),
})

const logPurchaseFields = (): FieldSet => ({
  trackRevenuePerProduct: { label: 'Track Revenue Per Product', type: 'boolean', default: false },
  ...logEventFields(),
})

/**
 * logEventV2's setOnce / setAlways: referrer and the five UTM values, as `initial_*` ($setOnce)
 * or plain ($set) keys, with the same defaults from context.page and context.campaign.
 */
function referrerAndUtmField(label: string, keyPrefix: string, labelPrefix: string): FieldDefinition {
  // Property order in the schema: additionalProperties before properties, as Segment defines it.
  const { properties, default: def } = stringObjectField(label, [REFERRER_SOURCE, ...UTM_SOURCES], keyPrefix, labelPrefix)
  return { label, type: 'object', additionalProperties: true, properties, default: def }
}

const logEventV2Fields = (): FieldSet => ({
  ...eventSchema(),
  products: products(),
  setOnce: referrerAndUtmField('Set Once', 'initial_', 'Initial '),
  setAlways: referrerAndUtmField('Set Always', '', ''),
  add: { label: 'Add', type: 'object', additionalProperties: true, defaultObjectUI: 'keyvalue' },
  use_batch_endpoint: useBatchEndpoint(),
  userAgent: userAgent(),
  userAgentParsing: userAgentParsing(),
  includeRawUserAgent: includeRawUserAgent(),
  min_id_length: minIdLength(),
  userAgentData: userAgentData(),
})

const identifyUserFields = (): FieldSet => ({
  user_id: str('User ID', path('$.userId'), { allowNull: true }),
  device_id: str('Device ID', deviceIdDefault),
  user_properties: { label: 'User Properties', type: 'object', default: path('$.traits') },
  ...deviceAndLocationFields(),
  paying: { label: 'Is Paying', type: 'boolean' },
  start_version: str('Initial Version'),
  insert_id: str('Insert ID'),
  userAgent: userAgent(),
  userAgentParsing: userAgentParsing(),
  includeRawUserAgent: includeRawUserAgent(),
  utm_properties: utmProperties(),
  referrer: str('Referrer', path('$.context.page.referrer')),
  min_id_length: minIdLength(),
  library: str('Library', path('$.context.library.name')),
  userAgentData: userAgentData(),
})

const groupIdentifyUserFields = (): FieldSet => ({
  user_id: str('User ID', path('$.userId'), { allowNull: true }),
  device_id: str('Device ID', deviceIdDefault),
  insert_id: str('Insert ID'),
  time: str('Timestamp', path('$.timestamp')),
  group_properties: { label: 'Group Properties', type: 'object', default: path('$.traits') },
  group_type: str('Group Type', undefined, { required: true }),
  group_value: str('Group Value', undefined, { required: true }),
  min_id_length: minIdLength(),
})

const mapUserFields = (): FieldSet => ({
  user_id: str('User ID', path('$.previousId')),
  global_user_id: str('Global User ID', path('$.userId')),
  min_id_length: minIdLength(),
})

export const ACTIONS: Readonly<Record<ActionSlug, ActionDefinition>> = {
  logEvent: {
    slug: 'logEvent',
    title: 'Log Event',
    description: 'Send an event to Amplitude.',
    defaultSubscription: 'type = "track"',
    fields: logEventFields(),
  },
  identifyUser: {
    slug: 'identifyUser',
    title: 'Identify User',
    description: 'Set the user ID for a particular device ID or update user properties without sending an event to Amplitude.',
    defaultSubscription: 'type = "identify"',
    fields: identifyUserFields(),
  },
  mapUser: {
    slug: 'mapUser',
    title: 'Map User',
    description: 'Merge two users together that would otherwise have different User IDs tracked in Amplitude.',
    defaultSubscription: 'type = "alias"',
    fields: mapUserFields(),
  },
  groupIdentifyUser: {
    slug: 'groupIdentifyUser',
    title: 'Group Identify User',
    description: 'Set or update properties of particular groups. Note that these updates will only affect events going forward.',
    defaultSubscription: 'type = "group"',
    fields: groupIdentifyUserFields(),
  },
  logPurchase: {
    slug: 'logPurchase',
    title: 'Log Purchase',
    description:
      'Send purchase/revenue events to Amplitude. Sends one main event with the original event type and total revenue, plus additional "Product Purchased" events for each product in the order.',
    defaultSubscription: 'type = "track"',
    fields: logPurchaseFields(),
  },
  logEventV2: {
    slug: 'logEventV2',
    title: 'Log Event V2',
    description: 'Send an event to Amplitude',
    defaultSubscription: 'type = "track"',
    fields: logEventV2Fields(),
  },
}

export function isActionSlug(value: unknown): value is ActionSlug {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ACTIONS, value)
}

function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepClone) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = deepClone(v)
    return out as T
  }
  return value
}

/**
 * `defaultValues(fields)`: `{key: field.default}` for every field whose default is not undefined,
 * in field-definition order. Returns a fresh deep copy.
 */
export function defaultValues(slug: ActionSlug): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(ACTIONS[slug].fields)) {
    if (field.default !== undefined) out[key] = deepClone(field.default)
  }
  return out
}

export interface Preset {
  name: string
  subscribe: string
  partnerAction: ActionSlug
  mapping: Record<string, unknown>
}

const viewedTemplate = { '@template': 'Viewed {{name}}' }

/** The Quick Setup presets of the cloud destination (docs/actions-amplitude.md A.3), minus the browser-only "Browser Session Tracking". */
export const PRESETS: Preset[] = [
  {
    name: 'Track Calls',
    subscribe: 'type = "track" and event != "Order Completed"',
    partnerAction: 'logEventV2',
    mapping: defaultValues('logEventV2'),
  },
  {
    name: 'Order Completed Calls',
    subscribe: 'type = "track" and event = "Order Completed"',
    partnerAction: 'logPurchase',
    mapping: defaultValues('logPurchase'),
  },
  {
    name: 'Page Calls',
    subscribe: 'type = "page"',
    partnerAction: 'logEventV2',
    mapping: { ...defaultValues('logEventV2'), event_type: { ...viewedTemplate } },
  },
  {
    name: 'Screen Calls',
    subscribe: 'type = "screen"',
    partnerAction: 'logEventV2',
    mapping: { ...defaultValues('logEventV2'), event_type: { ...viewedTemplate } },
  },
  {
    name: 'Identify Calls',
    subscribe: 'type = "identify"',
    partnerAction: 'identifyUser',
    mapping: defaultValues('identifyUser'),
  },
]

export const SESSION_PRESET_NOTE =
  'The "Browser Session Tracking" preset (subscribe `type = "track" or type = "identify" or type = "group" or type = "page" or type = "alias"`, partnerAction `sessionId`, mapping `{}`) enables the browser-only Amplitude session plugin, which runs inside analytics.js and writes `integrations["Actions Amplitude"].session_id` into events before they leave the browser. It cannot run server-side, so segamp does not replay it: archived events already carry whatever session_id the plugin attached, and the `session_id` field default reads it from there.'

/** Default subscription (FQL) of each action. */
export const DEFAULT_SUBSCRIPTIONS: Readonly<Record<ActionSlug, string>> = {
  logEvent: ACTIONS.logEvent.defaultSubscription,
  identifyUser: ACTIONS.identifyUser.defaultSubscription,
  mapUser: ACTIONS.mapUser.defaultSubscription,
  groupIdentifyUser: ACTIONS.groupIdentifyUser.defaultSubscription,
  logPurchase: ACTIONS.logPurchase.defaultSubscription,
  logEventV2: ACTIONS.logEventV2.defaultSubscription,
}
