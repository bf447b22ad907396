import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** Standard Webhooks' headers, lower-cased as Node gives them. */
const HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** The window the `standardwebhooks` library accepts a `webhook-timestamp` in, either side of now. */
export const TIMESTAMP_TOLERANCE_S = 5 * 60;

export interface VerifiedDelivery {
  /** `webhook-id`: the same on the provider's retries of one delivery, so it is what a replay repeats. */
  id: string;
  /** `webhook-timestamp`, seconds since the epoch. */
  timestamp: number;
}

/**
 * Checks a Standard Webhooks delivery (Bird's, as `@messagebird/sdk` does in
 * its `resources/webhooks.ts`, and the http provider's): an HMAC-SHA256 with
 * the base64 `whsec_` secret over `${webhook-id}.${webhook-timestamp}.${raw body}`,
 * any of the space-separated `v1,` signatures matching, the timestamp within
 * five minutes of now. Returns null for any failure; the reason goes to
 * `onReject` for the log.
 */
export function webhookVerifier(secret: string) {
  const webhook = new Webhook(secret);
  return function verify(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
    onReject: (reason: string) => void,
  ): VerifiedDelivery | null {
    const values: Record<string, string> = {};
    for (const name of HEADERS) {
      const value = headers[name];
      if (typeof value !== 'string' || value === '') {
        onReject(`no ${name} header`);
        return null;
      }
      values[name] = value;
    }
    if (!/^\d{1,12}$/.test(values['webhook-timestamp']!)) {
      onReject('webhook-timestamp is not a number of seconds');
      return null;
    }
    try {
      // jsonParse off: the body is parsed (and validated) by the route, once.
      webhook.verify(rawBody, values, { jsonParse: false });
    } catch (err) {
      onReject(err instanceof WebhookVerificationError ? err.message : 'malformed signature');
      return null;
    }
    return { id: values['webhook-id']!, timestamp: Number(values['webhook-timestamp']) };
  };
}
