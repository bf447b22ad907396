import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { errors } from '@sms/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponses } from '../../schemas/common';
import { StandardWebhookHeaders, WebhookAnswer } from '../../schemas/webhooks';
import { replayGuard } from './replay-guard';
import { orRelease } from './reports';
import { TIMESTAMP_TOLERANCE_S, webhookVerifier, type VerifiedDelivery } from './standard-webhooks';

export type ReportResult = 'applied' | 'stale' | 'unknown';

export interface SignedWebhookOptions<S extends TSchema> {
  /** `bird`, `http`: the route's path, and the replay guard's namespace. */
  provider: string;
  /** For log lines: `Bird`, `HTTP provider`. */
  label: string;
  /** The signing secret, and the variable that holds it (for the log when it is unset). */
  secret: string | undefined;
  secretVariable: string;
  operationId: string;
  summary: string;
  body: S;
  /** Records what a verified delivery says; runs once per webhook-id. */
  record(fastify: FastifyInstance, body: Static<S>): Promise<ReportResult>;
}

/**
 * A delivery-report route signed with the Standard Webhooks scheme (Bird's,
 * the http provider's). The signature covers the raw body, so the plugin (and
 * only it: it is encapsulated) keeps JSON bodies as they came, and checks the
 * signature before the body's shape: a forged request is 401 whatever it
 * holds. A webhook-id seen before is a replay (401); an unknown message is 200
 * so the provider stops retrying.
 */
export function signedWebhook<S extends TSchema>(options: SignedWebhookOptions<S>): FastifyPluginAsyncTypebox {
  return async (fastify) => {
    const verify = options.secret ? webhookVerifier(options.secret) : null;
    const claim = replayGuard(fastify);
    const rawBodies = new WeakMap<FastifyRequest, string>();
    const verified = new WeakMap<FastifyRequest, VerifiedDelivery>();
    const refuse = (request: FastifyRequest, reason: string) => {
      request.log.warn({ reason }, `${options.label} webhook refused`);
      return errors.invalidSignature();
    };

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
      `/${options.provider}`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: options.operationId,
          summary: options.summary,
          headers: StandardWebhookHeaders,
          body: options.body,
          response: { 200: WebhookAnswer, ...errorResponses(400, 401, 413, 415, 503) },
        },
        preValidation: async (request) => {
          let reason = `${options.secretVariable} is not set`;
          const delivery = verify?.(rawBodies.get(request) ?? '', request.headers, (why) => (reason = why)) ?? null;
          if (!delivery) throw refuse(request, reason);
          verified.set(request, delivery);
        },
      },
      async (request) => {
        const delivery = verified.get(request)!;
        const expires = delivery.timestamp + TIMESTAMP_TOLERANCE_S;
        const release = await claim(options.provider, delivery.id, expires);
        if (!release) throw refuse(request, 'webhook-id already used (a replay)');
        const result = await orRelease(release, () => options.record(fastify, request.body as Static<S>));
        return { result };
      },
    );
  };
}
