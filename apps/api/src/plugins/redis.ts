import fp from 'fastify-plugin';
import { withTimeout } from '@sms/config';
import { closeRedis, createProducerRedis, watchRedisOutages, type RedisClient, type RedisOutages } from '@sms/jobs';

declare module 'fastify' {
  interface FastifyInstance {
    /** Fails fast while Redis is down: used by the queue producer and the rate limits. */
    redis: RedisClient;
    /** Whether Redis is down now: the queue's errors during an outage are not logged again. */
    redisOutages: RedisOutages;
  }
}

const READY_WAIT_MS = 2000;

export default fp(
  async (fastify) => {
    const redis = createProducerRedis(fastify.config);
    // ioredis reconnects by itself; one line per outage, not per retry.
    fastify.decorate('redisOutages', watchRedisOutages({ producer: redis }, fastify.log));
    fastify.decorate<RedisClient>('redis', redis);
    // Give Redis a moment at start so the first requests find it connected; an
    // API whose Redis is down still starts (SMS wait in the outbox meanwhile).
    let onReady = () => {};
    const ready = new Promise<void>((resolve) => redis.once('ready', (onReady = resolve)));
    await withTimeout(ready, READY_WAIT_MS, 'redis').catch(() => redis.off('ready', onReady));
    fastify.addHook('onClose', async () => {
      await closeRedis(redis);
      fastify.log.info('redis connection closed');
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
