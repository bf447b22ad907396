import { setTimeout as sleep } from 'node:timers/promises';
import type { FieldInfo, Pool, PoolConfig, PoolConnection, TypeCastNextFunction, TypeCastResult } from 'mariadb';
import { isLockConflict } from './errors';

export type Statement = readonly [sql: string, values: readonly unknown[]];

/**
 * Hand-written SQL for the hot request paths, on the same pool as Prisma: the
 * driver's own `query` costs less CPU than Prisma's `$queryRaw`, and a join is
 * one round trip where a Prisma query with a relation makes one per table.
 * Everything else stays with Prisma. Only the repositories use it.
 *
 * Times are UTC both ways, whatever the process's time zone (as Prisma keeps
 * them): Date values are sent as UTC text, DATETIME columns come back as
 * Dates read as UTC. (The driver's own conversion uses the process's local
 * time zone.) BOOLEAN comes back as 0/1 and COUNT(*) as BigInt.
 */
export interface Sql {
  /** The rows of a SELECT, as objects keyed by column name. */
  query<T>(sql: string, values?: readonly unknown[]): Promise<T[]>;
  /** The affected rows of an INSERT, UPDATE or DELETE. */
  execute(sql: string, values?: readonly unknown[]): Promise<number>;
  /**
   * Statements sent one after the other on one connection without waiting
   * for each answer (the driver pipelines them), then read back in order: the
   * answers cost one round trip instead of one each. (Not the driver's
   * `batch`, which is a bulk insert.)
   */
  pipeline<T extends unknown[]>(statements: readonly Statement[]): Promise<T>;
  /**
   * The statements in one transaction: START TRANSACTION and the statements
   * are pipelined (one round trip), COMMIT follows only when every one of them
   * succeeded (a second round trip); any error rolls the whole back. Two round
   * trips where BEGIN, each statement and COMMIT in turn would make 2 + N.
   */
  transaction(statements: readonly Statement[]): Promise<void>;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-11-25 12:04:32.870`: a DATETIME(3) literal of the instant in UTC. */
const utcText = (d: Date) =>
  `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;

const toParams = (values: readonly unknown[]) => values.map((v) => (v instanceof Date ? utcText(v) : v));

function typeCast(field: FieldInfo, next: TypeCastNextFunction): TypeCastResult {
  if (field.type === 'DATETIME' || field.type === 'TIMESTAMP') {
    const text = field.string();
    return text === null ? null : new Date(`${text.replace(' ', 'T')}Z`);
  }
  return next();
}

/**
 * Set on the pool itself, not per query: the driver copies its whole option
 * object for every query that brings options of its own (12 % of the API's
 * CPU on GET). Prisma's adapter brings its own per query, so it is unaffected.
 */
export const sqlPoolOptions: Pick<PoolConfig, 'dateStrings' | 'typeCast'> = { dateStrings: true, typeCast };

/** An Sql on `pool`, which must have been made with sqlPoolOptions. */
export function createSql(pool: Pool): Sql {
  const withConnection = async <T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> => {
    const conn = await pool.getConnection();
    try {
      return await fn(conn);
    } finally {
      await conn.release();
    }
  };

  /** Every statement's answer, in order; rejects with the first error once all have answered. */
  const pipelined = async (conn: PoolConnection, statements: readonly Statement[]) => {
    const settled = await Promise.allSettled(statements.map(([sql, values]) => conn.query(sql, toParams(values))));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
  };

  return {
    async query<T>(sql: string, values: readonly unknown[] = []) {
      return (await pool.query(sql, toParams(values))) as T[];
    },
    async execute(sql: string, values: readonly unknown[] = []) {
      const result = (await pool.query(sql, toParams(values))) as { affectedRows: number };
      return result.affectedRows;
    },
    pipeline<T extends unknown[]>(statements: readonly Statement[]) {
      return withConnection(async (conn) => (await pipelined(conn, statements)) as T);
    },
    transaction(statements: readonly Statement[]) {
      return retryLockConflicts(() => runTransaction(statements));
    },
  };

  function runTransaction(statements: readonly Statement[]) {
    return withConnection(async (conn) => {
      try {
        await pipelined(conn, [['START TRANSACTION', []], ...statements]);
        await conn.query('COMMIT');
      } catch (err) {
        // A broken connection has nothing to roll back (the server did it); the
        // original error is the one the caller needs.
        await conn.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }
}

const TRANSACTION_TRIES = 4;

/**
 * Runs `run` again when InnoDB picked it as a deadlock victim (1213) or its
 * lock wait timed out (1205): the server rolled that transaction back whole,
 * and running it again is the remedy InnoDB documents. A short random pause
 * first, so two victims do not collide again in step.
 */
export async function retryLockConflicts<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= TRANSACTION_TRIES || !isLockConflict(err)) throw err;
      await sleep(Math.random() * 10 * attempt);
    }
  }
}
