import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from './generated/client';
import { poolConfig } from './connection';
import { createFailFastPool } from './fail-fast-pool';
import { createSql, sqlPoolOptions, type Sql } from './sql';

export interface DbConfig {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
}

/** The database as the apps use it: Prisma and plain SQL on one pool. */
export interface Db {
  prisma: PrismaClient;
  /** Plain SQL (sql.ts) for the hot paths, on the same connections as Prisma. */
  sql: Sql;
  /** Resolves when the server answers a query. */
  ping(): Promise<void>;
  /** Closes Prisma and the pool; later calls wait for the first. */
  close(): Promise<void>;
}

/**
 * The one way the apps reach the database: one fail-fast pool (one
 * DATABASE_POOL_SIZE, one fail-fast behaviour) shared by Prisma and plain SQL.
 * A transaction waits at most 10 s for a connection (as long as the pool lets
 * any query wait: a burst of requests queues instead of failing) and runs at
 * most 5 s; past that the caller gets an error (mapped to 503). While the
 * server is unreachable, queries and transactions fail within a fraction of a
 * second instead.
 */
export function createDb(config: DbConfig): Db {
  const pool = createFailFastPool({
    ...poolConfig(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
    // What the adapter sets on a pool of its own, and not on one it is given.
    prepareCacheLength: 0,
    // For the plain SQL (Prisma's adapter sets its own on each query).
    ...sqlPoolOptions,
  });
  const adapter = new PrismaMariaDb(pool, {
    // The text protocol: one round trip per query. The binary protocol with
    // the statement cache off (the adapter's default, so that pools cannot
    // exhaust the server's max_prepared_stmt_count) is three: prepare,
    // execute, close.
    useTextProtocol: true,
  });
  const prisma = new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 5000 } });
  const sql = createSql(pool);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    sql,
    ping: async () => {
      await sql.query('SELECT 1');
    },
    close() {
      // The adapter leaves a pool it was given open: it is ended here, once.
      closing ??= prisma.$disconnect().then(() => pool.end());
      return closing;
    },
  };
}

export type { PrismaClient };
