import { Validator } from '@seriousme/openapi-schema-validator';
import { ErrorCode } from '@sms/core';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import t from 'tap';
import app from '../src/app';
import { body, buildTestApp, errorBody, makeAdmin, newUser } from './helpers';

t.test('OpenAPI document', async (t) => {
  const { app: server, config } = await buildTestApp(t);
  const res = await server.inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json();

  const validator = new Validator();
  const result = await validator.validate(doc);
  t.ok(result.valid, `valid OpenAPI ${doc.openapi}: ${JSON.stringify(result.errors ?? '').slice(0, 500)}`);

  // Every route the server has (but the docs' own, the dashboard's and /metrics) is in the document.
  const routes: string[] = [];
  const probe = Fastify({ logger: false });
  probe.addHook('onRoute', (route) => {
    if (/^\/(docs|admin|metrics)/.test(route.url)) return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  await probe.register(fp(app), { config });
  t.teardown(() => probe.close());
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );
  t.ok(routes.length >= 10, `found ${routes.length} routes`);
  t.same([...routes].sort(), [...documented].sort(), 'the document lists exactly the routes the server has');

  const put = doc.paths['/api/v1/sms_settings/{user_id}'].put;
  t.same(put.security, [{ session: [] }], 'x-session-id security on PUT');
  t.same(doc.components.securitySchemes.session, { type: 'apiKey', in: 'header', name: 'x-session-id' });
  for (const status of ['200', '400', '401', '403', '404', '409', '429'])
    t.ok(put.responses[status], `PUT documents ${status}`);
  t.ok(put.requestBody, 'PUT documents its body');
  t.ok(doc.components.schemas.ErrorBody, 'the error body is a named schema');
  t.same(doc.components.schemas.ErrorBody.properties.code.enum, Object.values(ErrorCode), 'every error code, listed');

  const ui = await server.inject({ method: 'GET', url: '/docs' });
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, 'the UI is served');
});

t.test('Prometheus metrics', async (t) => {
  const { app } = await buildTestApp(t);
  await app.inject({ method: 'GET', url: '/health/live' });
  await app.inject({ method: 'GET', url: `/api/v1/sms_settings/${'a'.repeat(32)}` });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  t.match(res.body, /http_requests_total\{method="GET",route="\/health\/live",status_code="200",service="api"\} 1/);
  t.match(
    res.body,
    /http_requests_total\{method="GET",route="\/api\/v1\/sms_settings\/:user_id",status_code="401",service="api"\} 1/,
    'by route template, not raw URL',
  );
  t.match(res.body, /http_request_duration_seconds_bucket/);
  t.match(res.body, /process_resident_memory_bytes/);
});

t.test('queue dashboard: admins only, with a browser sign-in', async (t) => {
  const { app } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '1000' });
  const user = await newUser(app, { password: 'user password' });
  const admin = await newUser(app, { password: 'admin password' });
  await makeAdmin(app, admin.userId);

  const anonymous = await app.inject({ method: 'GET', url: '/admin/queues', headers: { accept: 'text/html' } });
  t.equal(anonymous.statusCode, 303, 'a browser with no session is sent to the login page');
  t.equal(anonymous.headers.location, '/admin/login');
  const anonymousApi = await app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
  t.equal(anonymousApi.statusCode, 401);
  t.equal(body(anonymousApi).code, 'NOT_SIGNED');

  const nonAdmin = await app.inject({
    method: 'GET',
    url: '/admin/queues/api/queues',
    headers: { 'x-session-id': user.sessionId },
  });
  t.equal(nonAdmin.statusCode, 403);
  t.equal(body(nonAdmin).code, 'FORBIDDEN');

  const form = await app.inject({ method: 'GET', url: '/admin/login' });
  t.match(form.body, /<form method="post"/);

  const refused = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `login=${user.login}&password=user%20password`,
  });
  t.equal(refused.statusCode, 403, 'a non-admin cannot sign in to the dashboard');
  t.notOk(refused.headers['set-cookie'], 'and gets no cookie');

  const wrong = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `login=${admin.login}&password=nope`,
  });
  t.equal(wrong.statusCode, 401);

  const login = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `login=${admin.login}&password=admin%20password`,
  });
  t.equal(login.statusCode, 303);
  t.equal(login.headers.location, '/admin/queues');
  const cookie = String(login.headers['set-cookie']);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Strict/);
  t.match(cookie, /Path=\/admin/);
  const sessionCookie = cookie.split(';')[0]!;

  const page = await app.inject({
    method: 'GET',
    url: '/admin/queues',
    headers: { cookie: sessionCookie, accept: 'text/html' },
  });
  t.equal(page.statusCode, 200);
  t.match(page.body, /<html/i);
  const queues = await app.inject({
    method: 'GET',
    url: '/admin/queues/api/queues',
    headers: { cookie: sessionCookie },
  });
  t.equal(queues.statusCode, 200);
  t.match(queues.json(), { queues: [{ name: 'sms' }] });

  const logout = await app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie: sessionCookie } });
  t.equal(logout.statusCode, 303);
  const after = await app.inject({
    method: 'GET',
    url: '/admin/queues/api/queues',
    headers: { cookie: sessionCookie },
  });
  t.equal(after.statusCode, 401, 'the session is closed at logout');

  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/api/v1/signin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'login=a',
      })
    ).statusCode,
    415,
    'form bodies stay refused on the API',
  );
});

t.test('readiness answers 503 within a second when Redis is down', async (t) => {
  const { app } = await buildTestApp(t, { REDIS_URL: 'redis://127.0.0.1:1' });
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/health/ready' });
  t.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
  t.equal(res.statusCode, 503);
  t.same(res.json(), { status: 'unavailable', mysql: true, redis: false });
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
  const health = await app.inject({ method: 'GET', url: '/health' });
  t.same([health.statusCode, health.json()], [503, res.json()], '/health answers as /health/ready');
});

t.test('/health answers as /health/ready', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/health', '/health/ready']) {
    const res = await app.inject({ method: 'GET', url });
    t.same([res.statusCode, res.json()], [200, { status: 'ok', mysql: true, redis: true }], url);
  }
});

t.test('readiness answers 503 within a second when MySQL is down', async (t) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: 'mysql://root@127.0.0.1:1/nothing' });
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/health/ready' });
  t.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
  t.equal(res.statusCode, 503);
  t.same(res.json(), { status: 'unavailable', mysql: false, redis: true });
  const api = await app.inject({
    method: 'POST',
    url: '/api/v1/sms_settings/verify',
    payload: { phone: '+380508308443', code: '123456' },
  });
  t.equal(api.statusCode, 503);
  t.same(body(api), errorBody(api, 'UNAVAILABLE', 503, 'the database is unavailable; try again shortly'));
});
