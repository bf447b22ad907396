import type { PoolConfig } from 'mariadb';

export interface ConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Splits a mysql:// URL into driver options; the database name is required. */
export function parseDatabaseUrl(databaseUrl: string): ConnectionOptions {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new Error('DATABASE_URL must name a database of letters, digits and _ (e.g. /sms_settings)');
  }
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database,
  };
}

/**
 * Pool settings shared by Prisma's adapter and the migrator. Sessions run in
 * UTC so DATETIME columns mean the same thing on every host. A request waits
 * up to acquireTimeout for a connection of a busy pool (a burst queues rather
 * than failing); a database that is down is noticed within a fraction of a
 * second by the fail-fast pool instead (fail-fast-pool.ts).
 */
export function poolConfig(databaseUrl: string, connectionLimit: number): PoolConfig {
  return {
    ...parseDatabaseUrl(databaseUrl),
    connectionLimit,
    timezone: '+00:00',
    connectTimeout: 1000,
    acquireTimeout: 10_000,
    // Keep the pool warm: opening a connection costs more than a query.
    minimumIdle: Math.min(connectionLimit, 4),
  };
}
