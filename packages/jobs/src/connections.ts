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
