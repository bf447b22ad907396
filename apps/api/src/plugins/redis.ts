import fp from 'fastify-plugin';
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
    let lastError = '';
    redis.on('error', (err: Error) => {
      if (err.message !== lastError) fastify.log.warn({ err: err.message }, 'redis error');
      lastError = err.message;
    });
    redis.on('ready', () => {
      lastError = '';
    });
    fastify.decorate('redis', redis);
    // Give Redis a moment at start so the first requests find it connected; an
    // API whose Redis is down still starts (SMS wait in the outbox meanwhile).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, READY_WAIT_MS);
      function done() {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      }
      redis.once('ready', done);
    });
    fastify.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
