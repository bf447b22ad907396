import { AppError, ErrorCode } from '@sms/core';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE } from '../../plugins/auth';
import { DASHBOARD_PATH, LOGIN_PATH } from '../../plugins/queue-dashboard';

// Inline, which the dashboard's CSP (helmet's default: style-src 'self' https:
// 'unsafe-inline') allows, as it does Bull Board's own inline styles.
const STYLE = `*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f4f5f7;color:#1f2933;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(22rem,calc(100% - 2rem));padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06)}
h1{margin:0 0 1.25rem;font-size:1.25rem}
label{display:block;margin:0 0 1rem;font-size:.875rem;font-weight:600}
input{display:block;width:100%;margin-top:.35rem;padding:.55rem .7rem;font:inherit;font-weight:400;border:1px solid #cbd2d9;border-radius:.375rem}
input:focus{outline:2px solid #3b82f6;outline-offset:1px;border-color:#3b82f6}
button{width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#2563eb;border:0;border-radius:.375rem;cursor:pointer}
button:hover{background:#1d4ed8}
[role=alert]{margin:0 0 1rem;padding:.6rem .75rem;color:#9b1c1c;background:#fde8e8;border-radius:.375rem;font-size:.875rem}`;

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${STYLE}</style>
</head><body><main><h1>${title}</h1>${body}</main></body></html>`;

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
