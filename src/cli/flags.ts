/** Flags shared by every command that reads archives. */
import { Flags } from '@oclif/core'

export const readingFlags = {
  since: Flags.string({ description: 'Keep messages at or after this time (ISO 8601 or epoch ms; message timestamp, else originalTimestamp, else receivedAt).', helpGroup: 'FILTER' }),
  until: Flags.string({ description: 'Keep messages before this time (exclusive; ISO 8601 or epoch ms).', helpGroup: 'FILTER' }),
  types: Flags.string({ description: 'Keep only these message types, comma-separated: track,page,screen,identify,group,alias.', helpGroup: 'FILTER' }),
  where: Flags.string({ description: 'Keep only messages matching this FQL condition (Segment trigger language), e.g. \'event = "Order Completed"\'.', helpGroup: 'FILTER' }),
  'ignore-integrations-flags': Flags.boolean({ description: 'Keep messages that Segment\'s "integrations" object routed away from Amplitude (All:false / Amplitude:false).', helpGroup: 'FILTER', default: false }),
}

export const mappingsFlag = {
  mappings: Flags.string({ description: 'Actions mapping file: Public API subscriptions {"subscriptions":[...]} or preset list. Default: the Actions Amplitude Quick Setup presets.', helpValue: 'FILE' }),
}
