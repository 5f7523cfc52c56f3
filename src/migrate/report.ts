/**
 * The migration report: one line per Classic setting (docs/classic-amplitude.md §3, in catalog order),
 * then lines for Classic behaviours no setting controls, then unknown input keys.
 */
import { CLASSIC_SETTINGS, isEuEndpoint, type ClassicSettingKey, type ClassicSettingsResult } from '../segment/classic/settings.js'
import { ORDER_EVENT_NAMES, flagsOf, type NamesMode, type Subscription } from './mappings.js'
import { isSimpleKey } from './fql.js'

export type ReportStatus = 'migrated' | 'no-equivalent' | 'behavior-change'

export interface ReportLine {
  setting: string
  value: unknown
  status: ReportStatus
  note: string
}

const M: ReportStatus = 'migrated'
const N: ReportStatus = 'no-equivalent'
const B: ReportStatus = 'behavior-change'

type Line = [ReportStatus, string]
type Lines = Partial<Record<ClassicSettingKey, Line>>
type ClassicSettings = ClassicSettingsResult['settings']
type ClassicFlags = ReturnType<typeof flagsOf>

const sdkOnly = (what: string): string => `Amplitude JS SDK option (analytics.js device mode only: ${what}); Actions Amplitude runs in cloud mode and has no such option.`

const mobileOnly = (what: string): string => `Classic mobile device-mode bundles only (${what}); Actions Amplitude is cloud mode only and has no such option.`

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ')
}

export function endpointRegion(endpoint: string): { region: 'north_america' | 'europe'; recognised: boolean } {
  const e = endpoint.trim().toLowerCase()
  if (e === '') return { region: 'north_america', recognised: true }
  if (isEuEndpoint(endpoint)) return { region: 'europe', recognised: true }
  const us = ['us', 'usa', 'na', 'north_america', 'north america', 'standard', 'default']
  if (us.includes(e) || e.includes('api.amplitude.com') || e.includes('api2.amplitude.com')) return { region: 'north_america', recognised: true }
  return { region: 'north_america', recognised: false }
}

export function buildReport(read: ClassicSettingsResult, raw: Record<string, unknown>, names: NamesMode, subs: readonly Subscription[]): ReportLine[] {
  const s = read.settings
  const f = flagsOf(s)
  const lines: Lines = {
    ...credentialLines(s),
    ...pageLines(s, names, namingContext(names, subs)),
    ...attributionLines(s, f),
    ...propertyLines(s),
    ...traitLines(s, f),
  }
  const out = [...settingLines(read, lines), ...behaviourLines(names)]
  for (const k of read.unknownKeys) out.push({ setting: k, value: raw[k] ?? null, status: N, note: 'Not an Amplitude (Classic) setting; ignored.' })
  return out
}

/** What the page/screen lines share: the subscriptions that carry page calls, and how --names names them. */
function namingContext(names: NamesMode, subs: readonly Subscription[]) {
  const subNames = (pred: (x: Subscription) => boolean): string => quoteList(subs.filter(pred).map((x) => x.name))
  const pageSubs = subNames((x) => / (Page|Screen) Calls$/.test(x.name) || x.name === 'Page Calls' || x.name === 'Screen Calls')
  const namesNote =
    names === 'classic'
      ? ''
      : ' With --names actions they are named as by Quick Setup, `Viewed {{name}}` (no category, no Page/Screen suffix; an unnamed call becomes `Viewed `); see renameMap.'
  /** How the generated subscriptions name what Classic named `classicName`. */
  const named = (classicName: string): string => (names === 'classic' ? `send ${classicName}, as Classic cloud did.` : `carry the calls Classic named ${classicName}.`)
  const pageStatus = (base: ReportStatus): ReportStatus => (names === 'actions' ? B : base)
  const categoryCaveat =
    ' FQL has no field for the top-level `category` of a page/screen call, so the trigger tests `properties.category` ' +
    '(analytics.js copies the category there): calls whose category is only top-level (server libraries, mobile screens) ' +
    'do not match it and are no longer sent (Classic cloud sent them).'

  return { pageSubs, namesNote, named, pageStatus, categoryCaveat }
}

type NamingContext = ReturnType<typeof namingContext>

