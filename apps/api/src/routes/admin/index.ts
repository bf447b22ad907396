import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { sameOriginOnly, securityHeaders } from '../../plugins/browser-security';
import queueDashboard from '../../plugins/queue-dashboard';
import login from './login';

/** Pages for admins' browsers: the sign-in form and the queue dashboard. */
async function admin(fastify: FastifyInstance) {
  await securityHeaders(fastify);
  fastify.addHook('onRequest', sameOriginOnly);
  await fastify.register(cookie);
  await fastify.register(formbody);
  await fastify.register(login);
  await fastify.register(queueDashboard);
}

// Encapsulated on purpose (no fastify-plugin): the form parser and cookies
// exist only under /admin; the API stays JSON-only.
export default admin;
