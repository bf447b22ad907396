import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { errors, type AppError } from '@sms/core';
import { sendError } from './errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = '/admin/login';
/** The admin's session id, for browsers (which cannot send x-session-id). */
export const SESSION_COOKIE = 'sms_admin_session';

const page = (title: string, body: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;margin:.4rem 0}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;

const loginForm = (problem = '') =>
  page(
    'Queue dashboard',
    `${problem ? `<p role="alert">${problem}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<label>Login <input name="login" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button>Sign in</button></form>`,
  );

/**
 * Bull Board on the sms queue at /admin/queues, for admins only. A browser
 * signs in at /admin/login with an admin's login and password: that opens a
 * normal session whose id is kept in an HttpOnly, SameSite=Strict cookie
 * scoped to /admin. API clients may send x-session-id instead.
 */
async function dashboard(fastify: FastifyInstance) {
  await fastify.register(cookie);
  await fastify.register(formbody);

  const sessionOf = (request: FastifyRequest) => {
    const header = request.headers['x-session-id'];
    return typeof header === 'string' ? header : request.cookies[SESSION_COOKIE];
  };

  async function requireAdmin(request: FastifyRequest, reply: FastifyReply) {
    const caller = await fastify.accounts.authenticate(sessionOf(request));
    if (caller?.admin) return;
    if (!caller && request.method === 'GET' && request.headers.accept?.includes('text/html')) {
      return reply.redirect(LOGIN_PATH, 303);
    }
    // Answered here, not thrown: Bull Board's routes have an error handler of their own.
    return sendError(
      reply,
      request,
      caller ? errors.forbidden('the queue dashboard is for admins') : errors.notSigned(),
    );
  }

  fastify.get(LOGIN_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html').send(loginForm()),
  );

  fastify.post<{ Body: { login?: string; password?: string } }>(
    LOGIN_PATH,
    { config: { rateLimit: {} }, schema: { hide: true } },
    async (request, reply) => {
      const { login = '', password = '' } = request.body ?? {};
      try {
        const session = await fastify.accounts.signin(String(login), String(password));
        if (!session.admin) {
          await fastify.accounts.signout(session.id);
          return reply.status(403).type('text/html').send(loginForm('This account is not an admin.'));
        }
        reply.setCookie(SESSION_COOKIE, session.id, {
          path: '/admin',
          httpOnly: true,
          sameSite: 'strict',
          secure: request.protocol === 'https',
          maxAge: fastify.config.SESSION_TTL_SECONDS,
        });
        return reply.redirect(DASHBOARD_PATH, 303);
      } catch (err) {
        if ((err as AppError).code !== 'WRONG_CREDENTIALS') throw err;
        return reply.status(401).type('text/html').send(loginForm('Wrong login or password.'));
      }
    },
  );

  fastify.post('/admin/logout', { schema: { hide: true } }, async (request, reply) => {
    const session = request.cookies[SESSION_COOKIE];
    if (session) await fastify.accounts.signout(session);
    reply.clearCookie(SESSION_COOKIE, { path: '/admin' });
    return reply.redirect(LOGIN_PATH, 303);
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: [new BullMQAdapter(fastify.smsQueue)], serverAdapter });
  await fastify.register(
    async (board) => {
      board.addHook('onRequest', requireAdmin);
      await board.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
}

// Encapsulated on purpose (no fastify-plugin): the form parser and cookies
// exist only under /admin; the API stays JSON-only.
export default dashboard;
