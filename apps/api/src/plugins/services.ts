import fp from 'fastify-plugin';
import { AccountsService, CodeSender, SendLimiter, SmsSettingsService, VerificationService } from '@sms/core';
import { createRepositories } from '@sms/db';

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService;
    smsSettings: SmsSettingsService;
    verification: VerificationService;
  }
}

export default fp(
  async (fastify) => {
    const { config, db, redis } = fastify;
    const repositories = createRepositories(db);
    fastify.decorate('accounts', new AccountsService(repositories, config.SESSION_TTL_SECONDS));
    const limiter = new SendLimiter(redis, repositories.smsMessages, config, (err) =>
      fastify.log.warn({ err: err.message }, 'send limits fall back to the database: redis unavailable'),
    );
    const codes = new CodeSender({
      smsSettings: repositories.smsSettings,
      config,
      limiter,
      enqueue: fastify.enqueueSms,
      onEnqueueError: (err, messageId) =>
        fastify.log.warn({ err: err.message, messageId }, 'enqueue failed; the outbox sweeper will send it'),
    });
    fastify.decorate('smsSettings', new SmsSettingsService({ smsSettings: repositories.smsSettings, config, codes }));
    fastify.decorate(
      'verification',
      new VerificationService({
        smsSettings: repositories.smsSettings,
        config,
        codes,
        onBackgroundError: (err) => fastify.log.error({ err }, 'resend: storing or sending the new code failed'),
      }),
    );
    // Let a resend answered just before shutdown finish its send while the pools are still open.
    fastify.addHook('preClose', () => fastify.verification.settled());
  },
  { name: 'services', dependencies: ['db', 'redis', 'queue'] },
);
