import fp from 'fastify-plugin';
import {
  AccountsService,
  CodeSender,
  FailureBudget,
  LimitKeys,
  loadMessages,
  maskPhone,
  SendLimiter,
  SmsSettingsService,
  TestNumbers,
  VerificationService,
} from '@sms/core';
import { createRepositories } from '@sms/db';

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService;
    smsSettings: SmsSettingsService;
    verification: VerificationService;
  }
}

const DAY_MS = 86_400_000;
const SIGNIN_WINDOW_MS = 15 * 60_000;
// One alert line per budget and country a minute is enough to page someone;
// the counter still counts every refused SMS.
const ALERT_LOG_EVERY_MS = 60_000;

export default fp(
  async (fastify) => {
    const { config, db, redis } = fastify;
    const repositories = createRepositories(db);
    const keys = new LimitKeys(config);
    const onRedisError = (what: string) => (err: Error) =>
      fastify.log.warn({ err: err.message }, `${what}: redis unavailable`);
    const signinFailures = new FailureBudget(redis, keys, {
      kind: 'signin-failed',
      max: config.SIGNIN_MAX_FAILED_PER_LOGIN,
      windowMs: SIGNIN_WINDOW_MS,
      onRedisError: onRedisError('failed sign-ins per login are not counted'),
    });
    fastify.decorate('accounts', new AccountsService(repositories, config.SESSION_TTL_SECONDS, signinFailures));

    const alerted = new Map<string, number>();
    const limiter = new SendLimiter(redis, repositories.smsMessages, config, {
      onRedisError: onRedisError('send limits fall back to the database'),
      onBudgetExceeded: (budget, country) => {
        fastify.smsBudgetExceeded.inc({ budget });
        const key = `${budget}:${country}`;
        if (Date.now() - (alerted.get(key) ?? 0) < ALERT_LOG_EVERY_MS) return;
        alerted.set(key, Date.now());
        fastify.log.warn({ alert: 'sms_budget_exceeded', budget, country }, `SMS ${budget} send budget exceeded`);
      },
    });
    // Both throw ConfigError, one line naming what is wrong, and so stop the start (server.ts).
    const messages = loadMessages(config);
    const testNumbers = TestNumbers.fromConfig(config);
    const codes = new CodeSender({
      smsSettings: repositories.smsSettings,
      config,
      messages,
      testNumbers,
      limiter,
      enqueue: fastify.enqueueSms,
      onEnqueueError: (err, messageId) =>
        fastify.log.warn({ err: err.message, messageId }, 'enqueue failed; the outbox sweeper will send it'),
      onMessage: (sms, country) => fastify.smsSegments.inc({ country, encoding: sms.encoding }, sms.segments),
      onTestNumber: (phone) => {
        fastify.smsTestNumberUses.inc();
        fastify.log.warn({ phone: maskPhone(phone) }, 'test number: fixed code, no SMS sent');
      },
    });
    fastify.decorate(
      'smsSettings',
      new SmsSettingsService({ smsSettings: repositories.smsSettings, config, codes, messages, testNumbers }),
    );
    const failures = new FailureBudget(redis, keys, {
      kind: 'verify-failed',
      max: config.CODE_MAX_FAILED_PER_PHONE_PER_DAY,
      windowMs: DAY_MS,
      onRedisError: onRedisError('failed verifies per phone are not counted'),
    });
    fastify.decorate(
      'verification',
      new VerificationService({
        smsSettings: repositories.smsSettings,
        config,
        codes,
        failures,
        messages,
        testNumbers,
        onBackgroundError: (err) => fastify.log.error({ err }, 'resend: storing or sending the new code failed'),
      }),
    );
    // Let a resend answered before shutdown finish its send while the pools are
    // still open: onClose runs once every request is answered, and this plugin's
    // before those of the pools (registered earlier, closed later).
    fastify.addHook('onClose', () => fastify.verification.settled());
  },
  { name: 'services', dependencies: ['db', 'redis', 'queue', 'metrics'] },
);
