// Browser surfaces: security headers on /docs and /admin/*, and state-changing
// requests under /admin only from the service's own origin (CSRF).
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { buildTestApp, makeAdmin, newUser } from './helpers';

const HOST = 'sms.example.test';
const SELF = `http://${HOST}`;

t.test('/docs and /admin pages carry security headers and a CSP', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/docs', '/docs/json', '/admin/login']) {
    const res = await app.inject({ method: 'GET', url, headers: { host: HOST } });
    t.equal(res.statusCode, 200, url);
    const csp = String(res.headers['content-security-policy']);
    t.match(csp, /default-src 'self'/, `${url}: CSP`);
    t.match(csp, /script-src 'self'(;|$)/, `${url}: no inline or foreign scripts`);
    t.notMatch(csp, /upgrade-insecure-requests/, `${url}: plain-HTTP deployments keep working`);
    t.equal(res.headers['x-content-type-options'], 'nosniff', url);
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url);
  }
});

// A JSON answer can echo what a caller sent; a browser must never sniff it
// into HTML or a script. Every kind of answer, not only the browser pages.
t.test('every kind of answer carries X-Content-Type-Options: nosniff', async (t) => {
  const { app } = await buildTestApp(t);
  const user = await newUser(app);
  const cases: [string, InjectOptions, number][] = [
    [
      'JSON',
      { method: 'GET', url: `/api/v1/sms_settings/${user.userId}`, headers: { 'x-session-id': user.sessionId } },
      200,
    ],
    ['liveness', { method: 'GET', url: '/health/live' }, 200],
    ['readiness', { method: 'GET', url: '/health/ready' }, 200],
    ['metrics', { method: 'GET', url: '/metrics' }, 200],
    ['OpenAPI document', { method: 'GET', url: '/docs/json' }, 200],
    ['no session', { method: 'GET', url: `/api/v1/sms_settings/${user.userId}` }, 401],
    [
      'broken JSON',
      { method: 'POST', url: '/api/v1/signin', headers: { 'content-type': 'application/json' }, payload: '{' },
      400,
    ],
    ["the router's own error", { method: 'GET', url: '/api/v1/sms_settings/%zz' }, 400],
    ['no such route', { method: 'GET', url: '/nowhere' }, 404],
    [
      'unsupported media type',
      { method: 'POST', url: '/api/v1/signin', headers: { 'content-type': 'text/html' }, payload: '<p>' },
      415,
    ],
  ];
  for (const [what, request, status] of cases) {
    const res = await app.inject(request);
    t.equal(res.statusCode, status, `${what}: ${status}`);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  }
});

t.test('cross-site state-changing requests under /admin are refused with 403', async (t) => {
  const { app } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '1000' });
  const admin = await newUser(app);
  await makeAdmin(app, admin.userId);
  const form = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: `login=${admin.login}&password=correct+horse+battery`,
    });
  const evil = await form({ origin: 'https://evil.example' });
  t.equal(evil.statusCode, 403);
  t.equal(evil.json().code, 'FORBIDDEN');
  t.notOk(evil.headers['set-cookie'], 'no session cookie for a forged login');
  t.equal((await form({ 'sec-fetch-site': 'cross-site', origin: SELF })).statusCode, 403, 'Sec-Fetch-Site rules');
  t.equal((await form({ 'sec-fetch-site': 'same-site' })).statusCode, 403, 'a sibling subdomain is not the origin');
  t.equal((await form({ origin: `${SELF}:8443` })).statusCode, 403, 'another port is another origin');
  t.equal((await form({ origin: SELF })).statusCode, 303, 'same origin: signed in');
  t.equal((await form({ 'sec-fetch-site': 'same-origin', origin: SELF })).statusCode, 303);
  t.equal((await form({})).statusCode, 303, 'no browser headers: not a browser, nothing to forge');

  // Bull Board's own actions (pausing the queue), by an admin's session.
  const pause = (headers: Record<string, string>) =>
    app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/sms/pause',
      headers: { host: HOST, 'x-session-id': admin.sessionId, ...headers },
    });
  t.equal((await pause({ origin: 'https://evil.example' })).statusCode, 403);
  t.equal(await app.smsQueue.isPaused(), false, 'the forged pause did nothing');
  const own = await pause({ origin: SELF, 'sec-fetch-site': 'same-origin' });
  t.ok(own.statusCode < 300, `same origin: ${own.statusCode}`);
  t.equal(await app.smsQueue.isPaused(), true);
  await app.smsQueue.resume();
});
