import DataLoader from 'dataloader';
import type { FieldInfo, Pool, PoolConfig, PoolConnection, SqlError } from 'mariadb';
import { retryOnLockConflict } from './retry';

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
  /**
   * As query, for a SELECT on a hot path: the reads issued in the same turn of
   * the event loop (the requests that one poll of the sockets brought) go to
   * MariaDB together, as one multi-statement query, so one socket write and one
   * round trip serve all of them. A read alone is sent as query would send it.
   * For SELECTs only. When the server refuses one read of a batch, each is
   * sent again alone, so that only that read fails; a lost connection or a
   * pool timeout fails them all.
   */
  read<T>(sql: string, values?: readonly unknown[]): Promise<T[]>;
  /**
   * One unit of work's statements (as pipeline: one answer each). The units
   * issued in the same turn of the event loop are sent together as one READ
   * COMMITTED transaction: one packet, one round trip and one commit for all
   * of them. A unit alone runs as pipeline would run it. When the server
   * refuses a statement of the shared transaction (an SQL error, a deadlock, a
   * lock waited on for more than a second), it is rolled back and each unit
   * runs again alone, so that the error is its unit's only. A lost connection
   * or a pool timeout fails them all (the server may have committed).
   */
  write<T extends unknown[]>(statements: readonly Statement[]): Promise<T>;
  /** The affected rows of an INSERT, UPDATE or DELETE. */
  execute(sql: string, values?: readonly unknown[]): Promise<number>;
  /**
   * Statements sent as one multi-statement query on one connection, their
   * answers read back in order: one packet and one round trip for all of them.
   * A statement that fails ends the batch (those after it do not run) and the
   * promise rejects with its error. (Not the driver's `batch`, which is a bulk
   * insert.)
   */
  pipeline<T extends unknown[]>(statements: readonly Statement[]): Promise<T>;
  /**
   * The statements in one transaction, sent as one multi-statement query:
   * START TRANSACTION, the statements, COMMIT — one round trip, where BEGIN,
   * each statement and COMMIT in turn would make 2 + N. A failing statement
   * ends the batch before COMMIT, and the transaction is rolled back whole.
   */
  transaction(statements: readonly Statement[]): Promise<void>;
  /**
   * `fn`'s statements in one transaction on one connection, at `isolation`
   * (the server's default without): COMMIT when `fn` resolves, ROLLBACK when
   * it throws. For a transaction that decides as it goes (a locking read,
   * then writes), where Prisma's interactive transaction would load its
   * query compiler (tens of MB of WebAssembly) into a process that needs
   * nothing else of Prisma's.
   */
  interactive<T>(fn: (tx: Pick<Sql, 'query' | 'execute'>) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T>;
}

/** The most reads, or units of write, sent in one query: a bound on the packet, and on how long one waits for the others. */
const BATCH_MAX = 64;
/** How long a shared write transaction waits on a row lock before its units run alone. */
const BATCH_LOCK_WAIT_SECONDS = 1;

/**
 * The server answered a statement with an error (a missing table, a deadlock,
 * a lock wait timeout): the connection is fine, and the statements after it in
 * the same query did not run. Not the driver's own errors (errno 45000 and up:
 * pool timeout, socket timeout, lost connection), after which the server may
 * have run them.
 */
function refusedByServer(err: unknown): boolean {
  const e = err as Partial<SqlError>;
  // `sql`: an answer to a query, not a refused connection (a wrong password is 1045 too).
  return typeof e.errno === 'number' && e.errno < 45000 && e.fatal === false && typeof e.sql === 'string';
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-11-25 12:04:32.870`: a DATETIME(3) literal of the instant in UTC. */
const utcText = (d: Date) =>
  `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;

const toParams = (values: readonly unknown[]) => values.map((v) => (v instanceof Date ? utcText(v) : v));

/** A DATETIME/TIMESTAMP column as the driver gives it with dateStrings (UTC text) → the instant. */
const utcDate = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);

