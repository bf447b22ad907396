import type { FastifyInstance } from 'fastify';
import { BirdEvent } from '../../schemas/webhooks';
import { birdStatusReport, type BirdStatusReport } from './bird-events';
import { isMessageId } from './reports';
import { signedWebhook } from './signed-webhook';

/** Our id came back in the metadata we sent; Bird's own id, stored when it was sent, is the fallback. */
async function findMessage(fastify: FastifyInstance, report: BirdStatusReport): Promise<string | null> {
  if (isMessageId(report.messageId)) return report.messageId;
  if (report.providerMessageId === null) return null;
  return fastify.deliveries.repository.messageIdByProviderId(report.providerMessageId);
}

/** Bird's status webhooks (`POST /webhooks/bird`), signed with the Standard Webhooks scheme and `BIRD_SIGNING_KEY`. */
export const birdWebhook = (secret: string | undefined) =>
  signedWebhook({
    provider: 'bird',
    label: 'Bird',
    secret,
    secretVariable: 'BIRD_SIGNING_KEY',
    operationId: 'birdStatusWebhook',
    summary: 'Bird SMS status event (signed with Standard Webhooks: webhook-id, -timestamp, -signature)',
    body: BirdEvent,
    async record(fastify, body) {
      const report = birdStatusReport(body);
      if (!report) return 'unknown';
      const messageId = await findMessage(fastify, report);
      return messageId === null ? 'unknown' : fastify.deliveries.apply({ ...report, messageId });
    },
  });
