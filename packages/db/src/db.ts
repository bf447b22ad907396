import type { EventEmitter } from 'node:events';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import mariadb from 'mariadb';
import { PrismaClient } from './generated/client';
import { ACQUIRE_TIMEOUT_MS, poolConfig } from './connection';
import { describeConnectError } from './errors';

export interface DbConfig {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
}

/** Where the pool's outage lines go (a pino logger fits). */
export interface DbLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** The database as the apps use it: Prisma's client. */
export interface Db {
  prisma: PrismaClient;
  /**
   * The pool under Prisma, for the statements listed in docs/database.md as
   * run on the driver (GET's read): Prisma's own path costs more than the
   * query itself there.
   */
  pool: Pick<mariadb.Pool, 'query'>;
  /** Resolves when the server answers a query. */
  ping(): Promise<void>;
  /** Closes Prisma and its pool; later calls wait for the first. */
  close(): Promise<void>;
}

/**
 * The one way the apps reach the database. The pool's own timeouts bound every
 * wait (connection.ts): a query that gets no connection within ACQUIRE_TIMEOUT_MS fails
 * (mapped to 503), whether the pool is saturated or the server is gone. A
 * transaction runs at most 5 s.
 */
export function createDb(config: DbConfig, logger?: DbLogger): Db {
  // Our pool, not one the adapter makes: closed here once, after which every
  // query fails (the adapter would open a new pool for a query after
  // $disconnect).
  const pool = mariadb.createPool({
    ...poolConfig(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
    // What the adapter sets on a pool of its own, and not on one it is given.
    prepareCacheLength: 0,
  });
  if (logger) watchConnectFailures(pool, logger);
  const adapter = new PrismaMariaDb(pool, {
    // The text protocol: one round trip per query. The binary protocol with
    // the statement cache off (the adapter's default, so that pools cannot
    // exhaust the server's max_prepared_stmt_count) is three: prepare,
    // execute, close.
    useTextProtocol: true,
  });
  // A transaction waits for a connection as long as any query does (Prisma's
  // own default is 2 s): a burst queues instead of failing. Seen: 1,000
  // concurrent PUTs over two APIs, 9 answered 503 with the 2 s default.
  const prisma = new PrismaClient({
    adapter,
    transactionOptions: { maxWait: ACQUIRE_TIMEOUT_MS, timeout: 5000 },
  });
  let closing: Promise<void> | undefined;
  return {
    prisma,
    pool,
    // The pool itself: readiness asks whether the server answers. Through
    // Prisma, the process's first query also loads its query compiler, which
    // took most of a second on a busy machine: readiness' budget, so a fresh
    // API answered mysql: false (test-faults/redis-unreachable).
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close() {
      closing ??= prisma.$disconnect().then(() => pool.end());
      return closing;
    },
  };
}

/**
 * One line when the pool cannot open connections, naming the driver's reason
 * (and the DATABASE_URL fix when there is one), and one when it can again.
 * Queries meanwhile fail with Prisma's "pool timeout", which says nothing of
 * why: a wrong password, or MySQL's RSA key needed after a server restart
 * emptied its authentication cache. The pool reports each failed round of
 * reconnecting (every ~10 s); the first of an outage is logged.
 */
function watchConnectFailures(pool: mariadb.Pool, logger: DbLogger): void {
  let failing = false;
  // The pool emits 'error' (mariadb's lib/pool-promise.js), though its types list no such event.
  (pool as unknown as EventEmitter).on('error', (err: Error) => {
    if (failing) return;
    failing = true;
    const reason = describeConnectError(err.cause ?? err);
    logger.warn({ err: reason }, `Cannot open connections to the database at DATABASE_URL: ${reason}`);
  });
  pool.on('connection', () => {
    if (!failing) return;
    failing = false;
    logger.info({}, 'the database accepts connections again');
  });
}

export type { PrismaClient };
