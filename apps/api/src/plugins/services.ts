import fp from 'fastify-plugin';
import { AccountsService, SendLimiter, SmsSettingsService } from '@sms/core';
import { sqlOf } from '@sms/db';

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService;
    smsSettings: SmsSettingsService;
  }
}

export default fp(
  async (fastify) => {
    const { config, prisma, redis } = fastify;
    // The hot paths (session check, settings read, code store, verify) run as
    // plain SQL on Prisma's pool: see README.md, "Benchmarks".
    const sql = sqlOf(prisma);
    fastify.decorate('accounts', new AccountsService(prisma, config.SESSION_TTL_SECONDS, sql));
    const limiter = new SendLimiter(redis, prisma, config, (err) =>
      fastify.log.warn({ err: err.message }, 'send limits fall back to the database: redis unavailable'),
    );
    fastify.decorate(
      'smsSettings',
      new SmsSettingsService({
        prisma,
        sql,
        config,
        limiter,
        enqueue: fastify.enqueueSms,
        onEnqueueError: (err, messageId) =>
          fastify.log.warn({ err: err.message, messageId }, 'enqueue failed; the outbox sweeper will send it'),
        onBackgroundError: (err) => fastify.log.error({ err }, 'resend: storing or sending the new code failed'),
      }),
    );
    // Let a resend answered just before shutdown finish its send while the pools are still open.
    fastify.addHook('preClose', () => fastify.smsSettings.settled());
  },
  { name: 'services', dependencies: ['prisma', 'redis', 'queue'] },
);
