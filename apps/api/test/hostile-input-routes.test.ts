// Hostile input, property-based (fast-check), against every route the server
// has: hostile bodies, content types, callers, session and request-id headers,
// path segments and query strings (hostile-input-arbitraries.ts). Whatever
// arrives: never a 5xx, an error always has the contract's body with the
// correlation id of x-request-id, and a rejected request changes no row.
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import Fastify, { type InjectOptions } from 'fastify';
import fp from 'fastify-plugin';
import t from 'tap';
import app from '../src/app';
import { buildTestApp, makeAdmin, newUser } from './helpers';
import { body, contentType, headerValue, hostileSegment, query, who } from './hostile-input-arbitraries';
import { assertAnswer, holds, snapshot } from './hostile-input-checks';
import { freshPhone, putPhone } from './sms-helpers';

const RUNS = 60;

async function routesOf(config: Parameters<typeof app>[1]['config']) {
  const routes: { method: string; url: string }[] = [];
  const probe = Fastify({ logger: false });
  probe.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  await probe.register(fp(app), { config });
  await probe.close();
  return routes;
}

t.test('every route, hostile requests: never 5xx, always the error body, no row changed when rejected', async (t) => {
  const { app: server, config } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '10000000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000000',
  });
  const owner = await newUser(server);
  const other = await newUser(server);
  const admin = await newUser(server);
  await makeAdmin(server, admin.userId);
  await putPhone(server, owner.sessionId, owner.userId, { phone: freshPhone() });

  /** A new session for `userId` for one request (signout may end it), made before the snapshot. */
  const sessionFor = async (userId: string) => {
    const id = randomBytes(16).toString('hex');
    await server.prisma.session.create({
      data: {
        idHash: createHash('sha256').update(id).digest('hex'),
        userId,
        // A full TTL: younger than a minute, so using it does not slide its expiry (a write).
        expireTime: new Date(Date.now() + config.SESSION_TTL_SECONDS * 1000),
      },
    });
    return id;
  };

  const routes = await routesOf(config);
  t.ok(routes.length >= 15, `${routes.length} routes`);
  const counts = { requests: 0, rejected: 0, accepted: 0 };

  for (const route of routes) {
    const property = fc.asyncProperty(
      body,
      contentType,
      who,
      headerValue,
      fc.option(hostileSegment, { nil: undefined, freq: 3 }),
      query,
      fc.option(headerValue, { nil: undefined }),
      async (b, type, caller, hostileSession, segment, qs, requestId) => {
        const headers: Record<string, string> = {};
        if (caller === 'hostile') headers['x-session-id'] = hostileSession;
        else if (caller !== 'none') {
          const user = caller === 'owner' ? owner : caller === 'other' ? other : admin;
          headers['x-session-id'] = await sessionFor(user.userId);
        }
        if (requestId !== undefined) headers['x-request-id'] = requestId;
        if (b.kind !== 'none') headers['content-type'] = b.kind === 'raw' && type === 'application/json' ? type : type;
        const url =
          route.url
            .replace(':user_id', segment ?? owner.userId)
            .replace('*', segment ?? 'x')
            .replace(/:([a-zA-Z]+)/g, (_m, name: string) => segment ?? name) + qs;
        const request: InjectOptions = {
          method: route.method as InjectOptions['method'],
          url,
          headers,
          ...(b.kind !== 'none' && route.method !== 'GET' ? { payload: b.payload } : {}),
        };
        const before = await snapshot(server);
        const res = await server.inject(request);
        counts.requests++;
        if (res.statusCode >= 500) t.comment(res.body);
        const what = `${route.method} ${url.slice(0, 120)} (${b.kind} ${String(b.payload).slice(0, 80)})`;
        assertAnswer(res, what, caller === 'admin' && route.url.startsWith('/admin/queues/'));
        if (res.statusCode >= 400) {
          counts.rejected++;
          const after = await snapshot(server);
          if (after !== before) throw new Error(`${what}: rejected with ${res.statusCode} but rows changed`);
        } else counts.accepted++;
      },
    );
    // The service's own routes get the most runs; the dashboard's and the docs' many routes fewer.
    const runs = /^\/(admin\/queues|docs)\//.test(route.url) ? 10 : RUNS;
    await holds(t, property, runs, `${route.method} ${route.url}`);
  }
  t.comment(`${counts.requests} requests: ${counts.rejected} rejected, ${counts.accepted} accepted`);
  t.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched');
  t.equal(await server.prisma.account.count({ where: { admin: true } }), 1, 'no account became admin');
});