/** Lines of the credentials and the endpoint. */
function credentialLines(s: ClassicSettings): Lines {
  const lines: Lines = {}
  lines.apiKey = s.apiKey
    ? [M, 'Copied to destination.settings.apiKey.']
    : [M, 'Empty: Classic rejected every message without it. destination.settings.apiKey is empty; fill it in before enabling.']
  lines.secretKey = s.secretKey
    ? [M, 'Copied to destination.settings.secretKey (Actions uses it for the connection test and GDPR deletions).']
    : [B, 'Empty (Classic needed it only for user deletion). Actions requires a Secret Key: destination.settings.secretKey is empty; fill it in before saving.']
  {
    const r = endpointRegion(s.endpoint)
    lines.endpoint = r.recognised
      ? [M, `destination.settings.endpoint = "${r.region}" (${r.region === 'europe' ? 'api.eu.amplitude.com' : 'api2.amplitude.com'}).`]
      : [B, `Option value not recognised (Classic's option values are unpublished); assumed "north_america". Check the project's data region.`]
  }

  return lines
}

/** Lines of the page/screen settings. */
function pageLines(s: ClassicSettings, names: NamesMode, c: NamingContext): Lines {
  const { pageSubs, namesNote, named, pageStatus, categoryCaveat } = c
  const lines: Lines = {}
  if (s.trackAllPages) {
    lines.trackAllPages = [
      pageStatus(M),
      `Subscriptions ${pageSubs} ${names === 'classic' ? 'send every page/screen call' : 'carry every page/screen call, which Classic cloud named'}: \`Viewed [{category} ]{name} Page|Screen\` when it has a non-empty name, else \`Loaded a Page|Screen\`.${namesNote}`,
    ]
    lines.trackNamedPages = [M, 'Superseded by trackAllPages (every page/screen call is sent), as in Classic cloud.']
    lines.trackCategorizedPages = [M, 'Superseded by trackAllPages (every page/screen call is sent), as in Classic cloud.']
  } else {
    const none = !s.trackNamedPages && !s.trackCategorizedPages
    lines.trackAllPages = [
      M,
      none
        ? 'Off, and trackNamedPages/trackCategorizedPages are off too: no page or screen subscription is generated (Classic sent nothing for page/screen calls).'
        : 'Off: page/screen calls with neither a non-empty name nor a category are not sent, as in Classic.',
    ]
    lines.trackNamedPages = s.trackNamedPages
      ? [pageStatus(M), `"Named Page Calls" / "Named Screen Calls" (trigger: name present and non-empty) ${named('`Viewed [{category} ]{name} Page|Screen`')}${namesNote}`]
      : s.trackCategorizedPages
        ? [
            pageStatus(B),
            `Off: named calls are sent only when they also have a category ("Named Page Calls" / "Named Screen Calls" require properties.category; Classic named them \`Viewed {category} {name} Page|Screen\`).${categoryCaveat}${namesNote}`,
          ]
        : [M, 'Off: named page/screen calls are not sent, as in Classic.']
    lines.trackCategorizedPages = s.trackCategorizedPages
      ? [
          B,
          `"Categorized Page Calls" / "Categorized Screen Calls" send calls with a category and no name as ${names === 'classic' ? '`Loaded a Page|Screen` (Classic cloud naming)' : '`Viewed ` (Quick Setup naming)'}.${categoryCaveat}`,
        ]
      : [M, 'Off: page/screen calls with a category but no name are not sent, as in Classic.']
  }
  lines.trackAllPagesV2 = [
    N,
    mobileOnly('`Loaded a Screen` for every screen') +
      (s.trackAllPagesV2 ? ' On: screens follow trackAllPages/trackNamedPages/trackCategorizedPages, as in Classic cloud mode.' : ' Off: nothing changes.'),
  ]

  return lines
}

