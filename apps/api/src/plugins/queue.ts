import fp from 'fastify-plugin';
import { createSmsQueue, enqueueSms, type SmsQueue } from '@sms/jobs';

declare module 'fastify' {
  interface FastifyInstance {
    smsQueue: SmsQueue;
    enqueueSms: (messageIds: string[]) => Promise<void>;
  }
}

export default fp(
  async (fastify) => {
    const queue = createSmsQueue(fastify.config, fastify.redis);
    // During a Redis outage its errors are the outage, already reported once.
    queue.on('error', (err) => {
      if (!fastify.redisOutages.down()) fastify.log.warn({ err: err.message }, 'sms queue error');
    });
    fastify.decorate('smsQueue', queue);
    fastify.decorate('enqueueSms', (ids: string[]) => enqueueSms(queue, ids, fastify.redis));
    fastify.addHook('onClose', () => queue.close());
  },
  { name: 'queue', dependencies: ['redis'] },
);
