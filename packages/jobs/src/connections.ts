import { redisTarget, type RedisVariables } from '@sms/config';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A connection to the service's Redis: one server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

/**
 * The one place Redis connections are made: a Redis for `REDIS_URL`, a
 * Cluster for `REDIS_CLUSTER_NODES`, with `options` applied to every node.
 */
export function createRedis(
  config: RedisVariables,
  options: RedisOptions = {},
  clusterOptions: ClusterOptions = {},
): RedisClient {
  const target = redisTarget(config);
  if (!target.cluster) return new Redis(target.url, options);
  const { nodes, username, password, tls, natMap } = target.cluster;
  return new Cluster(nodes, {
    redisOptions: { ...options, username, password, ...(tls ? { tls: {} } : {}) },
    // The cluster object's own queue (node connections always queue while they connect).
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    ...(Object.keys(natMap).length ? { natMap } : {}),
    ...clusterOptions,
  });
}

/**
 * For producers and request paths: commands fail at once while Redis is down
 * (no offline queue, one retry) so an HTTP request never waits on Redis.
 */
export function createProducerRedis(config: RedisVariables, options: RedisOptions = {}): RedisClient {
  return createRedis(
    config,
    { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000, ...options },
    // While a slot has no master (a failover takes seconds), a command is
    // retried on each redirection: 16 of them by default, and one Redis call
    // took 2.6–3.5 s to fail (measured); with 3 it fails within ~0.4 s. Three
    // still follow a resharding's MOVED and ASK; then the caller's fallback
    // (the outbox, limits from MySQL) runs.
    { maxRedirections: 3 },
  );
}

/** For BullMQ workers: blocking commands must never be cut short by retries. */
export function createWorkerRedis(config: RedisVariables, options: RedisOptions = {}): RedisClient {
  return createRedis(config, { maxRetriesPerRequest: null, ...options });
}

/**
 * Closes a connection: QUIT (the replies still due arrive first) when it is
 * connected; else at once, as a QUIT would wait for a server that is not there.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

/** Where outage lines go (a pino logger fits). */
export interface OutageLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RedisOutages {
  /** True while any watched connection is down: its BullMQ errors are the same outage. */
  down(): boolean;
}

/**
 * One line when Redis becomes unreachable, naming REDIS_URL or REDIS_CLUSTER_NODES (never the value,
 * which may hold a password) and the cause, and one when every connection is
 * back; ioredis meanwhile reconnects with its own backoff (one server: doubling
 * from 50 ms up to 5 s, with jitter; a cluster: 100 ms plus 2 ms per try, at
 * most 2 s) and nothing is logged per try. Several connections of one process
 * make one outage, not one each.
 */
export function watchRedisOutages(connections: Record<string, RedisClient>, logger: OutageLogger): RedisOutages {
  const failing = new Set<string>();
  for (const [name, redis] of Object.entries(connections)) {
    const variable = redis instanceof Cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
    redis.on('error', (err: Error) => {
      if (failing.size === 0) {
        logger.warn(
          { err: err.message, connection: name },
          `Redis at ${variable} is unreachable (${err.message}); retrying with backoff`,
        );
      }
      failing.add(name);
    });
    redis.on('ready', () => {
      if (failing.delete(name) && failing.size === 0) logger.info({ connection: name }, 'Redis is reachable again');
    });
  }
  return { down: () => failing.size > 0 };
}
