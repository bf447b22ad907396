import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withTimeout } from '@sms/config';
import { probeQueue } from '@sms/jobs';
import { ErrorBody } from '../../schemas/common';

const CHECK_TIMEOUT_MS = 800;

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  mysql: Type.Optional(Type.Boolean()),
  redis: Type.Optional(Type.Boolean()),
});

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/live',
    { schema: { tags: ['operations'], operationId: 'live', summary: 'The process runs', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        operationId: 'ready',
        summary: 'MySQL and Redis (the queue’s node on a cluster) answer (within a second)',
        // 503: a failed check, or the error body while the process drains after SIGTERM.
        response: { 200: Health, 503: Type.Union([Health, Type.Ref(ErrorBody)]) },
      },
    },
    async (_request, reply) => {
      const [mysql, redis] = await Promise.all([
        withTimeout(fastify.db.ping(), CHECK_TIMEOUT_MS).then(
          () => true,
          () => false,
        ),
        withTimeout(probeQueue(fastify.config, fastify.redis), CHECK_TIMEOUT_MS).then(
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
