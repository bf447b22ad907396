import fp from 'fastify-plugin';
import { errors, type Caller, type Prefetched } from '@sms/core';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: 401 NOT_SIGNED unless the request names a live session. */
    requireSession: (request: FastifyRequest) => Promise<void>;
    /** onRequest hook: as requireSession, then 403 FORBIDDEN for non-admins. */
    requireAdmin: (request: FastifyRequest) => Promise<void>;
    /**
     * onRequest hook for routes with :user_id: as requireSession, reading that
     * account's settings in the same query (request.prefetched). Still a hook,
     * so that a missing session answers 401 before the parameters are checked.
     */
    requireSessionReading: (request: FastifyRequest) => Promise<void>;
    /** onRequest hook: as requireSession when the request names a session; nothing when it names none. */
    optionalSession: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    caller: Caller;
    prefetched: Prefetched | null;
  }
}

/**
 * A session id for browsers, which cannot send x-session-id. Cookies are parsed
 * only under /admin (the dashboard), so the API itself never accepts one.
 */
export const SESSION_COOKIE = 'sms_admin_session';

function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-session-id'];
  return typeof header === 'string' ? header : request.cookies?.[SESSION_COOKIE];
}

export default fp(
  async (fastify) => {
    fastify.decorateRequest('caller', null as unknown as Caller);

    async function requireSession(request: FastifyRequest) {
      const caller = await fastify.accounts.authenticate(sessionIdOf(request));
      if (!caller) throw errors.notSigned();
      request.caller = caller;
    }

    fastify.decorate('requireSession', requireSession);
    fastify.decorateRequest('prefetched', null);
    fastify.decorate('requireSessionReading', async (request: FastifyRequest) => {
      const userId = (request.params as { user_id?: string }).user_id ?? '';
      const found = await fastify.accounts.authenticateReading(sessionIdOf(request), userId);
      if (!found) throw errors.notSigned();
      request.caller = found.caller;
      request.prefetched = { userId, account: found.account };
    });
    fastify.decorate('optionalSession', async (request: FastifyRequest) => {
      if (sessionIdOf(request) !== undefined) await requireSession(request);
    });
    fastify.decorate('requireAdmin', async (request: FastifyRequest) => {
      await requireSession(request);
      if (!request.caller.admin) throw errors.forbidden();
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
