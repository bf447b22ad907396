import type { PoolConfig } from 'mariadb';
import { parseDatabaseUrl } from '@sms/config';

// The URL's grammar and its driver options (ssl, allowPublicKeyRetrieval,
// timeouts, ...) live with the configuration, which refuses a bad
// DATABASE_URL at start: packages/config/src/database-url.ts. Every
// connection of the service and its tools (the pool, the start-up check, the
// migrator) is made from parseDatabaseUrl's result, so all get the options.
export { parseDatabaseUrl, type DatabaseConnectionOptions as ConnectionOptions } from '@sms/config';

/**
 * Pool settings shared by Prisma's adapter and the migrator. Sessions run in
 * UTC so DATETIME columns mean the same thing on every host. A request waits
 * up to acquireTimeout for a connection of a busy pool (a burst queues rather
 * than failing); a database that is down is noticed within a fraction of a
 * second by the fail-fast pool instead (fail-fast-pool.ts). The URL's
 * connectTimeout, if given, replaces the 1 s default.
 */
export function poolConfig(databaseUrl: string, connectionLimit: number): PoolConfig {
  return {
    connectTimeout: 1000,
    ...parseDatabaseUrl(databaseUrl),
    connectionLimit,
    timezone: '+00:00',
    acquireTimeout: 10_000,
    // Keep the pool warm: opening a connection costs more than a query.
    minimumIdle: Math.min(connectionLimit, 4),
  };
}
