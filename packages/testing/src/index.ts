// Test helpers shared by every package's tests: a database and a Redis key
// prefix of each test file's own, so files run in parallel against the real
// MariaDB and Redis, and everything is removed when the file ends.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadConfig, type Config } from '@sms/config';
import { migrate, parseDatabaseUrl } from '@sms/db';
import { Redis } from 'ioredis';
import mariadb from 'mariadb';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The server tests run against: DATABASE_URL / REDIS_URL of the environment, or the local defaults. */
export const baseConfig = (): Config => loadConfig();

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

/** A fresh, migrated database; dropped at teardown. Returns its URL. */
export async function createTestDatabase(t: Teardown, base = baseConfig().DATABASE_URL): Promise<string> {
  const url = new URL(base);
  url.pathname = `/${uniqueName('sms_test')}`;
  const databaseUrl = url.toString();
  await migrate({ databaseUrl });
  t.teardown(() => dropDatabase(databaseUrl));
  return databaseUrl;
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { database, ...server } = parseDatabaseUrl(databaseUrl);
  const conn = await mariadb.createConnection(server);
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}

/** Deletes every Redis key under `prefix:` (queues, limits). */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * A Config for one test file: its own database and queue prefix, quiet logs,
 * plus `overrides` (environment-style strings, validated like the real thing).
 */
export async function createTestConfig(t: Teardown, overrides: Record<string, string> = {}): Promise<Config> {
  const base = baseConfig();
  const DATABASE_URL = await createTestDatabase(t, base.DATABASE_URL);
  const QUEUE_PREFIX = uniqueName('t');
  t.teardown(() => deleteRedisPrefix(base.REDIS_URL, QUEUE_PREFIX));
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL,
    REDIS_URL: base.REDIS_URL,
    QUEUE_PREFIX,
    DATABASE_POOL_SIZE: '5',
    APP_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...overrides,
  });
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** redis-server arguments for a private, throwaway Redis on `port` (as BullMQ needs it: noeviction). */
export const privateRedisArgs = (port: number): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--maxmemory-policy',
  'noeviction',
];