/**
 * The rows of a SELECT with their DATETIME and TIMESTAMP columns as Dates
 * (read as UTC), found once per result from its column definitions. Not the
 * driver's `typeCast` option: with one set, the driver calls it for every
 * column of every row through closures it makes per value (castWrapper, bind),
 * which cost more than the rows' few date columns need.
 */
function withDates(result: unknown): unknown {
  const meta = (result as { meta?: FieldInfo[] } | null)?.meta;
  if (!Array.isArray(result) || !meta) return result;
  let dates: string[] | undefined;
  for (const column of meta) {
    if (column.type === 'DATETIME' || column.type === 'TIMESTAMP') (dates ??= []).push(column.name());
  }
  if (!dates) return result;
  for (const row of result as Record<string, unknown>[]) {
    for (const name of dates) {
      const value = row[name];
      if (typeof value === 'string') row[name] = utcDate(value);
    }
  }
  return result;
}

/**
 * Set on the pool itself, not per query: the driver copies its whole option
 * object for every query that brings options of its own (12 % of the API's
 * CPU on GET). Prisma's adapter brings its own per query, so it is unaffected.
 * DATETIME values come back as text, made Dates by withDates.
 */
export const sqlPoolOptions: Pick<PoolConfig, 'dateStrings' | 'multipleStatements'> = {
  dateStrings: true,
  // For pipeline, transaction, read and write (one packet for several statements). Every
  // statement of this package and Prisma's binds its values as placeholders,
  // which the driver escapes; none is assembled from input.
  multipleStatements: true,
};

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

  /**
   * Statements as one multi-statement query (the pool has multipleStatements):
   * one packet, so one socket write and one round trip. On this kind of machine
   * a write to a loopback socket is the largest single cost of a query (the
   * kernel delivers the packet to MariaDB inside the writer's system call), and
   * the driver writes each pipelined query on its own.
   */
  const joined = (statements: readonly Statement[]): [string, unknown[]] => [
    statements.map(([sql]) => sql).join(';\n'),
    statements.flatMap(([, values]) => toParams(values)),
  ];
  /** One answer per statement (the driver answers a single statement with its result alone). */
  const answers = (result: unknown, count: number): unknown[] => {
    if (count === 1) return [withDates(result)];
    // A statement with answers of its own (a CALL) would shift every later one onto the wrong caller.
    if (!Array.isArray(result) || result.length !== count) {
      throw new Error(`${count} statements sent as one query, ${Array.isArray(result) ? result.length : 1} answers`);
    }
    return result.map(withDates);
  };

  const pipeline = async <T extends unknown[]>(statements: readonly Statement[]) => {
    const [sql, values] = joined(statements);
    return answers(await pool.query(sql, values), statements.length) as T;
  };

  // What was asked in one turn of the event loop, sent together (read, write).
  // DataLoader's own schedule (after the current promise jobs) would batch
  // only within one request; setImmediate runs once the poll phase has handled
  // every socket that was ready, so the work of all the requests (or jobs)
  // they brought is in. Nothing is cached: everything asked is sent.
  const together = <K, V>(send: (keys: readonly K[]) => Promise<(V | Error)[]>) =>
    new DataLoader<K, V>(send, { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: BATCH_MAX });
  const reads = together<Statement, unknown>(readTogether);
  const writes = together<readonly Statement[], unknown>(writeTogether);

  /**
   * When a shared query fails because the server refused one of its
   * statements, each part runs again alone, so that the error is that part's
   * only: as many queries as before there were batches, plus the failed one.
   * The parts' promises are handed to DataLoader unsettled, so each caller has
   * its answer when its own part is done, not when the slowest is (a part
   * waiting on a lock holds up no other). Any other failure (connection lost,
   * pool timeout, a bug) is every part's: after a lost connection the server
   * may even have committed the batch, so nothing is run twice.
   */
  const eachAlone = <K>(parts: readonly K[], run: (part: K) => Promise<unknown>): Promise<unknown>[] => parts.map(run);

  async function writeTogether(units: readonly (readonly Statement[])[]): Promise<unknown[]> {
    if (units.length === 1) return [await pipeline<unknown[]>(units[0]!)];
    const statements = units.flat();
    let results: unknown[];
    try {
      // READ COMMITTED: a unit's SELECT sees the rows as they are when it
      // runs (as it would alone), not as they were at the batch's first read.
      results = await withConnection(async (conn) => {
        const [sql, values] = joined([
          // A lock one unit waits on holds up all the others: the batch waits
          // at most BATCH_LOCK_WAIT_SECONDS, then each unit runs alone with the
          // server's own wait. The session's value is put back after.
          ['SET @sms_lock_wait = @@innodb_lock_wait_timeout, innodb_lock_wait_timeout = ?', [BATCH_LOCK_WAIT_SECONDS]],
          ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', []],
          ['START TRANSACTION', []],
          ...statements,
          ['COMMIT', []],
          ['SET innodb_lock_wait_timeout = @sms_lock_wait', []],
        ]);
        try {
          // A wrong count is found after COMMIT: every unit fails, though its
          // rows were written (a claimed row then waits for its lease to end).
          return answers(await conn.query(sql, values), statements.length + 5);
        } catch (err) {
          // A connection that cannot be put back as it was is not reused.
          await conn.query('ROLLBACK;\nSET innodb_lock_wait_timeout = @sms_lock_wait').catch(() => conn.destroy());
          throw err;
        }
      });
    } catch (err) {
      // A refused statement (a deadlock victim included: its caller may retry
      // it) ended the query before COMMIT; the transaction is rolled back whole.
      if (!refusedByServer(err)) throw err;
      return eachAlone(units, (unit) => pipeline<unknown[]>(unit));
    }
    let next = 3; // after the lock wait, SET TRANSACTION and START TRANSACTION
    return units.map((unit) => results.slice(next, (next += unit.length)));
  }

  async function readTogether(statements: readonly Statement[]): Promise<unknown[]> {
    try {
      return await pipeline(statements);
    } catch (err) {
      // Reads have no effects: those that had run before the refused one can run again.
      if (statements.length === 1 || !refusedByServer(err)) throw err;
      return eachAlone(statements, async (statement) => (await pipeline([statement]))[0]);
    }
  }

  return {
    async query<T>(sql: string, values: readonly unknown[] = []) {
      return withDates(await pool.query(sql, toParams(values))) as T[];
    },
    read<T>(sql: string, values: readonly unknown[] = []) {
      return reads.load([sql, values]) as Promise<T[]>;
    },
    write<T extends unknown[]>(statements: readonly Statement[]) {
      return writes.load(statements) as Promise<T>;
    },
    async execute(sql: string, values: readonly unknown[] = []) {
      const result = (await pool.query(sql, toParams(values))) as { affectedRows: number };
      return result.affectedRows;
    },
    pipeline,
    interactive<T>(fn: (tx: Pick<Sql, 'query' | 'execute'>) => Promise<T>, isolation?: 'READ COMMITTED') {
      return withConnection(async (conn) => {
        // SET TRANSACTION applies to the next transaction only; both in one packet.
        await conn.query(
          isolation ? `SET TRANSACTION ISOLATION LEVEL ${isolation};\nSTART TRANSACTION` : 'START TRANSACTION',
        );
        try {
          const result = await fn({
            async query<R>(sql: string, values: readonly unknown[] = []) {
              return withDates(await conn.query(sql, toParams(values))) as R[];
            },
            async execute(sql: string, values: readonly unknown[] = []) {
              return ((await conn.query(sql, toParams(values))) as { affectedRows: number }).affectedRows;
            },
          });
          await conn.query('COMMIT');
          return result;
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    },
    transaction(statements: readonly Statement[]) {
      // InnoDB picks a victim when concurrent transactions deadlock (1213) and
      // rolls it back whole; running it again is the documented remedy.
      return retryOnLockConflict(() => runTransaction(statements));
    },
  };

  function runTransaction(statements: readonly Statement[]) {
    return withConnection(async (conn) => {
      try {
        const [sql, values] = joined([['START TRANSACTION', []], ...statements, ['COMMIT', []]]);
        await conn.query(sql, values);
      } catch (err) {
        // A broken connection has nothing to roll back (the server did it); the
        // original error is the one the caller needs.
        await conn.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }
}
