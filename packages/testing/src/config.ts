import { loadConfig, type Config } from '@sms/config';
import { baseConfig, uniqueName, type Teardown } from './base';
import { createTestDatabase } from './database';
import { deleteRedisPrefix, redisEnv } from './redis';

/**
 * A Config for one test file: its own database and queue prefix, quiet logs,
 * plus `overrides` (environment-style strings, validated like the real thing).
 */
export async function createTestConfig(t: Teardown, overrides: Record<string, string> = {}): Promise<Config> {
  const base = baseConfig();
  const DATABASE_URL = await createTestDatabase(t, base.DATABASE_URL);
  const QUEUE_PREFIX = uniqueName('t');
  t.teardown(() => deleteRedisPrefix(base, QUEUE_PREFIX));
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL,
    ...redisEnv(base),
    QUEUE_PREFIX,
    DATABASE_POOL_SIZE: '5',
    APP_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...overrides,
  });
}
