import mariadb, { type Pool, type PoolConfig, type PoolConnection } from 'mariadb';

/** How long a connection may take from the pool before we ask whether the server is there at all. */
const SLOW_ACQUIRE_MS = 250;
/** A probe's answer is reused this long, so a burst of slow requests opens one probe connection, not one each. */
const PROBE_REUSE_MS = 500;
const PROBE_CONNECT_TIMEOUT_MS = 500;
/** How often the waiting acquisitions are looked at (so a slow one is noticed within SLOW_ACQUIRE_MS + this). */
const LOOK_EVERY_MS = 50;

const isTimeout = (err: Error & { code?: string }) =>
  err.code === 'ER_CONNECTION_TIMEOUT' || err.code === 'ETIMEDOUT' || /timeout/i.test(err.message);

/**
 * A mariadb pool that fails within a fraction of a second while the server
 * cannot be reached. The driver's pool keeps a request waiting for the whole
 * `acquireTimeout` (seconds) while it retries connecting to a dead server, and
 * the request hangs that long before its 503. Here a request that gets no
 * connection within SLOW_ACQUIRE_MS (+ up to LOOK_EVERY_MS) triggers one direct connect: if that fails,
 * the request fails at once with the driver's own error (ECONNREFUSED…); if it
 * succeeds, the pool is merely busy and the request keeps waiting as before.
 */
export function createFailFastPool(config: PoolConfig): Pool {
  const pool = mariadb.createPool(config);
  const acquire = pool.getConnection.bind(pool);

  let probe: { at: number; result: Promise<Error | null> } | null = null;
  const serverDown = (): Promise<Error | null> => {
    if (!probe || Date.now() - probe.at > PROBE_REUSE_MS) {
      const result = mariadb
        .createConnection({ ...config, connectTimeout: PROBE_CONNECT_TIMEOUT_MS })
        .then(
          (conn) => conn.end().then(() => null),
          (err: Error) => err,
        )
        .catch(() => null);
      probe = { at: Date.now(), result };
    }
    return probe.result;
  };

  // The acquisitions still waiting for a connection, looked at by one shared
  // timer while there are any: no setTimeout, clearTimeout and Promise.race
  // per query (every query of a loaded API goes through here).
  interface Waiter {
    since: number;
    probed: boolean;
    settled: boolean;
    fail(err: Error): void;
  }
  const waiting = new Set<Waiter>();
  let watch: NodeJS.Timeout | null = null;
  const look = () => {
    if (waiting.size === 0) {
      clearInterval(watch!);
      watch = null;
      return;
    }
    const now = Date.now();
    for (const waiter of waiting) {
      if (waiter.probed || now - waiter.since < SLOW_ACQUIRE_MS) continue;
      waiter.probed = true;
      void serverDown().then((down) => {
        // A probe that merely timed out while the pool's connections are all at
        // work is a loaded machine, not a dead server: keep waiting.
        if (down && !(isTimeout(down) && pool.activeConnections() > 0)) waiter.fail(down);
      });
    }
  };

  function getConnection(): Promise<PoolConnection> {
    const pending = acquire();
    return new Promise<PoolConnection>((resolve, reject) => {
      const waiter: Waiter = {
        since: Date.now(),
        probed: false,
        settled: false,
        fail(err) {
          if (waiter.settled) return;
          waiter.settled = true;
          waiting.delete(waiter);
          reject(err);
        },
      };
      waiting.add(waiter);
      if (!watch) {
        watch = setInterval(look, LOOK_EVERY_MS);
        watch.unref();
      }
      pending.then(
        (conn) => {
          // Failed fast meanwhile: the connection, got at last, goes back unused.
          if (waiter.settled) return void conn.release();
          waiter.settled = true;
          waiting.delete(waiter);
          resolve(conn);
        },
        (err: Error) => waiter.fail(err),
      );
    });
  }

  // query/execute on the pool take their connection inside the driver; route
  // them through getConnection so they fail fast too.
  const run =
    (method: 'query' | 'execute') =>
    async (sql: unknown, values?: unknown): Promise<unknown> => {
      const conn = await getConnection();
      try {
        return await (conn[method] as (sql: unknown, values?: unknown) => Promise<unknown>)(sql, values);
      } finally {
        await conn.release();
      }
    };

  return Object.assign(pool, {
    getConnection,
    query: run('query') as Pool['query'],
    execute: run('execute') as Pool['execute'],
  });
}
