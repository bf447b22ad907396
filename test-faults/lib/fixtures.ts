// Fixtures of the fault tests: many signed-in users made quickly (straight into
// the database: signing up a thousand users through the API would spend most of
// the test in scrypt), phone numbers, and configs for a database elsewhere.
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '@sms/config';
import { createDb, type PrismaClient } from '@sms/db';
import { call, deleteRedisPrefix, uniqueName, waitFor, type Answer, type Teardown } from '@sms/testing';

export interface SeededUser {
  userId: string;
  sessionId: string;
}

/** `count` accounts, each with a live session, written directly (no scrypt). */
export async function seedUsers(prisma: PrismaClient, count: number, tag = 'seed'): Promise<SeededUser[]> {
  const users = Array.from({ length: count }, () => ({
    userId: randomBytes(16).toString('hex'),
    sessionId: randomBytes(16).toString('hex'),
  }));
  const expireTime = new Date(Date.now() + 3_600_000);
  for (let i = 0; i < users.length; i += 500) {
    const chunk = users.slice(i, i + 500);
    await prisma.account.createMany({
      data: chunk.map((u, j) => ({
        id: u.userId,
        login: `${tag}${i + j}x${u.userId.slice(0, 8)}`,
        name: `${tag} ${i + j}`,
        // Never signed in with: the sessions below are made directly.
        passwordHash: 'scrypt$unused',
      })),
    });
    await prisma.session.createMany({
      data: chunk.map((u) => ({
        idHash: createHash('sha256').update(u.sessionId).digest('hex'),
        userId: u.userId,
        expireTime,
      })),
    });
  }
  return users;
}

/** Distinct valid Ukrainian mobile numbers for one test file (`base` keeps files apart). */
export function phones(count: number, base = process.pid % 1000): string[] {
  return Array.from({ length: count }, (_, i) => `+38067${String(base * 10_000 + i).padStart(7, '0')}`);
}

/**
 * `count` resends of one phone at once, each from another client address
 * (X-Forwarded-For, behind TRUST_PROXY), alternating over the APIs at `urls`.
 * For the per-phone limit across instances.
 */
export function resendsOfOnePhone(urls: string[], phone: string, count: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(
        urls[i % urls.length]!,
        'POST',
        '/api/v1/sms_settings/resend',
        { phone },
        { 'x-forwarded-for': `198.18.${i}.1` },
      ),
    ),
  );
}

/**
 * One resend per phone, one after the other, all from one client address
 * (X-Forwarded-For, behind TRUST_PROXY) and alternating over the APIs at
 * `urls`: the statuses, in order. For the per-address limit across instances.
 */
export async function resendsFromOneAddress(urls: string[], numbers: string[], address: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const [i, phone] of numbers.entries()) {
    const r = await call(
      urls[i % urls.length]!,
      'POST',
      '/api/v1/sms_settings/resend',
      { phone },
      {
        'x-forwarded-for': address,
      },
    );
    statuses.push(r.status);
  }
  return statuses;
}

/**
 * A Config for a test whose database lives elsewhere (a private MariaDB):
 * its own Redis prefix (removed at teardown), test secrets, quiet logs.
 */
export function configFor(t: Teardown, overrides: Record<string, string>): Config {
  const QUEUE_PREFIX = uniqueName('f');
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX,
    DATABASE_POOL_SIZE: '5',
    APP_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...overrides,
  });
  t.teardown(() => deleteRedisPrefix(config, QUEUE_PREFIX).catch(() => {}));
  return config;
}

/** A Prisma client for the test's own checks, closed at teardown. */
export function testPrisma(t: Teardown, config: Config): PrismaClient {
  const { prisma, close } = createDb(config);
  t.teardown(close);
  return prisma;
}

/** Waits until `count` messages are sent; on timeout says how many are in each status. */
export async function waitForAllSent(prisma: PrismaClient, count: number, timeoutMs: number): Promise<void> {
  try {
    await waitFor(
      async () => (await prisma.smsMessage.count({ where: { status: 'sent' } })) === count,
      timeoutMs,
      `all ${count} sent`,
    );
  } catch (err) {
    const rows = await prisma.smsMessage.groupBy({ by: ['status'], _count: true });
    throw new Error(`${(err as Error).message}: ${JSON.stringify(rows)}`, { cause: err });
  }
}

/**
 * The abuse budgets raised out of the way, for fault tests whose load comes
 * from one address and one login: they are about outages, not about limits.
 */
export const LOAD_LIMITS: Record<string, string> = {
  IP_RATE_LIMIT_PER_MINUTE: '100000',
  SMS_MAX_PER_ACCOUNT_PER_HOUR: '100000',
  SMS_MAX_PER_IP_PER_HOUR: '100000',
  SMS_MAX_PER_COUNTRY_PER_HOUR: '100000',
  SMS_GLOBAL_MAX_PER_MINUTE: '100000',
  SIGNIN_MAX_FAILED_PER_LOGIN: '100000',
};
