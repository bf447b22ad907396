// The services of packages/core wired as the API wires them, against a real
// migrated database and Redis of the test file's own (createTestConfig drops
// both at the end). One database per file: each test uses accounts and phones
// of its own, so files stay fast enough to run for every mutant.
import { createDb, createRepositories, type Repositories } from '@sms/db';
import { createTestConfig, freePort, type Teardown } from '@sms/testing';
import { Redis } from 'ioredis';
import { AccountsService } from '../src/accounts';
import { FailureBudget, LimitKeys } from '../src/budgets';
import { CodeSender, type Recipient } from '../src/code-sender';
import { loadMessages, type Messages } from '../src/messages';
import { phoneCountry } from '../src/phone';
import { TestNumbers } from '../src/test-numbers';
import { AppError } from '../src/errors';
import { SendLimiter, type AlertBudget } from '../src/send-limiter';
import { SmsSettingsService } from '../src/settings';
import { VerificationService } from '../src/verification';

export type TestConfig = Awaited<ReturnType<typeof createTestConfig>>;

/** A client to a port nothing listens on: every command fails at once, as with Redis down. */
export async function deadRedis(t: Teardown): Promise<Redis> {
  const redis = new Redis(await freePort(), '127.0.0.1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  t.teardown(() => redis.disconnect());
  return redis;
}

export async function liveRedis(t: Teardown, config: TestConfig): Promise<Redis> {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  t.teardown(() => redis.quit());
  return redis;
}

export interface Services {
  config: TestConfig;
  db: ReturnType<typeof createDb>;
  redis: Redis;
  repositories: Repositories;
  accounts: AccountsService;
  settings: SmsSettingsService;
  verification: VerificationService;
  codes: CodeSender;
  messages: Messages;
  testNumbers: TestNumbers;
  limiter: SendLimiter;
  /** Message ids handed to the queue, in order. */
  enqueued: string[];
  /** What the hooks reported: budgets tripped, Redis errors, background failures. */
  alerts: { budget: AlertBudget; country: string }[];
  redisErrors: string[];
  backgroundErrors: string[];
}

let accountNumber = 0;

/** The config, database and services of a test file. */
export async function createServices(
  t: Teardown,
  overrides: Record<string, string> = {},
  options: { redis?: Redis } = {},
): Promise<Services> {
  const config = await createTestConfig(t, { EXPOSE_VERIFICATION_CODE: 'true', ...overrides });
  const db = createDb(config);
  t.teardown(() => db.close());
  const redis = options.redis ?? (await liveRedis(t, config));
  const repositories = createRepositories(db);
  const keys = new LimitKeys(config);
  const redisErrors: string[] = [];
  const onRedisError = (err: Error) => void redisErrors.push(err.message);
  const alerts: Services['alerts'] = [];
  const enqueued: string[] = [];
  const backgroundErrors: string[] = [];
  const limiter = new SendLimiter(redis, repositories.smsMessages, config, {
    onRedisError,
    onBudgetExceeded: (budget, country) => void alerts.push({ budget, country }),
  });
  const messages = loadMessages(config);
  const testNumbers = TestNumbers.fromConfig(config);
  const codes = new CodeSender({
    smsSettings: repositories.smsSettings,
    config,
    messages,
    testNumbers,
    limiter,
    enqueue: async (ids) => void enqueued.push(...ids),
  });
  const signinFailures = new FailureBudget(redis, keys, {
    kind: 'signin-failed',
    max: config.SIGNIN_MAX_FAILED_PER_LOGIN,
    windowMs: 15 * 60_000,
    onRedisError,
  });
  const failures = new FailureBudget(redis, keys, {
    kind: 'verify-failed',
    max: config.CODE_MAX_FAILED_PER_PHONE_PER_DAY,
    windowMs: 86_400_000,
    onRedisError,
  });
  return {
    config,
    db,
    redis,
    repositories,
    accounts: new AccountsService(repositories, config.SESSION_TTL_SECONDS, signinFailures),
    settings: new SmsSettingsService({ smsSettings: repositories.smsSettings, config, codes, messages, testNumbers }),
    verification: new VerificationService({
      smsSettings: repositories.smsSettings,
      config,
      codes,
      failures,
      messages,
      testNumbers,
      onBackgroundError: (err) => void backgroundErrors.push(err.message),
    }),
    codes,
    messages,
    testNumbers,
    limiter,
    enqueued,
    alerts,
    redisErrors,
    backgroundErrors,
  };
}

/** A new account (straight into the table: hashing a password is the accounts tests' concern). */
export async function newAccount(s: Pick<Services, 'repositories'>, admin = false): Promise<string> {
  accountNumber += 1;
  const id = `${process.pid.toString(16).padStart(8, '0')}${String(accountNumber).padStart(24, '0')}`;
  await s.repositories.accounts.create({ id, login: `u${id}`, name: 'n', email: null, passwordHash: 'x', admin });
  return id;
}

/** Distinct Polish mobile numbers (E.164), one per call. */
let phoneNumber = 0;
export const newPhone = () => `+48512${String(345_000 + (phoneNumber++ % 1000)).padStart(6, '0')}`;

/** The error a promise rejects with, or a failure when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, it resolved');
}

/** What a caller sees of the AppError a promise rejects with (anything else is rethrown). */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; retryAfter?: number }> {
  const err = await rejection(promise);
  if (!(err instanceof AppError)) throw err;
  return err.retryAfter === undefined
    ? { status: err.status, code: err.code }
    : { status: err.status, code: err.code, retryAfter: err.retryAfter };
}

/** A code's recipient as the services name it: the phone, its country, no language asked for. */
export const to = (phone: string): Recipient => ({ phone, country: phoneCountry(phone), language: null });
