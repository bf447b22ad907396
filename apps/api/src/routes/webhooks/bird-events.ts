import type { Static } from '@sinclair/typebox';
import type { DeliveryReport, DeliveryStatus } from '@sms/db';
import { BIRD_METADATA_KEY } from '@sms/jobs';
import type { BirdEvent } from '../../schemas/webhooks';
import { reportTime } from './reports';

// Bird's SMS statuses (`SmsMessageStatus` in its API): `sms.rejected` is refused
// before the carrier and never sent, so it is as final as `sms.failed`.
const FINAL: Readonly<Record<string, DeliveryStatus>> = {
  'sms.delivered': 'delivered',
  'sms.failed': 'delivery_failed',
  'sms.rejected': 'delivery_failed',
  'sms.expired': 'expired',
};

// Interim: accepted, handed to the carrier, or a non-permanent failure the
// carrier may still overcome (`sms.undelivered`); they only order later reports.
const INTERIM: ReadonlySet<string> = new Set(['sms.accepted', 'sms.sent', 'sms.undelivered']);

export type BirdEventBody = Static<typeof BirdEvent>;

/** What an event tells about one of our messages, without our id: the caller finds the row. */
export type BirdStatusReport = Omit<DeliveryReport, 'messageId'> & {
  /** Ours, from the metadata we sent; the provider's id otherwise finds the row. */
  messageId: unknown;
  providerMessageId: string | null;
};

function describeError(event: BirdEventBody): string | null {
  const error = event.data.error;
  if (!error) return null;
  const carrier = error.carrier_error_code ? `, carrier code ${error.carrier_error_code}` : '';
  return `Bird ${event.type}: ${error.code}${error.description ? ` (${error.description})` : ''}${carrier}`;
}

/**
 * An outbound SMS's status change as a delivery report; null for anything
 * else (`sms.received`, other channels' events, types newer than this code).
 */
export function birdStatusReport(event: BirdEventBody): BirdStatusReport | null {
  const final = FINAL[event.type];
  if (final === undefined && !INTERIM.has(event.type)) return null;
  return {
    messageId: event.data.metadata?.[BIRD_METADATA_KEY],
    providerMessageId: event.data.sms_id ?? null,
    deliveryStatus: final ?? null,
    statusDatetime: reportTime(event.timestamp),
    error: describeError(event),
  };
}
