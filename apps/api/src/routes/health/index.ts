import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const CHECK_TIMEOUT_MS = 800;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  mysql: Type.Optional(Type.Boolean()),
  redis: Type.Optional(Type.Boolean()),
});

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/live',
    { schema: { tags: ['operations'], summary: 'The process runs', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'MySQL and Redis answer (within a second)',
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const [mysql, redis] = await Promise.all([
        withTimeout(fastify.db.ping()).then(
          () => true,
          () => false,
        ),
        withTimeout(fastify.redis.ping()).then(
          () => true,
          () => false,
        ),
      ]);
      const ok = mysql && redis;
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', mysql, redis });
    },
  );
};

export default health;
