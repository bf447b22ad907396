import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ID_PATTERN } from '@sms/config';
import { errors } from '@sms/core';
import type { DeliveryStatus } from '@sms/db';
import { errorResponses } from '../../schemas/common';
import { MessageBirdReportQuery, WebhookAnswer } from '../../schemas/webhooks';
import { SIGNATURE_HEADER, verifyMessageBirdSignature } from './messagebird-signature';

// MessageBird's statuses (REFERENCE: scheduled, sent, buffered are interim).
const MESSAGEBIRD_FINAL: Readonly<Record<string, DeliveryStatus>> = {
  delivered: 'delivered',
  delivery_failed: 'delivery_failed',
  expired: 'expired',
};

const ID = new RegExp(ID_PATTERN);

/** A jti is remembered at least this long, past the token's own expiry. */
const MIN_JTI_TTL_S = 60;

/**
 * Delivery reports from the SMS provider. They are not signed in by a session:
 * the provider's signature is the authentication, and a bad one is 401 with
 * nothing changed. A report for a message we do not know is 200, so the
 * provider stops retrying it.
 */
const webhooks: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify;

  /** True the first time a token id is seen; kept in Redis until well past the token's expiry. */
  async function firstUse(namespace: string, jti: string, exp: number): Promise<boolean> {
    const ttl = Math.max(MIN_JTI_TTL_S, exp - Math.floor(Date.now() / 1000) + 60);
    try {
      const key = `${config.QUEUE_PREFIX}:webhook-jti:${namespace}:${jti}`;
      return (await fastify.redis.set(key, '1', 'EX', ttl, 'NX')) === 'OK';
    } catch {
      // Without Redis a replay cannot be told apart: 503, and the provider retries later.
      throw errors.unavailable();
    }
  }

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
      if (!(await firstUse('messagebird', claims.jti, claims.exp))) {
        reject('jti already used (a replay)');
        throw errors.invalidSignature();
      }

      const { reference, status, statusDatetime, statusErrorCode, id } = request.query;
      if (!reference || !ID.test(reference)) return { result: 'unknown' as const };
      const at = statusDatetime ? new Date(statusDatetime) : new Date();
      const outcome = await fastify.deliveries.apply({
        messageId: reference,
        deliveryStatus: MESSAGEBIRD_FINAL[status ?? ''] ?? null,
        statusDatetime: Number.isNaN(at.getTime()) ? new Date() : at,
        error: statusErrorCode ? `MessageBird status ${status}, error code ${statusErrorCode}` : null,
        providerMessageId: id ?? null,
      });
      return { result: outcome };
    },
  );
};

export default webhooks;
