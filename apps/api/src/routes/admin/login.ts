import { AppError, ErrorCode } from '@sms/core';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE } from '../../plugins/auth';
import { DASHBOARD_PATH, LOGIN_PATH } from '../../plugins/queue-dashboard';

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
 * The dashboard's browser sign-in: an admin's login and password open a normal
 * session whose id is kept in an HttpOnly, SameSite=Strict cookie scoped to
 * /admin, which the auth plugin accepts there in place of x-session-id.
 */
export default async function login(fastify: FastifyInstance) {
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
        if (!(err instanceof AppError && err.code === ErrorCode.WRONG_CREDENTIALS)) throw err;
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
}
