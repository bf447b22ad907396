import fp from 'fastify-plugin';
import { AccountsService, SendLimiter, SmsSettingsService } from '@sms/core';

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService;
    smsSettings: SmsSettingsService;
  }
}

export default fp(
  async (fastify) => {
    const { config, prisma, redis } = fastify;
    fastify.decorate('accounts', new AccountsService(prisma, config.SESSION_TTL_SECONDS));
    const limiter = new SendLimiter(redis, prisma, config, (err) =>
      fastify.log.warn({ err: err.message }, 'send limits fall back to the database: redis unavailable'),
    );
    fastify.decorate(
      'smsSettings',
      new SmsSettingsService({
        prisma,
        config,
        limiter,
        enqueue: fastify.enqueueSms,
        onEnqueueError: (err, messageId) =>
          fastify.log.warn({ err: err.message, messageId }, 'enqueue failed; the outbox sweeper will send it'),
      }),
    );
  },
  { name: 'services', dependencies: ['prisma', 'redis', 'queue'] },
);
