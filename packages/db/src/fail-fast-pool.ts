import mariadb, { type Pool, type PoolConfig, type PoolConnection } from 'mariadb';

/** How long a connection may take from the pool before we ask whether the server is there at all. */
const SLOW_ACQUIRE_MS = 250;
/** A probe's answer is reused this long, so a burst of slow requests opens one probe connection, not one each. */
const PROBE_REUSE_MS = 500;
const PROBE_CONNECT_TIMEOUT_MS = 500;

const isTimeout = (err: Error & { code?: string }) =>
  err.code === 'ER_CONNECTION_TIMEOUT' || err.code === 'ETIMEDOUT' || /timeout/i.test(err.message);

/**
 * A mariadb pool that fails within a fraction of a second while the server
 * cannot be reached. The driver's pool keeps a request waiting for the whole
 * `acquireTimeout` (seconds) while it retries connecting to a dead server, and
 * the request hangs that long before its 503. Here a request that gets no
 * connection within SLOW_ACQUIRE_MS triggers one direct connect: if that fails,
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

  async function getConnection(): Promise<PoolConnection> {
    const pending = acquire();
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(resolve, SLOW_ACQUIRE_MS, 'slow');
    });
    try {
      if ((await Promise.race([pending, slow])) !== 'slow') return pending;
    } finally {
      clearTimeout(timer);
    }
    const settled = pending.then(
      () => null,
      () => null,
    );
    const down = await Promise.race([settled, serverDown()]);
    // A probe that merely timed out while the pool's connections are all at
    // work is a loaded machine, not a dead server: keep waiting.
    if (!down || (isTimeout(down) && pool.activeConnections() > 0)) return pending;
    // The connection, should the pool still get one, goes back unused.
    pending.then(
      (conn) => conn.release(),
      () => {},
    );
    throw down;
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
