// Bird status webhooks as Bird sends them, signed here independently of the
// API's own verifier (node:crypto only, not the `standardwebhooks` package).
import { createHmac, randomUUID } from 'node:crypto';

/** A Standard Webhooks secret as Bird's dashboard shows it: `whsec_` and base64 of random bytes. */
export const BIRD_SIGNING_KEY = `whsec_${Buffer.from('bird-test-signing-secret-0123456789').toString('base64')}`;

export interface BirdSignOptions {
  /** The exact bytes sent: the signature covers the body as it travels. */
  body: string;
  secret?: string;
  /** `webhook-id`; default a new UUID. */
  id?: string;
  /** `webhook-timestamp`, seconds since the epoch; default now. */
  timestamp?: number;
}

/**
 * The Standard Webhooks signature (standardwebhooks.com, the scheme Bird's SDK
 * verifies): HMAC-SHA256 keyed with the base64-decoded secret after `whsec_`,
 * over `${id}.${timestamp}.${body}`, base64, prefixed `v1,`.
 */
export function signBirdWebhook(options: BirdSignOptions): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from((options.secret ?? BIRD_SIGNING_KEY).replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${options.body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

/** An SMS status event in the shape of Bird's `EventSms*` payloads, for `messageId` (our id, in metadata). */
export function birdSmsEvent(
  type: string,
  timestamp: string,
  messageId: string | null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type,
    timestamp,
    data: {
      sms_id: `sms_${randomUUID()}`,
      workspace_id: 'ws_0123',
      to: '+380501234567',
      from: 'Verify',
      tags: null,
      metadata: messageId === null ? null : { message_id: messageId },
      ...extra,
    },
  };
}
