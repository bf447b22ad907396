// Talking to the real API processes over HTTP, and making many signed-in
// users quickly (straight into the database: signing up a thousand users
// through the API would spend most of the test in scrypt).
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '@sms/config';
import { createDb, type PrismaClient } from '@sms/db';
import { deleteRedisPrefix, uniqueName, type Teardown } from '@sms/testing';

export interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  headers: Headers;
  ms: number;
}

export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: Record<string, unknown> | null = null;
  if (text) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { unparsable: text.slice(0, 200) };
    }
  }
  return { status: res.status, body: parsed, headers: res.headers, ms };
}

export const session = (id: string) => ({ 'x-session-id': id });

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
  t.teardown(() => deleteRedisPrefix(config.REDIS_URL, QUEUE_PREFIX).catch(() => {}));
  return config;
}

/** A Prisma client for the test's own checks, closed at teardown. */
export function testPrisma(t: Teardown, config: Config): PrismaClient {
  const { prisma, close } = createDb(config);
  t.teardown(close);
  return prisma;
}
