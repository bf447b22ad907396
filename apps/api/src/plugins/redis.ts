import fp from 'fastify-plugin';
import { outageLog, withTimeout } from '@sms/config';
import { createProducerRedis } from '@sms/jobs';
import type { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** Fails fast while Redis is down: used by the queue producer and the rate limits. */
    redis: Redis;
  }
}

const READY_WAIT_MS = 2000;

export default fp(
  async (fastify) => {
    const redis = createProducerRedis(fastify.config.REDIS_URL);
    // ioredis reconnects by itself; log each outage once per error kind, not per retry.
    const outage = outageLog();
    redis.on('error', (err: Error) => {
      if (outage.failed(err)) fastify.log.warn({ err: err.message }, 'redis error');
    });
    redis.on('ready', () => outage.recovered());
    fastify.decorate('redis', redis);
    // Give Redis a moment at start so the first requests find it connected; an
    // API whose Redis is down still starts (SMS wait in the outbox meanwhile).
    let onReady = () => {};
    const ready = new Promise<void>((resolve) => redis.once('ready', (onReady = resolve)));
    await withTimeout(ready, READY_WAIT_MS, 'redis').catch(() => redis.off('ready', onReady));
    fastify.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
