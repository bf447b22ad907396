import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '@sms/core';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../../schemas/common';
import { BirdEvent, BirdWebhookHeaders, WebhookAnswer } from '../../schemas/webhooks';
import { birdStatusReport, type BirdStatusReport } from './bird-events';
import { birdVerifier, TIMESTAMP_TOLERANCE_S, type VerifiedDelivery } from './bird-signature';
import { replayGuard } from './replay-guard';
import { isMessageId, orRelease } from './reports';

/**
 * Bird's status webhooks (`POST /webhooks/bird`), signed with the Standard
 * Webhooks scheme and `BIRD_SIGNING_KEY`. The signature covers the raw body,
 * so this plugin (and only it: it is encapsulated) keeps JSON bodies as they
 * came, and checks the signature before the body's shape: a forged request is
 * 401 whatever it holds.
 */
const birdWebhook: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify;
  const verify = config.BIRD_SIGNING_KEY ? birdVerifier(config.BIRD_SIGNING_KEY) : null;
  const claim = replayGuard(fastify);
  const rawBodies = new WeakMap<FastifyRequest, string>();
  const verified = new WeakMap<FastifyRequest, VerifiedDelivery>();
  const refuse = (request: FastifyRequest, reason: string) => {
    request.log.warn({ reason }, 'Bird webhook refused');
    return errors.invalidSignature();
  };

  /** Our id came back in the metadata we sent; Bird's own id, stored when it was sent, is the fallback. */
  async function findMessage(report: BirdStatusReport): Promise<string | null> {
    if (isMessageId(report.messageId)) return report.messageId;
    if (report.providerMessageId === null) return null;
    return fastify.deliveries.repository.messageIdByProviderId(report.providerMessageId);
  }

  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    rawBodies.set(request, text);
    try {
      done(null, JSON.parse(text));
    } catch {
      // Handed on as text: its signature is checked first (401), its shape after (400).
      done(null, text);
    }
  });

  fastify.post(
    '/bird',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'birdStatusWebhook',
        summary: 'Bird SMS status event (signed with Standard Webhooks: webhook-id, -timestamp, -signature)',
        headers: BirdWebhookHeaders,
        body: BirdEvent,
        response: { 200: WebhookAnswer, ...errorResponses(400, 401, 413, 415, 503) },
      },
      preValidation: async (request) => {
        let reason = 'BIRD_SIGNING_KEY is not set';
        const delivery = verify?.(rawBodies.get(request) ?? '', request.headers, (why) => (reason = why)) ?? null;
        if (!delivery) throw refuse(request, reason);
        verified.set(request, delivery);
      },
    },
    async (request) => {
      const delivery = verified.get(request)!;
      const release = await claim('bird', delivery.id, delivery.timestamp + TIMESTAMP_TOLERANCE_S);
      if (!release) throw refuse(request, 'webhook-id already used (a replay)');

      const report = birdStatusReport(request.body);
      if (!report) return { result: 'unknown' as const };
      const result = await orRelease(release, async () => {
        const messageId = await findMessage(report);
        return messageId === null ? ('unknown' as const) : fastify.deliveries.apply({ ...report, messageId });
      });
      return { result };
    },
  );
};

export default birdWebhook;
