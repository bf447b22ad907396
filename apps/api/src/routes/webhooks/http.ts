import type { DeliveryStatus } from '@sms/db';
import { HttpProviderReport } from '../../schemas/webhooks';
import { isMessageId, reportTime } from './reports';
import { signedWebhook } from './signed-webhook';

const FINAL: Readonly<Record<string, DeliveryStatus>> = {
  delivered: 'delivered',
  delivery_failed: 'delivery_failed',
  expired: 'expired',
};

/** The http provider's delivery reports (`POST /webhooks/http`), signed like its requests with `SMS_HTTP_SECRET`. */
export const httpProviderWebhook = (secret: string | undefined) =>
  signedWebhook({
    provider: 'http',
    label: 'HTTP provider',
    secret,
    secretVariable: 'SMS_HTTP_SECRET',
    operationId: 'httpProviderReport',
    summary: 'Delivery report from the http provider’s adapter (signed with Standard Webhooks and SMS_HTTP_SECRET)',
    body: HttpProviderReport,
    async record(fastify, body) {
      if (!isMessageId(body.message_id)) return 'unknown';
      return fastify.deliveries.apply({
        messageId: body.message_id,
        deliveryStatus: FINAL[body.status] ?? null,
        statusDatetime: reportTime(body.timestamp),
        error: body.error ? `http provider: ${body.error}` : null,
      });
    },
  });
