import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '@sms/core';
import type { DeliveryStatus } from '@sms/db';
import { errorResponses } from '../../schemas/common';
import { MessageBirdReportQuery, WebhookAnswer } from '../../schemas/webhooks';
import { birdWebhook } from './bird';
import { httpProviderWebhook } from './http';
import { SIGNATURE_HEADER, verifyMessageBirdSignature } from './messagebird-signature';
import { replayGuard } from './replay-guard';
import { isMessageId, orRelease, reportTime } from './reports';

// MessageBird's statuses (its SDK's typings): scheduled, sent and buffered are interim.
const MESSAGEBIRD_FINAL: Readonly<Record<string, DeliveryStatus>> = {
  delivered: 'delivered',
  delivery_failed: 'delivery_failed',
  expired: 'expired',
};

/**
 * Delivery reports from the SMS provider. They are not signed in by a session:
 * the provider's signature is the authentication, and a bad one is 401 with
 * nothing changed. A report for a message we do not know is 200, so the
 * provider stops retrying it.
 */
const webhooks: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify;

  const claim = replayGuard(fastify);
  await fastify.register(birdWebhook(config.BIRD_SIGNING_KEY));
  await fastify.register(httpProviderWebhook(config.SMS_HTTP_SECRET));

  fastify.get(
    '/messagebird',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'messagebirdReport',
        summary: 'MessageBird delivery report (signed with MessageBird-Signature-JWT)',
        querystring: MessageBirdReportQuery,
        response: { 200: WebhookAnswer, ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const origin = config.PUBLIC_URL ?? `${request.protocol}://${request.host}`;
      const reject = (reason: string) => request.log.warn({ reason }, 'MessageBird report refused');
      const header = request.headers[SIGNATURE_HEADER];
      const claims = config.MESSAGEBIRD_SIGNING_KEY
        ? await verifyMessageBirdSignature(
            typeof header === 'string' ? header : undefined,
            origin + request.url,
            '',
            config.MESSAGEBIRD_SIGNING_KEY,
            reject,
          )
        : (reject('MESSAGEBIRD_SIGNING_KEY is not set'), null);
      if (!claims) throw errors.invalidSignature();
      const release = await claim('messagebird', claims.jti, claims.exp);
      if (!release) {
        reject('jti already used (a replay)');
        throw errors.invalidSignature();
      }

      const { reference, status, statusDatetime, statusErrorCode, id } = request.query;
      if (!isMessageId(reference)) return { result: 'unknown' as const };
      const outcome = await orRelease(release, () =>
        fastify.deliveries.apply({
          messageId: reference,
          deliveryStatus: MESSAGEBIRD_FINAL[status ?? ''] ?? null,
          statusDatetime: reportTime(statusDatetime),
          error: statusErrorCode ? `MessageBird status ${status}, error code ${statusErrorCode}` : null,
          providerMessageId: id ?? null,
        }),
      );
      return { result: outcome };
    },
  );
};

export default webhooks;