/** Lines of UTM, referrer and the Amplitude JS SDK options. */
function attributionLines(s: ClassicSettings, f: ClassicFlags): Lines {
  const lines: Lines = {}
  lines.trackUtmProperties = s.trackUtmProperties
    ? [
        M,
        'utm_source/utm_medium/utm_campaign (campaign.name)/utm_term/utm_content from context.campaign are sent as $set and initial_utm_* as $setOnce on every event (setAlways/setOnce, Log Purchase utm_properties) and on identify (utm_properties). The Classic web SDK parsed them from the page URL instead: messages without context.campaign carry none.',
      ]
    : [M, 'Off: UTM fields removed from every mapping (Quick Setup would send utm_* and initial_utm_* from context.campaign).']
  lines.trackReferrer = f.referrer
    ? [
        B,
        `referrer ($set) and initial_referrer ($setOnce) from context.page.referrer on every event and identify${s.trackReferrer ? '' : ' (kept because useAmplitudeReferral is on)'}. Classic analytics.js also set referring_domain/initial_referring_domain, which mapping-kit cannot derive from a URL; Classic cloud mode sent no referrer at all, so cloud-mode sources gain these properties.`,
      ]
    : [M, 'Off (and useAmplitudeReferral off): referrer fields removed from every mapping (Quick Setup would send referrer and initial_referrer).']
  lines.useAmplitudeReferral = [
    s.useAmplitudeReferral ? B : M,
    s.useAmplitudeReferral
      ? 'The Amplitude JS SDK captured referrer/referring_domain itself; Actions sends referrer/initial_referrer from context.page.referrer instead (no referring_domain).'
      : 'Off: nothing to migrate (referrer handling follows trackReferrer).',
  ]
  lines.saveParamsReferrerOncePerSession = [N, sdkOnly('UTM/referrer captured once per session') + ' Actions sets them from each message.']
  lines.unsetParamsReferrerOnNewSession = [
    N,
    sdkOnly('referrer/UTM user properties unset on a new session') + (s.unsetParamsReferrerOnNewSession ? ' On: they are no longer unset.' : ''),
  ]
  lines.trackGclid = [N, sdkOnly('gclid and initial_gclid user properties') + (s.trackGclid ? ' On: gclid/initial_gclid are no longer set.' : ' Off: nothing is lost.')]
  lines.deviceIdFromUrlParam = [
    N,
    sdkOnly('device id from the amp_device_id URL parameter') + (s.deviceIdFromUrlParam ? ' On: device_id now comes from context.device.id or anonymousId.' : ''),
  ]
  lines.forceHttps = [N, sdkOnly('HTTPS uploads') + ' Segment always uses HTTPS.']
  lines.batchEvents = [N, sdkOnly('client-side batching') + ' Not the same as Use Batch Endpoint (that follows sendToBatchEndpoint).']
  lines.eventUploadThreshold = [N, sdkOnly('client-side batch size')]
  lines.eventUploadPeriodMillis = [N, sdkOnly('client-side batch period')]
  return lines
}

/** Lines of event properties, ids, sessions and revenue. */
function propertyLines(s: ClassicSettings): Lines {
  const lines: Lines = {}
  lines.versionName = s.versionName
    ? [M, `app_version = context.app.version, else "${s.versionName}" on events and identify (Classic web set it as the version name).`]
    : [M, 'Empty: nothing to migrate.']
  {
    const entries = Object.entries(s.appendFieldsToEventProps)
    lines.appendFieldsToEventProps =
      entries.length === 0
        ? [M, 'Empty: nothing to migrate.']
        : [
            B,
            `Web device-mode only; not reproduced (Classic cloud ignored it). Events from analytics.js device mode carried ${entries
              .map(([p, n]) => `${n} (from ${p})`)
              .join(', ')} in event_properties; they no longer do.`,
          ]
  }
  {
    const keys = Object.keys(s.mapQueryParams)
    lines.mapQueryParams =
      keys.length === 0
        ? [M, 'Empty: nothing to migrate.']
        : [
            keys.length > 1 ? B : M,
            `"${keys[0]}" = context.page.search (raw query string) is added to event_properties of tracks, orders, pages and screens and to $set on identify, as Classic cloud did with the first entry.` +
              (keys.length > 1
                ? ` Other entries (${quoteList(keys.slice(1))}) were ignored by Classic cloud but used by Classic web (last entry chose user vs event properties); they are not mapped.`
                : ''),
          ]
  }
  lines.preferAnonymousIdForDeviceId = s.preferAnonymousIdForDeviceId
    ? [M, 'device_id = anonymousId, else context.device.id, on every subscription.']
    : [M, 'Off: device_id keeps the Actions default (context.device.id, else anonymousId), as Classic cloud.']
  lines.useAdvertisingIdForDeviceId = [
    N,
    mobileOnly('IDFA/AdID as device id') +
      (s.useAdvertisingIdForDeviceId ? ' On: device_id now comes from context.device.id or anonymousId; the advertising id is sent as idfa/adid.' : ''),
  ]
  lines.enableLocationListening = [N, mobileOnly('SDK location capture') + ' Location comes from context.location.* (latitude/longitude/city/region/country).']
  lines.trackSessionEvents = [
    N,
    mobileOnly('session start/end events') +
      (s.trackSessionEvents ? ' On: session start/end events are no longer generated.' : '') +
      ' session_id is read from integrations["Actions Amplitude"].session_id (Amplitude session plugins), else integrations.Amplitude.session_id.',
  ]
  lines.useLogRevenueV2 = [
    B,
    'Device-mode revenue API choice. Device-mode revenue calls also logged a separate `revenue_amount` event; Actions sends revenue only as fields of Log Purchase events ("Order Completed Calls"), with no revenue_amount event.',
  ]
  lines.trackRevenuePerProduct = s.trackRevenuePerProduct
    ? [
        B,
        "\"Order Completed Calls\" trackRevenuePerProduct = true: revenue on each Product Purchased event (price × quantity, else the product's revenue), none on the order. Classic gave revenue only to products with price and quantity and copied the order's revenue/revenueType into each Product Purchased event's properties; Actions does not copy them.",
      ]
    : [
        M,
        '"Order Completed Calls" trackRevenuePerProduct = false: the order total (revenue, else total; price × quantity when both set) on the order event, none on Product Purchased events.',
      ]
  lines.trackProductsOnce = s.trackProductsOnce
    ? [B, 'Web device-mode only; Actions sends the order event plus one Product Purchased event per product, and keeps the full products array.']
    : [M, 'Off: nothing to migrate.']

  return lines
}

