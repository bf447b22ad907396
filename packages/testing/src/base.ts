// What every fixture needs: the servers tests run against, a name of the test's
// own, and tap's teardown (the only part of tap the fixtures rely on).
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '@sms/config';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The server tests run against: DATABASE_URL / REDIS_URL of the environment, or the local defaults. */
export const baseConfig = (): Config => loadConfig();

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
