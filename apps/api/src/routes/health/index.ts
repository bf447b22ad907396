import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
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

  const readySchema = {
    tags: ['operations'],
    summary: 'MySQL and Redis (the queue’s node on a cluster) answer (within a second)',
    // 503: a failed check, or the error body while the process drains after SIGTERM.
    response: { 200: Health, 503: Type.Union([Health, Type.Ref(ErrorBody)]) },
  };
  const checkReady = async (_request: unknown, reply: FastifyReply) => {
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
  };
  fastify.get('/ready', { schema: { ...readySchema, operationId: 'ready' } }, checkReady);
  // /health itself, the first URL people try: the same answer as /health/ready.
  fastify.get(
    '', // the prefix alone: /health (with '/', the document would show /health/)
    { schema: { ...readySchema, operationId: 'health', summary: `As /health/ready: ${readySchema.summary}` } },
    checkReady,
  );
};

export default health;
