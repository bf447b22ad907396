import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { errors } from '@sms/core';

/**
 * Per-IP limits for the unauthenticated endpoints, counted in Redis so they
 * hold across API instances. Routes opt in with `config: { rateLimit: {} }`.
 * While Redis is unreachable the IP limits are skipped (fail open): sign-in and
 * verification keep working, and the per-phone send limits still hold (see
 * SendLimiter) and so do the per-code attempt limits (in MySQL).
 */
export default fp(
  async (fastify) => {
    await fastify.register(rateLimit, {
      global: false,
      max: fastify.config.IP_RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      redis: fastify.redis,
      nameSpace: `${fastify.config.QUEUE_PREFIX}:limit:ip:`,
      skipOnError: true,
      errorResponseBuilder: (_request, context) => errors.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  },
  { name: 'rate-limit', dependencies: ['redis'] },
);
