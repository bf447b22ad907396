import type { PoolConfig } from 'mariadb';
import { parseDatabaseUrl } from '@sms/config';

// The URL's grammar and its driver options (ssl, allowPublicKeyRetrieval,
// timeouts, ...) live with the configuration, which refuses a bad
// DATABASE_URL at start: packages/config/src/database-url.ts. Every
// connection of the service and its tools (the pool, the start-up check, the
// migrator) is made from parseDatabaseUrl's result, so all get the options.
export { parseDatabaseUrl, type DatabaseConnectionOptions as ConnectionOptions } from '@sms/config';

/** How long a query waits for a pooled connection before it fails. */
export const ACQUIRE_TIMEOUT_MS = 10_000;

/**
 * Pool settings for Prisma's adapter and the migrator. Sessions run in UTC so
 * DATETIME columns mean the same thing on every host. A query waits at most
 * ACQUIRE_TIMEOUT_MS for a connection, then fails (503): on a saturated pool
 * that is thousands of queries' worth of waiting (a loaded machine needs
 * seconds), and while the server is down
 * it is how long a request takes to learn it (the driver keeps retrying the
 * connect in the background meanwhile, so service resumes by itself). The
 * URL's connectTimeout, if given, replaces the 1 s default.
 */
export function poolConfig(databaseUrl: string, connectionLimit: number): PoolConfig {
  return {
    connectTimeout: 1000,
    ...parseDatabaseUrl(databaseUrl),
    connectionLimit,
    timezone: '+00:00',
    acquireTimeout: ACQUIRE_TIMEOUT_MS,
    // Keep the pool warm: opening a connection costs more than a query.
    minimumIdle: Math.min(connectionLimit, 4),
  };
}
