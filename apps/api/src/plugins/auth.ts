import fp from 'fastify-plugin';
import { errors, type Caller } from '@sms/core';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: 401 NOT_SIGNED unless x-session-id names a live session. */
    requireSession: (request: FastifyRequest) => Promise<void>;
    /** onRequest hook: as requireSession, then 403 FORBIDDEN for non-admins. */
    requireAdmin: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

export default fp(
  async (fastify) => {
    fastify.decorateRequest('caller', null as unknown as Caller);

    async function requireSession(request: FastifyRequest) {
      const header = request.headers['x-session-id'];
      const caller = await fastify.accounts.authenticate(typeof header === 'string' ? header : undefined);
      if (!caller) throw errors.notSigned();
      request.caller = caller;
    }

    fastify.decorate('requireSession', requireSession);
    fastify.decorate('requireAdmin', async (request: FastifyRequest) => {
      await requireSession(request);
      if (!request.caller.admin) throw errors.forbidden();
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