/** Lines of identify traits, groups, custom properties, alias and the batch endpoint. */
function traitLines(s: ClassicSettings, f: ClassicFlags): Lines {
  const lines: Lines = {}
  const opsLine = (key: 'traitsToIncrement' | 'traitsToSetOnce' | 'traitsToAppend' | 'traitsToPrepend', op: string): Line => {
    const list = s[key]
    if (list.length === 0) return [M, 'Empty: identify traits are all sent as $set.']
    const bad = list.filter((k) => !isSimpleKey(k))
    return [
      bad.length > 0 ? B : M,
      `"Identify Calls" user_properties.${op} {${list.join(', ')}} from traits; these traits are removed from $set (identify only, as Classic).` +
        (bad.length > 0 ? ` Trait names with dots, brackets or quotes (${quoteList(bad)}) are read as nested paths by mapping-kit and will not match.` : ''),
    ]
  }
  lines.traitsToIncrement = opsLine('traitsToIncrement', '$add')
  lines.traitsToSetOnce = opsLine('traitsToSetOnce', '$setOnce')
  lines.traitsToAppend = opsLine('traitsToAppend', '$append')
  lines.traitsToPrepend = opsLine('traitsToPrepend', '$prepend')

  if (f.groupTraits) {
    const bad = [f.groupTraits.type, f.groupTraits.value].filter((k) => !isSimpleKey(k))
    const st: ReportStatus = bad.length > 0 ? B : M
    const badNote = bad.length > 0 ? ` Trait names with dots, brackets or quotes (${quoteList(bad)}) are read as nested paths and will not match.` : ''
    lines.groupTypeTrait = [
      st,
      `"Group Calls (group traits)" (both traits present and non-empty): group_type = traits.${f.groupTraits.type}, group_value = traits.${f.groupTraits.value}, group_properties = traits. "Group Calls" (either missing): "[Segment] Group" = groupId without properties.${badNote}`,
    ]
    lines.groupValueTrait = [st, `Used with groupTypeTrait (see that line).${badNote}`]
  } else {
    const one = s.groupTypeTrait || s.groupValueTrait
    const note = one
      ? 'Only one of groupTypeTrait/groupValueTrait is set, so Classic used "[Segment] Group" = groupId; so does "Group Calls".'
      : 'Not set: "Group Calls" associates the user with group type "[Segment] Group" = groupId, without group properties, as Classic.'
    lines.groupTypeTrait = [M, note]
    lines.groupValueTrait = [M, note]
  }
  lines.useCustomAmplitudeProperties = s.useCustomAmplitudeProperties
    ? [M, 'On: event_properties keep country and language, as Actions does by default.']
    : [
        M,
        'Off: event_properties drop country, language, event_id and amplitude_event_type, as Classic cloud (via @excludeWhenNull over @merge, which also drops properties whose value is null).',
      ]
  lines.sendAlias = s.sendAlias
    ? [
        B,
        '"Alias Calls" (Map User): previousId → user_id, userId → global_user_id via /usermap. Map User cannot unmap: an alias with integrations.Amplitude.unmap, which Classic sent as an unmapping, is sent as an ordinary mapping.',
      ]
    : [M, 'Off: no Map User subscription; alias calls are not sent (Classic rejected them).']
  lines.sendToBatchEndpoint = [
    M,
    `use_batch_endpoint = ${s.sendToBatchEndpoint} on every Log Event V2 / Log Purchase subscription; identify, group and alias calls use /identify, /groupidentify and /usermap as before.`,
  ]

  return lines
}

