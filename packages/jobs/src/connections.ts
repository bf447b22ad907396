import { Redis, type RedisOptions } from 'ioredis';

/**
 * For producers and request paths: commands fail at once while Redis is down
 * (no offline queue, one retry) so an HTTP request never waits on Redis.
 */
export function createProducerRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    ...options,
  });
}

/** For BullMQ workers: blocking commands must never be cut short by retries. */
export function createWorkerRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...options });
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
 * One line when Redis becomes unreachable, naming REDIS_URL (never its value,
 * which may hold a password) and the cause, and one when every connection is
 * back; ioredis meanwhile reconnects with its backoff (50 ms more per try, at
 * most 2 s) and nothing is logged per try. Several connections of one process
 * make one outage, not one each.
 */
export function watchRedisOutages(connections: Record<string, Redis>, logger: OutageLogger): RedisOutages {
  const failing = new Set<string>();
  for (const [name, redis] of Object.entries(connections)) {
    redis.on('error', (err: Error) => {
      if (failing.size === 0) {
        logger.warn(
          { err: err.message, connection: name },
          `Redis at REDIS_URL is unreachable (${err.message}); retrying with backoff`,
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