/** One line per Classic setting, in catalog order, with the reader's warnings and defaults noted. */
function settingLines(read: ClassicSettingsResult, lines: Lines): ReportLine[] {
  const s = read.settings
  const explicit = new Set(read.explicitKeys)
  const out: ReportLine[] = []
  for (const info of CLASSIC_SETTINGS) {
    const [status, note0] = lines[info.key] as Line
    let note = note0
    for (const w of read.warnings) if (w.startsWith(`setting ${info.key}:`)) note += ` (${w.slice(`setting ${info.key}: `.length)}.)`
    if (!explicit.has(info.key)) note += ' (Not in the input: catalog default assumed.)'
    const raw = (s as unknown as Record<string, unknown>)[info.key]
    out.push({ setting: info.key, value: info.key === 'secretKey' && raw ? '********' : raw, status, note })
  }

  return out
}

/** Lines for Classic behaviours no setting controls. */
function behaviourLines(names: NamesMode): ReportLine[] {
  const out: ReportLine[] = []
  const extra = (setting: string, status: ReportStatus, note: string): void => {
    out.push({ setting, value: null, status, note })
  }
  extra(
    '(order events)',
    B,
    `"Order Completed Calls" (Log Purchase) matches ${quoteList(ORDER_EVENT_NAMES)}; "Track Calls" excludes the same names, so an order is never sent twice. Classic also matched other casings/spacings of Order Completed and Completed Order: those now go through "Track Calls" without revenue or Product Purchased events. The order event's properties drop products; Product Purchased events carry the whole product object (plus productId read from product_id).`,
  )
  extra(
    '(revenue on other tracks)',
    B,
    'Classic cloud sent revenue/price/quantity/productId/revenueType as top-level revenue fields on any track with properties.revenue; Log Event V2 sends no revenue, so track events other than the order events keep these values only in event_properties.',
  )
  extra(
    '(user properties on events)',
    M,
    'context.traits plus id (= userId), minus address, go to $set on every track/page/screen/order (Log Event V2 setAlways, Log Purchase user_properties.$set) and traits plus id to $set on identify, as Classic sent them as user_properties. No mapping mixes plain user properties with $set/$setOnce operations.',
  )
  extra('(library)', M, 'library2 behavior "auto": events carry library "segment", as Classic (Quick Setup would send context.library.name).')
  extra(
    '(session and event groups)',
    B,
    'session_id = integrations["Actions Amplitude"].session_id, else integrations.Amplitude.session_id (other casings such as sessionId are not read); groups = integrations.Amplitude.groups on events and identify. Classic cloud also merged those groups into user_properties; Actions does not.',
  )
  extra(
    '(context fields)',
    B,
    'language = raw context.locale (e.g. en-US) instead of a language name (English); country/region/city from context.location.* instead of the locale and address traits/properties; platform from context.device.type (Web for analytics.js) instead of the library name; for web user agents os_name is the OS (Classic: the browser) and os_version the browser major version.',
  )
  extra(
    '(page and screen naming)',
    B,
    (names === 'classic'
      ? 'Reproduces Classic cloud naming: at most one event per page/screen call.'
      : 'Quick Setup naming (`Viewed {{name}}`); the Classic send decision (which calls are sent) is kept.') +
      ' Classic analytics.js device mode sent one event per enabled rule (up to three per page: Loaded a Page, Viewed {category} Page, Viewed {category} {name} Page); those extra events are not reproduced. Event properties include name and category, as Classic added them.',
  )
  extra(
    '(group calls)',
    B,
    'Group Identify User also posts the group (and, for "Group Calls (group traits)", its traits) to /groupidentify; a group call without groupId leaves the required group_value empty, so it fails validation and is not sent, as Classic dropped it.',
  )

  if (names === 'actions') {
    extra(
      '(rename map)',
      B,
      'renameMap lists the renames known from the settings alone (unnamed calls: `Loaded a Page|Screen` → `Viewed `). Named calls are renamed too (`Viewed Home Page` → `Viewed Home`, `Viewed Docs Index Page` → `Viewed Index`), but their names are only known from data: add those rows from an archive (renameRowsFromMessages).',
    )
  }
  return out
}
